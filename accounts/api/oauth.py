"""The OAuth 2.0 endpoints' HTTP edge: what reaches django-oauth-toolkit, and how its answers leave.

``/oauth2/token`` (RFC 6749 §4.4), ``/oauth2/revoke`` (RFC 7009) and ``/oauth2/introspect``
(RFC 7662) are answered by django-oauth-toolkit through ``accounts.oauth_provider``. Before it,
``form_parameters`` refuses what it would misread (a body that is not a form, too large, or
with a repeated parameter: it keeps the last value silently). After it, ``oauth_response``
makes every error RFC 6749 §5.2 JSON whose ``error_description`` holds only the characters
§5.2 allows, with a Basic challenge on 401 and never cached. ``authorization_server_metadata``
is RFC 8414's document.
"""

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, QueryDict
from rest_framework import exceptions

from ..challenges import basic_challenge
from ..oauth_provider import GRANT_TYPE
from ..scopes import SCOPES

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# The parameters the endpoints read; each may appear once (RFC 6749 §3.1, §3.2; RFC 7009 §2.1).
_SINGLE = ("grant_type", "scope", "client_id", "client_secret", "token", "token_type_hint")
# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
_NOT_IN_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
# What an error says when oauthlib gave it no description.
_DEFAULT_DESCRIPTIONS = {
    "invalid_client": "Client authentication failed.",
    "invalid_request": "The request is not valid for this endpoint.",
    "invalid_scope": "The requested scope is not allowed for this client.",
    "unauthorized_client": "This client may not use this grant.",
    "unsupported_grant_type": f"This grant type is not supported; use {GRANT_TYPE!r}.",
    "unsupported_token_type": "This endpoint revokes and introspects access tokens only.",
}


def error_description(text: str) -> str:
    """``text`` within the §5.2 character set: ``"`` becomes ``'``, anything else outside it ``?``."""
    return _NOT_IN_DESCRIPTION.sub("?", text.replace('"', "'")) or "?"


class OAuthError(Exception):
    """An RFC 6749 §5.2 error found at the edge, before django-oauth-toolkit sees the request."""

    def __init__(self, error: str, description: str, *, status: int = 400, retry_after: int = 0) -> None:
        description = error_description(description)
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.retry_after = retry_after

    def response(self) -> HttpResponse:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else {}
        body = json.dumps({"error": self.error, "error_description": self.description})
        return oauth_response(headers, body, self.status)


# DRF's own refusals, reworded: its messages quote what the client sent (`Method "GET" not allowed.`).
_API_EXCEPTION_DESCRIPTIONS: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.MethodNotAllowed, "This endpoint accepts only POST."),
    (exceptions.UnsupportedMediaType, f"The body must be {FORM}."),
    (exceptions.NotAcceptable, "This endpoint answers only application/json."),
    (exceptions.ParseError, "The body could not be parsed."),
]


def error_for_api_exception(exc: exceptions.APIException) -> OAuthError:
    """A DRF exception raised around an OAuth endpoint, as an OAuth error with our own words."""
    if isinstance(exc, exceptions.Throttled):
        wait = int(getattr(exc, "wait", None) or 60)
        return OAuthError(
            "temporarily_unavailable",
            f"Too many requests; try again in {wait} seconds.",
            status=429,
            retry_after=wait,
        )
    description = next(
        (text for cls, text in _API_EXCEPTION_DESCRIPTIONS if isinstance(exc, cls)),
        "The request is not valid for this endpoint.",
    )
    return OAuthError("invalid_request", description, status=exc.status_code)


def check_form(request) -> None:
    """Refuse a body django-oauth-toolkit would misread: not a form, too large, repeated parameters."""
    if request.content_type.split(";")[0].strip().lower() != FORM:
        raise OAuthError("invalid_request", f"The body must be {FORM} (RFC 6749 section 4.4.2).")
    try:
        form = QueryDict(request.body, encoding="utf-8")
    except (RequestDataTooBig, TooManyFieldsSent) as exc:
        raise OAuthError("invalid_request", "The body is too large or has too many fields.") from exc
    for name in _SINGLE:
        if len(form.getlist(name)) > 1:
            raise OAuthError("invalid_request", f"The parameter {name!r} appears more than once.")


def oauth_response(headers: dict[str, str], body: str, status: int) -> HttpResponse:
    """An answer of oauthlib's (or of the edge) as it leaves: errors in §5.2 form, never cached."""
    if status >= 400:
        error = json.loads(body) if body else {}
        code = error.get("error") or "invalid_request"
        description = error.get("error_description") or _DEFAULT_DESCRIPTIONS.get(code, code)
        body = json.dumps({"error": code, "error_description": error_description(description)})
    response = HttpResponse(body, status=status, content_type="application/json")
    if "Retry-After" in headers:
        response["Retry-After"] = headers["Retry-After"]
    if status == 401:
        # RFC 6749 §5.2 asks for the scheme the client tried (oauthlib would name Bearer).
        response["WWW-Authenticate"] = basic_challenge()
    for name, value in NO_STORE.items():
        response[name] = value
    return response


def authorization_server_metadata() -> dict[str, Any]:
    """RFC 8414 metadata for ``/.well-known/oauth-authorization-server``."""
    issuer = settings.OAUTH_ISSUER
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth2/token",
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": list(SCOPES),
        "response_types_supported": [],  # no authorization endpoint: client credentials only
    }
