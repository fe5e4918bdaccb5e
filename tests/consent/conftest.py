from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organisation
from tests.conftest import make_organisation
from vc.jsonld import CREDENTIALS_V2
from vc.types import CREDENTIAL_TYPES, CredentialType

HR = "dpv:HumanResourceManagement"
DIPLOMA = "DiplomaCredential"
IDENTITY = "IdentityCardCredential"
# What an employer sends with a read: a fresh nonce, and who it is.
CHALLENGE = "9f2c1e7a-employer-nonce-0001"
DOMAIN = "https://hr.acme.example"


def request_body(**overrides) -> dict:
    body = {
        "citizen": {"nationalId": "BE:85073003328"},
        "credentialTypes": [DIPLOMA],
        "purpose": HR,
        "purposeDescription": "Checking the degree for the data engineer vacancy.",
        "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
    }
    body.update(overrides)
    return body


def file_request(requester, **overrides) -> dict:
    response = requester.post("/api/v1/access-requests", request_body(**overrides))
    assert response.status_code == 201, response.json()
    return response.json()


def approve(citizen, request_id: str, **body) -> dict:
    response = citizen.post(f"/api/v1/pod/access-requests/{request_id}/approve", body)
    assert response.status_code == 201, response.json()
    return response.json()


def read_url(
    grant_id: str,
    purpose: str | None = HR,
    credential_type: str | None = None,
    challenge: str | None = CHALLENGE,
    domain: str | None = DOMAIN,
) -> str:
    params = {"purpose": purpose, "type": credential_type, "challenge": challenge, "domain": domain}
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"/api/v1/grants/{grant_id}/credentials" + (f"?{query}" if query else "")


def presented(response) -> list[dict]:
    """The credentials in a grant read's verifiable presentation."""
    assert response.status_code == 200, response.json()
    return response.json()["verifiablePresentation"].get("verifiableCredential", [])


@pytest.fixture
def agency(db):
    return make_organisation("Federal Pension Service", Organisation.Kind.AGENCY)


@pytest.fixture
def operator(db):
    """An operator logged into the admin: staff, but neither a citizen nor an organisation."""
    user = get_user_model().objects.create_superuser("operator", "operator@example.org", None)
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def identity_type(monkeypatch):
    """A second registered credential type, so that narrowing and scope have something to leave out."""
    monkeypatch.setitem(
        CREDENTIAL_TYPES,
        IDENTITY,
        CredentialType(
            name=IDENTITY,
            display_name="Identity card",
            description="An identity card.",
            contexts=(CREDENTIALS_V2,),
        ),
    )
    return IDENTITY


@pytest.fixture
def pending_request(employer, citizen) -> dict:
    return file_request(employer)


@pytest.fixture
def grant(employer, citizen, issued, pending_request) -> dict:
    return approve(citizen, pending_request["id"])


# Agencies under law (tests/consent/legal.py): a citizen holding a diploma, an agency's mandate.
from .legal import holding, mandate  # noqa: E402, F401
