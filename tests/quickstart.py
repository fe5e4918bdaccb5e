"""The quick start as a user runs it: manage.py in a subprocess, on a SQLite file of its own.

The environment is the one `make demo` gives manage.py (DEBUG=1, no DATABASE_URL, no REDIS_URL),
with the database and demo.env moved into a temporary directory, so whatever database the test
suite itself runs on, these tests run the quick start's SQLite configuration.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
MANAGE = REPOSITORY / "manage.py"
# Inherited from whoever runs the tests, but not part of the quick start's environment.
_NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "DEBUG", "SITE_URL", "PUBLIC_BASE_URL", "OAUTH_ISSUER", "PORT")


def clean_environment(**extra: str) -> dict[str, str]:
    """os.environ without the settings a developer or CI may have exported, plus ``extra``."""
    environment = {name: value for name, value in os.environ.items() if name not in _NOT_INHERITED}
    environment.update(extra)
    return environment


def quickstart_environment(directory: Path, **extra: str) -> dict[str, str]:
    """The environment `make demo` runs manage.py in, on a SQLite file in ``directory``."""
    return clean_environment(DEBUG="1", SQLITE_PATH=str(directory / "db.sqlite3"), **extra)


def manage(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py args`` and return it; raise with its output if it fails."""
    result = subprocess.run(  # noqa: S603 - our own manage.py, arguments from the test
        [sys.executable, str(MANAGE), *args],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def read_env_file(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines seed_demo writes, as a dict."""
    pairs = {}
    for line in path.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        pairs[name] = value
    return pairs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def runserver(environment: dict[str, str], port: int) -> Iterator[str]:
    """`manage.py runserver` (threaded, as `make demo` runs it) on ``port``; yields its base URL."""
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_serving(server, base)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_serving(server: subprocess.Popen[str], base: str) -> None:
    # Polling for start-up is not a timed assertion: the deadline only bounds a broken server.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"runserver exited {server.returncode}: {server.stderr.read()}")  # type: ignore[union-attr]
        try:
            urllib.request.urlopen(f"{base}/api/v1/whoami", timeout=5).close()  # noqa: S310 - loopback
        except urllib.error.HTTPError:
            return  # an answer (401): it serves
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
        else:
            return
    raise AssertionError("runserver did not start serving")


def call(
    method: str, url: str, *, token: str | None = None, body: Any = None
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request; returns (status, headers, JSON body or text). Never raises on 4xx/5xx."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            status, headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, dict(error.headers), error.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, headers, json.loads(text)
    except ValueError:
        return status, headers, text
