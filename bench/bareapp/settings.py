"""Settings of the bare endpoint: as little as a DRF token-authenticated read needs."""

import os

import dj_database_url

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "bench.bareapp.urls"
WSGI_APPLICATION = "bench.bareapp.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework.authtoken",
    "bench.bareapp",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
# The same persistent connections, health-checked the same way, as the project (config/settings.py).
DATABASES = {
    "default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)
}
DATABASES["default"]["ENGINE"] = "core.postgresql"
# The same binding and prepared statements as the project's default (DATABASE_PREPARE_THRESHOLD).
DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
