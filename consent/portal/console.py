"""The employer's console: file an access request, hand its link to the candidate, follow the
answer, withdraw it, read what was shared with its verification result, and download the
personal documents the grant shares.

Every write and read goes through consent.services, as the API's do: the same rules, the same
log entries in the citizen's pod. The organisation comes from accounts.console.member_required
(the signed-in user's own membership); each request is looked up among the organisation's own
(consent.selectors), so another organisation's request is a 404.
"""

import secrets
from types import SimpleNamespace
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.console import member_required
from accounts.errors import InvalidNationalId
from accounts.models import Organisation
from accounts.principals import OrganisationPrincipal
from consent import selectors, services
from consent.api.throttles import FileAccessRequestThrottle
from consent.errors import GrantNotFound, RequestNotFound
from consent.models import AccessRequest, Grant
from core.errors import DomainError
from credentials.verification import verify_presented
from vault.documents import DOCUMENT_TYPES
from vault.downloads import download_response
from vault.portal import presenting
from vault.portal.refusals import NATIONAL_ID_WORDS
from vc.errors import VcError

from ..timing import answered_no_sooner_than_the_floor
from .forms import RequestForm
from .refusals import (
    DOCUMENT_REFUSALS,
    FILING_REFUSALS,
    GIVE_UP_REFUSALS,
    READ_REFUSALS,
    WITHDRAW_REFUSALS,
    in_sentence,
    in_words,
)

REQUESTERS = (Organisation.Kind.EMPLOYER,)


def _own_request(organisation: Organisation, request_id) -> AccessRequest:
    try:
        return selectors.request_of_organisation(organisation, request_id)
    except RequestNotFound as exc:
        raise Http404(exc.detail) from exc


def candidate_link(access_request: AccessRequest) -> str:
    """Where the candidate answers: the request's own address (no pod data in it), which leads
    to it on the portal's requests page, through the sign-in if need be; on the site's
    configured address (SITE_URL), not the Host header the member's browser sent."""
    return settings.SITE_URL + reverse("portal:request-link", kwargs={"request_id": access_request.pk})


def _qr_svg(link: str) -> str:
    return segno.make(link, error="m", micro=False).svg_inline(
        scale=4, title=_("QR code of the link to the request"), omitsize=True
    )


def _within_filing_rate(organisation: Organisation) -> bool:
    """The API's rate limit on filing requests (FileAccessRequestThrottle), on the same counter:
    each request may e-mail a citizen. (Whether a number has a pod here, no answer says: a
    request to a number without one is held for it, consent.services.file_access_request.)"""
    as_api = SimpleNamespace(method="POST", user=OrganisationPrincipal(organisation))
    return FileAccessRequestThrottle().allow_request(as_api, None)


