""" "Who looked" says why an entry happened in the citizen's language (vault.reasons), never as the
code the log keeps: a refused read, a lowered read limit, a legal basis, a document's type."""

import io

import pytest
from django.db import transaction
from django.test import Client

from consent.services import approve_request, lower_read_limit, revoke_grant
from tests.vault.documentfiles import pdf
from vault import accesslog
from vault.access import AccessContext
from vault.documents import store_document
from vault.models import AccessEvent

PASSWORD = "correct horse battery staple"


def _portal(citizen, language: str) -> Client:
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=citizen.user.username, password=PASSWORD)
    return client


@pytest.fixture
def approved(citizen, pending):
    return approve_request(citizen=citizen.user, request_id=pending.pk)


def _read(employer, approved):
    return employer.get(
        f"/api/v1/grants/{approved.pk}/credentials?purpose=dpv:HumanResourceManagement"
        "&challenge=log-words-nonce-0001&domain=hr.example"
    )


def test_a_read_refused_after_revocation_is_said_in_dutch(citizen, employer, approved):
    revoke_grant(citizen=citizen.user, grant_id=approved.pk)
    assert _read(employer, approved).json()["reason"] == "grant-revoked"
    page = _portal(citizen, "nl").get("/portal/log").content.decode()
    assert "U had deze toegang ingetrokken." in page
    assert "grant-revoked" not in page


def test_a_refused_purpose_and_a_lowered_limit_are_said_in_german(citizen, employer, approved):
    lower_read_limit(citizen=citizen.user, grant_id=approved.pk, max_reads=2)
    response = employer.get(
        f"/api/v1/grants/{approved.pk}/credentials?purpose=dpv:IdentityVerification"
        "&challenge=log-words-nonce-0002&domain=hr.example"
    )
    assert response.json()["reason"] == "purpose-mismatch"
    page = _portal(citizen, "de").get("/portal/log").content.decode()
    assert "Höchstens 2 Abrufe insgesamt." in page
    assert "Sie hat einen anderen Zweck angegeben als den, dem Sie zugestimmt haben." in page
    assert "max-reads:" not in page and "purpose-mismatch" not in page


def test_a_legal_basis_without_its_detail_is_said_in_words(citizen, employer):
    with transaction.atomic():
        accesslog.append(
            citizen.pod,
            context=AccessContext.for_organisation(
                employer.organisation, legal_basis="mandate:5b0c6c1e-5d5b-4a0e-9a53-5d7e3f1c2a10"
            ),
            action=AccessEvent.Action.ACCESS_DENIED,
            outcome=AccessEvent.Outcome.DENIED,
            reason="no-mandate",
        )
    page = _portal(citizen, "fr").get("/portal/log").content.decode()
    assert "en vertu d'un mandat de cette organisation" in page
    assert "Elle n&#x27;a indiqué aucun mandat qu&#x27;elle détient." in page
    assert "mandate:5b0c6c1e" not in page and "no-mandate" not in page


def test_a_documents_type_is_named_in_words_in_the_log_and_on_my_data(citizen):
    content = pdf("transcript")
    store_document(
        owner=citizen.user,
        document_type="transcript",
        content_type="application/pdf",
        stream=io.BytesIO(content),
        length=len(content),
        name="grades.pdf",
    )
    client = _portal(citizen, "nl")
    log = client.get("/portal/log").content.decode()
    assert "Document in de kluis bewaard: Puntenlijst" in log
    my_data = client.get("/portal/my-data").content.decode()
    assert ">Puntenlijst</td>" in my_data and ">transcript</td>" not in my_data
    assert (
        '<span class="visually-hidden"> Puntenlijst 1</span>' in my_data
    )  # Download and Delete… name it too
