"""Starts the test OpenID Provider (tests/oidc_op/serve.py) as a separate process, and stops it."""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60

CLIENT_ID = "citizen-vault"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"  # the test provider's, nothing else's
OTHER_CLIENT_ID = "another-relying-party"
PASSWORD = "federal login password"


@dataclass(frozen=True)
class Provider:
    base_url: str

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/o"


def citizen(egov_nrn: str | None, email: str = "", **extra) -> dict:
    return {"password": PASSWORD, "egovNRN": egov_nrn, "email": email, **extra}


@contextlib.contextmanager
def running_provider(
    *, users: dict[str, dict], redirect_uris: list[str], post_logout_redirect_uris=()
) -> Iterator[Provider]:
    """A provider on 127.0.0.1 with these users, our client (CLIENT_ID) and another relying party
    (OTHER_CLIENT_ID), both allowed ``redirect_uris``; terminated (and its files removed) after."""
    with tempfile.TemporaryDirectory(prefix="oidc-op-") as folder:
        clients = [
            {
                "client_id": client_id,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": list(post_logout_redirect_uris),
            }
            for client_id in (CLIENT_ID, OTHER_CLIENT_ID)
        ]
        config = {"database": str(Path(folder) / "op.sqlite3"), "users": users, "clients": clients}
        env = {
            key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))
        }
        process = subprocess.Popen(  # noqa: S603 - our own script, arguments we build
            [sys.executable, "-m", "tests.oidc_op.serve", json.dumps(config)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()  # blocks until it serves, or it died
            if not line.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"The test OpenID Provider did not start (exit code {process.poll()}).")
            yield Provider(base_url=line)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


@contextlib.contextmanager
def portal_signing_in_at(provider: Provider, settings) -> Iterator[Provider]:
    """The portal configured as ``provider``'s client (through pytest-django's ``settings``), its
    cached OIDC client dropped before and after so that it reads this provider's discovery."""
    from accounts import oidc  # the test process's, never the provider's (serve.py)

    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_SCOPES = "openid email egovnrn"
    oidc._app.cache_clear()
    try:
        yield provider
    finally:
        oidc._app.cache_clear()
