from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .challenges import bearer_challenge
from .oauth import authenticate_access_token, is_access_token, principal_for
from .permissions import InsufficientScope, view_scopes
from .principals import OrganisationPrincipal
from .scopes import SCOPES
from .services import authenticate_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer …``: an API token (``cvt_…``) or an OAuth access token (``cva_…``).

    API tokens act with the full rights of their holder. OAuth access tokens act for their
    client's organisation within their scopes, and only on views that name what they need with
    ``accounts.permissions.HasScope``: elsewhere they are refused (403 insufficient_scope), so a token
    minted for one job cannot reach endpoints nobody scoped.

    A 401 names the Bearer scheme (RFC 6750 §3), with ``error="invalid_token"`` when a bearer
    token was presented and refused (unknown, expired, revoked, malformed), and without an error
    code when none was.
    """

    keyword = "Bearer"

    def _presented_token(self, request) -> str | None:
        """What follows ``Bearer`` in the Authorization header, or None for no Bearer credential."""
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, token = header.partition(" ")
        if not header or scheme.lower() != self.keyword.lower():
            return None
        return token.strip()

    def authenticate(self, request):
        token = self._presented_token(request)
        if token is None:
            return None
        if not token or " " in token:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        if is_access_token(token):
            return self._authenticate_access_token(request, token)
        row = authenticate_token(token)
        if row is None:
            raise exceptions.AuthenticationFailed("Unknown, expired or revoked API token.")
        principal = OrganisationPrincipal(row.organisation) if row.organisation else row.user
        return principal, row

    def _authenticate_access_token(self, request, token: str):
        row = authenticate_access_token(token, request.build_absolute_uri())
        if row is None:
            raise exceptions.AuthenticationFailed("Unknown, expired or revoked OAuth access token.")
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if view_scopes(view) is None:
            raise InsufficientScope("This endpoint does not accept OAuth access tokens; use an API token.")
        return principal_for(row), row

    def authenticate_header(self, request):
        # DRF asks for the challenge only when answering 401. A Bearer credential was then
        # refused by authenticate() above (a good one would have authenticated the request).
        refused = self._presented_token(request) is not None
        return bearer_challenge("invalid_token" if refused else "")


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """OpenAPI: an API token everywhere; an OAuth 2.0 client-credentials token where scoped."""

    target_class = ApiTokenAuthentication
    name = ["ApiToken", "OAuth2"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer"},
            {
                "type": "oauth2",
                "description": "Client credentials grant (RFC 6749 §4.4); see docs/api.md, Authentication.",
                "flows": {
                    "clientCredentials": {
                        "tokenUrl": "/oauth2/token",
                        "scopes": {name: scope.description for name, scope in SCOPES.items()},
                    }
                },
            },
        ]

    def get_security_requirement(self, auto_schema):
        scopes = view_scopes(auto_schema.view)
        if scopes is None:
            return {"ApiToken": []}
        return [{"ApiToken": []}, {"OAuth2": list(scopes)}]
