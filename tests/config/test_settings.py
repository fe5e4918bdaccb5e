"""Settings an operator gives in the environment reach Django (config/settings.py)."""

import secrets
import subprocess
import sys

from tests.quickstart import REPOSITORY, clean_environment

EMAIL_NAMES = [
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
]


def production_settings(*names: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Load config.settings as production does (DEBUG off, real secrets) and print ``names``."""
    program = "import django; django.setup(); from django.conf import settings; " + "; ".join(
        f"print(repr(settings.{name}))" for name in names
    )
    inherited = {name: value for name, value in clean_environment().items() if not name.startswith("EMAIL_")}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", program],
        cwd=REPOSITORY,
        env=inherited
        | dict(
            DJANGO_SETTINGS_MODULE="config.settings",
            SECRET_KEY=secrets.token_urlsafe(50),
            KEY_ENCRYPTION_KEYS=f"k1:{secrets.token_hex(32)}",
            LOOKUP_HASH_KEY=secrets.token_hex(32),
            **environment,
        ),
        capture_output=True,
        text=True,
    )


def test_smtp_settings_come_from_the_environment():
    result = production_settings(
        *EMAIL_NAMES,
        "EMAIL_HOST_PASSWORD",
        EMAIL_HOST="smtp.example.be",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="vault",
        EMAIL_HOST_PASSWORD="s3cret",
        EMAIL_USE_TLS="1",
        EMAIL_TIMEOUT="4.5",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "'smtp.example.be'",
        "587",
        "'vault'",
        "True",
        "False",
        "4.5",
        "'s3cret'",
    ]


def test_an_smtp_server_may_keep_us_waiting_ten_seconds_by_default():
    result = production_settings("EMAIL_TIMEOUT", "EMAIL_USE_TLS", "EMAIL_USE_SSL")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10.0", "False", "False"]


def test_starttls_and_implicit_tls_together_are_refused():
    result = production_settings("EMAIL_HOST", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert result.returncode != 0
    assert "not both" in result.stderr


def test_postgresql_statements_are_bound_on_the_server_and_prepared_unless_turned_off():
    url = "postgres://vault@db.example:5432/vault"
    default = production_settings("DATABASES['default']['OPTIONS']", DATABASE_URL=url)
    assert default.returncode == 0, default.stderr
    assert eval(default.stdout) == {"server_side_binding": True, "prepare_threshold": 5}  # noqa: S307 - our repr
    off = production_settings(
        "DATABASES['default'].get('OPTIONS')", DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="0"
    )
    assert off.returncode == 0, off.stderr
    assert off.stdout.strip() == "{}"  # Django's default: bound in the statement's text, never prepared
    negative = production_settings("DATABASES", DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="-1")
    assert negative.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD" in negative.stderr
