"""A write that committed is answered as committed: never a 500, never done twice on a retry.

Notifications go out after commit through Celery; a mail server that is down is logged and
retried, it does not change the answer. An Idempotency-Key makes a retried write answer as the
first did. An issuance is one transaction: a refused one leaves no status-list entry behind.
"""

import logging
import socket

import pytest

from accounts.models import IdempotencyKey
from consent.models import AccessRequest
from credentials.models import StatusEntry
from inbox.models import Notification
from tests.conftest import diploma
from tests.consent.conftest import request_body
from tests.support import assert_problem
from vault.models import AccessEvent, PodCredential

ISSUE = "/api/v1/issuer/credentials"
REQUESTS = "/api/v1/access-requests"


def issuance(**subject):
    return {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma(**subject)}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.fixture
def smtp_down(settings):
    """Production-shaped mail: the SMTP backend, pointed at a port where no server listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_TIMEOUT = 2


@pytest.mark.django_db(transaction=True)  # real commits, so the after-commit work runs in the request
def test_an_issuance_is_answered_201_when_the_mail_server_is_down(university, citizen, smtp_down, caplog):
    with caplog.at_level(logging.ERROR, logger="core.tasks"):
        response = university.post(ISSUE, issuance())

    assert response.status_code == 201, response.content[:300]
    assert PodCredential.objects.filter(pk=response.json()["id"]).exists()
    [failure] = [r for r in caplog.records if r.name == "core.tasks"]
    assert "notify_new_credential" in failure.getMessage()
    assert "Peeters" not in caplog.text  # ids in the log, never pod data


@pytest.mark.django_db(transaction=True)
def test_an_access_request_is_answered_201_when_the_mail_server_is_down(employer, citizen, smtp_down, caplog):
    with caplog.at_level(logging.ERROR, logger="core.tasks"):
        response = employer.post(REQUESTS, request_body())

    assert response.status_code == 201, response.content[:300]
    assert AccessRequest.objects.filter(pk=response.json()["id"]).exists()
    assert any("mail_notification" in r.getMessage() for r in caplog.records if r.name == "core.tasks")
    # The inbox holds the notice all the same: it committed with the request.
    assert Notification.objects.filter(request_id=response.json()["id"], mailed_at__isnull=True).exists()


def test_a_retried_issuance_answers_with_the_first_credential(university, citizen):
    first = university.post(ISSUE, issuance(), HTTP_IDEMPOTENCY_KEY="issue-0001")
    again = university.post(ISSUE, issuance(), HTTP_IDEMPOTENCY_KEY="issue-0001")

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert PodCredential.objects.count() == 1
    # The issuer was shown its credential again: the citizen's log says so.
    [replay] = AccessEvent.objects.filter(action=AccessEvent.Action.CREDENTIAL_READ)
    assert replay.actor_organisation_id == university.organisation.pk
    assert replay.reason == "idempotent-replay"


def test_an_idempotency_key_with_another_body_is_refused(university, citizen):
    assert university.post(ISSUE, issuance(), HTTP_IDEMPOTENCY_KEY="issue-0002").status_code == 201

    response = university.post(ISSUE, issuance(givenName="Bart"), HTTP_IDEMPOTENCY_KEY="issue-0002")

    assert_problem(response, 422, "idempotency-key-reused")
    assert PodCredential.objects.count() == 1


def test_keys_are_per_organisation_and_per_kind_of_write(university, employer, citizen):
    assert university.post(ISSUE, issuance(), HTTP_IDEMPOTENCY_KEY="shared-key").status_code == 201
    assert employer.post(REQUESTS, request_body(), HTTP_IDEMPOTENCY_KEY="shared-key").status_code == 201
    assert IdempotencyKey.objects.filter(key="shared-key").count() == 2


def test_a_refused_issuance_does_not_use_up_its_key(university, citizen):
    signed_already = {"recipient": {"nationalId": "BE:85073003328"}, "credential": {**diploma(), "proof": {}}}
    refused = university.post(ISSUE, signed_already, HTTP_IDEMPOTENCY_KEY="k-3")
    assert 400 <= refused.status_code < 500

    assert university.post(ISSUE, issuance(), HTTP_IDEMPOTENCY_KEY="k-3").status_code == 201


@pytest.mark.parametrize("key", ["", "has space", "é", "x" * 256])
def test_a_malformed_idempotency_key_is_refused(university, citizen, key):
    response = university.post(ISSUE, issuance(), HTTP_IDEMPOTENCY_KEY=key)

    assert_problem(response, 400, "invalid-idempotency-key")
    assert not PodCredential.objects.exists()


def test_a_retried_access_request_answers_with_the_first_request(employer, citizen):
    body = request_body()
    first = employer.post(REQUESTS, body, HTTP_IDEMPOTENCY_KEY="req-1")
    again = employer.post(REQUESTS, body, HTTP_IDEMPOTENCY_KEY="req-1")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AccessRequest.objects.count() == 1
    other = employer.post(
        REQUESTS, {**body, "purposeDescription": "Another vacancy"}, HTTP_IDEMPOTENCY_KEY="req-1"
    )
    assert_problem(other, 422, "idempotency-key-reused")


def test_a_refused_duplicate_leaves_no_status_entries_behind(university, citizen):
    credential = {**diploma(), "id": "urn:uuid:7b0e8a52-3f6d-4c1e-9a2b-5d4c3b2a1f00"}
    body = {"recipient": {"nationalId": "BE:85073003328"}, "credential": credential}
    assert university.post(ISSUE, body).status_code == 201
    entries = StatusEntry.objects.count()

    assert_problem(university.post(ISSUE, body), 409, "duplicate-credential")

    assert StatusEntry.objects.count() == entries
    assert PodCredential.objects.count() == 1
