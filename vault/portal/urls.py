from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("credentials/<uuid:resource_id>", views.credential, name="credential"),
    path("log", views.log, name="log"),
    path("log/download", views.log_download, name="log-download"),
]
