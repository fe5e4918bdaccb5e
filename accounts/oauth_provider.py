"""django-oauth-toolkit, fitted to our authorization server (settings ``OAUTH2_PROVIDER``).

We use django-oauth-toolkit (and oauthlib under it) for the protocol and the secrets: client
authentication (client_secret_basic, client_secret_post), hashed client secrets, token
minting and storage, bearer-token checks, revocation (RFC 7009) and introspection (RFC 7662).
This module adds only our rules on top:

- ``ClientCredentialsServer``: oauthlib's client-credentials-only server, with our token
  lifetime (``OAUTH_ACCESS_TOKEN_SECONDS``, read per request) and wording for grant errors;
  revocation refuses API tokens and other clients' live tokens, as RFC 7009 §2.1 asks.
- ``Validator``: client authentication behind the failure budget shared with password logins
  (``accounts.throttling``), one authentication method per request, client ids of our shape
  only; a client's scopes and its organisation's standing; the cap on live tokens per client;
  introspection of the client's own tokens only.
- ``ClientScopes``: the scope vocabulary of ``accounts.scopes``, and each client's own scopes.
- ``OAuthLibCore``: django-oauth-toolkit's bridge, with an introspection entry point.
"""

import re
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from oauth2_provider.oauth2_backends import OAuthLibCore as BaseOAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauthlib.common import Request
from oauthlib.oauth2 import BackendApplicationServer
from oauthlib.oauth2.rfc6749 import errors

from .oauth import CLIENT_ID_PREFIX, make_room_for_a_token
from .scopes import SCOPES
from .services import TOKEN_PREFIX as API_TOKEN_PREFIX
from .throttling import FailureBudget, client_address

GRANT_TYPE = "client_credentials"

# Where the validator notes the client_id a request claims: an instance attribute, which no body
# parameter can pre-set (oauthlib serves body parameters as attributes too).
_CLAIMED = "cv_claimed_client_id"
_CLIENT_ID = re.compile(rf"{CLIENT_ID_PREFIX}_[0-9a-f]{{32}}")
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


class TemporarilyUnavailable(errors.OAuth2Error):
    """429 temporarily_unavailable, with Retry-After: the client's failure budget is spent."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, retry_after: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def _failure_budget(client_id: str, request: Request) -> FailureBudget:
    # oauthlib's headers are a copy of the Django request's META (OAuthLibCore.extract_headers).
    address = client_address(SimpleNamespace(META=request.headers or {}))
    return FailureBudget(scope="oauth-client", who=client_id, address=address)


class Validator(OAuth2Validator):
    """django-oauth-toolkit's validator, with our rules (see the module's docstring)."""

    # --- client authentication (RFC 6749 §2.3.1) ------------------------------------------------

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        """Authenticate the client, or raise invalid_client (401) / invalid_request / 429.

        Failures count against the client id and the address; once either is over budget the
        answer is temporarily_unavailable, even for the right secret.
        """
        basic = self._extract_basic_auth(request)
        if basic and request.client_secret:
            raise errors.InvalidRequestError(
                description="Use one client authentication method: Basic or client_secret, not both.",
                request=request,
            )
        vars(request)[_CLAIMED] = None
        try:
            authenticated = super().authenticate_client(request, *args, **kwargs)
        except ValueError:  # base64 of non-ASCII text: b64decode raises a plain ValueError
            authenticated = False
        claimed = vars(request)[_CLAIMED]
        if not authenticated:
            if claimed is not None:
                _failure_budget(claimed, request).record_failure()
            raise errors.InvalidClientError(
                description="Unknown client, wrong secret, or a revoked client; or no client authentication "
                "(use HTTP Basic, client_secret_basic, or client_id and client_secret in the body).",
                request=request,
            )
        _failure_budget(claimed, request).record_success()
        if basic and request.client_id and request.client_id != request.client.client_id:
            raise errors.InvalidRequestError(
                description="The body's client_id differs from the Basic credentials'.", request=request
            )
        return True

    def _load_application(self, client_id: Any, request: Request):
        if client_id and vars(request).get(_CLAIMED) is None:
            # The first client_id presented (Basic before the body) is the one the budget counts.
            vars(request)[_CLAIMED] = str(client_id)
            budget = _failure_budget(str(client_id), request)
            if budget.exhausted():
                raise TemporarilyUnavailable(
                    budget.window,
                    description=f"Too many failed client authentications. "
                    f"Try again in {budget.window // 60} minutes.",
                    request=request,
                )
        if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
            return None  # never send arbitrary text (a NUL byte, megabytes) to the database
        return super()._load_application(client_id, request)

    # --- the grant --------------------------------------------------------------------------------

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        if not client.organisation.is_active:
            raise errors.UnauthorizedClientError(
                description="The client's organisation is suspended.", request=request
            )
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        """The scopes asked for (§3.3 syntax, repeats dropped) if the client holds them all."""
        allowed = client.scope.split()
        if not request.scope:
            request.scopes = allowed  # §3.3: the pre-defined default is every scope the client holds
            return True
        tokens = request.scope.split(" ")
        if not all(_SCOPE_TOKEN.fullmatch(t) for t in tokens):
            raise errors.InvalidScopeError(
                description="The scope must be scope tokens separated by single spaces.", request=request
            )
        request.scopes = list(dict.fromkeys(tokens))
        excess = [s for s in request.scopes if s not in allowed]
        if excess:
            # Name only our own vocabulary: what the client made up is counted, not repeated.
            known = [s for s in excess if s in SCOPES]
            unknown = len(excess) - len(known)
            named = ", ".join(known + ([f"{unknown} unknown scope(s)"] if unknown else []))
            raise errors.InvalidScopeError(
                description=f"Not allowed for this client: {named}; it may ask for: {', '.join(allowed)}.",
                request=request,
            )
        return True

    def _save_bearer_token(self, token, request, *args, **kwargs):
        make_room_for_a_token(request.client)  # inside save_bearer_token's transaction
        return super()._save_bearer_token(token, request, *args, **kwargs)

    # --- revocation and introspection --------------------------------------------------------------

    def is_live_token_of_another_client(self, token: str, request: Request) -> bool:
        row = self._load_access_token(token)
        return row is not None and row.application_id != request.client.pk and not row.is_expired()

    def introspect_token(self, token, token_type_hint, request, *args, **kwargs) -> dict[str, Any] | None:
        """RFC 7662 claims of one of the client's own live access tokens; None (inactive) otherwise."""
        row = self._load_access_token(token)
        if (
            row is None
            or row.application_id != request.client.pk
            or row.is_expired()
            or not request.client.organisation.is_active
        ):
            return None
        return {
            "scope": row.scope,
            "client_id": request.client.client_id,
            "token_type": "Bearer",
            "exp": int(row.expires.timestamp()),
            "iat": int(row.created.timestamp()),
            "iss": settings.OAUTH_ISSUER,
        }


