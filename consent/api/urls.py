from django.urls import path

from . import views

urlpatterns = [
    path("access-requests", views.OrganisationAccessRequestsView.as_view(), name="access-requests"),
    path(
        "access-requests/<uuid:request_id>",
        views.OrganisationAccessRequestView.as_view(),
        name="access-request",
    ),
    path(
        "access-requests/<uuid:request_id>/withdraw",
        views.WithdrawRequestView.as_view(),
        name="withdraw-request",
    ),
    path("grants/<uuid:grant_id>", views.OrganisationGrantView.as_view(), name="grant"),
    path("grants/<uuid:grant_id>/withdraw", views.WithdrawGrantView.as_view(), name="withdraw-grant"),
    path(
        "grants/<uuid:grant_id>/credentials",
        views.GrantCredentialsView.as_view(),
        name="grant-credentials",
    ),
    path("grants/<uuid:grant_id>/documents", views.GrantDocumentsView.as_view(), name="grant-documents"),
    path(
        "grants/<uuid:grant_id>/documents/<uuid:document_id>",
        views.GrantDocumentView.as_view(),
        name="grant-document",
    ),
    path("legal-reads", views.LegalReadsView.as_view(), name="legal-reads"),
    path("pod/access-requests", views.CitizenAccessRequestsView.as_view(), name="pod-access-requests"),
    path(
        "pod/access-requests/<uuid:request_id>/approve",
        views.ApproveRequestView.as_view(),
        name="approve-request",
    ),
    path(
        "pod/access-requests/<uuid:request_id>/deny",
        views.DenyRequestView.as_view(),
        name="deny-request",
    ),
    path(
        "pod/access-requests/<uuid:request_id>/evidence",
        views.RequestEvidenceView.as_view(),
        name="request-evidence",
    ),
    path("pod/consent-records", views.ConsentRecordsView.as_view(), name="consent-records"),
    path("pod/grants", views.CitizenGrantsView.as_view(), name="pod-grants"),
    path("pod/grants/<uuid:grant_id>/evidence", views.GrantEvidenceView.as_view(), name="grant-evidence"),
    path("pod/grants/<uuid:grant_id>/revoke", views.RevokeGrantView.as_view(), name="revoke-grant"),
    path("pod/grants/<uuid:grant_id>/read-limit", views.ReadLimitView.as_view(), name="grant-read-limit"),
]
