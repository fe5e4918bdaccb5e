"""The whole log's check through a real Celery worker: `celery -A config worker`, another process
on the test database, taking the check's id from Redis. Asked through the API while no worker
runs, the check waits ("queued", the latest result unchanged); a worker started then takes it and
records what it found; tampering after an intact check is found by the next one, also on the
worker.

Marked `services`: skipped without DATABASE_URL (PostgreSQL) and REDIS_URL, failed instead when
REQUIRE_SERVICES=1 (as in CI).
"""

import os

import pytest

from config.celery import app
from tests.celeryworkers import celery_worker, process_env, wait_for
from tests.support import LOG_VERIFY
from tests.vault.logtamper import as_dba
from vault.models import AccessEvent, LogCheck

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_worker(tmp_path):
    """Start a worker on the configured Redis when the test says so; stopped at the end."""
    started = []

    def start():
        context = celery_worker(
            process_env(os.environ["REDIS_URL"]), tmp_path / "worker.log", "--pool", "solo"
        )
        started.append(context)
        return context.__enter__()

    yield start
    for context in started:
        context.__exit__(None, None, None)


def _followed(citizen, location: str) -> dict:
    response = citizen.get(location)
    assert response.status_code == 200
    return response.json()


def _done(citizen, location: str) -> dict:
    return wait_for(
        lambda: (body := _followed(citizen, location))["status"] == "done" and body,
        timeout=60,
        what=f"the check at {location} to finish",
    )


def test_a_check_waits_for_a_worker_which_then_records_what_it_found(citizen, issued, start_worker):
    assert not app.conf.task_always_eager  # through the broker, not run in this process
    asked = citizen.post(LOG_VERIFY)
    assert asked.status_code == 202
    location = asked["Location"]
    assert _followed(citizen, location)["status"] == "queued"
    assert citizen.get(LOG_VERIFY).json()["checkId"] is None  # nothing finished yet

    worker = start_worker()
    done = _done(citizen, location)
    entries = AccessEvent.objects.filter(pod=citizen.pod).count()
    assert (done["valid"], done["entries"], done["progress"], done["firstBrokenSeq"]) == (
        True,
        entries,
        100,
        None,
    )
    latest = citizen.get(LOG_VERIFY).json()
    assert (latest["checkId"], latest["valid"], latest["stale"]) == (done["id"], True, False)

    # The worker's own log names the task and the check's id, and nothing of the pod.
    log = worker.log.read_text()
    assert "vault.tasks.check_access_log[" in log and "succeeded" in log
    assert "Peeters" not in log and "Computer Science" not in log


def test_tampering_after_an_intact_check_is_found_by_the_next_check_on_the_worker(
    citizen, issued, start_worker
):
    start_worker()
    first = _done(citizen, citizen.post(LOG_VERIFY)["Location"])
    assert first["valid"] is True
    entry = AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").first()
    with as_dba():
        AccessEvent.objects.filter(pk=entry.pk).update(actor_label="Someone else")

    again = citizen.post(LOG_VERIFY)  # the head did not move: asking again recomputes all the same
    assert again.json()["id"] != first["id"]
    broken = _done(citizen, again["Location"])
    assert (broken["valid"], broken["firstBrokenSeq"]) == (False, entry.seq)
    assert citizen.get(LOG_VERIFY).json()["checkId"] == broken["id"]
    assert LogCheck.objects.filter(pod=citizen.pod, status=LogCheck.Status.DONE).count() == 2
