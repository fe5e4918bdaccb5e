from django.urls import path

from . import views

urlpatterns = [
    path("requests", views.requests, name="requests"),
    path("requests/<uuid:request_id>/approve", views.approve, name="approve"),
    path("requests/<uuid:request_id>/deny", views.deny, name="deny"),
    path("grants", views.grants, name="grants"),
    path("grants/<uuid:grant_id>/revoke", views.revoke, name="revoke"),
    path("grants/<uuid:grant_id>/read-limit", views.read_limit, name="read-limit"),
]
