from django.urls import path

from .views import DocumentView

urlpatterns = [path("documents/<int:document_id>", DocumentView.as_view())]
