"""A database that cannot be reached is a 503 problem document with Retry-After, never a 500.

The outage is real: the connection is pointed at a database that cannot be opened (a closed
port on PostgreSQL, a file in a directory that does not exist on SQLite), so the driver's own
error travels through Django as it would in production. Other database errors stay 500s.
"""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client, RequestFactory

from core.problems import DATABASE_RETRY_AFTER_SECONDS, database_unavailable, server_error
from tests.support import assert_problem

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "Bearer cva_" + "x" * 43  # looked up in the database, so the request needs it


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_unreachable() -> Iterator[None]:
    """The default connection, from now until the block ends, goes to a database that cannot be
    reached. The open connection is set aside, not closed: SQLite's in-memory test database lives
    in it."""
    saved_connection, saved_settings = connection.connection, dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        unreachable = {"HOST": "127.0.0.1", "PORT": str(closed_port())}
    else:
        unreachable = {"NAME": "/nonexistent-citizen-vault-dir/db.sqlite3"}
    connection.connection = None
    connection.settings_dict.update(unreachable)
    try:
        yield
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved_settings)
        connection.connection = saved_connection


def assert_unavailable(response) -> None:
    body = assert_problem(response, 503, "service-unavailable")
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert "database" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/pod"),
        ("get", "/api/v1/pod/credentials"),
        ("post", "/api/v1/issuer/credentials"),
        ("post", "/api/v1/access-requests"),
    ],
)
def test_an_unreachable_database_is_a_503_with_retry_after(method, path, caplog):
    client = Client(raise_request_exception=False)
    with database_unreachable():
        response = getattr(client, method)(path, HTTP_AUTHORIZATION=TOKEN, content_type="application/json")
    assert_unavailable(response)
    assert "Database unavailable" in caplog.text


def test_the_api_answers_again_when_the_database_is_back(citizen):
    with database_unreachable():
        assert_unavailable(citizen.get("/api/v1/pod"))
    assert citizen.get("/api/v1/pod").status_code == 200


def test_outside_a_view_an_unreachable_database_is_a_503_under_the_api_only(settings):
    """handler500: Django's own error path (middleware, a plain view) answers the same."""
    settings.DEBUG = False
    factory = RequestFactory()
    with database_unreachable():
        try:
            connection.ensure_connection()
        except OperationalError:
            api = server_error(factory.get("/api/v1/pod"))
            page = server_error(factory.get("/portal/"))
        else:
            pytest.fail("the database was reachable")
    assert api.status_code == 503
    assert api["Content-Type"] == "application/problem+json"
    assert api["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert page.status_code == 500


def raised(error: Exception) -> OperationalError:
    """A Django OperationalError raised from ``error``, as Django wraps a driver's error."""
    try:
        try:
            raise error
        except Exception as exc:
            raise OperationalError(str(exc)) from exc
    except OperationalError as wrapped:
        return wrapped


def test_a_locked_sqlite_database_or_a_bad_query_is_not_an_outage():
    import sqlite3

    assert not database_unavailable(raised(sqlite3.OperationalError("database is locked")))
    assert not database_unavailable(raised(sqlite3.OperationalError("no such table: x")))
    assert not database_unavailable(OperationalError("no driver error behind it"))
    assert not database_unavailable(ValueError("not a database error"))


def test_on_postgresql_only_connection_sqlstates_are_an_outage():
    from psycopg import errors

    assert database_unavailable(raised(errors.AdminShutdown("terminating connection")))
    assert database_unavailable(raised(errors.TooManyConnections("too many clients")))
    assert not database_unavailable(raised(errors.SerializationFailure("could not serialize")))
    assert not database_unavailable(raised(errors.QueryCanceled("statement timeout")))
    assert not database_unavailable(raised(errors.DeadlockDetected("deadlock")))


@pytest.mark.services
def test_a_connection_the_server_drops_is_a_503_then_the_next_connection_serves(citizen):
    """PostgreSQL ends our session (a restart, a failover): the request meets it mid-flight."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(pid,)] = cursor.fetchall()
    admin = connections.create_connection("default")
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        admin.close()

    assert_unavailable(citizen.get("/api/v1/pod"))
    connection.close()  # what the next request's health check does (CONN_HEALTH_CHECKS)
    assert citizen.get("/api/v1/pod").status_code == 200
