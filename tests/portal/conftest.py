"""The employer console's set-up, shared by its tests: a member of the employer signed in
(``hr``), the employer's request to the citizen for two fields of their diploma (``filed``), and
the access the citizen gave by approving it (``grant``); and the citizen signed in to the portal
(``browser``)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from consent.services import approve_request, file_access_request

from .consoles import NATIONAL_ID, member_client


@pytest.fixture
def hr(employer):
    return member_client(employer.organisation, "hr@acme.example")


@pytest.fixture
def filed(employer, citizen, issued):
    return file_access_request(
        requester=employer.organisation,
        national_id=NATIONAL_ID,
        credential_types=["DiplomaCredential"],
        claims={"DiplomaCredential": ["/credentialSubject/degree/name", "/credentialSubject/awardedOn"]},
        purpose="dpv:HumanResourceManagement",
        purpose_description="Degree check for vacancy 17",
        valid_until=timezone.now() + timedelta(days=30),
    )


@pytest.fixture
def grant(filed, citizen):
    return approve_request(citizen=citizen.user, request_id=filed.pk)


CITIZEN_PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser(citizen):
    """The citizen signed in to the portal with a password."""
    citizen.user.set_password(CITIZEN_PASSWORD)
    citizen.user.save()
    client = Client()
    assert client.login(username=citizen.user.username, password=CITIZEN_PASSWORD)
    return client
