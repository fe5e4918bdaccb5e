"""The issuer's console: issue one credential through a form, hand in a class as a CSV and watch
it being issued, revoke or suspend what the organisation issued.

The same services as the API's: vault.services.issue_into_pod (one credential), vault.batches
(the CSV: submitted, sealed, issued by the Celery task row by row), credentials.services
.update_status (the status lists; the pods holding the credential log the change). The
organisation comes from accounts.console.member_required; every batch and credential is looked up
among the organisation's own, so another issuer's is a 404. National register numbers travel in
form bodies only, never in a URL.
"""

import csv
import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.console import member_required
from accounts.errors import CitizenNotFound, InvalidNationalId
from accounts.models import Organisation
from core.refusals import in_words
from credentials.selectors import status_bits_of, status_reasons_of
from credentials.services import update_status
from vault import batches, selectors, services
from vault.batchcsv import check_upload_size, layout_of
from vault.errors import BatchNotFound
from vault.models import Batch
from vc.errors import VcError
from vc.types import CREDENTIAL_TYPES

from .console_forms import (
    CONSOLE_COUNTRY,
    STATUS_REASON_LABELS,
    BatchForm,
    FindCitizenForm,
    IssueForm,
    StatusForm,
    TypeForm,
)
from .presenting import type_name
from .refusals import BATCH_REFUSALS, ISSUE_REFUSALS, STATUS_REFUSALS, batch_failure_in_words, row_in_words

ISSUERS = (Organisation.Kind.ISSUER,)
ISSUED_PER_PAGE = 50
ERRORS_SHOWN = 200  # per-line errors on the batch page (the API pages through all of them)
REFRESH_SECONDS = 2  # a running batch's page reloads itself (a meta refresh: no script)


