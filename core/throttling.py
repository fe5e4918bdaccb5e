"""Rate limits that fail open when their cache cannot be reached.

DRF's throttles keep their counters in the default cache (Redis in production). When Redis is
down, a throttle that lets the error through turns a cache outage into a full API outage, for
requests that need only the database. These throttles let the request through instead and log
a warning: once when the outage is first met, then at most once a minute while it lasts, and
once more (at info level) when the cache answers again.

Only a cache that cannot be reached (connection refused or reset, timeout) fails open; any
other error is a bug and stays one.

The counters are fixed windows (``FixedWindowMixin``): one integer per client and window,
incremented in one round trip, instead of DRF's list of every request's timestamp in the
window, read and written back whole on every request (up to 6,000 floats at the default
user rate).
"""

import logging
import math
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


def increment(cache, key: str, timeout: int) -> int:
    """Add one to the counter ``key`` (made at 1 if absent, expiring after ``timeout`` seconds
    from its first increment); returns the new count. On Redis one round trip (SET NX with the
    expiry, which only the first increment's makes, then INCR); elsewhere the cache API's add
    and incr."""
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is not None and hasattr(cache, "make_and_validate_key"):  # django's RedisCache
        name = cache.make_and_validate_key(key)
        pipeline = client(name, write=True).pipeline(transaction=False)
        pipeline.set(name, 0, ex=timeout, nx=True)
        pipeline.incr(name)
        _, count = pipeline.execute()
        return int(count)
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


class FixedWindowMixin:
    """A DRF rate throttle counting in fixed windows: at most ``num_requests`` per client in each
    window of ``duration`` seconds (windows start at multiples of the duration since the epoch).

    At a window's edge a client may send its budget twice in quick succession (the end of one
    window, the start of the next); what it cannot do is exceed the rate over any whole window.
    Retry-After is the time left until the window ends.
    """

    def allow_request(self, request, view) -> bool:
        if self.rate is None:  # type: ignore[attr-defined]
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        self.now = self.timer()  # type: ignore[attr-defined]
        duration = self.duration  # type: ignore[attr-defined]
        window = int(self.now // duration)
        self.window_ends = (window + 1) * duration
        # The key names its window; it outlives the window by a second so a late increment
        # from a slow clock does not restart a count.
        count = increment(self.cache, f"{self.key}:w{window}", duration + 1)  # type: ignore[attr-defined]
        return count <= self.num_requests  # type: ignore[attr-defined]

    def wait(self) -> float | None:
        return max(1, math.ceil(self.window_ends - self.now))


class AnonRateThrottle(FailOpenThrottleMixin, FixedWindowMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpenThrottleMixin, FixedWindowMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(FailOpenThrottleMixin, FixedWindowMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's scoped throttle takes its scope, and so its rate, from the view before counting.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
