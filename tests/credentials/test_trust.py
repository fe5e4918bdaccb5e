"""The trust registry: which issuers are accredited for which credential types, and when."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from credentials.errors import AccreditationInvalid
from credentials.keys import active_issuer_key, create_issuer_key
from credentials.models import Accreditation
from credentials.services import accredit_issuer
from credentials.trust import is_accredited
from tests.conftest import make_organisation

DIPLOMA = ["VerifiableCredential", "DiplomaCredential"]


@pytest.fixture
def issuer(university) -> Organisation:
    return university.organisation


@pytest.fixture
def did(issuer) -> str:
    return active_issuer_key(issuer).did


def accredit(organisation, credential_type="DiplomaCredential", *, since_days=365, until_days=None):
    now = timezone.now()
    return Accreditation.objects.create(
        organisation=organisation,
        credential_type=credential_type,
        valid_from=now - timedelta(days=since_days),
        valid_until=None if until_days is None else now + timedelta(days=until_days),
        notes="Register of higher-education institutions",
    )


def test_an_accredited_issuer_is_trusted_for_its_type(issuer, did):
    accredit(issuer)
    result = is_accredited(did, DIPLOMA, timezone.now())
    assert result.trusted
    assert "Ghent Demo University" in result.reason


def test_an_issuer_without_accreditation_is_not_trusted(issuer, did):
    result = is_accredited(did, DIPLOMA, timezone.now())
    assert not result.trusted
    assert "not accredited for DiplomaCredential" in result.reason


def test_accreditation_for_another_type_does_not_count(issuer, did):
    accredit(issuer, "MicroCredential")
    assert not is_accredited(did, DIPLOMA, timezone.now()).trusted


def test_every_specific_type_of_the_credential_must_be_accredited(issuer, did):
    accredit(issuer)
    result = is_accredited(did, [*DIPLOMA, "ProfessionalLicence"], timezone.now())
    assert not result.trusted
    assert "ProfessionalLicence" in result.reason
    accredit(issuer, "ProfessionalLicence")
    assert is_accredited(did, [*DIPLOMA, "ProfessionalLicence"], timezone.now()).trusted


def test_verifiable_credential_alone_is_not_a_type_to_trust(issuer, did):
    accredit(issuer)
    assert not is_accredited(did, ["VerifiableCredential"], timezone.now()).trusted


def test_an_unknown_did_is_not_trusted(db):
    result = is_accredited(
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", DIPLOMA, timezone.now()
    )
    assert not result.trusted
    assert "not in the trust registry" in result.reason


def test_accreditation_of_another_organisation_does_not_count(issuer, did):
    other = make_organisation("Other Demo University", Organisation.Kind.ISSUER).organisation
    accredit(other)
    assert not is_accredited(did, DIPLOMA, timezone.now()).trusted
    assert is_accredited(active_issuer_key(other).did, DIPLOMA, timezone.now()).trusted


def test_the_accreditation_period_is_respected(issuer, did):
    accreditation = accredit(issuer, since_days=10, until_days=10)
    assert is_accredited(did, DIPLOMA, accreditation.valid_from).trusted
    assert not is_accredited(did, DIPLOMA, accreditation.valid_from - timedelta(seconds=1)).trusted
    assert is_accredited(did, DIPLOMA, accreditation.valid_until - timedelta(seconds=1)).trusted
    assert not is_accredited(did, DIPLOMA, accreditation.valid_until).trusted


def test_an_ended_accreditation_no_longer_trusts(issuer, did):
    accredit(issuer, since_days=400, until_days=-30)
    result = is_accredited(did, DIPLOMA, timezone.now())
    assert not result.trusted


def test_every_did_of_the_organisation_is_covered_retired_keys_included(issuer, did):
    accredit(issuer)
    create_issuer_key(organisation=issuer)
    assert is_accredited(did, DIPLOMA, timezone.now()).trusted
    assert is_accredited(active_issuer_key(issuer).did, DIPLOMA, timezone.now()).trusted


def test_a_deactivated_organisation_is_not_trusted(issuer, did):
    accredit(issuer)
    Organisation.objects.filter(pk=issuer.pk).update(is_active=False)
    result = is_accredited(did, DIPLOMA, timezone.now())
    assert not result.trusted
    assert "deactivated" in result.reason


def test_the_database_refuses_an_accreditation_ending_before_it_starts(issuer):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Accreditation.objects.create(
            organisation=issuer, credential_type="DiplomaCredential", valid_from=now, valid_until=now
        )


def test_the_database_refuses_an_accreditation_without_a_type(issuer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Accreditation.objects.create(organisation=issuer, credential_type="", valid_from=timezone.now())


# Recording accreditations: the service and the operator's command.


def test_accredit_issuer_records_an_accreditation_that_trusts(issuer, did):
    accredit_issuer(organisation=issuer, credential_type="DiplomaCredential", valid_from=timezone.now())
    assert is_accredited(did, DIPLOMA, timezone.now()).trusted


@pytest.mark.parametrize(
    ("credential_type", "until_days", "message"),
    [
        ("", None, "specific credential type"),
        ("VerifiableCredential", None, "specific credential type"),
        ("DiplomaCredential", -1, "end after it starts"),
    ],
)
def test_accredit_issuer_refuses_what_cannot_be_an_accreditation(
    issuer, credential_type, until_days, message
):
    now = timezone.now()
    until = None if until_days is None else now + timedelta(days=until_days)
    with pytest.raises(AccreditationInvalid, match=message):
        accredit_issuer(
            organisation=issuer, credential_type=credential_type, valid_from=now, valid_until=until
        )
    assert not Accreditation.objects.exists()


def test_only_issuers_are_accredited(employer):
    with pytest.raises(AccreditationInvalid, match="not an issuer"):
        accredit_issuer(
            organisation=employer.organisation, credential_type="DiplomaCredential", valid_from=timezone.now()
        )


def test_the_accredit_issuer_command_records_and_reports(issuer, did):
    out = StringIO()
    call_command("accredit_issuer", issuer.slug, "DiplomaCredential", "--from", "2020-09-01", stdout=out)
    assert "accredited for DiplomaCredential from 2020-09-01" in out.getvalue()
    assert did in out.getvalue()
    assert is_accredited(did, DIPLOMA, timezone.now()).trusted
    with pytest.raises(CommandError, match="no organisation"):
        call_command("accredit_issuer", "nobody", "DiplomaCredential")
    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("accredit_issuer", issuer.slug, "DiplomaCredential", "--until", "next year")
