"""The OAuth 2.0 endpoints' protocol: parsing token and revocation requests, and OAuth errors.

``exchange_client_credentials`` answers ``POST /oauth2/token`` (RFC 6749 §4.4),
``revoke_token`` answers ``POST /oauth2/revoke`` (RFC 7009); both authenticate the client
(§2.3.1, behind the failure budget of ``accounts.throttling``) and call the services of
``accounts.oauth``. Errors are ``OAuthError`` (§5.2), whose ``error_description`` never
repeats what the client sent and holds only the characters §5.2 allows.
"""

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from rest_framework import exceptions

from .. import oauth
from ..challenges import basic_challenge
from ..models import OAuthClient
from ..scopes import SCOPES
from ..services import TOKEN_PREFIX as API_TOKEN_PREFIX
from ..throttling import FailureBudget

GRANT_TYPE = "client_credentials"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
FORM = "application/x-www-form-urlencoded"

Form = Mapping[str, Sequence[str]]  # a parsed form body: each name to all its values

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
_NOT_IN_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def error_description(text: str) -> str:
    """``text`` within the §5.2 character set: ``"`` becomes ``'``, anything else outside it ``?``."""
    return _NOT_IN_DESCRIPTION.sub("?", text.replace('"', "'")) or "?"


class OAuthError(Exception):
    """An RFC 6749 §5.2 error (or an RFC 7009 §2.2.1 one); the view renders it as OAuth JSON."""

    def __init__(self, error: str, description: str, *, status: int = 400, retry_after: int = 0) -> None:
        description = error_description(description)
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        headers = {}
        if self.status == 401:
            # RFC 6749 §5.2 asks for it after a failed Basic attempt; RFC 9110 asks every 401 for one.
            headers["WWW-Authenticate"] = basic_challenge()
        if self.retry_after:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


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


# --- parsing ----------------------------------------------------------------------------------------


def _invalid_client(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, status=401)


def single(form: Form, name: str) -> str:
    """A parameter's value, '' when absent or empty (§3.2); repeated parameters are refused."""
    values = form.get(name) or []
    if len(values) > 1:
        raise OAuthError("invalid_request", f"The parameter {name!r} appears more than once.")
    return values[0] if values else ""


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """client_secret_basic (§2.3.1): both halves are form-urlencoded before base64.

    None when there is no Authorization header; raises OAuthError(invalid_client) for another
    scheme or credentials that are not base64 of ``client_id:client_secret`` in UTF-8.
    """
    if not authorization.strip():
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_client("Unsupported client authentication scheme; use Basic.")
    try:
        # b64decode raises binascii.Error for bad base64, and plain ValueError for non-ASCII text.
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise _invalid_client("The Basic credentials are not valid base64 of UTF-8 text.") from exc
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise _invalid_client("The Basic credentials must be client_id:client_secret.")
    return unquote_plus(client_id), unquote_plus(client_secret)


def client_credentials(form: Form, authorization: str) -> tuple[str, str]:
    """The client_id and secret of a request: from Basic or from the body, never from both."""
    basic = basic_credentials(authorization)
    body_id, body_secret = single(form, "client_id"), single(form, "client_secret")
    if basic is not None:
        if body_secret:
            raise OAuthError(
                "invalid_request", "Use one client authentication method: Basic or client_secret, not both."
            )
        if body_id and body_id != basic[0]:
            raise OAuthError("invalid_request", "The body's client_id differs from the Basic credentials'.")
        return basic
    if not body_id or not body_secret:
        raise _invalid_client(
            "Client authentication required: HTTP Basic (client_secret_basic) "
            "or client_id and client_secret in the body (client_secret_post)."
        )
    return body_id, body_secret


def parse_scope(value: str) -> list[str]:
    """A §3.3 scope parameter as a list of distinct scope tokens; raises OAuthError(invalid_scope)."""
    tokens = value.split(" ")
    if not all(_SCOPE_TOKEN.fullmatch(t) for t in tokens):
        raise OAuthError("invalid_scope", "The scope must be scope tokens separated by single spaces.")
    return list(dict.fromkeys(tokens))


