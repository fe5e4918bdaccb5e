"""OAuth 2.0 routes, mounted at the root: the token endpoint and RFC 8414 metadata."""

from django.urls import path

from .views import AuthorizationServerMetadataView, TokenView

urlpatterns = [
    path("oauth2/token", TokenView.as_view(), name="oauth2-token"),
    path(
        ".well-known/oauth-authorization-server",
        AuthorizationServerMetadataView.as_view(),
        name="oauth2-metadata",
    ),
]
