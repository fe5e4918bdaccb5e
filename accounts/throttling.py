"""Failure budgets for anything that checks a secret: password logins and OAuth clients.

Failures are counted per account *and* client address (so nobody elsewhere can lock an account
out by guessing), and per client address alone, more generously (so one address cannot spray
guesses over many accounts). Once either count reaches its limit, further tries are refused for
``LOGIN_FAILURE_WINDOW_SECONDS``, even with the right secret. The client address is the one the
trusted reverse proxies report (``NUM_PROXIES``), not whatever a client writes into
X-Forwarded-For.

The counters live in the cache. When the cache is down, the brake is off (logged) rather than
the door shut: refusing every login would turn a cache outage into a full outage.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from core.throttling import CACHE_UNREACHABLE, cache_outage

ADDRESS_FACTOR = 10  # an address (an office behind one NAT) gets more tries than one account


def client_address(request) -> str:
    """The client's address as the trusted proxies (settings NUM_PROXIES) report it."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote


@dataclass(frozen=True)
class FailureBudget:
    """The failure counters of one account (``who``) trying from one address, for one ``scope``.

    ``scope`` keeps budgets apart (``portal-login``, ``admin-login``, ``oauth-client``); ``who``
    is any text (a username, a client_id): it is hashed into the cache key, so it may hold
    anything a client sent.
    """

    scope: str
    who: str
    address: str

    @property
    def window(self) -> int:
        """How long, in seconds, a failure counts and a refusal lasts."""
        return settings.LOGIN_FAILURE_WINDOW_SECONDS

    def _counters(self) -> list[tuple[str, int]]:
        limit = settings.LOGIN_MAX_FAILURES
        who = hashlib.sha256(self.who.encode()).hexdigest()[:32]
        return [
            (f"{self.scope}-failures:{who}@{self.address}", limit),
            (f"{self.scope}-failures:@{self.address}", limit * ADDRESS_FACTOR),
        ]

    def exhausted(self) -> bool:
        """Whether this account from this address, or this address at all, must wait."""
        counters = self._counters()
        try:
            counts = cache.get_many([key for key, _limit in counters])
        except CACHE_UNREACHABLE as exc:
            cache_outage.failed(f"failure budget {self.scope}", exc)
            return False
        cache_outage.answered()
        return any(counts.get(key, 0) >= limit for key, limit in counters)

    def record_failure(self) -> None:
        """Count one failed attempt against the account here and against the address."""
        for key, _limit in self._counters():
            try:
                if cache.add(key, 1, timeout=self.window):
                    continue
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=self.window)
            except CACHE_UNREACHABLE as exc:
                cache_outage.failed(f"failure budget {self.scope}", exc)
                return

    def record_success(self) -> None:
        """A success forgives this account's failures from this address, not the address's."""
        try:
            cache.delete(self._counters()[0][0])
        except CACHE_UNREACHABLE as exc:
            cache_outage.failed(f"failure budget {self.scope}", exc)
