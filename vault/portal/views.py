"""The citizen's portal pages for what the vault owns: credentials and the access log."""

import json

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import citizen_required
from accounts.principals import acting_citizen
from vault import selectors, services
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
    return render(request, "vault/log.html", {"page": page, "check": selectors.verify_access_log(pod)})
