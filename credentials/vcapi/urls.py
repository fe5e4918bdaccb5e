"""VC API (VCALM) routes, mounted at the root so the paths are exactly those the spec names."""

from django.urls import path

from .views import IssueCredentialView, UpdateStatusView, VerifyCredentialView, VerifyPresentationView

urlpatterns = [
    path("credentials/issue", IssueCredentialView.as_view(), name="vcapi-issue"),
    path("credentials/verify", VerifyCredentialView.as_view(), name="vcapi-verify-credential"),
    path("presentations/verify", VerifyPresentationView.as_view(), name="vcapi-verify-presentation"),
    path("credentials/status", UpdateStatusView.as_view(), name="vcapi-update-status"),
]
