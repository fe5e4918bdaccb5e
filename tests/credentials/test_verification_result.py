"""A verification result answers four questions separately: proof valid, issuer trusted for
the type, within the validity period, neither revoked nor suspended."""

from datetime import timedelta

import pytest
from django.utils import timezone

from credentials.errors import (
    CredentialNotValidNow,
    CredentialRevoked,
    CredentialSuspended,
    IssuerNotTrusted,
    RemoteFetchFailed,
)
from credentials.keys import unseal_private_key
from credentials.selectors import active_issuer_key
from credentials.statuslist import set_status
from credentials.verification import CHECKS, Outcome, require_verified, verify_credential, verify_issuer_proof
from tests.conftest import diploma
from tests.credentials.conftest import HOLDER, accredit, sign
from tests.vc.dataintegrity.test_eddsa_rdfc_2022 import VECTORS_UNDER_TEST
from vc.dataintegrity import add_proof, verify_proof
from vc.datamodel import parse_datetime_stamp
from vc.errors import ProofInvalid, StatusEntryInvalid


def xsd(moment):
    return moment.isoformat().replace("+00:00", "Z")


def outcomes(result):
    return {name: check.outcome for name, check in result.checks.items()}


PASSED = dict.fromkeys(CHECKS, Outcome.PASSED)


def test_a_good_diploma_of_an_accredited_issuer_is_verified(accredited):
    signed = sign(accredited)
    result = verify_credential(signed)
    assert outcomes(result) == PASSED
    assert result.verified
    assert result.errors == []
    assert result.issuer == active_issuer_key(accredited).did
    assert [s.purpose for s in result.statuses] == ["revocation", "suspension"]
    assert result.as_dict()["verified"] is True
    require_verified(signed)  # raises nothing


def test_a_revoked_credential_fails_the_status_check_while_its_proof_stays_valid(accredited):
    signed = sign(accredited)
    set_status(issuer=accredited, credential_id=signed["id"], purpose="revocation", value=True)
    result = verify_credential(signed)
    assert outcomes(result) == {**PASSED, "status": Outcome.FAILED}
    assert not result.verified
    assert isinstance(result.status.error, CredentialRevoked)
    assert "revoked" in result.status.detail
    with pytest.raises(CredentialRevoked):
        result.raise_first_error()
    result.raise_first_error(checks=("proof", "issuer_trusted", "validity"))  # those passed
    summary = result.as_dict()
    assert summary["checks"]["status"]["outcome"] == "failed"
    assert summary["errors"] == [
        {
            "check": "status",
            "type": "credential-revoked",
            "title": CredentialRevoked.title,
            "detail": result.status.detail,
        }
    ]


def test_a_suspended_credential_fails_until_the_suspension_is_lifted(accredited):
    signed = sign(accredited)
    set_status(issuer=accredited, credential_id=signed["id"], purpose="suspension", value=True)
    result = verify_credential(signed)
    assert outcomes(result) == {**PASSED, "status": Outcome.FAILED}
    assert isinstance(result.status.error, CredentialSuspended)

    set_status(issuer=accredited, credential_id=signed["id"], purpose="suspension", value=False)
    assert verify_credential(signed).verified


def test_an_issuer_not_accredited_fails_only_the_trust_check(issuer):
    result = verify_credential(sign(issuer))
    assert outcomes(result) == {**PASSED, "issuer_trusted": Outcome.FAILED}
    assert isinstance(result.issuer_trusted.error, IssuerNotTrusted)
    assert "not accredited for DiplomaCredential" in result.issuer_trusted.detail


def test_outside_the_validity_period_fails_only_the_validity_check(accredited):
    # A period that starts tomorrow: `now` also dates the proof check, so it must follow signing.
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    period = {"validFrom": xsd(start), "validUntil": xsd(start + timedelta(days=3650))}
    signed = sign(accredited, {**diploma(), **period})
    start = parse_datetime_stamp(signed["validFrom"])
    end = parse_datetime_stamp(signed["validUntil"])
    assert verify_credential(signed, now=start).verified
    assert verify_credential(signed, now=end).verified

    expired = verify_credential(signed, now=end + timedelta(seconds=1))
    assert outcomes(expired) == {**PASSED, "validity": Outcome.FAILED}
    assert isinstance(expired.validity.error, CredentialNotValidNow)
    assert f"expired at {period['validUntil']}" in expired.validity.detail

    early = verify_credential(signed, now=start - timedelta(seconds=1))
    assert outcomes(early) == {**PASSED, "validity": Outcome.FAILED}
    assert "not valid before" in early.validity.detail


