"""OAuth 2.0 client credentials (RFC 6749 §4.4) for organisations' API clients, and scopes.

An operator registers a client for an organisation (``register_oauth_client``); the client
trades its ``client_id`` and secret at ``POST /oauth2/token`` (``exchange_client_credentials``)
for an opaque access token that expires after ``OAUTH_ACCESS_TOKEN_SECONDS`` and carries scopes.
The Bearer authentication class resolves it with ``authenticate_access_token``; views that
accept such tokens say which scopes they need with ``HasScope.of(...)``.

Secrets and access tokens are 256 random bits and stored as SHA-256 digests, like API tokens.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from core.errors import Invalid

from .models import OAuthAccessToken, OAuthClient, Organisation
from .portal.forms import ADDRESS_FACTOR, ThrottledLoginMixin
from .principals import OrganisationPrincipal

logger = logging.getLogger(__name__)

CLIENT_ID_PREFIX = "cvc"
CLIENT_SECRET_PREFIX = "cvs"  # noqa: S105 - a public marker, not a secret
ACCESS_TOKEN_PREFIX = "cva"  # noqa: S105 - a public marker, not a secret

GRANT_TYPE = "client_credentials"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
REALM = "citizen-vault"

# --- scopes -----------------------------------------------------------------------------------

ISSUE_CREDENTIALS = "issue:credentials"
UPDATE_CREDENTIAL_STATUS = "update:credential-status"
READ_GRANTS = "read:grants"

_ISSUER = (Organisation.Kind.ISSUER,)
_REQUESTER = (Organisation.Kind.EMPLOYER, Organisation.Kind.AGENCY)


@dataclass(frozen=True)
class Scope:
    name: str
    description: str
    kinds: tuple[str, ...]  # the kinds of organisation a client with this scope may belong to


SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in (
        Scope(ISSUE_CREDENTIALS, "Sign credentials: POST /credentials/issue", _ISSUER),
        Scope(
            UPDATE_CREDENTIAL_STATUS,
            "Revoke, suspend or reinstate issued credentials: POST /credentials/status",
            _ISSUER,
        ),
        Scope(READ_GRANTS, "Read credentials under a citizen's grant", _REQUESTER),
    )
}

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


class InvalidClientScope(Invalid):
    code = "invalid-oauth-client-scope"
    title = "The OAuth client's scopes are not valid"


def scopes_for_kind(kind: str) -> list[str]:
    """The scopes a client of an organisation of this kind may hold, in vocabulary order."""
    return [name for name, scope in SCOPES.items() if kind in scope.kinds]


def clean_client_scopes(organisation: Organisation, scopes: Iterable[str]) -> list[str]:
    """The distinct scopes asked for, checked; raises InvalidClientScope naming what is wrong."""
    wanted = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    if not wanted:
        raise InvalidClientScope("A client needs at least one scope.", allowed=list(SCOPES))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise InvalidClientScope(
            f"Unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}.", allowed=list(SCOPES)
        )
    unfit = [s for s in wanted if organisation.kind not in SCOPES[s].kinds]
    if unfit:
        raise InvalidClientScope(
            f"Scope(s) {', '.join(unfit)} do not fit a {organisation.get_kind_display().lower()} "
            f"organisation; it may hold: {', '.join(scopes_for_kind(organisation.kind)) or 'none'}.",
            allowed=scopes_for_kind(organisation.kind),
        )
    return wanted


# --- clients ------------------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def register_oauth_client(
    *, organisation: Organisation, scopes: Iterable[str], name: str = ""
) -> tuple[OAuthClient, str]:
    """Register a client for an organisation; returns the row and the secret, shown only once.

    Raises InvalidClientScope for no scope, an unknown one, or one that does not fit the
    organisation's kind (issuers issue, requesters read).
    """
    cleaned = clean_client_scopes(organisation, scopes)
    secret = f"{CLIENT_SECRET_PREFIX}_{secrets.token_urlsafe(32)}"
    client = OAuthClient.objects.create(
        organisation=organisation,
        name=name,
        client_id=f"{CLIENT_ID_PREFIX}_{secrets.token_hex(16)}",
        secret_digest=_digest(secret),
        scope=" ".join(cleaned),
    )
    return client, secret


def revoke_oauth_client(*, client: OAuthClient) -> None:
    """Revoke a client: no new tokens, and its outstanding access tokens stop working at once."""
    OAuthClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


_CLIENT_ID = re.compile(rf"{CLIENT_ID_PREFIX}_[0-9a-f]{{32}}")
# A digest to compare against when the client_id is unknown, so that case costs the same.
_NO_CLIENT_DIGEST = _digest(secrets.token_urlsafe(32))


def authenticate_client(*, client_id: str, client_secret: str) -> OAuthClient | None:
    """The live (not revoked) client with these credentials, or None. Constant-time comparison."""
    client = None
    if _CLIENT_ID.fullmatch(client_id):  # never send arbitrary text (a NUL byte) to the database
        client = (
            OAuthClient.objects.select_related("organisation")
            .filter(client_id=client_id, revoked_at__isnull=True)
            .first()
        )
    expected = client.secret_digest if client is not None else _NO_CLIENT_DIGEST
    if not hmac.compare_digest(expected, _digest(client_secret)) or client is None:
        return None
    return client


# --- access tokens ------------------------------------------------------------------------------


def _token_digest(token: str) -> str:
    return _digest(token)


@transaction.atomic
def issue_access_token(*, client: OAuthClient, scopes: Sequence[str]) -> tuple[OAuthAccessToken, str]:
    """Mint an access token for a client with the given (already granted) scopes.

    Returns the row and the token, which is never stored. Also deletes the client's expired
    tokens, so the table holds about one lifetime's worth of tokens per client.
    """
    now = timezone.now()
    token = f"{ACCESS_TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"
    OAuthAccessToken.objects.filter(client=client, expires_at__lte=now).delete()
    row = OAuthAccessToken.objects.create(
        client=client,
        digest=_token_digest(token),
        scope=" ".join(scopes),
        expires_at=now + timedelta(seconds=settings.OAUTH_ACCESS_TOKEN_SECONDS),
    )
    OAuthClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return row, token


def is_access_token(token: str) -> bool:
    """Whether a bearer token has the shape of our OAuth access tokens (not of an API token)."""
    return token.startswith(f"{ACCESS_TOKEN_PREFIX}_")


def authenticate_access_token(token: str) -> OAuthAccessToken | None:
    """The live access token row for a presented token, or None.

    Live: known, not expired, its client not revoked and its organisation active. The lookup is
    by digest (a 256-bit token's digest cannot be guessed piecewise through timing).
    """
    if not is_access_token(token):
        return None
    row = (
        OAuthAccessToken.objects.select_related("client__organisation")
        .filter(digest=_token_digest(token), expires_at__gt=timezone.now(), client__revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.client.organisation.is_active:
        return None
    return row


@dataclass(frozen=True, eq=False)
class ScopedOrganisationPrincipal(OrganisationPrincipal):
    """An organisation acting through an OAuth access token: only within ``scopes``."""

    scopes: frozenset[str] = field(default_factory=frozenset)


def principal_for(token: OAuthAccessToken) -> ScopedOrganisationPrincipal:
    return ScopedOrganisationPrincipal(token.client.organisation, frozenset(token.scope.split()))


def granted_scopes(principal: object) -> frozenset[str] | None:
    """The scopes a principal is limited to, or None when it is not limited (API tokens, sessions)."""
    if isinstance(principal, ScopedOrganisationPrincipal):
        return principal.scopes
    return None


# --- the token endpoint -------------------------------------------------------------------------


class OAuthError(Exception):
    """An RFC 6749 §5.2 error of the token endpoint; the view renders it as OAuth JSON."""

    def __init__(self, error: str, description: str, *, status: int = 400, retry_after: int = 0) -> None:
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
            headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
        if self.retry_after:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _invalid_client(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, status=401)


def _single(form: Mapping[str, Sequence[str]], name: str) -> str:
    """A parameter's value, '' when absent or empty (§3.2); repeated parameters are refused."""
    values = form.get(name) or []
    if len(values) > 1:
        raise OAuthError("invalid_request", f"The parameter {name!r} appears more than once.")
    return values[0] if values else ""


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    """client_secret_basic (§2.3.1): both halves are form-urlencoded before base64."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if not authorization.strip():
        return None
    if scheme.lower() != "basic":
        raise _invalid_client(f"Unsupported client authentication scheme {scheme[:20]!r}; use Basic.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _invalid_client("The Basic credentials are not valid base64 of UTF-8 text.") from exc
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise _invalid_client("The Basic credentials must be client_id:client_secret.")
    return unquote_plus(client_id), unquote_plus(client_secret)


def _client_credentials(form: Mapping[str, Sequence[str]], authorization: str) -> tuple[str, str]:
    basic = _basic_credentials(authorization)
    body_id, body_secret = _single(form, "client_id"), _single(form, "client_secret")
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


def _failure_counters(client_id: str, address: str) -> list[tuple[str, int]]:
    limit = settings.LOGIN_MAX_FAILURES
    who = hashlib.sha256(client_id.encode()).hexdigest()[:32]  # any text: keep cache keys tame
    return [
        (f"oauth-client-failures:{who}@{address}", limit),
        (f"oauth-client-failures:@{address}", limit * ADDRESS_FACTOR),
    ]


def _refuse_if_throttled(counters: list[tuple[str, int]]) -> None:
    try:
        counts = cache.get_many([key for key, _limit in counters])
    except Exception:  # the cache is down: authenticate without the brake rather than not at all
        logger.exception("OAuth client throttle unavailable: the cache did not answer.")
        return
    if any(counts.get(key, 0) >= limit for key, limit in counters):
        window = settings.LOGIN_FAILURE_WINDOW_SECONDS
        raise OAuthError(
            "temporarily_unavailable",
            f"Too many failed client authentications. Try again in {window // 60} minutes.",
            status=429,
            retry_after=window,
        )


def exchange_client_credentials(
    *, form: Mapping[str, Sequence[str]], authorization: str = "", address: str = ""
) -> dict[str, Any]:
    """Answer a token request (RFC 6749 §4.4.2) with the §5.1 response body.

    ``form`` is the parsed form body (each name to its values), ``authorization`` the
    Authorization header, ``address`` the client's address (for the failure throttle).
    Raises OAuthError: invalid_request, invalid_client (401; failures are counted and throttled
    as password logins are, then 429 temporarily_unavailable), unsupported_grant_type,
    unauthorized_client (the organisation is suspended), invalid_scope. Unknown parameters
    (e.g. ``audience``) are ignored, as §3.2 requires.
    """
    grant_type = _single(form, "grant_type")
    requested = _single(form, "scope")
    client_id, client_secret = _client_credentials(form, authorization)
    counters = _failure_counters(client_id, address)
    _refuse_if_throttled(counters)
    client = authenticate_client(client_id=client_id, client_secret=client_secret)
    if client is None:
        ThrottledLoginMixin._count_failure(counters, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        raise _invalid_client("Unknown client, wrong secret, or a revoked client.")
    try:
        cache.delete(counters[0][0])  # a success forgives this client here, not the address
    except Exception:
        logger.exception("OAuth client throttle unavailable: the cache did not answer.")

    if not grant_type:
        raise OAuthError("invalid_request", f"The parameter 'grant_type' is required ({GRANT_TYPE!r}).")
    if grant_type != GRANT_TYPE:
        raise OAuthError(
            "unsupported_grant_type", f"Grant type {grant_type[:40]!r} is not supported; use {GRANT_TYPE!r}."
        )
    if not client.organisation.is_active:
        raise OAuthError("unauthorized_client", "The client's organisation is suspended.")

    allowed = client.scope.split()
    if requested:
        scopes = parse_scope(requested)
        excess = [s for s in scopes if s not in allowed]
        if excess:
            raise OAuthError(
                "invalid_scope",
                f"Scope(s) {', '.join(excess)} not allowed for this client; "
                f"it may ask for: {', '.join(allowed)}.",
            )
    else:
        scopes = allowed  # §3.3: the pre-defined default is every scope the client holds
    _row, token = issue_access_token(client=client, scopes=scopes)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": settings.OAUTH_ACCESS_TOKEN_SECONDS,
        "scope": " ".join(scopes),
    }


def authorization_server_metadata() -> dict[str, Any]:
    """RFC 8414 metadata for ``/.well-known/oauth-authorization-server``."""
    issuer = settings.OAUTH_ISSUER
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth2/token",
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": list(SCOPES),
        "response_types_supported": [],  # no authorization endpoint: client credentials only
    }


# --- scope enforcement --------------------------------------------------------------------------


class InsufficientScope(exceptions.PermissionDenied):
    """403 with RFC 6750 §3.1 ``WWW-Authenticate: Bearer error="insufficient_scope"``."""

    def __init__(self, detail: str, scopes: Sequence[str] = ()) -> None:
        super().__init__(detail)
        challenge = f'Bearer realm="{REALM}", error="insufficient_scope"'
        if scopes:
            challenge += f', scope="{" ".join(scopes)}"'
        self.auth_header = challenge


class HasScope(BasePermission):
    """Lets an OAuth access token through only if it carries every scope the view needs.

    Use ``HasScope.of(ISSUE_CREDENTIALS)`` in a view's ``permission_classes``; plain ``HasScope``
    accepts any access token. API tokens and sessions have no scopes and keep the full rights of
    their holder. Views without a HasScope refuse OAuth access tokens altogether (deny by default:
    see ``ApiTokenAuthentication``).
    """

    scopes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def of(cls, *scopes: str) -> type["HasScope"]:
        """A HasScope that requires all of these scopes (each must be in SCOPES)."""
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            raise ValueError(f"Unknown scope(s): {', '.join(unknown)}")
        return type(f"HasScope[{' '.join(scopes)}]", (cls,), {"scopes": tuple(scopes)})

    def has_permission(self, request, view) -> bool:
        granted = granted_scopes(request.user)
        if granted is None:
            return True
        missing = [s for s in self.scopes if s not in granted]
        if missing:
            raise InsufficientScope(
                f"This access token lacks the scope(s) {', '.join(missing)} "
                f"(it has: {', '.join(sorted(granted)) or 'none'}).",
                self.scopes,
            )
        return True


def view_scopes(view: Any) -> tuple[str, ...] | None:
    """The scopes a view requires of access tokens, or None when it does not accept them."""
    if view is None:
        return None
    checks = [p for p in view.get_permissions() if isinstance(p, HasScope)]
    if not checks:
        return None
    return tuple(dict.fromkeys(s for check in checks for s in check.scopes))
