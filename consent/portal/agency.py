"""The agency's console: its mandates in force, each with its legal reference, and a read under
one of them for a case (the case reference required), of one citizen or many.

The read goes through consent.services.read_under_mandate, as the API's does: the same rules,
the same log entries in each citizen's pod (a refusal is logged there too). The organisation
comes from accounts.console.member_required (the signed-in user's own membership of an agency).
"""

import json
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.console import member_required
from accounts.identity import with_default_country
from accounts.models import Organisation
from consent import services
from consent.models import Mandate
from vc.errors import VcError

from .forms import LegalReadForm
from .refusals import LEGAL_READ_REFUSALS, code_in_words, in_words


def mandates_in_force(agency: Organisation) -> list[Mandate]:
    now = timezone.now()
    return [m for m in Mandate.objects.filter(agency=agency, ended_at__isnull=True) if m.is_in_force(now)]


@require_http_methods(["GET", "POST"])
@member_required(Organisation.Kind.AGENCY)
def legal_reads(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """GET: the mandates and the form; POST: read (a refusal comes back on the form with the
    service's reason and its status, after it was logged in each citizen's pod)."""
    mandates = mandates_in_force(organisation)
    form = LegalReadForm(request.POST or None, mandates=mandates)
    results: list[services.LegalReadResult] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            results = services.read_under_mandate(
                organisation=organisation,
                mandate_id=form.cleaned_data["mandate"],
                case_reference=form.cleaned_data["case_reference"],
                national_ids=[with_default_country(value) for value in form.cleaned_data["national_ids"]],
                challenge=secrets.token_urlsafe(24),
                domain=settings.SITE_URL,
            )
        except VcError as exc:
            form.add_error(None, in_words(exc, LEGAL_READ_REFUSALS))
            status = exc.status
    elif request.method == "POST":
        status = 400
    shown = [
        (
            result,
            "" if result.allowed else code_in_words(result.reason, result.detail, LEGAL_READ_REFUSALS),
            [
                json.dumps(credential.get("credentialSubject", {}), indent=2, ensure_ascii=False)
                for credential in (result.presentation or {}).get("verifiableCredential", [])
            ],
        )
        for result in results
    ]
    response = render(
        request,
        "consent/console/legal_reads.html",
        {"organisation": organisation, "mandates": mandates, "form": form, "results": shown},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # what was read is the answer to the POST, kept nowhere
    return response
