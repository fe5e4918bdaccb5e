"""Session lifetimes: a signed-in session ends after a while without use (idle) and a while after
sign-in whatever happens (absolute), for password and OpenID Connect sign-ins alike.

The sign-in time is stamped when Django logs a user in (the user_logged_in signal); the time
of the last request is refreshed at most once a minute, so a busy session is not written on
every request. A session without a sign-in stamp (from before this existed) is ended too.
"""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from . import oidc

SIGNED_IN_AT = "citizen_vault_signed_in_at"
SEEN_AT = "citizen_vault_seen_at"
SEEN_RESOLUTION_SECONDS = 60


@receiver(user_logged_in)
def _stamp_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


def expired(session: Any, now: float) -> bool:
    """Whether a signed-in session has outlived its idle or absolute limit."""
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT, signed_in_at)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return True
    return (
        now - signed_in_at > settings.SESSION_ABSOLUTE_SECONDS
        or now - seen_at > settings.SESSION_IDLE_SECONDS
    )


class SessionExpiryMiddleware:
    """Logs out a session past its idle or absolute limit (the request goes on anonymous: a
    portal page then asks to sign in again, with a message saying why); otherwise notes the
    request's time. Pages of a session begun with OpenID Connect may send forms to the
    provider's origin (the sign-out form ends at its end_session_endpoint)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            if expired(request.session, now):
                logout(request)
                if request.path.startswith("/portal/"):
                    messages.info(request, _("Your session has ended. Please sign in again."))
            elif now - request.session.get(SEEN_AT, 0) >= SEEN_RESOLUTION_SECONDS:
                request.session[SEEN_AT] = int(now)
        response = self.get_response(request)
        if request.session.get(oidc.SESSION_METHOD_KEY) == "oidc":
            origins = oidc.form_action_origins()
            if origins:
                response._csp_update = {  # type: ignore[attr-defined]
                    **(getattr(response, "_csp_update", None) or {}),
                    "form-action": origins,
                }
        return response
