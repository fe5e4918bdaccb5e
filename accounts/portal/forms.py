from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

ADDRESS_FACTOR = 10  # an address (an office behind one NAT) gets more tries than one account


def _limits(request, username: str) -> list[tuple[str, int]]:
    # Per account (guessing one person's password) and per client address (spraying many).
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    limit = settings.LOGIN_MAX_FAILURES
    return [
        (f"login-failures:user:{username.strip().lower()}", limit),
        (f"login-failures:addr:{address}", limit * ADDRESS_FACTOR),
    ]


THROTTLED = _("Too many failed attempts. Try again in %(minutes)d minutes.")


class ThrottledLoginMixin:
    """A login form that refuses further tries, for a while, after repeated failures."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""  # type: ignore[attr-defined]
        limits = _limits(self.request, username)  # type: ignore[attr-defined]
        window = settings.LOGIN_FAILURE_WINDOW_SECONDS
        if any((cache.get(key) or 0) >= limit for key, limit in limits):
            raise forms.ValidationError(THROTTLED, code="throttled", params={"minutes": window // 60})
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            for key, _limit in limits:
                cache.add(key, 0, timeout=window)
                cache.incr(key)
            raise
        cache.delete(limits[0][0])  # a success forgives the account, not the address
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's login form."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form (staff only, as Django's)."""
