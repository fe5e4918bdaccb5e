"""With DEBUG off, the service serves its own static files (WhiteNoise), once collected.

Production runs gunicorn alone: the portal's, the admin's and the API docs' CSS and scripts come
from STATIC_ROOT, filled by `manage.py collectstatic` (docs/operations.md), under hashed names.
"""

import secrets
import subprocess
import sys

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

from tests.quickstart import REPOSITORY, clean_environment

PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
FILES = ["admin/css/base.css", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"]


@pytest.fixture
def collected(settings, tmp_path):
    """The production static configuration, collected into a temporary STATIC_ROOT."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STORAGE}}
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", "--no-input", verbosity=0)
    return settings


def test_settings_choose_the_manifest_storage_only_without_debug():
    def storage(debug: str) -> str:
        program = "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"
        return subprocess.run(  # noqa: S603
            [sys.executable, "-c", f"import django; django.setup(); {program}"],
            cwd=REPOSITORY,
            env=clean_environment(
                DJANGO_SETTINGS_MODULE="config.settings",
                DEBUG=debug,
                SECRET_KEY=secrets.token_urlsafe(50),
                KEY_ENCRYPTION_KEYS=f"k1:{secrets.token_hex(32)}",
                LOOKUP_HASH_KEY=secrets.token_hex(32),
            ),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert storage("0") == PRODUCTION_STORAGE
    assert storage("1") == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_whitenoise_comes_right_after_the_security_middleware(settings):
    assert settings.MIDDLEWARE[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]


@pytest.mark.parametrize("name", FILES)
def test_collected_static_files_are_served_with_debug_off(collected, name):
    hashed = staticfiles_storage.url(name)
    assert hashed != f"/static/{name}"  # a content-hashed name, cacheable for ever
    response = Client().get(hashed)
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"]
    assert Client().get(f"/static/{name}").status_code == 200


def test_the_api_docs_page_links_styles_that_are_served(collected, db):
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    css = staticfiles_storage.url("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert css in page.content.decode()
    assert Client().get(css).status_code == 200
