"""The employer console says the consent service's refusals in the member's language: a known
refusal code in words (consent.portal.refusals), an unknown one in the service's English."""

from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from consent.portal.refusals import READ_REFUSALS, in_words
from consent.services import revoke_grant
from core.errors import DomainError

from .consoles import requests_url

DUTCH, FRENCH = {"HTTP_ACCEPT_LANGUAGE": "nl-BE"}, {"HTTP_ACCEPT_LANGUAGE": "fr-BE"}


def messages_of(response) -> str:
    return unescape(response.content.decode().split('<ul class="messages">')[1].split("</ul>")[0])


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (DUTCH, "De inzage werd geweigerd: de kandidaat heeft deze toegang ingetrokken."),
        (FRENCH, "La lecture a été refusée : le candidat a révoqué cet accès."),
    ],
)
def test_a_read_refused_under_a_revoked_grant_says_why_in_the_members_language(
    hr,
    employer,
    grant,
    citizen,
    language,
    words,
):
    revoke_grant(citizen=citizen.user, grant_id=grant.pk)
    response = hr.post(f"{requests_url(employer)}/{grant.request_id}/read", follow=True, **language)
    shown = messages_of(response)
    assert words in shown
    assert "The citizen revoked this grant." not in shown  # not the service's English


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (DUTCH, "Dit verzoek werd beantwoord of is afgelopen: het kan niet meer worden ingetrokken."),
        (FRENCH, "Cette demande a reçu une réponse ou a pris fin : elle ne peut plus être retirée."),
    ],
)
def test_withdrawing_an_answered_request_is_refused_in_the_members_language(
    hr,
    employer,
    grant,
    language,
    words,
):
    response = hr.post(f"{requests_url(employer)}/{grant.request_id}/withdraw", follow=True, **language)
    assert words in messages_of(response)
    assert "it cannot become" not in response.content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (DUTCH, "Deze toegang is al afgelopen: er valt niets op te geven."),
        (FRENCH, "Cet accès a déjà pris fin : il n'y a rien à abandonner."),
    ],
)
def test_giving_up_an_ended_access_is_refused_in_the_members_language(
    hr,
    employer,
    grant,
    citizen,
    language,
    words,
):
    revoke_grant(citizen=citizen.user, grant_id=grant.pk)
    response = hr.post(f"{requests_url(employer)}/{grant.request_id}/give-up", follow=True, **language)
    assert words in messages_of(response)


@pytest.mark.parametrize(
    ("language", "days", "words"),
    [
        (DUTCH, -1, "Kies een einddatum in de toekomst."),
        (FRENCH, -1, "Choisissez une date de fin dans le futur."),
        (DUTCH, 400, "Toegang kan voor hoogstens 366 dagen worden gevraagd."),
        (FRENCH, 400, "L'accès peut être demandé pour 366 jours au plus."),
    ],
)
def test_a_request_for_a_period_the_service_refuses_is_refused_on_the_form_in_words(
    hr, employer, citizen, language, days, words
):
    response = hr.post(
        f"{requests_url(employer)}/new",
        {
            "national_id": "85.07.30-033.28",
            "credential_types": ["DiplomaCredential"],
            "purpose": "dpv:HumanResourceManagement",
            "purpose_description": "Degree check",
            "valid_until": (timezone.localdate() + timedelta(days=days)).isoformat(),
        },
        **language,
    )
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert words in page
    assert "validUntil" not in page


def test_an_unknown_refusal_keeps_the_services_english():
    class Unforeseen(DomainError):
        code = "something-new"

    assert in_words(Unforeseen("Something new went wrong."), READ_REFUSALS) == "Something new went wrong."
