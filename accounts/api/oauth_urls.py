"""OAuth 2.0 routes, mounted at the root: token, revocation, introspection, RFC 8414 metadata."""

from django.urls import path

from .views import AuthorizationServerMetadataView, IntrospectionView, RevocationView, TokenView

urlpatterns = [
    path("oauth2/token", TokenView.as_view(), name="oauth2-token"),
    path("oauth2/revoke", RevocationView.as_view(), name="oauth2-revoke"),
    path("oauth2/introspect", IntrospectionView.as_view(), name="oauth2-introspect"),
    path(
        ".well-known/oauth-authorization-server",
        AuthorizationServerMetadataView.as_view(),
        name="oauth2-metadata",
    ),
]
