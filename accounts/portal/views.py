"""Signing in and out of the portal: the password form (the demo) and OpenID Connect."""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from .. import oidc
from ..errors import SignInRefused
from .forms import ThrottledAuthenticationForm

NEXT_KEY = "citizen_vault_oidc_next"

# The means of sign-in behind the federal login's levels of assurance: its acr values end in
# the CSAM level (urn:be:fedict:iam:fas:Level500 ...). Any other acr is shown as it is.
FAS_LEVEL_NAMES = {
    "500": gettext_lazy("eID card with a card reader"),
    "450": "itsme",
    "400": gettext_lazy("Security code by text message or app"),
    "200": gettext_lazy("Username and password"),
}


class SignInView(auth_views.LoginView):
    """The login page: the password form, and a button for OpenID Connect when it is configured."""

    template_name = "portal/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = oidc.enabled()
        context["oidc_provider"] = settings.OIDC_PROVIDER_NAME
        return context


class SignOutView(auth_views.LogoutView):
    """Ends the session here; after an OpenID Connect sign-in, also at the provider when it
    offers an end_session_endpoint (RP-Initiated Logout)."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        at_provider = (
            oidc.end_session_url(request) if request.session.get(oidc.SESSION_METHOD_KEY) == "oidc" else None
        )
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(at_provider) if at_provider else response


def safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


@require_GET
def oidc_start(request: HttpRequest) -> HttpResponse:
    """Sends the citizen to the OpenID Provider (a 404 when OpenID Connect is not configured)."""
    if not oidc.enabled():
        raise Http404("OpenID Connect sign-in is not configured.")
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    request.session[NEXT_KEY] = safe_next(request, request.GET.get("next"))
    try:
        return oidc.begin(request)
    except SignInRefused as exc:
        oidc.log_refusal(exc)
        messages.error(request, refusal_message(exc))
        return redirect("portal:login")


def refusal_message(exc: SignInRefused) -> str:
    """What the citizen reads when a sign-in through the provider is refused."""
    if exc.reason == "provider-unreachable":
        return _("The sign-in service cannot be reached right now. Please try again later.")
    if exc.reason in ("national-id-missing", "national-id-invalid"):
        return _(
            "The sign-in service did not give us your national register number, so we cannot "
            "open your pod. Please try again, and allow it to be shared."
        )
    if exc.reason == "account-inactive":
        return _("This account is deactivated. Please contact the service desk.")
    if exc.reason == "state-mismatch":
        return _("This sign-in was already used or has expired. Please sign in again.")
    return _("The sign-in could not be completed. Please try again.")


def means_of_sign_in(acr: str) -> str:
    """The means of sign-in an acr value stands for, in words when we know it."""
    level = re.search(r"Level(\d+)$", acr)
    return str(FAS_LEVEL_NAMES.get(level.group(1), acr)) if level else acr


@require_GET
def assurance_refused(request: HttpRequest) -> HttpResponse:
    """Where a citizen lands when the provider signed them in with a means of sign-in below the
    level of assurance OIDC_REQUIRED_ACR asks for: what happened, what is accepted, try again.
    Its own URL, so that the language switcher (which reloads the page) does not replay the
    callback."""
    if not (oidc.enabled() and settings.OIDC_REQUIRED_ACR):
        raise Http404("No level of assurance is required.")
    accepted = list(dict.fromkeys(means_of_sign_in(acr) for acr in settings.OIDC_REQUIRED_ACR))
    context = {"accepted": accepted, "oidc_provider": settings.OIDC_PROVIDER_NAME}
    return render(request, "portal/assurance_refused.html", context)
