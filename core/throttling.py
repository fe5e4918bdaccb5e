"""Rate limits that fail open when their cache cannot be reached.

DRF's throttles keep their counters in the default cache (Redis in production). When Redis is
down, a throttle that lets the error through turns a cache outage into a full API outage, for
requests that need only the database. These throttles let the request through instead and log
a warning: once when the outage is first met, then at most once a minute while it lasts, and
once more (at info level) when the cache answers again.

Only a cache that cannot be reached (connection refused or reset, timeout) fails open; any
other error is a bug and stays one.

The counters are two integers per client, this window's and the previous one's, counted and
read in one round trip (``SlidingWindowMixin``), instead of DRF's list of every request's
timestamp in the window, read and written back whole on every request (up to 6,000 floats at
the default user rate).
"""

import logging
import math
import threading
import time

from django.core.cache.backends.redis import RedisCacheClient
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


def _redis_client(cache, name: str):
    """The write client of Django's RedisCache, or None for another cache.

    Django's ``get_client`` makes a new redis-py client on its kept connection pool at every
    call (it ignores the key: one server takes the writes), which cost about a third of a rate
    limit's time per request (docs/benchmarks.md, issue 18); the client, like the pool, is kept
    with the cache's backend instead (a new cache, as after a settings change, makes its own).
    """
    backend = getattr(cache, "_cache", None)
    if not isinstance(backend, RedisCacheClient) or not hasattr(cache, "make_and_validate_key"):
        return None
    client = getattr(backend, "_rate_limit_client", None)
    if client is None:
        client = backend.get_client(name, write=True)
        backend._rate_limit_client = client  # type: ignore[attr-defined]
    return client


def count_in_windows(cache, key: str, window: int, timeout: int) -> tuple[int, int]:
    """Add one to the counter of ``window`` (made at 1 if absent, expiring ``timeout`` seconds
    after its first increment) and read the previous window's; returns both counts. On Redis
    one round trip (SET NX with the expiry, INCR, GET); elsewhere the cache API's calls."""
    current, previous = f"{key}:w{window}", f"{key}:w{window - 1}"
    redis = _redis_client(cache, current)
    if redis is not None:
        name = cache.make_and_validate_key(current)
        pipeline = redis.pipeline(transaction=False)
        pipeline.set(name, 0, ex=timeout, nx=True)
        pipeline.incr(name)
        pipeline.get(cache.make_and_validate_key(previous))
        _, count, before = pipeline.execute()
        return int(count), int(before or 0)
    if cache.add(current, 1, timeout=timeout):
        count = 1
    else:
        try:
            count = int(cache.incr(current))
        except ValueError:  # expired between add and incr
            cache.set(current, 1, timeout=timeout)
            count = 1
    return count, int(cache.get(previous) or 0)


def uncount(cache, key: str, window: int) -> None:
    """Take back one from the counter of ``window`` (a refused request does not count)."""
    current = f"{key}:w{window}"
    redis = _redis_client(cache, current)
    try:
        if redis is not None:
            redis.decr(cache.make_and_validate_key(current))
        else:
            cache.decr(current)
    except ValueError:  # expired meanwhile: nothing to take back
        pass


class SlidingWindowMixin:
    """A DRF rate throttle counting per window of ``duration`` seconds (windows start at
    multiples of the duration since the epoch), weighing in the previous window: a request is
    allowed while this window's count, plus the previous window's scaled by the part of it that
    still lies within the last ``duration`` seconds, stays within ``num_requests``.

    This estimates DRF's sliding log (which keeps every timestamp of the window and moves them
    all through the cache on every request) from two integers, in one round trip, assuming the
    previous window's requests were spread evenly; unlike a fixed window, a client cannot send
    its budget twice across a window's edge. Refused requests are not counted. Retry-After is
    when the estimate leaves room again.
    """

    def allow_request(self, request, view) -> bool:
        if self.rate is None:  # type: ignore[attr-defined]
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        self.now = self.timer()  # type: ignore[attr-defined]
        duration = self.duration  # type: ignore[attr-defined]
        self.window = int(self.now // duration)
        self.elapsed = self.now - self.window * duration
        # A window's counter must outlive the next window, where it weighs in.
        self.count, self.previous = count_in_windows(
            self.cache,  # type: ignore[attr-defined]
            self.key,
            self.window,
            2 * duration + 1,
        )
        if self.count + self.previous * (duration - self.elapsed) / duration <= self.num_requests:  # type: ignore[attr-defined]
            return True
        uncount(self.cache, self.key, self.window)  # type: ignore[attr-defined]
        self.count -= 1
        return False

    def wait(self) -> float | None:
        duration = self.duration  # type: ignore[attr-defined]
        room = self.num_requests - self.count - 1  # type: ignore[attr-defined]
        if room >= 0 and self.previous > 0:
            # the previous window's weight must fall to room / previous
            # (less a nanosecond, so that float error does not add a second)
            return max(1, math.ceil(duration * (1 - room / self.previous) - self.elapsed - 1e-9))
        return max(1, math.ceil(duration - self.elapsed))


class AnonRateThrottle(FailOpenThrottleMixin, SlidingWindowMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpenThrottleMixin, SlidingWindowMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(FailOpenThrottleMixin, SlidingWindowMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's scoped throttle takes its scope, and so its rate, from the view before counting.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
