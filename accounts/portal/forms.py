"""Login forms that refuse further tries for a while after repeated failures.

Counted per account *and* client address (so nobody elsewhere can lock a citizen out by
guessing), and per client address alone, more generously (so one address cannot spray
guesses over many accounts). The client address is the one the trusted reverse proxies report
(NUM_PROXIES), not whatever a client writes into X-Forwarded-For.
"""

import logging

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

ADDRESS_FACTOR = 10  # an address (an office behind one NAT) gets more tries than one account
THROTTLED = _("Too many failed attempts. Try again in %(minutes)d minutes.")


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


class ThrottledLoginMixin:
    scope = "login"

    def _counters(self, username: str) -> list[tuple[str, int]]:
        address = client_address(self.request)  # type: ignore[attr-defined]
        limit = settings.LOGIN_MAX_FAILURES
        return [
            (f"{self.scope}-failures:{username.strip().lower()}@{address}", limit),
            (f"{self.scope}-failures:@{address}", limit * ADDRESS_FACTOR),
        ]

    def clean(self):
        username = self.cleaned_data.get("username") or ""  # type: ignore[attr-defined]
        counters = self._counters(username)
        window = settings.LOGIN_FAILURE_WINDOW_SECONDS
        try:
            counts = cache.get_many([key for key, _limit in counters])
        except Exception:  # the cache is down: log in without the brake rather than not at all
            logger.exception("Login throttle unavailable: the cache did not answer.")
            counts = {}
        if any(counts.get(key, 0) >= limit for key, limit in counters):
            raise forms.ValidationError(THROTTLED, code="throttled", params={"minutes": window // 60})
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            self._count_failure(counters, window)
            raise
        try:
            cache.delete(counters[0][0])  # a success forgives this account here, not the address
        except Exception:
            logger.exception("Login throttle unavailable: the cache did not answer.")
        return cleaned

    @staticmethod
    def _count_failure(counters: list[tuple[str, int]], window: int) -> None:
        for key, _limit in counters:
            try:
                if cache.add(key, 1, timeout=window):
                    continue
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=window)
            except Exception:
                logger.exception("Login throttle unavailable: the cache did not answer.")
                return


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's login form."""

    scope = "portal-login"


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form (staff only, as Django's)."""

    scope = "admin-login"
