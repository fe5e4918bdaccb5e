"""A Celery worker survives its Redis broker going away in the middle of a batch.

Everything is real: a private redis-server on a free port (no persistence, so a restart loses
whatever was queued, as a crashed Redis would), a `celery worker -B` subprocess (beat embedded,
running the stalled-batch sweeper) on the test database, and a batch big enough to be mid-run
when Redis is stopped. After the outage the batch must finish with every row issued once, and
the worker must still be the same live process: nobody restarts anything by hand.

Marked `services`: it needs PostgreSQL (the worker is another process, so the test database is
used through committed transactions) and a redis-server binary.
"""

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.models import Organisation
from tests.celeryworkers import REPO, celery_worker, process_env, wait_for
from tests.conftest import make_citizen, make_organisation
from vault.models import Batch, PodCredential

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs a redis-server binary"),
]

ROWS = 400
CITIZENS = ["BE:85073003328", "BE:90020199902"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private, non-persistent redis-server that can be stopped and started on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [  # noqa: S607 - redis-server from PATH, as CI installs it
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=10, what="redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: with --save "" nothing is kept
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def subprocess_env(broker: RedisServer) -> dict[str, str]:
    """The environment of a production process on the test database and the private Redis."""
    return process_env(
        broker.url, BATCH_SWEEP_SECONDS="2", BATCH_STALL_SECONDS="5", BATCH_RETRY_BACKOFF_SECONDS="1"
    )


@pytest.fixture
def worker(redis_server, tmp_path, transactional_db) -> Iterator[subprocess.Popen]:
    with celery_worker(
        subprocess_env(redis_server),
        tmp_path / "worker.log",
        "-B",  # beat embedded: the stalled-batch sweeper
        "--schedule",
        str(tmp_path / "beat-schedule"),
        "--concurrency",  # a free slot: the worker is polling the broker when it goes away
        "2",
    ) as process:
        yield process


def submit_batch(broker: RedisServer, issuer: Organisation, rows: int, tag: str = "") -> str:
    """Hand in a batch from another process, as the API would: committed, its task sent to the broker."""
    lines = "".join(
        f"{CITIZENS[i % len(CITIZENS)]},An,Peeters,MasterDegree,Master {tag}{i},2024-06-28,cum laude\n"
        for i in range(rows)
    )
    csv = "national_id,given_name,family_name,degree_type,degree_name,awarded_on,grade\n" + lines
    script = (
        "import sys, django; django.setup()\n"
        "from accounts.models import Organisation\n"
        "from vault.batches import submit_batch\n"
        "issuer = Organisation.objects.get(pk=sys.argv[1])\n"
        "print(submit_batch(issuer=issuer, data=sys.stdin.buffer.read()).batch.pk)\n"
    )
    result = subprocess.run(  # noqa: S603 - our own script, arguments from the test
        [sys.executable, "-c", script, str(issuer.pk)],
        input=csv.encode(),
        capture_output=True,
        cwd=REPO,
        env={**subprocess_env(broker), "DJANGO_SETTINGS_MODULE": "config.settings"},
        timeout=60,
        check=True,
    )
    return result.stdout.decode().strip().splitlines()[-1]


def batch(batch_id: str) -> Batch:
    return Batch.objects.get(pk=batch_id)


def test_a_worker_survives_a_redis_outage_mid_batch_and_the_batch_finishes_once(redis_server, worker):
    university = make_organisation("Outage University", Organisation.Kind.ISSUER)
    for number, national_id in enumerate(CITIZENS):
        make_citizen(f"citizen{number}@example.org", national_id)

    batch_id = submit_batch(redis_server, university.organisation, ROWS)
    wait_for(
        lambda: batch(batch_id).processed >= 100, timeout=60, what="the batch to pass its first checkpoint"
    )
    assert batch(batch_id).status == Batch.Status.RUNNING

    redis_server.stop()
    time.sleep(6)  # the outage: long enough for the worker to lose and retry its connection
    assert worker.poll() is None, worker.log.read_text()[-3000:]
    redis_server.start()

    done = wait_for(
        lambda: (b := batch(batch_id)).status in (Batch.Status.DONE, Batch.Status.FAILED) and b,
        timeout=90,
        what="the batch to end",
    )
    log = worker.log.read_text()
    assert done.status == Batch.Status.DONE, (done.failure_reason, log[-3000:])
    assert (done.processed, done.issued, done.failed) == (ROWS, ROWS, 0)
    issued = PodCredential.objects.filter(issuer=university.organisation)
    assert issued.count() == ROWS  # every row once: nothing lost, nothing doubled
    assert issued.values("credential_id").distinct().count() == ROWS
    assert "Unrecoverable error" not in log  # a worker that exits waits for its running task first

    # The same worker process, never restarted, takes new work.
    after = submit_batch(redis_server, university.organisation, 3, tag="after ")
    wait_for(lambda: batch(after).status == Batch.Status.DONE, timeout=30, what="a batch after the outage")
    assert worker.poll() is None, worker.log.read_text()[-3000:]
