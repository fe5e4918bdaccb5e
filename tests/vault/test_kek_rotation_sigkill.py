"""KEK rotation survives a SIGKILL half-way, with reads and writes going on meanwhile; the rotation
task runs on a real Celery worker; processes refuse to start without a KEK still in use.

Everything is real: `manage.py rotate_kek` runs as a subprocess on the PostgreSQL test database
(the test's rows are committed: transaction=True), is killed with SIGKILL after some batches
(possibly inside one), and is run again. Afterwards every data key opens under a ring that no
longer holds the old KEK, to the very key it was before; no pod is lost; and no pod the killed
run had already moved is wrapped again by the second run.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from core.keyring import keyring
from tests.conftest import diploma
from tests.vault.bulkpods import seed_pods
from vault import crypto
from vault.models import Pod
from vault.services import issue_into_pod, read_own_credentials

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
NEW_KEK = "33" * 32
PODS = 1200
BATCH = 40
KILL_AFTER_BATCHES = 6
QUEUE = "pod-keys-rotation-test"


def rotation_environment(rings: str) -> dict[str, str]:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{port}/{db['NAME']}",
        "KEY_ENCRYPTION_KEYS": rings,
        "KEY_ENCRYPTION_KEY_ID": "new",
        "PYTHONUNBUFFERED": "1",
    }


def rotate_kek(environment: dict[str, str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "rotate_kek", "--batch-size", str(BATCH), *extra],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_rotation_killed_half_way_is_finished_by_the_next_run_and_loses_nothing(
    on_postgres, university, citizen
):
    if not on_postgres:
        pytest.skip("the killed run and this test share the database only on PostgreSQL")
    old_ring = settings.KEY_ENCRYPTION_KEYS
    old_kek = keyring().active_id
    data_keys = seed_pods("sigkill", PODS)
    issue_into_pod(issuer=university.organisation, national_id="BE:85073003328", credential=diploma())
    data_keys[citizen.pod.pk] = crypto.data_key(Pod.objects.get(pk=citizen.pod.pk))
    environment = rotation_environment(f"new:{NEW_KEK},{old_ring}")

    with override_settings(KEY_ENCRYPTION_KEYS=f"new:{NEW_KEK},{old_ring}", KEY_ENCRYPTION_KEY_ID="new"):
        # The pause keeps the run from finishing on its own before it is killed: on a loaded
        # machine this loop's reads and writes took longer than 24 batches at a 0.05 s pause, so the
        # run had ended when the kill came. At 0.5 s it is 12 s ahead of that point, at worst.
        run = rotate_kek(environment, "--pause", "0.5")
        batches, served = 0, 0
        assert run.stdout is not None
        while batches < KILL_AFTER_BATCHES:
            line = run.stdout.readline()
            assert line, f"rotate_kek ended before {KILL_AFTER_BATCHES} batches (exit {run.wait()})"
            if line.split("] ")[-1].startswith("pod data keys:") and "re-wrapped" in line:
                batches += 1
                # Reads and writes go on while the rotation holds its batches' row locks.
                assert read_own_credentials(owner=citizen.user)
                issue_into_pod(
                    issuer=university.organisation,
                    national_id="BE:85073003328",
                    credential={**diploma(), "id": f"urn:uuid:{os.urandom(16).hex()}"},
                )
                served += 1
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL
        run.stdout.close()

        moved = {pod.pk: bytes(pod.data_key_sealed) for pod in Pod.objects.filter(kek_id="new")}
        assert BATCH * (KILL_AFTER_BATCHES - 1) <= len(moved) < len(data_keys), "killed half-way"

        started = time.monotonic()
        rerun = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "rotate_kek", "--batch-size", str(BATCH)],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert f"pod data keys: {len(data_keys) - len(moved)} to re-wrap" in rerun.stdout
        assert time.monotonic() - started < 600

    pods = {pod.pk: pod for pod in Pod.objects.all()}
    assert set(pods) == set(data_keys)  # nothing lost, nothing added
    for pod_id, sealed in moved.items():  # nothing the killed run moved was wrapped again
        assert bytes(pods[pod_id].data_key_sealed) == sealed
    with override_settings(KEY_ENCRYPTION_KEYS=f"new:{NEW_KEK}", KEY_ENCRYPTION_KEY_ID="new"):
        assert {pod.kek_id for pod in pods.values()} == {"new"}
        for pod_id, pod in pods.items():
            key = crypto.data_key(pod)
            assert key == data_keys[pod_id]
            crypto.open_for_pod(key, pod_id, crypto.HOLDER_KEY_KIND, pod_id, 1, bytes(pod.holder_key_sealed))
        assert len(read_own_credentials(owner=citizen.user)) == 1 + served
    assert old_kek != "new"


def test_gunicorn_and_celery_workers_refuse_to_start_without_a_kek_still_in_use(on_postgres, citizen):
    if not on_postgres:
        pytest.skip("the processes started here see the test's rows only on PostgreSQL")
    environment = rotation_environment(f"new:{NEW_KEK}")  # the old KEK dropped, its pod not re-wrapped
    # What gunicorn does first: import the WSGI application.
    web = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert web.returncode != 0
    assert "ImproperlyConfigured: KEK" in web.stderr and "still wraps" in web.stderr

    worker = subprocess.run(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            "pod-keys-refused",
        ],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 1
    assert "Citizen Vault worker refused to start" in worker.stderr
    assert "1 pod data keys" in worker.stderr


def test_the_rotation_task_runs_on_a_real_worker_while_the_api_keeps_issuing(
    on_postgres, university, citizen, tmp_path
):
    if not on_postgres:
        pytest.skip("the worker sees the test's rows only on PostgreSQL")
    from vault.keyrotation import kek_usage
    from vault.tasks import rotate_kek as rotation_task

    old_ring, old_kek = settings.KEY_ENCRYPTION_KEYS, keyring().active_id
    seed_pods("worker", 400)
    environment = {**rotation_environment(f"new:{NEW_KEK},{old_ring}"), "REDIS_URL": os.environ["REDIS_URL"]}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(  # noqa: S603 - our own worker, on a queue of its own
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "-Q",
                QUEUE,
                "-l",
                "INFO",
            ],
            cwd=REPO,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        with override_settings(KEY_ENCRYPTION_KEYS=f"new:{NEW_KEK},{old_ring}", KEY_ENCRYPTION_KEY_ID="new"):
            rotation_task.apply_async(kwargs={"batch_size": 25}, queue=QUEUE)
            issued = 0
            deadline = time.monotonic() + 300
            while any(usage.get(old_kek) for usage in kek_usage().values()):
                assert time.monotonic() < deadline, log.read_text()
                issue_into_pod(
                    issuer=university.organisation,
                    national_id="BE:85073003328",
                    credential={**diploma(), "id": f"urn:uuid:{os.urandom(16).hex()}"},
                )
                issued += 1
            assert len(read_own_credentials(owner=citizen.user)) == issued
        assert "KEK rotation: pod data keys: 401 re-wrapped" in log.read_text()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
