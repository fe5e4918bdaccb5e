import os
from pathlib import Path

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from accounts.models import Organisation
from accounts.services import create_organisation, issue_api_token
from credentials.services import create_issuer_key
from vault.services import create_citizen
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1

# The official W3C vectors the suite reads, in the repository (sources and licences: PROVENANCE.md there).
VECTORS = Path(__file__).resolve().parent / "vectors"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Property tests assert properties, not timings: Hypothesis's default 200 ms deadline per example
# and its too-slow health check failed them on a loaded machine (Merkle and log-tree tests, whose
# examples run real database appends). Timed assertions stay out of the suite (bench/ has them).
settings.register_profile(
    "citizen-vault", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("citizen-vault")


def _missing_services() -> list[str]:
    missing = []
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.append("DATABASE_URL (PostgreSQL)")
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL (Redis)")
    return missing


def pytest_runtest_setup(item):
    """`services` tests need PostgreSQL and Redis: skipped without them, failed if REQUIRE_SERVICES=1."""
    if item.get_closest_marker("services") is None:
        return
    missing = _missing_services()
    if missing and REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but this test's services are not configured: {', '.join(missing)}")
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


@pytest.fixture(autouse=True)
def _celery_mode(request):
    """Tasks run eagerly in every test but the `services` ones, which go through the real broker."""
    from config.celery import app

    eager = request.node.get_closest_marker("services") is None or not os.environ.get("REDIS_URL")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests that log in do not need it to be."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit and login-failure counters must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


def diploma(**subject_overrides):
    subject = {
        "givenName": "An",
        "familyName": "Peeters",
        "degree": {"type": "MasterDegree", "name": "Master of Science in Computer Science"},
        "awardedOn": "2024-06-28",
    }
    subject.update(subject_overrides)
    return {
        "@context": [CREDENTIALS_V2, EDUCATION_V1],
        "type": ["VerifiableCredential", "DiplomaCredential"],
        "credentialSubject": subject,
    }


class Actor:
    """An authenticated API client for one actor of the story."""

    def __init__(self, token: str, organisation: Organisation | None = None, user=None, pod=None):
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        self.organisation = organisation
        self.user = user
        self.pod = pod
        self.token = token

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, data=None, **kwargs):
        kwargs.setdefault("format", "json")
        return self.client.post(path, data, **kwargs)


def make_organisation(name: str, kind: str) -> Actor:
    organisation = create_organisation(name=name, kind=kind)
    if kind == Organisation.Kind.ISSUER:
        create_issuer_key(organisation=organisation)
    _, token = issue_api_token(organisation=organisation)
    return Actor(token, organisation=organisation)


def make_citizen(email: str, national_id: str) -> Actor:
    pod = create_citizen(email=email, national_id=national_id)
    _, token = issue_api_token(user=pod.owner)
    return Actor(token, user=pod.owner, pod=pod)


@pytest.fixture
def university(db):
    return make_organisation("Ghent Demo University", Organisation.Kind.ISSUER)


@pytest.fixture
def employer(db):
    return make_organisation("Acme Recruiting", Organisation.Kind.EMPLOYER)


@pytest.fixture
def other_employer(db):
    return make_organisation("Other Employer", Organisation.Kind.EMPLOYER)


@pytest.fixture
def citizen(db):
    return make_citizen("an@example.org", "BE:85073003328")


@pytest.fixture
def other_citizen(db):
    return make_citizen("bart@example.org", "BE:90020199902")


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def pending(employer, citizen, issued):
    """An access request from the employer to the citizen (who holds a diploma), not yet decided."""
    from datetime import timedelta

    from django.utils import timezone

    from consent.services import file_access_request

    return file_access_request(
        requester=employer.organisation,
        national_id="BE:85073003328",
        credential_types=["DiplomaCredential"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="Degree check for vacancy 17",
        valid_until=timezone.now() + timedelta(days=30),
    )


@pytest.fixture
def issued(university, citizen):
    response = university.post(
        "/api/v1/issuer/credentials",
        {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma()},
    )
    assert response.status_code == 201, response.json()
    return response.json()