@member_required(*REQUESTERS)
def requests(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The organisation's requests, newest first, with their answers."""
    return render(
        request,
        "consent/console/requests.html",
        {"organisation": organisation, "items": selectors.requests_by_organisation(organisation)[:100]},
    )


@require_http_methods(["GET", "POST"])
@member_required(*REQUESTERS)
def new_request(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """GET: the form; POST: file the request through consent.services, signed by the
    organisation's custodial key as submitted (a refusal comes back on the form with the
    service's reason, status 400). A number with no pod here is filed as any other: the request
    is held for it, and the page that follows is the same."""
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _within_filing_rate(organisation):
            form.add_error(None, _("Your organisation has filed too many requests for now. Try again later."))
            return render(
                request,
                "consent/console/new_request.html",
                {"organisation": organisation, "form": form},
                status=429,
            )
        with answered_no_sooner_than_the_floor():
            try:
                access_request = services.file_access_request(
                    requester=organisation,
                    national_id=form.cleaned_data["national_id"],
                    credential_types=form.cleaned_data["credential_types"],
                    document_types=form.cleaned_data["document_types"],
                    claims=form.claims() or None,
                    purpose=form.cleaned_data["purpose"],
                    purpose_description=form.cleaned_data["purpose_description"],
                    valid_until=form.valid_until_datetime(),
                    max_reads=form.cleaned_data.get("max_reads"),
                    submitted_in_console=True,
                )
            except InvalidNationalId as exc:
                form.add_error("national_id", str(NATIONAL_ID_WORDS[exc.problem]))
            except VcError as exc:
                form.add_error(None, in_words(exc, FILING_REFUSALS))
            else:
                messages.success(request, _("Request filed. Hand the link or the QR code to the candidate."))
                return redirect("portal:console-request", org=organisation.slug, request_id=access_request.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "consent/console/new_request.html",
        {"organisation": organisation, "form": form},
        status=status,
    )


@member_required(*REQUESTERS)
def request_detail(request: HttpRequest, organisation: Organisation, request_id) -> HttpResponse:
    """One request: what it asks, its answer, the link and QR code for the candidate."""
    access_request = _own_request(organisation, request_id)
    link = candidate_link(access_request)
    grant = (
        getattr(access_request, "grant", None)
        if access_request.status == AccessRequest.Status.APPROVED
        else None
    )
    return render(
        request,
        "consent/console/request.html",
        {
            "organisation": organisation,
            "item": access_request,
            "status": access_request.effective_status,
            "grant": grant,
            "link": link,
            "qr": _qr_svg(link),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required(*REQUESTERS)
def withdraw(request: HttpRequest, organisation: Organisation, request_id) -> HttpResponse:
    """GET: a page that says what withdrawing does; POST: withdraw (consent.services)."""
    access_request = _own_request(organisation, request_id)
    if request.method == "GET":
        return render(
            request, "consent/console/withdraw.html", {"organisation": organisation, "item": access_request}
        )
    with answered_no_sooner_than_the_floor():  # a held request's withdrawal logs nothing
        try:
            services.withdraw_request(requester=organisation, request_id=access_request.pk)
        except RequestNotFound as exc:
            raise Http404(exc.detail) from exc
        except DomainError as exc:
            messages.error(request, in_words(exc, WITHDRAW_REFUSALS))
        else:
            messages.success(request, _("Withdrawn: the candidate can no longer answer it."))
    return redirect("portal:console-request", org=organisation.slug, request_id=access_request.pk)


def _active_grant(access_request: AccessRequest) -> Grant:
    """The request's grant, or a 404 when it was not approved (there is nothing to give up or
    read under)."""
    grant = (
        getattr(access_request, "grant", None)
        if access_request.status == AccessRequest.Status.APPROVED
        else None
    )
    if grant is None:
        raise Http404("This request has no grant.")
    return grant


@require_http_methods(["GET", "POST"])
@member_required(*REQUESTERS)
def withdraw_grant(request: HttpRequest, organisation: Organisation, request_id) -> HttpResponse:
    """GET: a page that says what giving up the access does; POST: give it up
    (consent.services.withdraw_grant, which checks that the organisation is the grantee, ends
    the grant, revokes its access-grant credential and logs it in the candidate's pod)."""
    access_request = _own_request(organisation, request_id)
    grant = _active_grant(access_request)
    if request.method == "GET":
        return render(
            request,
            "consent/console/withdraw_grant.html",
            {"organisation": organisation, "item": access_request, "grant": grant},
        )
    try:
        services.withdraw_grant(requester=organisation, grant_id=grant.pk)
    except GrantNotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:
        messages.error(request, in_words(exc, GIVE_UP_REFUSALS))
    else:
        messages.success(request, _("Given up: your organisation can no longer read under this access."))
    return redirect("portal:console-request", org=organisation.slug, request_id=access_request.pk)


@require_POST
@member_required(*REQUESTERS)
def read(request: HttpRequest, organisation: Organisation, request_id) -> HttpResponse:
    """Read what the candidate shared, under the request's grant, as the API reads it
    (consent.services.read_under_grant: decided by the consent engine, logged in the pod), and
    verify the presentation and each credential in it. Nothing read is kept or put in a URL:
    the page is the answer to this POST."""
    access_request = _own_request(organisation, request_id)
    grant = (
        getattr(access_request, "grant", None)
        if access_request.status == AccessRequest.Status.APPROVED
        else None
    )
    if grant is None:
        raise Http404("This request has no grant to read under.")
    challenge = secrets.token_urlsafe(24)
    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    try:
        presentation = services.read_under_grant(
            organisation=organisation,
            grant_id=grant.pk,
            purpose=grant.purpose,
            challenge=challenge,
            domain=domain,
        )[1]
    except GrantNotFound as exc:
        raise Http404(exc.detail) from exc
    except VcError as exc:
        messages.error(request, in_sentence(_("The read was refused: %(reason)s"), exc, READ_REFUSALS))
        return redirect("portal:console-request", org=organisation.slug, request_id=access_request.pk)
    checked = verify_presented(presentation, challenge=challenge, domain=domain)
    shared = presenting.checked_credentials(presentation, checked)
    response = render(
        request,
        "consent/console/shared.html",
        {
            "organisation": organisation,
            "item": access_request,
            "grant": grant,
            "checked": checked,
            "shared": shared,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def _refused(
    request: HttpRequest, organisation: Organisation, access_request: AccessRequest, exc
) -> HttpResponse:
    """Back to the request's page, saying in the member's language why the grant refused."""
    messages.error(
        request, in_sentence(_("The documents could not be opened: %(reason)s"), exc, DOCUMENT_REFUSALS)
    )
    return redirect("portal:console-request", org=organisation.slug, request_id=access_request.pk)


@member_required(*REQUESTERS)
def documents(request: HttpRequest, organisation: Organisation, request_id) -> HttpResponse:
    """The personal documents the request's grant shares (consent.services.documents_under_grant:
    the grant decided for its own purpose; a list is not a read and uses none of the grant's
    reads, a refusal is logged in the pod), each with its type, format and size, and a button
    that downloads it. Nothing of the documents' names or content is shown before a download."""
    access_request = _own_request(organisation, request_id)
    grant = _active_grant(access_request)
    if not grant.document_types:
        raise Http404("This grant shares no documents.")
    try:
        found = services.documents_under_grant(
            organisation=organisation, grant_id=grant.pk, purpose=grant.purpose
        )
    except GrantNotFound as exc:
        raise Http404(exc.detail) from exc
    except VcError as exc:
        return _refused(request, organisation, access_request, exc)
    rows = [
        {
            "id": document.pk,
            "type_name": DOCUMENT_TYPES[document.document_type].label
            if document.document_type in DOCUMENT_TYPES
            else document.document_type,
            "format": document.content_type.split("/", 1)[-1].upper(),
            "size": document.size,
            "stored_at": document.created_at,
        }
        for document in found
    ]
    response = render(
        request,
        "consent/console/documents.html",
        {"organisation": organisation, "item": access_request, "grant": grant, "documents": rows},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@member_required(*REQUESTERS)
def document(request: HttpRequest, organisation: Organisation, request_id, document_id) -> HttpResponseBase:
    """Download one document the request's grant shares, as the API does
    (consent.services.read_document_under_grant: the grant's state, period, purpose, read limit
    and document types decided on this very read, which is counted and logged in the pod in the
    same transaction), as an attachment (vault.downloads). A POST: a read uses up the grant's
    reads, so no link, prefetch or other site may make one."""
    access_request = _own_request(organisation, request_id)
    grant = _active_grant(access_request)
    try:
        read = services.read_document_under_grant(
            organisation=organisation, grant_id=grant.pk, purpose=grant.purpose, document_id=document_id
        )
    except GrantNotFound as exc:
        raise Http404(exc.detail) from exc
    except VcError as exc:
        return _refused(request, organisation, access_request, exc)
    return download_response(read.document, read.name, read.content)
