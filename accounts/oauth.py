"""OAuth 2.0 client credentials (RFC 6749 §4.4): our clients and their access tokens, as services.

The protocol is django-oauth-toolkit's (``oauth2_provider``), configured in
``accounts.oauth_provider``: it authenticates clients, hashes their secrets, mints, stores
(as SHA-256 only), checks, revokes and introspects access tokens. This module holds what is
ours: an operator registers a client for an organisation (``register_oauth_client``) or
revokes it (``revoke_oauth_client``); a client holds at most
``OAUTH_MAX_LIVE_TOKENS_PER_CLIENT`` live tokens (``make_room_for_a_token``); the Bearer
authentication class resolves an access token (``authenticate_access_token``) to the
organisation it acts for, within its scopes (``principal_for``). Views say which scopes they
need with ``HasScope.of(...)`` (``accounts.permissions``).

Identifiers carry a public prefix (``cvc_`` client ids, ``cvs_`` secrets, ``cva_`` access
tokens) so a leaked one is recognisable (secret scanners, logs) and an access token is told
from an API token (``cvt_``) without a lookup.
"""

import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import BaseHashGenerator
from oauth2_provider.models import get_access_token_model, set_token_value
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest

from .models import OAuthClient, Organisation
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
    "authenticate_access_token",
    "is_access_token",
    "issue_access_token",
    "make_room_for_a_token",
    "principal_for",
    "register_oauth_client",
    "revoke_oauth_client",
]

logger = logging.getLogger(__name__)

CLIENT_ID_PREFIX = "cvc"
CLIENT_SECRET_PREFIX = "cvs"  # noqa: S105 - a public marker, not a secret
ACCESS_TOKEN_PREFIX = "cva"  # noqa: S105 - a public marker, not a secret

AccessToken = get_access_token_model()


# --- identifiers (django-oauth-toolkit's generator hooks) -------------------------------------------


class ClientIdGenerator(BaseHashGenerator):
    """``cvc_`` and 128 random bits in hex (OAUTH2_PROVIDER CLIENT_ID_GENERATOR_CLASS)."""

    def hash(self) -> str:
        return f"{CLIENT_ID_PREFIX}_{secrets.token_hex(16)}"


class ClientSecretGenerator(BaseHashGenerator):
    """``cvs_`` and 256 random bits (OAUTH2_PROVIDER CLIENT_SECRET_GENERATOR_CLASS)."""

    def hash(self) -> str:
        return f"{CLIENT_SECRET_PREFIX}_{secrets.token_urlsafe(32)}"


def generate_access_token(request: object = None) -> str:
    """``cva_`` and 256 random bits (OAUTH2_PROVIDER ACCESS_TOKEN_GENERATOR; oauthlib passes its request)."""
    return f"{ACCESS_TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"


def is_access_token(token: str) -> bool:
    """Whether a bearer token has the shape of our OAuth access tokens (not of an API token)."""
    return token.startswith(f"{ACCESS_TOKEN_PREFIX}_")


# --- clients ------------------------------------------------------------------------------------


@transaction.atomic
def register_oauth_client(
    *, organisation: Organisation, scopes: Iterable[str], name: str = ""
) -> tuple[OAuthClient, str]:
    """Register a client for an organisation; returns the row and the secret, shown only once.

    Raises InvalidClientScope for no scope, an unknown one, or one that does not fit the
    organisation's kind (issuers issue, requesters read). The secret is stored hashed.
    """
    cleaned = clean_client_scopes(organisation, scopes)
    secret = ClientSecretGenerator().hash()
    client = OAuthClient.objects.create(
        organisation=organisation,
        name=name,
        scope=" ".join(cleaned),
        client_type=OAuthClient.CLIENT_CONFIDENTIAL,
        authorization_grant_type=OAuthClient.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,  # hashed on save (django-oauth-toolkit's ClientSecretField)
        hash_client_secret=True,
    )
    return client, secret


@transaction.atomic
def revoke_oauth_client(*, client: OAuthClient) -> None:
    """Revoke a client: no new tokens, and its outstanding access tokens are deleted at once."""
    OAuthClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    AccessToken.objects.filter(application=client).delete()


# --- access tokens ------------------------------------------------------------------------------


def make_room_for_a_token(client: OAuthClient) -> None:
    """Before a client gets a new token: delete its expired ones, and its oldest live ones beyond
    ``OAUTH_MAX_LIVE_TOKENS_PER_CLIENT - 1``, so a client asking for a token per call cannot fill
    the table; its oldest tokens simply stop working (401 invalid_token).

    Call it inside the transaction that saves the new token: it locks the client's row, so
    concurrent issuances for one client take turns and together cannot overshoot the cap.
    """
    OAuthClient.objects.select_for_update().filter(pk=client.pk).values_list("pk", flat=True).first()
    tokens = AccessToken.objects.filter(application=client)
    tokens.filter(expires__lte=timezone.now()).delete()
    keep = settings.OAUTH_MAX_LIVE_TOKENS_PER_CLIENT - 1
    oldest = list(tokens.order_by("-created", "-pk").values_list("pk", flat=True)[keep:])
    if oldest:
        tokens.filter(pk__in=oldest).delete()
        logger.info(
            "OAuth client %s reached %d live access tokens; revoked its %d oldest.",
            client.client_id,
            settings.OAUTH_MAX_LIVE_TOKENS_PER_CLIENT,
            len(oldest),
        )


@transaction.atomic
def issue_access_token(*, client: OAuthClient, scopes: Sequence[str]) -> tuple[object, str]:
    """Mint an access token for a client with the given (already granted) scopes, outside a request.

    The token endpoint does the same through django-oauth-toolkit; this is for operators and
    tests. Returns the row and the token, which is stored only as its SHA-256.
    """
    make_room_for_a_token(client)
    token = generate_access_token()
    row = AccessToken(
        application=client,
        scope=" ".join(scopes),
        expires=timezone.now() + timedelta(seconds=settings.OAUTH_ACCESS_TOKEN_SECONDS),
    )
    set_token_value(row, token)
    row.save()
    return row, token


def authenticate_access_token(token: str, uri: str = ""):
    """The live access token row for a token presented at ``uri`` (absolute), or None.

    Live: known, not expired, its client not revoked, and meant for ``uri`` if it names
    resources (RFC 8707): django-oauth-toolkit's checks, against the database on every request
    (nothing is cached); and its organisation active.
    """
    if not is_access_token(token):
        return None
    request = OAuthlibRequest(uri)
    if not oauth2_settings.OAUTH2_VALIDATOR_CLASS().validate_bearer_token(token, [], request):
        return None
    row = request.access_token
    if not row.application.organisation.is_active:
        return None
    return row


def principal_for(token) -> ScopedOrganisationPrincipal:
    """Who a live access token acts as: its client's organisation, within the token's scopes."""
    return ScopedOrganisationPrincipal(token.application.organisation, frozenset(token.scope.split()))
