from django.urls import path

from . import views

urlpatterns = [
    path("inbox", views.inbox, name="inbox"),
    path("inbox/read", views.mark_all_read, name="inbox-read-all"),
    path("inbox/<uuid:notification_id>/read", views.mark_read, name="inbox-read"),
]
