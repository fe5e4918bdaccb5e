"""The agency's console: its mandates in force, each with its legal reference, and a read under
one of them for a case (the case reference required), of one citizen or many.

The read goes through consent.services.read_under_mandate, as the API's does: the same rules,
the same log entries in each citizen's pod (a refusal is logged there too). The organisation
comes from accounts.console.member_required (the signed-in user's own membership of an agency).

Every line of the citizens' numbers is checked before anything is read (a malformed one is
refused naming its line); a number without a pod is that line's result, not a refusal of the
whole read. Each citizen's result is laid out in words: the number the Belgian way, read or
denied and why, and each credential read with its claims, issuer, dates and the badge the
citizen's own credential page gives it, verified just now (vault.portal.presenting). The
presentation as received stays downloadable by a POST of a signed copy the page holds: the
console keeps nothing, and nothing read goes into a URL.
"""

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.console import member_required
from accounts.errors import CitizenNotFound
from accounts.identity import shown_national_id
from accounts.models import Organisation
from consent import services
from consent.models import Mandate
from credentials.verification import Check, verify_presented
from vault.portal import presenting
from vc.errors import VcError

from .forms import LegalReadForm
from .refusals import LEGAL_READ_REFUSALS, code_in_words, in_words

# How long the page's signed copy of a presentation can be downloaded after the read.
DOWNLOAD_MAX_AGE = 3600


def mandates_in_force(agency: Organisation) -> list[Mandate]:
    now = timezone.now()
    return [m for m in Mandate.objects.filter(agency=agency, ended_at__isnull=True) if m.is_in_force(now)]


@dataclass(frozen=True)
class CitizenResult:
    """One citizen's line of a read, as the page lays it out."""

    line: int | None
    number: str
    outcome: str  # "read", "denied" or "not-found"
    refusal: str
    sealed_until: datetime | None
    presentation: Check | None
    credentials: list[presenting.Checked]
    download: str  # the signed copy of the presentation, for the download's POST


def _salt(organisation: Organisation) -> str:
    return f"consent.portal.agency.presentation:{organisation.pk}"


def _shown(
    result: services.LegalReadResult, line: int | None, organisation: Organisation, challenge: str
) -> CitizenResult:
    number = shown_national_id(result.national_id)
    if not result.allowed:
        outcome = "not-found" if result.reason == CitizenNotFound.code else "denied"
        refusal = code_in_words(result.reason, result.detail, LEGAL_READ_REFUSALS)
        return CitizenResult(line, number, outcome, refusal, None, None, [], "")
    presentation: dict[str, Any] = result.presentation or {}
    checked = verify_presented(presentation, challenge=challenge, domain=settings.SITE_URL)
    download = signing.dumps(
        {"line": line, "presentation": presentation}, salt=_salt(organisation), compress=True
    )
    return CitizenResult(
        line,
        number,
        "read",
        "",
        result.sealed_until,
        checked.presentation,
        presenting.checked_credentials(presentation, checked),
        download,
    )


def _page(
    request: HttpRequest,
    organisation: Organisation,
    mandates: list[Mandate],
    form: LegalReadForm,
    results: list[CitizenResult],
    status: int,
) -> HttpResponse:
    response = render(
        request,
        "consent/console/legal_reads.html",
        {"organisation": organisation, "mandates": mandates, "form": form, "results": results},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # what was read is the answer to the POST, kept nowhere
    return response


@require_http_methods(["GET", "POST"])
@member_required(Organisation.Kind.AGENCY)
def legal_reads(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """GET: the mandates and the form; POST: read (a refusal of the whole read comes back on the
    form with the service's reason and its status, after it was logged in each citizen's pod;
    each citizen's own outcome is their line of the results)."""
    mandates = mandates_in_force(organisation)
    form = LegalReadForm(request.POST or None, mandates=mandates)
    results: list[CitizenResult] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        challenge = secrets.token_urlsafe(24)
        try:
            read = services.read_under_mandate(
                organisation=organisation,
                mandate_id=form.cleaned_data["mandate"],
                case_reference=form.cleaned_data["case_reference"],
                national_ids=form.cleaned_data["national_ids"],
                challenge=challenge,
                domain=settings.SITE_URL,
                unknown_per_citizen=True,
            )
        except VcError as exc:
            form.add_error(None, in_words(exc, LEGAL_READ_REFUSALS))
            status = exc.status
        else:
            results = [
                _shown(result, form.lines.get(result.national_id), organisation, challenge) for result in read
            ]
    elif request.method == "POST":
        status = 400
    return _page(request, organisation, mandates, form, results, status)


@require_POST
@member_required(Organisation.Kind.AGENCY)
def presentation_download(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The presentation of one citizen's read exactly as the pod signed it, as a JSON-LD file:
    the page's signed copy sent back (no second read, nothing kept, nothing in the URL). A copy
    that is not this agency's, was altered, or is older than an hour is a 400 saying so."""
    try:
        copy = signing.loads(
            request.POST.get("presentation", ""), salt=_salt(organisation), max_age=DOWNLOAD_MAX_AGE
        )
    except signing.SignatureExpired:
        problem = _(
            "This download has expired: a read's presentation can be downloaded for an hour. Read again."
        )
    except signing.BadSignature:
        problem = _("This download is not one this page gave: read again to download the presentation.")
    else:
        line = copy.get("line")
        response = HttpResponse(
            json.dumps(copy["presentation"], indent=2, ensure_ascii=False),
            content_type="application/vp+ld+json",
        )
        name = f"legal-read-line-{line}.json" if isinstance(line, int) else "legal-read.json"
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response
    messages.error(request, problem)
    mandates = mandates_in_force(organisation)
    return _page(request, organisation, mandates, LegalReadForm(mandates=mandates), [], 400)
