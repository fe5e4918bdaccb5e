"""A real Celery worker for the `services` tests: `celery -A config worker`, another process on
the test database (so it sees committed transactions only) and a real Redis broker."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[1]


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.2):
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def process_env(broker_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production process on the test database and the broker at ``broker_url``."""
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{port}/{db['NAME']}"
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        **extra,
    }


@contextmanager
def celery_worker(env: dict[str, str], log: Path, *arguments: str) -> Iterator[subprocess.Popen]:
    """A `celery -A config worker` process with ``arguments``, its output in ``log``; ready when
    entered, stopped (its process group: the pool children with it) when left."""
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own worker, arguments from the test
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", *arguments],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process.log = log  # type: ignore[attr-defined]
    try:
        wait_for(lambda: b"ready." in log.read_bytes(), timeout=30, what="the worker to be ready")
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