def test_a_tampered_credential_fails_the_proof_and_nothing_else_is_asked(accredited):
    signed = sign(accredited)
    signed["credentialSubject"]["degree"]["name"] = "Doctor of Philosophy"
    result = verify_credential(signed)
    assert outcomes(result) == {
        "proof": Outcome.FAILED,
        "issuer_trusted": Outcome.NOT_CHECKED,
        "validity": Outcome.NOT_CHECKED,
        "status": Outcome.NOT_CHECKED,
    }
    assert isinstance(result.proof.error, ProofInvalid)
    assert result.issuer is None
    # A caller asking only about status still gets the reason it cannot be answered.
    with pytest.raises(ProofInvalid):
        result.raise_first_error(checks=("status",))
    with pytest.raises(ProofInvalid):
        require_verified(signed)


def test_a_malformed_document_is_a_failed_proof_not_an_exception(db):
    result = verify_credential({"type": ["VerifiableCredential"]})
    assert result.proof.outcome == Outcome.FAILED
    assert not result.verified
    assert result.errors[0].code == "invalid-credential"


def test_a_credential_signed_by_another_key_than_the_issuers_fails_the_proof(accredited, other_issuer):
    other_key = active_issuer_key(other_issuer)
    unsigned = {**diploma(id=HOLDER), "issuer": active_issuer_key(accredited).did}
    forged = add_proof(
        unsigned, private_key=unseal_private_key(other_key), verification_method=other_key.verification_method
    )
    result = verify_credential(forged)
    assert result.proof.outcome == Outcome.FAILED
    assert "not of the issuer" in result.proof.detail


def test_a_credential_without_status_entries_passes_the_status_check(accredited):
    key = active_issuer_key(accredited)
    unsigned = {**diploma(id=HOLDER), "issuer": key.did, "validFrom": "2024-07-01T00:00:00Z"}
    signed = add_proof(
        unsigned, private_key=unseal_private_key(key), verification_method=key.verification_method
    )
    result = verify_credential(signed)
    assert result.verified
    assert "no status entries" in result.status.detail
    assert result.statuses == ()


def test_a_status_list_that_cannot_be_read_fails_the_status_check(accredited):
    key = active_issuer_key(accredited)
    unsigned = {
        **diploma(id=HOLDER),
        "issuer": key.did,
        "credentialStatus": {
            "id": "https://127.0.0.1:1/status/1#5",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "5",
            "statusListCredential": "https://127.0.0.1:1/status/1",
        },
    }
    signed = add_proof(
        unsigned, private_key=unseal_private_key(key), verification_method=key.verification_method
    )
    result = verify_credential(signed)
    assert outcomes(result) == {**PASSED, "status": Outcome.FAILED}
    assert isinstance(result.status.error, RemoteFetchFailed)  # a loopback address is refused


def test_unknown_check_names_are_a_programming_error(accredited):
    with pytest.raises(ValueError, match="Unknown checks"):
        verify_credential(sign(accredited)).raise_first_error(checks=("signature",))


@pytest.mark.parametrize("accredit_first", [True, False], ids=["accredited", "not accredited"])
def test_a_status_entry_that_cannot_be_checked_fails_the_status_check_trusted_or_not(issuer, accredit_first):
    if accredit_first:
        accredit(issuer)
    key = active_issuer_key(issuer)
    unsigned = {
        **diploma(id=HOLDER),
        "issuer": key.did,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
    }
    signed = add_proof(
        unsigned, private_key=unseal_private_key(key), verification_method=key.verification_method
    )
    result = verify_credential(signed)
    assert result.status.outcome == Outcome.FAILED
    assert isinstance(result.status.error, StatusEntryInvalid)
    assert "/credentialStatus/statusListIndex" in result.status.detail
    assert not result.verified


# The official vectors' proofs verify, but their signer is not their issuer.


@VECTORS_UNDER_TEST
@pytest.mark.django_db  # two did:keys may be one organisation's keys: the registry is asked
def test_vector_signed_by_a_key_the_issuer_does_not_control_fails_credential_verification(vector):
    # The vectors' issuers (a URL, a P-256 did:key) are not the Ed25519 key that signed them:
    # the proof is valid, but it is not the issuer's.
    verify_proof(vector.signed)
    with pytest.raises(ProofInvalid, match="not of the issuer"):
        verify_issuer_proof(vector.signed)
