from django.urls import path

from . import views

urlpatterns = [
    path("issuer/credentials", views.IssueCredentialView.as_view(), name="issue-credential"),
    path("issuer/batches", views.IssuerBatchesView.as_view(), name="issuer-batches"),
    path("issuer/batches/<uuid:batch_id>", views.IssuerBatchView.as_view(), name="issuer-batch"),
    path(
        "issuer/batches/<uuid:batch_id>/errors",
        views.IssuerBatchErrorsView.as_view(),
        name="issuer-batch-errors",
    ),
    path("pod", views.PodView.as_view(), name="pod"),
    path("pod/credentials", views.PodCredentialsView.as_view(), name="pod-credentials"),
    path("document-types", views.DocumentTypesView.as_view(), name="document-types"),
    path("pod/documents", views.PodDocumentsView.as_view(), name="pod-documents"),
    path("pod/documents/<uuid:document_id>", views.PodDocumentView.as_view(), name="pod-document"),
    path("pod/exports", views.PodExportsView.as_view(), name="pod-exports"),
    path("pod/exports/<uuid:export_id>", views.PodExportView.as_view(), name="pod-export"),
    path(
        "pod/exports/<uuid:export_id>/archive",
        views.PodExportArchiveView.as_view(),
        name="pod-export-archive",
    ),
    path("pod/import", views.PodImportView.as_view(), name="pod-import"),
    path("pod/erasure", views.PodErasureView.as_view(), name="pod-erasure"),
    path("pod/log", views.AccessLogView.as_view(), name="pod-log"),
    path("pod/log/verify", views.AccessLogVerifyView.as_view(), name="pod-log-verify"),
    path("pod/log/checks/<uuid:check_id>", views.AccessLogCheckView.as_view(), name="pod-log-check"),
    path("pod/log/export", views.AccessLogExportView.as_view(), name="pod-log-export"),
    path("pod/log/proof/inclusion", views.InclusionProofView.as_view(), name="pod-log-inclusion-proof"),
    path("pod/log/proof/consistency", views.ConsistencyProofView.as_view(), name="pod-log-consistency-proof"),
]
