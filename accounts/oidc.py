"""Signing in with OpenID Connect: the relying party's side of the authorization code flow.

Citizens sign in as they do with the federal government (FAS/CSAM behind Mijn Burgerprofiel):
this module sends them to the OpenID Provider and reads its answer. Authlib does the protocol:
discovery, the authorization request with ``state``, ``nonce`` and a PKCE S256 challenge (kept
in the session, used once), the code exchange with the verifier, and the ID token's signature
(against the provider's JWKS, fetched again when a new key id appears), ``iss``, ``aud``,
``exp``, ``iat``, ``nonce`` and ``at_hash``. On top of that we allow only asymmetric signature
algorithms, check that the discovery document names the configured issuer, and read the
national register number from the ID token or, when the provider keeps it there, from the
userinfo endpoint (whose ``sub`` must be the ID token's).

Configured from settings (OIDC_*, from the environment); off when the issuer, client id or
secret is missing. Never logs or puts in a URL the national identifier: a refused sign-in is
logged by its reason slug.
"""

import functools
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from joserfc.errors import JoseError

from .errors import InvalidNationalId, SignInRefused
from .identity import normalise_national_id

logger = logging.getLogger(__name__)

SESSION_METHOD_KEY = "citizen_vault_sign_in_method"  # "oidc" when the session began there
HTTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    discovery_url: str
    client_id: str
    client_secret: str
    scopes: str
    algorithms: tuple[str, ...]
    required_acr: tuple[str, ...]  # acceptable acr values; empty: any


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: its subject, the normalised national identifier, and
    the e-mail address it gave ('' when none)."""

    subject: str
    national_id: str
    email: str


def provider_settings() -> ProviderSettings | None:
    """The provider's configuration, or None when OpenID Connect sign-in is off."""
    issuer = settings.OIDC_ISSUER
    if not (issuer and settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET):
        return None
    scopes = settings.OIDC_SCOPES.split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    return ProviderSettings(
        issuer=issuer,
        discovery_url=settings.OIDC_DISCOVERY_URL or issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        scopes=" ".join(scopes),
        algorithms=tuple(settings.OIDC_ID_TOKEN_ALGORITHMS),
        required_acr=tuple(settings.OIDC_REQUIRED_ACR),
    )


def enabled() -> bool:
    return provider_settings() is not None


class _ProviderApp(DjangoOAuth2App):
    """Authlib's Django client, held to the configured issuer and to asymmetric algorithms."""

    expected_issuer: str = ""
    allowed_algorithms: tuple[str, ...] = ()

    def load_server_metadata(self) -> dict[str, Any]:
        fresh = "_loaded_at" not in self.server_metadata
        metadata: dict[str, Any] = super().load_server_metadata()
        if fresh and self._server_metadata_url:
            if metadata.get("issuer") != self.expected_issuer:  # OpenID Connect Discovery 1.0 §4.3
                metadata.pop("_loaded_at", None)
                raise OAuthError(
                    error="issuer_mismatch", description="The discovery document names another issuer."
                )
            # Only the asymmetric algorithms we allow, whatever the provider offers (an HS256
            # token would be signed with our own client secret).
            metadata["id_token_signing_alg_values_supported"] = list(self.allowed_algorithms)
        return metadata


@functools.lru_cache(maxsize=4)
def _app(config: ProviderSettings) -> _ProviderApp:
    # One client per configuration (tests change it); its discovery document and JWKS are
    # kept with it, so they are fetched once per process, and the JWKS again on an unknown key.
    registry = OAuth()
    registry.oauth2_client_cls = _ProviderApp
    app = registry.register(
        name="oidc",
        client_id=config.client_id,
        client_secret=config.client_secret,
        server_metadata_url=config.discovery_url,
        client_kwargs={
            "scope": config.scopes,
            "code_challenge_method": "S256",
            "timeout": HTTP_TIMEOUT_SECONDS,
        },
    )
    app.expected_issuer = config.issuer
    app.allowed_algorithms = config.algorithms
    return app


def _client() -> _ProviderApp:
    config = provider_settings()
    if config is None:
        raise SignInRefused("OpenID Connect sign-in is not configured.", reason="not-configured")
    return _app(config)


def redirect_uri(request: HttpRequest) -> str:
    return settings.OIDC_REDIRECT_URI or request.build_absolute_uri(reverse("portal:oidc-callback"))


def begin(request: HttpRequest) -> HttpResponse:
    """The redirect to the provider's authorization endpoint; state, nonce and the PKCE
    verifier stay in the session, and ``acr_values`` asks for the levels of assurance
    OIDC_REQUIRED_ACR accepts (complete() checks the answer: the request is only a wish).
    Raises SignInRefused if the provider cannot be reached."""
    app = _client()
    config = provider_settings()
    extra = {"acr_values": " ".join(config.required_acr)} if config and config.required_acr else {}
    try:
        return app.authorize_redirect(request, redirect_uri(request), **extra)
    except (OAuthError, requests.RequestException, ValueError) as exc:
        raise SignInRefused(
            "The sign-in service cannot be reached.", reason="provider-unreachable", why=type(exc).__name__
        ) from exc


