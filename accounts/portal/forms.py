"""Login forms that refuse further tries for a while after repeated failures.

The failure budget (per account and address, and per address) is accounts.throttling's.
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from ..throttling import FailureBudget, client_address

THROTTLED = _("Too many failed attempts. Try again in %(minutes)d minutes.")


class ThrottledLoginMixin:
    """Refuses a login form once its account or address has used up its failure budget."""

    scope = "login"

    def clean(self):
        username = self.cleaned_data.get("username") or ""  # type: ignore[attr-defined]
        budget = FailureBudget(
            scope=self.scope,
            who=username.strip().lower(),
            address=client_address(self.request),  # type: ignore[attr-defined]
        )
        if budget.exhausted():
            raise forms.ValidationError(THROTTLED, code="throttled", params={"minutes": budget.window // 60})
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            budget.record_failure()
            raise
        budget.record_success()
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's login form: citizens sign in with their e-mail address."""

    scope = "portal-login"
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That e-mail address and password do not match an account. Check both and try again."
        ),
    }


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form (staff only, as Django's)."""

    scope = "admin-login"
