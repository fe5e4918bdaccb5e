"""SIGKILL a real Celery worker (with its embedded beat) half-way through erasures and through an
export: a new worker finishes them, with nothing lost, doubled or left readable.

Marked `services`: the worker is another process on the test's PostgreSQL database (committed
transactions) and on REDIS_URL.
"""

import io
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.identity import belgian_number
from tests.conftest import make_citizen
from vault import documents, podexport
from vault.models import AccessEvent, DocumentChunk, Pod, PodErasure, PodExport, PodTombstone

from .documentfiles import pdf
from .test_worker_outage import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
CHUNK = 256  # small chunks: many rows, so the work takes long enough to be killed in the middle


def worker_env() -> dict[str, str]:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{port}/{db['NAME']}",
        "DOCUMENT_CHUNK_BYTES": str(CHUNK),
        "POD_LIFE_SWEEP_SECONDS": "2",
        "POD_EXPORT_STALL_SECONDS": "2",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


class Worker:
    """`celery worker -B` in its own process group, killed with SIGKILL or stopped at the end."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.log = tmp_path / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own worker, arguments from the test
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-B",
                    "--schedule",
                    str(tmp_path / f"{name}-beat-schedule"),
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "INFO",
                    "-n",
                    f"{name}@pod-life-test",
                ],
                cwd=REPO,
                env=worker_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: b"ready." in self.log.read_bytes(), timeout=60, what=f"worker {name} to be ready")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers(tmp_path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def fill(pod_owner, count: int, size: int) -> None:
    for number in range(count):
        content = pdf(f"doc {number}", padding=size)
        documents.store_document(
            owner=pod_owner,
            document_type="cv",
            content_type="application/pdf",
            stream=io.BytesIO(content),
            length=len(content),
        )


def test_erasures_killed_half_way_are_finished_by_the_next_worker(settings, workers, tmp_path):
    settings.DOCUMENT_CHUNK_BYTES = CHUNK
    pods = []
    for number in range(24):
        citizen = make_citizen(f"erase{number}@example.org", belgian_number(f"9001010{number:02d}"))
        fill(citizen.user, 1, 30_000)
        pods.append(citizen.pod.pk)
    PodErasure.objects.bulk_create(
        PodErasure(pod_id=pk, requested_at=timezone.now(), due_at=timezone.now() - timedelta(seconds=1))
        for pk in pods
    )

    first = Worker(tmp_path, "first")
    workers.append(first)
    wait_for(
        lambda: PodTombstone.objects.exists(), timeout=120, what="the first erasure to begin", interval=0.02
    )
    first.kill()
    begun = PodTombstone.objects.count()
    assert Pod.objects.filter(pk__in=pods).exists(), "the worker finished before the kill: nothing tested"

    # Whatever phase 1 committed is unreadable already; nothing half-done is readable.
    for pod in Pod.objects.filter(pk__in=PodTombstone.objects.values("pod_id")):
        assert bytes(pod.data_key_sealed) == b""

    second = Worker(tmp_path, "second")
    workers.append(second)
    wait_for(
        lambda: PodTombstone.objects.filter(completed_at__isnull=False).count() == len(pods),
        timeout=300,
        what="every erasure to finish",
    )
    assert begun >= 1
    assert not Pod.objects.filter(pk__in=pods).exists()
    assert not DocumentChunk.objects.filter(document__pod_id__in=pods).exists()
    assert not AccessEvent.objects.filter(pod_id__in=pods).exists()
    assert not PodErasure.objects.exists()
    assert sorted(PodTombstone.objects.values_list("pod_id", flat=True)) == sorted(pods)  # each once
    assert all(t.final_checkpoint and t.log_size >= 3 for t in PodTombstone.objects.all())


def test_an_export_killed_half_way_is_rebuilt_by_the_next_worker(settings, workers, tmp_path):
    settings.DOCUMENT_CHUNK_BYTES = CHUNK
    citizen = make_citizen("export@example.org", "BE:85073003328")
    fill(citizen.user, 30, 60_000)

    first = Worker(tmp_path, "first")
    workers.append(first)
    export = podexport.request_export(owner=citizen.user)  # committed: its task goes to the worker
    wait_for(
        lambda: PodExport.objects.filter(pk=export.pk, status="running", progress__gte=5).exists(),
        timeout=120,
        what="the export to start",
        interval=0.02,
    )
    first.kill()
    killed = PodExport.objects.get(pk=export.pk)
    assert killed.status == "running" and killed.chunk_count == 0, "the build finished before the kill"

    second = Worker(tmp_path, "second")  # beat's sweep sends the stalled build again
    workers.append(second)
    wait_for(
        lambda: PodExport.objects.filter(pk=export.pk, status="ready").exists(),
        timeout=300,
        what="the rebuild",
    )
    _, archive = podexport.download_export(owner=citizen.user, export_id=export.pk)
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert len([n for n in names if n.startswith("documents/") and n.endswith(".pdf")]) == 30
    assert PodExport.objects.filter(pod=citizen.pod).count() == 1
