from django.urls import path

from . import console, views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("oidc/start/", views.oidc_start, name="oidc-start"),
    path("oidc/refused/", views.assurance_refused, name="oidc-assurance-refused"),
    path("console/", console.console, name="console"),
    path("console/<slug:org>/", console.console_home, name="console-home"),
]
