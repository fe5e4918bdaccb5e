from django.urls import include, path

from . import signin, views

urlpatterns = [
    path("", views.home, name="home"),
    path("oidc/callback/", signin.oidc_callback, name="oidc-callback"),
    path("credentials/<uuid:resource_id>", views.credential, name="credential"),
    path("credentials/<uuid:resource_id>/download", views.credential_download, name="credential-download"),
    path("credentials/<uuid:resource_id>/qr", views.credential_qr, name="credential-qr"),
    path("log", views.log, name="log"),
    path("log/check", views.log_check, name="log-check"),
    path("log/download", views.log_download, name="log-download"),
    path("my-data", views.my_data, name="my-data"),
    path("my-data/documents", views.document_upload, name="document-upload"),
    path("my-data/documents/<uuid:document_id>", views.document_download, name="document-download"),
    path("my-data/documents/<uuid:document_id>/delete", views.document_delete, name="document-delete"),
    path("my-data/export", views.export_request, name="export-request"),
    path("my-data/exports/<uuid:export_id>", views.export_download, name="export-download"),
    path("my-data/erasure", views.erasure_request, name="erasure-request"),
    path("my-data/erasure/cancel", views.erasure_cancel, name="erasure-cancel"),
    path("", include("vault.portal.console_urls")),
]
