"""Helpers for the consoles' tests: a member's signed-in client, the employer's requests page,
the issuer's form for one diploma."""

from django.test import Client

from accounts.models import Organisation
from accounts.services import add_member

PASSWORD = "correct horse battery staple"
NATIONAL_ID = "BE:85073003328"  # the conftest's citizen


def member_client(organisation: Organisation, email: str) -> Client:
    """A client signed in as a new member ``email`` of ``organisation``."""
    add_member(organisation=organisation, email=email, password=PASSWORD)
    client = Client()
    assert client.login(username=email, password=PASSWORD)
    return client


def requests_url(actor) -> str:
    """The employer console's requests page of ``actor``'s organisation."""
    return f"/portal/console/{actor.organisation.slug}/requests"


FORM_TOKEN = "8d1bbbd7-5a0e-4b43-8f5d-7b2b3b9a0c11"


def diploma_form(token=FORM_TOKEN, **overrides):
    """The issuer console's form for one diploma for the conftest's citizen."""
    data = {
        "type": "DiplomaCredential",
        "token": token,
        "national_id": "85.07.30-033.28",
        "given_name": "An",
        "family_name": "Peeters",
        "degree_type": "MasterDegree",
        "degree_name": "Master of Laws",
        "awarded_on": "2025-06-30",
    }
    data.update(overrides)
    return data