def authenticate_client(*, form: Form, authorization: str, address: str) -> OAuthClient:
    """The client a token or revocation request authenticates as (§2.3.1).

    Failures count against the client and the address (``accounts.throttling``); once either is
    over budget the answer is 429 temporarily_unavailable, even for the right secret. Raises
    OAuthError: invalid_request, invalid_client (401), temporarily_unavailable (429).
    """
    client_id, client_secret = client_credentials(form, authorization)
    budget = FailureBudget(scope="oauth-client", who=client_id, address=address)
    if budget.exhausted():
        raise OAuthError(
            "temporarily_unavailable",
            f"Too many failed client authentications. Try again in {budget.window // 60} minutes.",
            status=429,
            retry_after=budget.window,
        )
    client = oauth.authenticate_client(client_id=client_id, client_secret=client_secret)
    if client is None:
        budget.record_failure()
        raise _invalid_client("Unknown client, wrong secret, or a revoked client.")
    budget.record_success()
    return client


# --- the endpoints ----------------------------------------------------------------------------------


def _granted_scopes(client: OAuthClient, requested: str) -> list[str]:
    """The scopes a token request gets: those asked for if the client holds them all (§3.3)."""
    allowed = client.scope.split()
    if not requested:
        return allowed  # §3.3: the pre-defined default is every scope the client holds
    scopes = parse_scope(requested)
    excess = [s for s in scopes if s not in allowed]
    if excess:
        # Name only our own vocabulary: what the client made up is counted, not repeated.
        known = [s for s in excess if s in SCOPES]
        unknown = len(excess) - len(known)
        named = ", ".join(known + ([f"{unknown} unknown scope(s)"] if unknown else []))
        raise OAuthError(
            "invalid_scope",
            f"Not allowed for this client: {named}; it may ask for: {', '.join(allowed)}.",
        )
    return scopes


def exchange_client_credentials(*, form: Form, authorization: str = "", address: str = "") -> dict[str, Any]:
    """Answer a token request (RFC 6749 §4.4.2) with the §5.1 response body.

    ``form`` is the parsed form body (each name to its values), ``authorization`` the
    Authorization header, ``address`` the client's address (for the failure budget).
    Raises OAuthError: invalid_request, invalid_client (401), temporarily_unavailable (429),
    unsupported_grant_type, unauthorized_client (the organisation is suspended), invalid_scope.
    Unknown parameters (e.g. ``audience``) are ignored, as §3.2 requires.
    """
    grant_type = single(form, "grant_type")
    requested = single(form, "scope")
    client = authenticate_client(form=form, authorization=authorization, address=address)
    if not grant_type:
        raise OAuthError("invalid_request", f"The parameter 'grant_type' is required ({GRANT_TYPE!r}).")
    if grant_type != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type", f"This grant type is not supported; use {GRANT_TYPE!r}.")
    if not client.organisation.is_active:
        raise OAuthError("unauthorized_client", "The client's organisation is suspended.")
    scopes = _granted_scopes(client, requested)
    _row, token = oauth.issue_access_token(client=client, scopes=scopes)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": settings.OAUTH_ACCESS_TOKEN_SECONDS,
        "scope": " ".join(scopes),
    }


def revoke_token(*, form: Form, authorization: str = "", address: str = "") -> None:
    """Answer a revocation request (RFC 7009 §2.1): the client's access token stops working.

    An unknown or expired token is a success (§2.2). ``token_type_hint`` is ignored: access
    tokens are the only kind this endpoint revokes. Raises OAuthError: invalid_request (no
    ``token``), invalid_client (401), temporarily_unavailable (429), unsupported_token_type (an
    API token, which an operator revokes), unauthorized_client (another client's token).
    """
    token = single(form, "token")
    single(form, "token_type_hint")  # checked for repeats only
    client = authenticate_client(form=form, authorization=authorization, address=address)
    if not token:
        raise OAuthError("invalid_request", "The parameter 'token' is required.")
    if token.startswith(f"{API_TOKEN_PREFIX}_"):
        raise OAuthError(
            "unsupported_token_type",
            "API tokens are revoked by an operator; this endpoint revokes access tokens.",
        )
    try:
        oauth.revoke_access_token(client=client, token=token)
    except oauth.TokenOfAnotherClient as exc:
        raise OAuthError("unauthorized_client", exc.detail) from exc


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
        "scopes_supported": list(SCOPES),
        "response_types_supported": [],  # no authorization endpoint: client credentials only
    }
