"""OAuth 2.0 routes, mounted at the root: the token and revocation endpoints, RFC 8414 metadata."""

from django.urls import path

from .views import AuthorizationServerMetadataView, RevocationView, TokenView

urlpatterns = [
    path("oauth2/token", TokenView.as_view(), name="oauth2-token"),
    path("oauth2/revoke", RevocationView.as_view(), name="oauth2-revoke"),
    path(
        ".well-known/oauth-authorization-server",
        AuthorizationServerMetadataView.as_view(),
        name="oauth2-metadata",
    ),
]
