"""Tampering as someone with full write access to the database would do it."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def as_dba() -> Iterator[None]:
    """On PostgreSQL, switch the log's append-only trigger off for this session, as a superuser
    can (``session_replication_role = replica``); elsewhere there is nothing to switch off."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
