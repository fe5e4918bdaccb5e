from django.contrib.auth import views as auth_views
from django.urls import path

from . import console
from .forms import ThrottledAuthenticationForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html",
            authentication_form=ThrottledAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("console/", console.console, name="console"),
    path("console/<slug:org>/", console.console_home, name="console-home"),
]
