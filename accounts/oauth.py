"""OAuth 2.0 client credentials (RFC 6749 §4.4): clients and access tokens, as services.

An operator registers a client for an organisation (``register_oauth_client``); the client
trades its ``client_id`` and secret at ``POST /oauth2/token`` (protocol in
``accounts.api.oauth``) for an opaque access token (``issue_access_token``) that expires after
``OAUTH_ACCESS_TOKEN_SECONDS``, carries scopes (``accounts.scopes``) and can be revoked early at
``POST /oauth2/revoke`` (``revoke_access_token``). The Bearer authentication class resolves it
with ``authenticate_access_token``; views that accept such tokens say which scopes they need
with ``HasScope.of(...)`` (``accounts.permissions``).

Secrets and access tokens are 256 random bits and stored as SHA-256 digests, like API tokens.
A client holds at most ``OAUTH_MAX_LIVE_TOKENS_PER_CLIENT`` live tokens: issuing one more
deletes the oldest.
"""

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Forbidden

from .models import OAuthAccessToken, OAuthClient, Organisation
from .permissions import HasScope
from .principals import ScopedOrganisationPrincipal
from .scopes import (
    ISSUE_CREDENTIALS,
    READ_GRANTS,
    SCOPES,
    UPDATE_CREDENTIAL_STATUS,
    InvalidClientScope,
    clean_client_scopes,
)

# Other apps import the scope names and HasScope from here; they stay importable.
__all__ = [
    "ISSUE_CREDENTIALS",
    "READ_GRANTS",
    "SCOPES",
    "UPDATE_CREDENTIAL_STATUS",
    "HasScope",
    "InvalidClientScope",
    "TokenOfAnotherClient",
    "authenticate_access_token",
    "authenticate_client",
    "is_access_token",
    "issue_access_token",
    "principal_for",
    "register_oauth_client",
    "revoke_access_token",
    "revoke_oauth_client",
]

logger = logging.getLogger(__name__)

CLIENT_ID_PREFIX = "cvc"
CLIENT_SECRET_PREFIX = "cvs"  # noqa: S105 - a public marker, not a secret
ACCESS_TOKEN_PREFIX = "cva"  # noqa: S105 - a public marker, not a secret


class TokenOfAnotherClient(Forbidden):
    code = "oauth-token-of-another-client"
    title = "The access token was issued to another client"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- clients ------------------------------------------------------------------------------------


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


@transaction.atomic
def issue_access_token(*, client: OAuthClient, scopes: Sequence[str]) -> tuple[OAuthAccessToken, str]:
    """Mint an access token for a client with the given (already granted) scopes.

    Returns the row and the token, which is never stored. Deletes the client's expired tokens,
    and its oldest live ones beyond ``OAUTH_MAX_LIVE_TOKENS_PER_CLIENT`` (counting the new one),
    so a client that asks for a token per call cannot fill the table: its oldest tokens simply
    stop working (401 invalid_token).
    """
    now = timezone.now()
    # The UPDATE locks the client's row (PostgreSQL) until commit: concurrent issuances for one
    # client take turns, so together they cannot overshoot the cap.
    OAuthClient.objects.filter(pk=client.pk).update(last_used_at=now)
    tokens = OAuthAccessToken.objects.filter(client=client)
    tokens.filter(expires_at__lte=now).delete()
    keep = settings.OAUTH_MAX_LIVE_TOKENS_PER_CLIENT - 1
    oldest = list(tokens.order_by("-created_at", "-pk").values_list("pk", flat=True)[keep:])
    if oldest:
        tokens.filter(pk__in=oldest).delete()
        logger.info(
            "OAuth client %s reached %d live access tokens; revoked its %d oldest.",
            client.client_id,
            settings.OAUTH_MAX_LIVE_TOKENS_PER_CLIENT,
            len(oldest),
        )
    token = f"{ACCESS_TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"
    row = OAuthAccessToken.objects.create(
        client=client,
        digest=_digest(token),
        scope=" ".join(scopes),
        expires_at=now + timedelta(seconds=settings.OAUTH_ACCESS_TOKEN_SECONDS),
    )
    return row, token


def revoke_access_token(*, client: OAuthClient, token: str) -> bool:
    """Revoke (delete) one of the client's live access tokens (RFC 7009); True if it did.

    An unknown, expired or malformed token is no error (§2.2: there is nothing left to revoke).
    Raises TokenOfAnotherClient when the token is live but was issued to another client.
    """
    if not is_access_token(token):
        return False
    row = (
        OAuthAccessToken.objects.filter(digest=_digest(token), expires_at__gt=timezone.now())
        .only("pk", "client_id")
        .first()
    )
    if row is None:
        return False
    if row.client_id != client.pk:
        raise TokenOfAnotherClient("This access token was not issued to the client revoking it.")
    deleted, _ = OAuthAccessToken.objects.filter(pk=row.pk).delete()
    return bool(deleted)


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
        .filter(digest=_digest(token), expires_at__gt=timezone.now(), client__revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.client.organisation.is_active:
        return None
    return row


def principal_for(token: OAuthAccessToken) -> ScopedOrganisationPrincipal:
    """Who a live access token acts as: its client's organisation, within the token's scopes."""
    return ScopedOrganisationPrincipal(token.client.organisation, frozenset(token.scope.split()))
