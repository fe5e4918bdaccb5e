"""Consent's lifecycle in the production shape: PostgreSQL row locks under concurrent reads, the
citizen's e-mail through a real Celery worker, and Celery beat running the expiry sweep.

Marked `services`: skipped without DATABASE_URL (PostgreSQL) and REDIS_URL, failed instead when
REQUIRE_SERVICES=1 (as in CI).
"""

import os
import threading
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.utils import timezone

from config.celery import app
from consent import services
from consent.errors import AccessDenied
from consent.models import AccessRequest, Grant
from inbox.models import Notification
from tests.celeryworkers import celery_worker, process_env, wait_for
from tests.consent.conftest import CHALLENGE, DOMAIN, HR, approve, file_request, request_body
from vault.models import AccessEvent
from vault.selectors import verify_access_log

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def concurrent_reads(organisation, grant_id: str, readers: int) -> list[object]:
    """``readers`` threads read the grant at the same moment; each outcome, in no order."""
    start = threading.Barrier(readers)
    outcomes: list[object] = []

    def read():
        try:
            start.wait()
            outcomes.append(
                services.read_under_grant(
                    organisation=organisation,
                    grant_id=grant_id,
                    purpose=HR,
                    challenge=CHALLENGE,
                    domain=DOMAIN,
                )
            )
        except BaseException as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize(("limit", "readers"), [(1, 6), (3, 8)])
def test_concurrent_reads_never_pass_the_limit_and_one_takes_the_last(
    employer, citizen, issued, limit, readers
):
    assert connection.vendor == "postgresql"
    grant = approve(citizen, file_request(employer, maxReads=limit)["id"])

    outcomes = concurrent_reads(employer.organisation, grant["id"], readers)

    served = [o for o in outcomes if isinstance(o, tuple)]
    denied = [o for o in outcomes if isinstance(o, AccessDenied)]
    assert len(served) == limit and len(denied) == readers - limit, outcomes
    assert {exc.code for exc in denied} == {"grant-exhausted"}
    stored = Grant.objects.get(pk=grant["id"])
    assert (stored.status, stored.reads_used) == ("exhausted", limit)
    entries = AccessEvent.objects.filter(pod=citizen.pod)
    assert entries.filter(action="credential.read").count() == limit
    assert entries.filter(action="grant.exhausted").count() == 1  # the last read, exactly once
    assert entries.filter(reason="grant-exhausted").count() == readers - limit
    assert Notification.objects.filter(kind="grant.exhausted").count() == 1
    assert verify_access_log(citizen.pod).valid


def test_concurrent_reads_of_an_unlimited_grant_are_not_counted(employer, citizen, issued):
    grant = approve(citizen, file_request(employer)["id"])
    outcomes = concurrent_reads(employer.organisation, grant["id"], 4)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert Grant.objects.get(pk=grant["id"]).reads_used == 0


def test_the_new_requests_mail_goes_through_a_real_worker(employer, citizen):
    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        response = employer.post("/api/v1/access-requests", request_body())
        assert response.status_code == 201
        wait_for(lambda: mail.outbox, timeout=15, what="the worker to send the mail")
    [message] = mail.outbox
    assert message.subject == "Citizen Vault: New access request"
    assert "Acme" not in message.body and "Diploma" not in message.body
    assert Notification.objects.get(request_id=response.json()["id"]).mailed_at is not None


@pytest.fixture
def beat_worker(tmp_path):
    """`celery worker -B` in its own process, on the test database and this test run's Redis,
    with the consent sweep every second."""
    env = process_env(os.environ["REDIS_URL"], CONSENT_SWEEP_SECONDS="1")
    schedule = str(tmp_path / "beat-schedule")
    arguments = ("-B", "--schedule", schedule, "--concurrency", "1")
    with celery_worker(env, tmp_path / "worker.log", *arguments) as process:
        yield process


def test_beat_expires_what_is_due_and_announces_what_ends_soon(employer, citizen, issued, beat_worker):
    unanswered = file_request(employer)
    AccessRequest.objects.filter(pk=unanswered["id"]).update(answer_by=timezone.now() - timedelta(seconds=1))
    ended = approve(citizen, file_request(employer)["id"])
    Grant.objects.filter(pk=ended["id"]).update(
        valid_from=timezone.now() - timedelta(days=2), valid_until=timezone.now() - timedelta(seconds=1)
    )
    ending = approve(citizen, file_request(employer)["id"])
    Grant.objects.filter(pk=ending["id"]).update(valid_until=timezone.now() + timedelta(days=1))

    def swept():
        return (
            AccessRequest.objects.get(pk=unanswered["id"]).status == "expired"
            and Grant.objects.get(pk=ended["id"]).status == "expired"
            and Notification.objects.filter(kind="grant.expiring", mailed_at__isnull=False).exists()
        )

    wait_for(swept, timeout=60, what="beat's sweep: " + beat_worker.log.read_text()[-2000:])
    time.sleep(2.5)  # two more sweeps: nothing happens twice
    entries = AccessEvent.objects.filter(pod=citizen.pod)
    assert entries.filter(action="request.expired").count() == 1
    assert entries.filter(action="grant.expired").count() == 1
    assert Notification.objects.filter(kind="grant.expiring").count() == 1
    assert Grant.objects.get(pk=ending["id"]).status == "active"
    assert "consent.tasks.sweep_lifecycle" in beat_worker.log.read_text()
