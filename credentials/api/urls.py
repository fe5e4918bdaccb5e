from django.urls import path

from .views import ContextView

urlpatterns = [path("contexts/<slug:name>", ContextView.as_view(), name="context")]
