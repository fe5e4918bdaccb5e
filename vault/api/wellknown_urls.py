from django.urls import path

from . import views

urlpatterns = [
    path(".well-known/citizen-vault/log-keys", views.LogKeysView.as_view(), name="log-keys"),
]
