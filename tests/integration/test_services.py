"""The production shape: a real Celery worker on Redis, concurrent log appends on PostgreSQL.

Marked `services`: skipped without DATABASE_URL (PostgreSQL) and REDIS_URL, failed instead
when REQUIRE_SERVICES=1 (as in CI).
"""

import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.cache import cache, caches
from django.db import close_old_connections, connection, transaction

from config.celery import app
from tests.conftest import diploma
from vault import accesslog
from vault.access import AccessContext
from vault.models import AccessEvent
from vault.selectors import verify_access_log

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_runs_on_postgresql_and_redis():
    assert connection.vendor == "postgresql"
    assert not app.conf.task_always_eager
    cache.set("citizen-vault:probe", "ok", 5)
    assert cache.get("citizen-vault:probe") == "ok"
    assert type(caches["default"]).__name__ == "RedisCache"


def test_issuance_notification_goes_through_a_real_worker(university, citizen):
    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        response = university.post(
            "/api/v1/issuer/credentials",
            {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma()},
        )
        assert response.status_code == 201
        deadline = time.monotonic() + 10
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [m.subject for m in mail.outbox] == ["A new Diploma is in your pod"]
    assert mail.outbox[0].to == ["an@example.org"]
    assert "Peeters" not in mail.outbox[0].body  # type and issuer only, never the contents


def test_concurrent_appends_to_one_pod_never_fork_the_chain(citizen, employer):
    writers, per_writer = 4, 10
    errors: list[BaseException] = []

    def write():
        try:
            for _ in range(per_writer):
                with transaction.atomic():
                    accesslog.append(
                        citizen.pod,
                        context=AccessContext.for_organisation(employer.organisation),
                        action=AccessEvent.Action.ACCESS_DENIED,
                        outcome=AccessEvent.Outcome.DENIED,
                        reason="probe",
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seqs = list(AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, writers * per_writer + 2))  # + the pod.opened entry
    assert verify_access_log(citizen.pod).valid


def test_concurrent_retries_with_one_idempotency_key_issue_once(university, citizen):
    """Four clients retrying at once with one key: one credential, four identical answers."""
    from rest_framework.test import APIClient

    from vault.models import PodCredential

    barrier = threading.Barrier(4)
    answers: list[tuple[int, str]] = []
    body = {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma()}

    def retry():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {university.token}")
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/issuer/credentials", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-storm"
            )
            answers.append((response.status_code, response.json().get("credentialId", response.content)))
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert PodCredential.objects.count() == 1
    credential_id = PodCredential.objects.get().credential_id
    assert answers == [(201, credential_id)] * 4
