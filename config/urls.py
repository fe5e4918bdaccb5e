from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.problems import bad_request, not_found, server_error

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("vault.api.urls")),
    path("", include("consent.api.urls")),
]

portal = [
    path("", include("accounts.portal.urls")),
    path("", include("vault.portal.urls")),
    path("", include("consent.portal.urls")),
    path("", include("inbox.portal.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home"), name="root"),
    path("portal/", include((portal, "portal"))),
    path("api/v1/", include(api_v1)),
    path("", include("credentials.api.urls")),
    path("", include("credentials.vcapi.urls")),  # VC API: /credentials/issue, /credentials/verify, ...
    path("", include("vault.api.wellknown_urls")),  # /.well-known/citizen-vault/log-keys
    # OAuth 2.0 (django-oauth-toolkit): /oauth2/token, /oauth2/revoke, /oauth2/introspect, RFC 8414 metadata
    path("", include("accounts.api.oauth_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file (?script): no inline script.
    # (No Redoc page: it injects <style> elements, which the Content-Security-Policy refuses.)
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path(
        "i18n/", include("django.conf.urls.i18n")
    ),  # set_language: the portal's language switcher (POST, CSRF)
]

handler400 = bad_request
handler404 = not_found
handler500 = server_error
