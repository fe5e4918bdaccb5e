"""The end of an OpenID Connect sign-in: the provider sends the citizen back here.

It lives in the vault because a first sign-in opens the citizen's pod: the federal login has
proved who they are, so they get their account and pod at once (vault.services.citizen_signing_in).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import oidc
from accounts.errors import SignInRefused
from accounts.portal.views import NEXT_KEY, refusal_message, safe_next
from vault import services


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """Checks the provider's answer, finds or registers the citizen, and signs them in."""
    next_url = safe_next(request, request.session.get(NEXT_KEY))
    try:
        identity = oidc.complete(request)
        user, created = services.citizen_signing_in(national_id=identity.national_id, email=identity.email)
    except SignInRefused as exc:
        oidc.log_refusal(exc)
        if exc.reason == "acr-not-accepted":  # not signed in; a page saying what is accepted
            return redirect("portal:oidc-assurance-refused")
        messages.error(request, refusal_message(exc))
        return redirect("portal:login")
    request.session.pop(NEXT_KEY, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[oidc.SESSION_METHOD_KEY] = "oidc"
    if created:
        messages.success(
            request, _("Welcome. Your pod is ready: credentials issued to you will appear here.")
        )
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)
