"""The consoles say the services' refusals in the member's language: a known refusal code in
words (consent.portal.refusals for the employer's and the agency's, vault.portal.refusals for the
issuer's), an unknown one in the service's English, marked so."""

from datetime import timedelta
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts.models import Organisation
from consent.portal.refusals import LEGAL_READ_REFUSALS, READ_REFUSALS, code_in_words, in_words
from consent.services import revoke_grant
from core.errors import DomainError
from credentials.models import IssuerKey, StatusEntry
from tests.conftest import make_organisation
from tests.consent.legal import CASE, OTHER_NATIONAL_ID, issue_diploma, mandate_for
from vault.models import PodCredential

from .consoles import diploma_form, member_client, requests_url

DUTCH, FRENCH = {"HTTP_ACCEPT_LANGUAGE": "nl-BE"}, {"HTTP_ACCEPT_LANGUAGE": "fr-BE"}
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-BE"}


def messages_of(response) -> str:
    return unescape(response.content.decode().split('<ul class="messages">')[1].split("</ul>")[0])


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (DUTCH, "De inzage werd geweigerd: de kandidaat heeft deze toegang ingetrokken."),
        (FRENCH, "La lecture a été refusée\u00a0: le candidat a révoqué cet accès."),
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
        (FRENCH, "Cette demande a reçu une réponse ou a pris fin\u00a0: elle ne peut plus être retirée."),
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
        (FRENCH, "Cet accès a déjà pris fin\u00a0: il n'y a rien à abandonner."),
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

    assert in_words(Unforeseen("Something new went wrong."), READ_REFUSALS) == (
        '<span lang="en">Something new went wrong.</span>'
    )


# The agency's console: a read under a mandate.


@pytest.fixture
def officer(db):
    agency = make_organisation("Federal Pension Service", Organisation.Kind.AGENCY)
    mandate = mandate_for(agency.organisation)
    return member_client(agency.organisation, "officer@fps.example.gov"), agency, mandate


@pytest.fixture
def holding(university, citizen):
    issue_diploma(university, "BE:85073003328")
    return citizen


def legal_reads(officer, language, **fields):
    client, agency, mandate = officer
    data = {"mandate": str(mandate.pk), "case_reference": CASE, "national_ids": "BE:85073003328"} | fields
    return client.post(f"/portal/console/{agency.organisation.slug}/legal-reads", data, **language)


def test_a_legal_read_without_a_case_reference_is_refused_in_dutch(officer, holding):
    response = legal_reads(officer, DUTCH, case_reference="")
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "Geef het dossiernummer van het dossier waarvoor deze inzage is" in page
    assert "(caseReference)" not in page


def test_a_legal_read_of_a_citizen_without_a_pod_says_so_on_its_line_in_french(officer, holding):
    response = legal_reads(officer, FRENCH, national_ids=OTHER_NATIONAL_ID)
    assert response.status_code == 200  # that line's result, not a refusal of the read
    page = unescape(response.content.decode())
    assert "Aucun citoyen ayant ce numéro de registre national n'a de coffre ici." in page


def test_one_citizens_refusal_of_a_bulk_read_is_said_in_the_members_language():
    with translation.override("de"):
        assert code_in_words(
            "fields-not-disclosable", "The credential has no base proof.", LEGAL_READ_REFUSALS
        ) == (
            "Ein Nachweis dieser Person kann nur vollständig abgerufen werden, und das Mandat umfasst nur "
            "einige seiner Felder."
        )


# The issuer's console: one credential, a class, a status.


@pytest.fixture
def registrar(university):
    return member_client(university.organisation, "registrar@university.example")


def test_a_class_that_cannot_be_read_is_refused_in_dutch_with_the_lines_fault_in_english(
    registrar, university, citizen
):
    response = registrar.post(
        f"/portal/console/{university.organisation.slug}/batches",
        {
            "credential_type": "DiplomaCredential",
            "file": SimpleUploadedFile("class.csv", b"who,what\nx,y\n", "text/csv"),
        },
        **DUTCH,
    )
    assert response.status_code == 400
    page = response.content.decode()
    words = 'Het bestand kan niet als klas worden gelezen: <span lang="en">'
    assert f"{words}Line 1 names unknown columns: who, what;" in page


def test_issuing_without_a_signing_key_is_refused_in_german(registrar, university, citizen):
    IssuerKey.objects.filter(organisation=university.organisation).update(retired_at=timezone.now())
    response = registrar.post(
        f"/portal/console/{university.organisation.slug}/issue", diploma_form(), **GERMAN
    )
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "Ihre Organisation hat keinen aktiven Signaturschlüssel" in page
    assert "has no active signing key" not in page


def test_changing_a_status_the_organisation_does_not_hold_is_refused_in_french(
    registrar, university, citizen
):
    console = f"/portal/console/{university.organisation.slug}"
    assert registrar.post(f"{console}/issue", diploma_form()).status_code == 302
    issued = PodCredential.objects.get(pod=citizen.pod)
    StatusEntry.objects.filter(credential_id=issued.credential_id).delete()
    response = registrar.post(
        f"{console}/credentials/{issued.pk}/status",
        {"action": "suspend"},
        follow=True,
        **FRENCH,
    )
    shown = messages_of(response)
    assert (
        "Votre organisation ne détient aucun statut de cette attestation qu'elle pourrait modifier." in shown
    )
