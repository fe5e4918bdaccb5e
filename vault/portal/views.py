"""The citizen's portal pages for what the vault owns: credentials, the access log, and My data
(documents, export, erasure)."""

import json
from typing import BinaryIO, cast

import segno
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import citizen_required
from accounts.principals import acting_citizen
from core.errors import DomainError
from core.refusals import in_words
from credentials.selectors import accredited_pairs
from credentials.verification import verify_credential
from vault import documents, erasure, logcheck, logexport, podexport, selectors, services
from vault.errors import DocumentNotFound, ExportNotFound, PodNotFound
from vault.evidence import requests_with_evidence
from vault.models import PodExport
from vc.dataintegrity.sd import split_base_proofs

from . import charts, presenting
from .forms import LogFilterForm
from .my_data_refusals import ERASURE_CANCEL_REFUSALS, ERASURE_REFUSALS, EXPORT_REFUSALS, UPLOAD_REFUSALS


def _own_pod(request: HttpRequest):
    try:
        return selectors.pod_of(acting_citizen(request))
    except PodNotFound as exc:
        raise Http404(exc.detail) from exc


CREDENTIALS_PER_PAGE = 20
LOG_ENTRIES_PER_PAGE = 25


@citizen_required
def home(request: HttpRequest) -> HttpResponse:
    """The citizen's credentials, newest first, a page at a time: only the page's are opened."""
    citizen = acting_citizen(request)
    pod = _own_pod(request)
    page = Paginator(selectors.credentials_in(pod), CREDENTIALS_PER_PAGE).get_page(request.GET.get("page"))
    try:
        pairs = services.list_own_credentials(owner=citizen, resources=list(page))
    except PodNotFound as exc:
        raise Http404(exc.detail) from exc
    shown = presenting.summaries(
        pairs,
        changes=selectors.issuer_status_changes(pod, [resource.pk for resource, _doc in pairs]),
        accredited=accredited_pairs({resource.issuer_id for resource, _doc in pairs}, timezone.now()),
        now=timezone.now(),
    )
    return render(request, "vault/home.html", {"pod": pod, "credentials": shown, "page": page})


def _qr_svg(document: dict) -> str | None:
    """The credential itself, as issued and compact, in a QR code (SVG paths, no inline style): a
    verifier's app scans it and checks the proof offline. None when it is too large for a QR.

    The mask is fixed: choosing the best of eight (segno's default) costs most of the time at
    these sizes, and every mask is valid for a reader."""
    # What a verifier checks whole: without the ecdsa-sd-2023 base proof, the holder's own (its
    # HMAC key would let the verifier link values; a verifier refuses a base proof anyway).
    payload = json.dumps(split_base_proofs(document)[0], ensure_ascii=False, separators=(",", ":"))
    try:
        code = segno.make(payload, error="l", micro=False, mask=0, boost_error=False)
    except segno.DataOverflowError:
        return None
    return code.svg_inline(scale=3, title=_("QR code of the signed credential"), omitsize=True)


@citizen_required
def credential_qr(request: HttpRequest, resource_id) -> HttpResponse:
    """The credential as a QR code, large, on a page of its own (opening it is logged as a read)."""
    try:
        resource, document = services.read_own_credential(
            owner=acting_citizen(request), resource_id=resource_id
        )
    except PodNotFound as exc:
        raise Http404(exc.detail) from exc
    return render(
        request,
        "vault/credential_qr.html",
        {
            "resource": resource,
            "type_name": presenting.type_name(resource.credential_type),
            "title": presenting.title_of(presenting.CREDENTIAL_TYPES.get(resource.credential_type), document),
            "qr": _qr_svg(document),
        },
    )


@citizen_required
def credential(request: HttpRequest, resource_id) -> HttpResponse:
    try:
        resource, document = services.read_own_credential(
            owner=acting_citizen(request), resource_id=resource_id
        )
    except PodNotFound as exc:
        raise Http404(exc.detail) from exc
    # As a verifier would check it read whole: the ecdsa-sd-2023 base proof is the holder's own.
    result = verify_credential(split_base_proofs(document)[0])
    valid_from, valid_until = presenting.validity(document)
    registered = presenting.CREDENTIAL_TYPES.get(resource.credential_type)
    return render(
        request,
        "vault/credential.html",
        {
            "resource": resource,
            "type_name": presenting.type_name(resource.credential_type),
            "title": presenting.title_of(registered, document),
            "claims": presenting.claim_rows(document),
            "valid_from": valid_from,
            "valid_until": valid_until,
            "result": result,
            "checks": result.checks.items(),
            "state": presenting.verified_state(result),
            "status_change": selectors.last_status_change(resource.pod, resource),
            "document": json.dumps(document, indent=2, ensure_ascii=False),
        },
    )


@citizen_required
@require_POST
def credential_download(request: HttpRequest, resource_id) -> HttpResponse:
    """The credential exactly as issued, with its proof, as a JSON-LD file (logged as a read)."""
    try:
        resource, document = services.read_own_credential(
            owner=acting_citizen(request), resource_id=resource_id
        )
    except PodNotFound as exc:
        raise Http404(exc.detail) from exc
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/vc+ld+json"
    )
    response["Content-Disposition"] = f'attachment; filename="{resource.credential_type}-{resource.pk}.json"'
    return response


