"""Rate limits that fail open when their cache cannot be reached.

DRF's throttles keep their counters in the default cache (Redis in production). When Redis is
down, a throttle that lets the error through turns a cache outage into a full API outage, for
requests that need only the database. These throttles let the request through instead and log
a warning: once when the outage is first met, then at most once a minute while it lasts, and
once more (at info level) when the cache answers again.

Only a cache that cannot be reached (connection refused or reset, timeout) fails open; any
other error is a bug and stays one.
"""

import logging
import threading
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import throttling

logger = logging.getLogger(__name__)

# What a cache client raises when its server cannot be reached: redis-py's own errors (not
# subclasses of the builtins) and the builtins, for backends that let socket errors through.
CACHE_UNREACHABLE: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
)


class CacheOutageLog:
    """Logs a cache outage without flooding the log: on the first failure, then every ``interval``."""

    interval = 60.0  # seconds between two warnings while the same outage lasts

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._last_warned = 0.0

    def failed(self, what: str, exc: BaseException) -> None:
        """Record that ``what`` (a throttle scope, a failure budget) met an unreachable cache."""
        now = time.monotonic()
        with self._lock:
            first = self._down_since is None
            if not first and now - self._last_warned < self.interval:
                return
            if first:
                self._down_since = now
            self._last_warned = now
        logger.warning(
            "Cache unreachable (%s: %s), met by %s: rate limits and failure budgets are off "
            "until it answers again.",
            type(exc).__name__,
            exc,
            what,
        )

    def answered(self) -> None:
        """Record that the cache answered: the outage, if there was one, is over."""
        if self._down_since is None:  # the common case: no lock, nothing to do
            return
        with self._lock:
            down_since, self._down_since = self._down_since, None
        if down_since is not None:
            logger.info(
                "Cache answers again after %.0f s; rate limits are enforced.", time.monotonic() - down_since
            )


cache_outage = CacheOutageLog()


class FailOpenThrottleMixin:
    """A DRF throttle that allows the request (and logs) when its cache cannot be reached."""

    def allow_request(self, request, view) -> bool:
        try:
            allowed = super().allow_request(request, view)  # type: ignore[misc]
        except CACHE_UNREACHABLE as exc:
            cache_outage.failed(f"rate limit {getattr(self, 'scope', None) or type(self).__name__}", exc)
            return True
        if getattr(self, "key", None) is not None:  # the counters were read, so the cache answered
            cache_outage.answered()
        return allowed


class AnonRateThrottle(FailOpenThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpenThrottleMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(FailOpenThrottleMixin, throttling.ScopedRateThrottle):
    pass
