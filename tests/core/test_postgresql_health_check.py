"""The health check of kept PostgreSQL connections (core.postgresql) asks the operating system,
not the server: no round trip on a healthy connection, and a connection the server closed is
replaced before a request uses it."""

import os
import time

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL's backend"
    ),
    pytest.mark.django_db(transaction=True),
]


def _from_outside(sql: str, params=()) -> list[tuple]:
    """A statement on a connection of its own (not Django's)."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as outside:
        return outside.execute(sql, params).fetchall()


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _last_statement_of(pid: int) -> str:
    return _from_outside("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])[0][0]


def test_the_project_uses_the_backend():
    assert connection.settings_dict["ENGINE"] == "core.postgresql"
    assert connection.vendor == "postgresql"


def test_a_healthy_connection_is_checked_without_a_round_trip(settings):
    connection.health_check_enabled = True
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement before the check'")
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert connection.connection is not None  # kept
    assert _backend_pid() == pid
    # The server saw nothing between the marker and the pid query that followed the check.
    assert _last_statement_of(pid) == "SELECT pg_backend_pid()"
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert _last_statement_of(pid) == "SELECT pg_backend_pid()"


def test_a_connection_the_server_closed_is_replaced_before_it_is_used():
    connection.health_check_enabled = True
    pid = _backend_pid()
    assert _from_outside("SELECT pg_terminate_backend(%s)", [pid]) == [(True,)]
    deadline = time.monotonic() + 10
    while (
        _from_outside("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]) and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert connection.connection is None  # closed, not handed to the request
    assert _backend_pid() != pid  # the next statement opens a new connection, and works


def test_a_requests_statements_are_prepared_once_the_connection_has_run_them(employer):
    """DATABASE_PREPARE_THRESHOLD (config/settings.py): parameters bound on the server, and a
    statement prepared once this connection has run it that many times, so that PostgreSQL stops
    parsing and planning the token's statement on every request. Nothing of a row is prepared:
    a revoked token is refused at once."""
    from accounts.models import ApiToken
    from accounts.services import revoke_api_token

    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    for _ in range(threshold + 1):
        assert employer.get("/api/v1/whoami").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "accounts_apitoken"' in statement for statement in prepared), prepared
    revoke_api_token(token=ApiToken.objects.get(organisation=employer.organisation))
    assert employer.get("/api/v1/whoami").status_code == 401
