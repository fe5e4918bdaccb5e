"""Fixtures for the credentials tests: issuers, and diplomas signed the way the vault signs them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation
from credentials.models import Accreditation
from credentials.services import issue_credential
from tests.conftest import diploma, make_organisation
from vc.dataintegrity.sd import split_base_proofs

HOLDER = "did:example:an-peeters"
OPERATOR_PASSWORD = "operator password 123"


@pytest.fixture
def operator_user(db, django_user_model):
    """The operator: a superuser of the admin."""
    return django_user_model.objects.create_superuser("operator", "operator@example.org", OPERATOR_PASSWORD)


@pytest.fixture
def operator(operator_user) -> Client:
    """A client signed in to the admin as the operator."""
    client = Client()
    assert client.login(username="operator", password=OPERATOR_PASSWORD)
    return client


@pytest.fixture
def issuer(university) -> Organisation:
    return university.organisation


@pytest.fixture
def other_issuer(db) -> Organisation:
    return make_organisation("Other Demo University", Organisation.Kind.ISSUER).organisation


def accredit(organisation, credential_type="DiplomaCredential", *, since_days=365, until_days=None):
    """Put ``organisation`` in the trust registry for ``credential_type``, from a while ago."""
    now = timezone.now()
    return Accreditation.objects.create(
        organisation=organisation,
        credential_type=credential_type,
        valid_from=now - timedelta(days=since_days),
        valid_until=None if until_days is None else now + timedelta(days=until_days),
        notes="Register of higher-education institutions",
    )


@pytest.fixture
def accredited(issuer) -> Organisation:
    """The issuer, accredited for diplomas."""
    accredit(issuer)
    return issuer


def issued(organisation, credential=None):
    """A diploma issued by ``organisation`` for HOLDER, with its status entries, as the holder
    keeps it: a proof set of an eddsa-rdfc-2022 proof and an ecdsa-sd-2023 base proof."""
    signed, _ = issue_credential(
        organisation=organisation, credential=credential or diploma(), subject_id=HOLDER
    )
    return signed


def sign(organisation, credential=None):
    """A diploma signed by ``organisation`` for HOLDER, with its status entries, as a verifier
    receives it read whole: the holder keeps the ecdsa-sd-2023 base proof (it is for deriving),
    so what is left is the eddsa-rdfc-2022 proof."""
    whole, bases = split_base_proofs(issued(organisation, credential))
    assert len(bases) == 1
    return whole