@require_http_methods(["GET", "POST"])
@member_required(*ISSUERS)
def issue(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """GET ?type=…: the type's form; POST: issue it into the citizen's pod (vault.services)."""
    source = request.POST if request.method == "POST" else request.GET
    chosen = TypeForm({"type": source.get("type", next(iter(CREDENTIAL_TYPES)))})
    if not chosen.is_valid():
        raise Http404("No credential type of that name.")
    credential_type = chosen.cleaned_data["type"]
    form = IssueForm(request.POST or None, credential_type=credential_type)
    if request.method == "POST" and form.is_valid():
        try:
            services.issue_into_pod(
                issuer=organisation, national_id=form.national_id_value, credential=form.credential()
            )
        except (CitizenNotFound, InvalidNationalId):
            form.add_error("national_id", _("No citizen with this national register number has a pod here."))
        except VcError as exc:
            form.add_error(None, in_words(exc, ISSUE_REFUSALS))
        else:
            messages.success(
                request,
                _("Issued: the %(type)s is in the citizen's pod, who is told.")
                % {"type": type_name(credential_type)},
            )
            return redirect("portal:console-issued", org=organisation.slug)
    return render(
        request,
        "vault/console/issue.html",
        {"organisation": organisation, "chosen": chosen, "form": form, "credential_type": credential_type},
        status=400 if request.method == "POST" else 200,
    )


def _layouts() -> list[tuple[str, list]]:
    return [(type_name(name), list(layout_of(name).columns)) for name in CREDENTIAL_TYPES]


@require_http_methods(["GET", "POST"])
@member_required(*ISSUERS)
def batch_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """GET: the organisation's classes and the upload form; POST: hand one in (vault.batches)."""
    form = BatchForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_upload_size(upload.size)  # before reading it into memory
            submission = batches.submit_batch(
                issuer=organisation,
                data=upload.read(),
                credential_type=form.cleaned_data["credential_type"],
                default_country=CONSOLE_COUNTRY,
            )
        except VcError as exc:
            form.add_error("file", in_words(exc, BATCH_REFUSALS))
        else:
            if not submission.created:
                messages.info(request, _("This file was handed in before: here is its class."))
            return redirect("portal:console-batch", org=organisation.slug, batch_id=submission.batch.pk)
    return render(
        request,
        "vault/console/batches.html",
        {
            "organisation": organisation,
            "form": form,
            "batches": selectors.batches_of(organisation)[:50],
            "layouts": _layouts(),
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required(*ISSUERS)
def batch_detail(request: HttpRequest, organisation: Organisation, batch_id) -> HttpResponse:
    """A class's progress (reloading itself while it runs) and its per-line report."""
    try:
        batch = selectors.batch_of(organisation, batch_id)
        errors = list(selectors.batch_errors(organisation, batch_id)[:ERRORS_SHOWN])
    except BatchNotFound as exc:
        raise Http404(exc.detail) from exc
    running = batch.status in (Batch.Status.QUEUED, Batch.Status.RUNNING)
    return render(
        request,
        "vault/console/batch.html",
        {
            "organisation": organisation,
            "batch": batch,
            "errors": [(error, row_in_words(error.code, error.reason)) for error in errors],
            "more_errors": batch.failed > len(errors),
            "failure": batch_failure_in_words(batch) if batch.status == Batch.Status.FAILED else "",
            "running": running,
            "refresh": REFRESH_SECONDS if running else None,
            "percent": int(100 * batch.processed / batch.total) if batch.total else 100,
        },
    )


@member_required(*ISSUERS)
def batch_report(request: HttpRequest, organisation: Organisation, batch_id) -> HttpResponse:
    """The per-line report as a CSV: line, column, code, reason (no national number, no value)."""
    try:
        batch = selectors.batch_of(organisation, batch_id)
        errors = selectors.batch_errors(organisation, batch_id)
    except BatchNotFound as exc:
        raise Http404(exc.detail) from exc
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "column", "code", "reason"])
    for error in errors.iterator():
        writer.writerow([error.line, error.column, error.code, error.reason])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-report.csv"'
    return response


_PURPOSE_OF_STATE = {"revoked": "revocation", "suspended": "suspension"}


def _state(purposes: set[str] | None) -> str:
    if not purposes:
        return "active"
    return "revoked" if "revocation" in purposes else "suspended"


@require_http_methods(["GET", "POST"])
@member_required(*ISSUERS)
def issued(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """What the organisation issued, newest first, with each one's status now; POST a national
    register number: only what it issued to that citizen (the same empty answer whether or not
    the number has a pod here: nothing to learn about who has one)."""
    issued_credentials = selectors.issued_by(organisation)
    find = FindCitizenForm(request.POST or None)
    found_for = False
    if request.method == "POST" and find.is_valid():
        try:
            pod = selectors.pod_for_national_id(find.cleaned_data["national_id"])
        except (CitizenNotFound, InvalidNationalId):
            issued_credentials = issued_credentials.none()
        else:
            issued_credentials = issued_credentials.filter(pod=pod)
        found_for = True
    page = Paginator(issued_credentials, ISSUED_PER_PAGE).get_page(request.GET.get("page"))
    ids = [resource.credential_id for resource in page]
    bits, said = status_bits_of(organisation, ids), status_reasons_of(organisation, ids)
    rows = []
    for resource in page:
        state = _state(bits.get(resource.credential_id))
        reason, note = said.get(resource.credential_id, {}).get(_PURPOSE_OF_STATE.get(state, ""), ("", ""))
        rows.append((resource, state, STATUS_REASON_LABELS.get(reason, ""), note))
    return render(
        request,
        "vault/console/issued.html",
        {"organisation": organisation, "page": page, "rows": rows, "find": find, "found_for": found_for},
        status=400 if request.method == "POST" and not found_for else 200,
    )


@require_http_methods(["GET", "POST"])
@member_required(*ISSUERS)
def change_status(request: HttpRequest, organisation: Organisation, resource_id) -> HttpResponse:
    """GET ?action=revoke|suspend|reinstate: what it does, to confirm, with an optional reason and
    note; POST: do it (the status lists change, each pod holding the credential logs it, the
    reason with it)."""
    resource = selectors.issued_credential_of(organisation, resource_id)
    if resource is None:
        raise Http404("Your organisation issued no credential with that id.")
    form = StatusForm(request.POST if request.method == "POST" else {"action": request.GET.get("action")})
    if not form.is_valid() and "action" in form.errors:
        raise Http404("No such change.")
    if request.method == "GET" or not form.is_valid():
        state = _state(status_bits_of(organisation, [resource.credential_id]).get(resource.credential_id))
        return render(
            request,
            "vault/console/status.html",
            {
                "organisation": organisation,
                "resource": resource,
                "action": form.cleaned_data["action"],
                "state": state,
                "form": form
                if request.method == "POST"
                else StatusForm(initial={"action": request.GET["action"]}),
            },
            status=400 if request.method == "POST" else 200,
        )
    action = form.cleaned_data["action"]
    purpose, value = StatusForm.ACTIONS[action]
    try:
        update_status(
            issuer=organisation,
            credential_id=resource.credential_id,
            purposes=[purpose],
            value=value,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except VcError as exc:
        messages.error(request, in_words(exc, STATUS_REFUSALS))
    else:
        done = {
            "revoke": _("Revoked: verifiers now find it revoked; this cannot be undone."),
            "suspend": _("Suspended: verifiers find it suspended until you reinstate it."),
            "reinstate": _("Reinstated: verifiers find it valid again."),
        }
        messages.success(request, done[action])
    return redirect("portal:console-issued", org=organisation.slug)
