from django.urls import path

from .views import DocumentView, LoggedDocumentView, LoggedInOneDocumentView

urlpatterns = [
    path("documents/<int:document_id>", DocumentView.as_view()),
    path("documents/<int:document_id>/logged", LoggedDocumentView.as_view()),
    path("documents/<int:document_id>/logged-in-one", LoggedInOneDocumentView.as_view()),
]
