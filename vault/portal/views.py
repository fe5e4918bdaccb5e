"""The citizen's portal pages for what the vault owns: credentials and the access log."""

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from accounts.permissions import citizen_required
from accounts.principals import acting_citizen
from vault import logexport, selectors, services
from vault.errors import PodNotFound


def _own_pod(request: HttpRequest):
    try:
        return selectors.pod_of(acting_citizen(request))
    except PodNotFound as exc:
        raise Http404(exc.detail) from exc


@citizen_required
def home(request: HttpRequest) -> HttpResponse:
    pod = _own_pod(request)
    return render(request, "vault/home.html", {"pod": pod, "credentials": selectors.credentials_in(pod)})


@citizen_required
def credential(request: HttpRequest, resource_id) -> HttpResponse:
    try:
        resource, document = services.read_own_credential(
            owner=acting_citizen(request), resource_id=resource_id
        )
    except PodNotFound as exc:
        raise Http404(exc.detail) from exc
    pretty = json.dumps(document, indent=2, ensure_ascii=False)
    return render(request, "vault/credential.html", {"resource": resource, "document": pretty})


@citizen_required
def log(request: HttpRequest) -> HttpResponse:
    pod = _own_pod(request)
    page = Paginator(selectors.access_log(pod).select_related("actor_organisation"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "vault/log.html",
        {
            "page": page,
            "check": selectors.verify_access_log(pod),
            "retention_days": settings.ACCESS_LOG_RETENTION_DAYS,
        },
    )


@citizen_required
@require_POST
def log_download(request: HttpRequest) -> HttpResponse:
    """The log as JSON (with proofs and checkpoint) or, with ``readable``, as text; logged."""
    readable = request.POST.get("as") == "text"
    try:
        pod, export = logexport.export_log(owner=acting_citizen(request), readable=readable)
    except PodNotFound as exc:
        raise Http404(exc.detail) from exc
    if isinstance(export, str):
        response = HttpResponse(export, content_type="text/plain; charset=utf-8")
        name = f"access-log-{pod.pk}.txt"
    else:
        response = HttpResponse(json.dumps(export, indent=1), content_type="application/json")
        name = f"access-log-{pod.pk}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
