from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .principals import OrganisationPrincipal
from .services import authenticate_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer cvt_…``: an organisation's or a citizen's API token."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        token = token.strip()
        if not token or " " in token:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        row = authenticate_token(token)
        if row is None:
            raise exceptions.AuthenticationFailed("Unknown, expired or revoked API token.")
        principal = OrganisationPrincipal(row.organisation) if row.organisation else row.user
        return principal, row

    def authenticate_header(self, request):
        return f'{self.keyword} realm="citizen-vault"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