@citizen_required
def log(request: HttpRequest) -> HttpResponse:
    pod = _own_pod(request)
    events = selectors.access_log(pod)
    latest = selectors.latest_checkpoint(pod)
    form = LogFilterForm(request.GET or None, pod=pod, log_size=latest.checkpoint.size if latest else 0)
    if form.is_valid():
        events = form.apply(events)
    tally = charts.tally(events)  # the page count and the chart, in one pass over the selection
    paginator = Paginator(events, LOG_ENTRIES_PER_PAGE)
    paginator.count = tally.entries  # a cached_property: not counted again
    page = paginator.get_page(request.GET.get("page"))
    details = selectors.sealed_details(pod)
    for event in page:  # a legal read: its law and case, or "sealed until" (presenting.legal_of)
        event.legal_shown = presenting.legal_of(event, details)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "vault/log.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "chart": tally.chart,
            "with_evidence": requests_with_evidence({event.request_id for event in page}),
            "latest": latest,
            "retention_days": settings.ACCESS_LOG_RETENTION_DAYS,
        },
    )


@citizen_required
@require_http_methods(["GET", "POST"])
def log_check(request: HttpRequest) -> HttpResponse:
    """The server recomputes the whole log (hash chain and Merkle tree) against its signed head.

    In the background (vault.logcheck): a POST asks for a check, the page shows its progress and
    then its result, kept while the log's head is unchanged; the check grows with the log (about
    a second per 10,000 entries), which no page should wait for.
    """
    pod = _own_pod(request)
    if request.method == "POST":
        logcheck.request_check(pod)
        return redirect("portal:log-check")
    return render(request, "vault/log_check.html", {"state": logcheck.state_of(pod)})


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


# --- My data: documents, export, erasure --------------------------------------------------------


@citizen_required
def my_data(request: HttpRequest) -> HttpResponse:
    pod = _own_pod(request)
    exports = PodExport.objects.filter(pod=pod).order_by("-created_at")[:5]
    working = any(export.status in (PodExport.Status.QUEUED, PodExport.Status.RUNNING) for export in exports)
    return render(
        request,
        "vault/my_data.html",
        {
            "documents": documents.documents_in(pod),
            "types": documents.DOCUMENT_TYPES.values(),
            "used": documents.used_bytes(pod),
            "quota": settings.POD_DOCUMENT_QUOTA_BYTES,
            "exports": exports,
            "working": working,  # the page refreshes itself while an export is being built
            "now": timezone.now(),
            "erasure": erasure.pending_erasure(acting_citizen(request)),
            "grace_days": settings.POD_ERASURE_GRACE_DAYS,
            "export_hours": settings.POD_EXPORT_HOURS,
        },
    )


def _back(request: HttpRequest, text: str, level: int = messages.SUCCESS) -> HttpResponse:
    messages.add_message(request, level, text)
    return redirect("portal:my-data")


@citizen_required
@require_POST
def document_upload(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        return _back(request, _("Choose a file to upload."), messages.ERROR)
    try:
        documents.store_document(
            owner=acting_citizen(request),
            document_type=request.POST.get("type", ""),
            content_type=upload.content_type or "",
            stream=cast(BinaryIO, upload),  # an in-memory upload (settings.FILE_UPLOAD_HANDLERS)
            length=upload.size,
            name=upload.name,
        )
    except DomainError as exc:
        return _back(request, in_words(exc, UPLOAD_REFUSALS), messages.ERROR)
    return _back(request, _("Your document is stored, encrypted."))


@citizen_required
def document_download(request: HttpRequest, document_id) -> HttpResponse:
    try:
        document, name, content = documents.read_document(
            owner=acting_citizen(request), document_id=document_id
        )
    except DocumentNotFound as exc:
        raise Http404(exc.detail) from exc
    response = HttpResponse(content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@citizen_required
def document_delete(request: HttpRequest, document_id) -> HttpResponse:
    """GET: a page that says which document will be deleted; POST: delete it."""
    if request.method == "GET":
        document = documents.documents_in(_own_pod(request)).filter(pk=document_id).first()
        if document is None:
            raise Http404("You hold no document with that id.")
        return render(request, "vault/document_delete.html", {"document": document})
    try:
        documents.delete_document(owner=acting_citizen(request), document_id=document_id)
    except DocumentNotFound as exc:
        raise Http404(exc.detail) from exc
    return _back(request, _("The document is deleted."))


@citizen_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    podexport.request_export(owner=acting_citizen(request))
    return _back(request, _("Your export is being prepared; this page shows its progress."))


@citizen_required
def export_download(request: HttpRequest, export_id) -> HttpResponse:
    try:
        export, archive = podexport.download_export(owner=acting_citizen(request), export_id=export_id)
    except ExportNotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:
        return _back(request, in_words(exc, EXPORT_REFUSALS), messages.ERROR)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"citizen-vault-pod-{export.pod_id}.zip"
    )
    response["Cache-Control"] = "no-store"
    return response


@citizen_required
@require_POST
def erasure_request(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "erase":
        return _back(request, _("Tick the box to confirm you want your pod erased."), messages.ERROR)
    try:
        erasure.request_erasure(owner=acting_citizen(request))
    except DomainError as exc:
        return _back(request, in_words(exc, ERASURE_REFUSALS), messages.ERROR)
    return _back(request, _("Your pod will be erased when the waiting period ends. We sent you an e-mail."))


@citizen_required
@require_POST
def erasure_cancel(request: HttpRequest) -> HttpResponse:
    try:
        erasure.cancel_erasure(owner=acting_citizen(request))
    except DomainError as exc:
        return _back(request, in_words(exc, ERASURE_CANCEL_REFUSALS), messages.ERROR)
    return _back(request, _("The erasure is cancelled; nothing was erased."))
