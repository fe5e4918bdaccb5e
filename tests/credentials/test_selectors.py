"""The trust registry: which issuers are accredited for which credential types, and when."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from credentials.errors import AccreditationInvalid
from credentials.models import Accreditation
from credentials.selectors import active_issuer_key, is_accredited
from credentials.services import accredit_issuer, create_issuer_key
from tests.conftest import make_organisation
from tests.credentials.conftest import accredit

DIPLOMA = ["VerifiableCredential", "DiplomaCredential"]


@pytest.fixture
def did(issuer) -> str:
    return active_issuer_key(issuer).did


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


# Issuers that sign elsewhere: a university's own did:web.


@pytest.fixture
def pinned_did_web(tmp_path, settings):
    """A university's did:web, pinned (no network), with the key it signs with."""
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from credentials.pinned import pin_did_document
    from vc.multikey import public_key_to_multikey

    settings.PINNED_DID_DOCUMENTS_DIR = str(tmp_path / "pins")
    settings.DID_WEB_NETWORK = False
    did = "did:web:diplomas.ugent.example"
    key = Ed25519PrivateKey.generate()
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#key-1",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public_key_to_multikey(key.public_key()),
            }
        ],
        "assertionMethod": [f"{did}#key-1"],
    }
    pin_did_document(did, json.dumps(document).encode())
    return did, key


def _signed_by(did, key):
    from tests.conftest import diploma
    from vc.dataintegrity import add_proof

    unsigned = diploma()
    unsigned.update(
        issuer=did, validFrom="2024-07-01T00:00:00Z", id="urn:uuid:7f1c5a52-6f8e-4b6c-9d55-0b6d7b1a1e01"
    )
    unsigned["credentialSubject"]["id"] = "did:example:an"
    return add_proof(unsigned, private_key=key, verification_method=f"{did}#key-1")


def test_a_registered_external_did_is_trusted_under_its_organisations_accreditation(db, pinned_did_web):
    from credentials.services import register_external_did
    from credentials.verification import verify_credential

    did, key = pinned_did_web
    ugent = make_organisation("Ghent External University", Organisation.Kind.ISSUER).organisation
    signed = _signed_by(did, key)

    before = verify_credential(signed)
    assert before.checks["proof"].passed
    assert not before.checks["issuer_trusted"].passed
    assert "not in the trust registry" in before.checks["issuer_trusted"].detail

    register_external_did(organisation=ugent, did=did, notes="Confirmed by the university's DPO")
    accredit(ugent)
    after = verify_credential(signed)
    assert after.checks["issuer_trusted"].passed
    assert after.verified


@pytest.mark.parametrize(
    "did", ["did:example:123", "https://ugent.example", "did:web:x.example#key-1", "", "did:web:"]
)
def test_only_did_web_or_did_key_dids_can_be_registered(db, did):
    from credentials.services import register_external_did

    ugent = make_organisation("Ghent External University", Organisation.Kind.ISSUER).organisation
    with pytest.raises(AccreditationInvalid, match="did:web or did:key"):
        register_external_did(organisation=ugent, did=did)


def test_a_did_belongs_to_one_organisation_only(issuer, did):
    from credentials.services import register_external_did

    other = make_organisation("Another University", Organisation.Kind.ISSUER).organisation
    with pytest.raises(AccreditationInvalid, match="already belongs"):
        register_external_did(organisation=other, did=did)
    register_external_did(organisation=other, did="did:web:another.example")
    with pytest.raises(AccreditationInvalid, match="already belongs"):
        register_external_did(organisation=issuer, did="did:web:another.example")


def test_only_issuers_register_dids(employer):
    from credentials.services import register_external_did

    with pytest.raises(AccreditationInvalid, match="not an issuer"):
        register_external_did(organisation=employer.organisation, did="did:web:acme.example")


def test_register_issuer_did_command(issuer):
    out = StringIO()
    call_command("register_issuer_did", issuer.slug, "did:web:diplomas.ugent.example", stdout=out)
    assert "did:web:diplomas.ugent.example is registered" in out.getvalue()
    with pytest.raises(CommandError, match="already belongs"):
        call_command("register_issuer_did", issuer.slug, "did:web:diplomas.ugent.example")
    with pytest.raises(CommandError, match="no organisation"):
        call_command("register_issuer_did", "nobody", "did:web:x.example")
