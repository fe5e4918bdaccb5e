"""A piece of work paused in its own thread and database connection, for tests that interleave
two transactions at an exact point (PostgreSQL: real row locks between two connections)."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

WAIT = 60  # seconds: only a bound on a hung test, never a synchronisation


class Paused(threading.Thread):
    """Runs ``work`` in its own thread and connection; ``pause()`` called from inside it signals
    ``reached`` and blocks until ``go`` is set."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None
        self.reached, self.go = threading.Event(), threading.Event()

    def pause(self) -> None:
        if threading.current_thread() is self:
            self.reached.set()
            assert self.go.wait(WAIT)

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:  # handed to the test thread
            self.error = exc
        finally:
            connection.close()

    def finish(self) -> Any:
        self.go.set()
        self.join(WAIT)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error
        return self.result
