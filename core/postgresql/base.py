"""Django's PostgreSQL backend, with a health check that costs no round trip.

With persistent connections (CONN_MAX_AGE) Django checks, before a request first uses a
connection it kept, that the connection still works (CONN_HEALTH_CHECKS), so that a database
restart costs no failed request. Django's check is a ``SELECT 1``: a round trip to the server
on every request, one more for a request that needs two or three. This one asks the operating
system instead: an idle connection the server closed (a restart, a terminated backend, an idle
timeout) has something to read (the server's farewell, or the end of the stream), a healthy
idle one has nothing. Anything unexpected (a connection psycopg knows to be closed or broken,
not idle, or with bytes waiting) is treated as unusable: the connection is closed and the
request opens a new one, as Django's own check would.

What neither check can see quickly is a connection the network dropped without a word; Django's
``SELECT 1`` would wait for it as long as any query would.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_idle_and_quiet(self) -> bool:
        """Whether the connection is open, idle, and has nothing from the server waiting."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close_if_health_check_failed(self) -> None:
        if self.pool:  # the pool only hands out healthy connections (as Django's backend says)
            return
        # (set by Django's base class from CONN_HEALTH_CHECKS; its type stubs do not declare them)
        enabled, done = (
            getattr(self, "health_check_enabled", False),
            getattr(self, "health_check_done", False),
        )
        if self.connection is None or not enabled or done:
            return
        if not self.is_idle_and_quiet():
            self.close()
        self.health_check_done = True
