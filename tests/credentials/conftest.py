"""Fixtures for the credentials tests: issuers, and diplomas signed the way the vault signs them."""

import pytest

from accounts.models import Organisation
from credentials.services import sign_credential
from tests.conftest import diploma, make_organisation

HOLDER = "did:example:an-peeters"


@pytest.fixture
def issuer(university) -> Organisation:
    return university.organisation


@pytest.fixture
def other_issuer(db) -> Organisation:
    return make_organisation("Other Demo University", Organisation.Kind.ISSUER).organisation


def sign(organisation, credential=None):
    """A diploma signed by ``organisation`` for HOLDER, with its status entries."""
    signed, _ = sign_credential(
        organisation=organisation, credential=credential or diploma(), subject_id=HOLDER
    )
    return signed
