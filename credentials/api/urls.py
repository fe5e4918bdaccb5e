from django.urls import path

from .views import (
    ContextView,
    CredentialTypesView,
    IssuerDidDocumentView,
    ServiceDidDocumentView,
    StatusListView,
)

urlpatterns = [
    path("api/v1/credential-types", CredentialTypesView.as_view(), name="credential-types"),
    path("contexts/<slug:name>", ContextView.as_view(), name="context"),
    path("status-lists/<path:list_id>", StatusListView.as_view(), name="status-list"),
    path("issuers/<str:slug>/did.json", IssuerDidDocumentView.as_view(), name="issuer-did-document"),
    path(".well-known/did.json", ServiceDidDocumentView.as_view(), name="service-did-document"),
]
