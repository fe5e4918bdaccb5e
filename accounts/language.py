"""The language a person is written to in: the one they last used the portal in.

Each signed-in portal request notes its language (the switcher's cookie, else the browser's
Accept-Language, as LocaleMiddleware chose it) on the user, written only when it changes; so a
citizen who signs up in French is mailed in French, and one who switches the portal to Dutch is
mailed in Dutch from then on. Anyone who never used the portal is written to in LANGUAGE_CODE.
Mail tasks carry the user's id and render their text under ``translation.override(language_of)``.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .models import User

PORTAL_PREFIX = "/portal/"


def supported(code: str | None) -> str | None:
    """``code`` as one of LANGUAGES (nl-BE: nl), or None when it is none of them."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_of(user: User | None) -> str:
    """The language to write to ``user`` in: their portal language, else LANGUAGE_CODE."""
    return supported(user.language if user is not None else None) or settings.LANGUAGE_CODE


def remember(user: User, code: str | None) -> None:
    """Note ``code`` as ``user``'s language, if it is one we speak and not theirs already."""
    language = supported(code)
    if language and language != user.language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


class PortalLanguageMiddleware:
    """Notes the language of each portal page a signed-in person is served (after the view, so
    the request that signs them up or in counts too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.path.startswith(PORTAL_PREFIX)
            and user is not None
            and user.is_authenticated
            and response.status_code < 500
        ):
            remember(user, getattr(request, "LANGUAGE_CODE", None))
        return response