def _token_lifetime(request: Request) -> int:
    return settings.OAUTH_ACCESS_TOKEN_SECONDS  # read per request, so a changed setting takes effect


def _only_client_credentials(request: Request) -> None:
    """oauthlib's pre-token check, in our words (it would say nothing on an unsupported grant)."""
    if not request.grant_type:
        raise errors.InvalidRequestError(
            description=f"The parameter 'grant_type' is required ({GRANT_TYPE!r}).", request=request
        )
    if request.grant_type != GRANT_TYPE:
        raise errors.UnsupportedGrantTypeError(
            description=f"This grant type is not supported; use {GRANT_TYPE!r}.", request=request
        )


class ClientCredentialsServer(BackendApplicationServer):
    """oauthlib's token, revocation, introspection and resource endpoints for client credentials only."""

    def __init__(self, request_validator: Validator, token_generator=None, **kwargs: Any) -> None:
        super().__init__(request_validator, token_generator=token_generator, token_expires_in=_token_lifetime)
        self.credentials_grant.custom_validators.pre_token.append(_only_client_credentials)

    def validate_revocation_request(self, request: Request) -> None:
        """RFC 7009 §2.1, and: API tokens are revoked by an operator; another client's live token
        is refused (unauthorized_client), not silently kept."""
        super().validate_revocation_request(request)
        if request.token.startswith(f"{API_TOKEN_PREFIX}_"):
            raise errors.UnsupportedTokenTypeError(
                description="API tokens are revoked by an operator; this endpoint revokes access tokens.",
                request=request,
            )
        if self.request_validator.is_live_token_of_another_client(request.token, request):
            raise errors.UnauthorizedClientError(
                description="This access token was not issued to the client revoking it.", request=request
            )


class ClientScopes(BaseScopes):
    """Our scope vocabulary; a client may ask for the scopes it was registered with, by default all."""

    def get_all_scopes(self) -> dict[str, str]:
        return {name: scope.description for name, scope in SCOPES.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return application.scope.split() if application is not None else []

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return self.get_available_scopes(application, request)


class OAuthLibCore(BaseOAuthLibCore):
    """django-oauth-toolkit's bridge from Django requests to oauthlib, with introspection."""

    def create_introspection_response(self, request) -> tuple[dict[str, str], str, int]:
        uri, http_method, body, headers = self._extract_params(request)
        return self.server.create_introspect_response(uri, http_method, body, headers)