def complete(request: HttpRequest) -> Identity:
    """Read the provider's answer on the redirect URI: check state, exchange the code (with the
    PKCE verifier), verify the ID token, and return who signed in.

    Raises SignInRefused (with a reason slug) for an error answer, a wrong or used state, a
    code the provider refuses, an ID token that does not verify, an ID token whose ``acr`` is
    not one OIDC_REQUIRED_ACR accepts (``acr-not-accepted``), or no valid national identifier.
    """
    app = _client()
    required_acr = tuple(settings.OIDC_REQUIRED_ACR)
    try:
        token = app.authorize_access_token(request)
    except OAuthError as exc:
        reason = "state-mismatch" if exc.error == "mismatching_state" else "provider-refused"
        raise _refused(reason, f"{exc.error}") from exc
    except JoseError as exc:
        raise _refused("id-token-invalid", type(exc).__name__) from exc
    except requests.RequestException as exc:
        raise _refused("provider-unreachable", type(exc).__name__) from exc
    except (RuntimeError, ValueError) as exc:  # a malformed token or a discovery document without jwks_uri
        raise _refused("provider-answer-invalid", type(exc).__name__) from exc
    claims = token.get("userinfo")
    if not claims:
        raise _refused("id-token-missing", "no ID token in the token response")
    if required_acr:
        acr = claims.get("acr")
        if not isinstance(acr, str) or acr not in required_acr:
            # The acr names a means of sign-in, not a person: it may go to the log.
            why = "no acr claim" if acr is None else f"acr {str(acr)[:100]!r} is not accepted"
            raise _refused("acr-not-accepted", why)
    subject = str(claims["sub"])
    claim = settings.OIDC_NATIONAL_ID_CLAIM
    email_claim = settings.OIDC_EMAIL_CLAIM
    values = dict(claims)
    if not values.get(claim) and app.load_server_metadata().get("userinfo_endpoint"):
        try:
            userinfo = app.userinfo(token=token)
        except (OAuthError, requests.RequestException, ValueError) as exc:
            raise _refused("userinfo-failed", type(exc).__name__) from exc
        if str(userinfo.get("sub")) != subject:  # OpenID Connect Core 1.0 §5.3.4
            raise _refused("userinfo-subject-mismatch", "userinfo names another subject")
        values = {**dict(userinfo), **values}
    raw = values.get(claim)
    if not isinstance(raw, str) or not raw.strip():
        raise _refused("national-id-missing", f"no {claim} claim")
    if ":" not in raw:
        raw = f"{settings.OIDC_NATIONAL_ID_COUNTRY}:{raw}"
    try:
        national_id = normalise_national_id(raw)
    except InvalidNationalId as exc:
        raise _refused("national-id-invalid", f"the {claim} claim is malformed") from exc
    email = values.get(email_claim) if email_claim else ""
    return Identity(subject=subject, national_id=national_id, email=email if isinstance(email, str) else "")


def _refused(reason: str, why: str) -> SignInRefused:
    return SignInRefused("The sign-in could not be completed.", reason=reason, why=why)


def log_refusal(exc: SignInRefused) -> None:
    """One log line per refused sign-in: its reason slug and what failed, never an identifier."""
    logger.warning("OpenID Connect sign-in refused: %s (%s)", exc.reason, exc.extra.get("why", ""))


def end_session_url(request: HttpRequest) -> str | None:
    """Where to send a citizen who signs out after an OpenID Connect sign-in: the provider's
    end_session_endpoint (RP-Initiated Logout 1.0) with our client id and where to come back,
    or None when the provider offers none or cannot be reached.

    No id_token_hint: an ID token may carry the national register number, and this URL goes
    through the browser (and the provider's access logs); client_id is what the spec allows
    instead.
    """
    config = provider_settings()
    if config is None:
        return None
    try:
        endpoint = _app(config).load_server_metadata().get("end_session_endpoint")
    except (OAuthError, requests.RequestException, ValueError):
        return None
    if not endpoint or urlsplit(endpoint).scheme not in ("https", "http"):
        return None
    back = settings.OIDC_POST_LOGOUT_REDIRECT_URI or request.build_absolute_uri(reverse("portal:login"))
    result = _app(config).create_logout_url(post_logout_redirect_uri=back, client_id=config.client_id)
    return str(result["url"])


def form_action_origins() -> list[str]:
    """Origins our pages' forms may lead to besides our own: the sign-out form ends at the
    provider's end_session_endpoint, and Chromium holds a form's redirects to form-action."""
    config = provider_settings()
    if config is None:
        return []
    parts = urlsplit(config.issuer)
    return [f"{parts.scheme}://{parts.netloc}"]
