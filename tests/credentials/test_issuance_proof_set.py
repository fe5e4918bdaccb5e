"""Issuance signs every registered credential type with a proof set: an eddsa-rdfc-2022 proof, so
the credential is read whole as before, and an ecdsa-sd-2023 base proof over the same document,
by the issuer's P-256 key, so the holder can derive field-level disclosures. The base proof's
mandatory pointers come from the type registry: who issued it, what it is, when it holds, its
status, its subject and the claim's type, those the credential has.
"""

import pytest

from credentials.errors import UnsupportedOption
from credentials.selectors import active_issuer_key
from credentials.services import issue_credential
from credentials.verification import Outcome, verify_credential, verify_held_credential
from tests.credentials.conftest import HOLDER, accredit
from vc.dataintegrity.sd import derive_proof, parse_base_proof_value, split_base_proofs
from vc.errors import ProofInvalid
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1, GOOD_CONDUCT_V1, LANGUAGE_V1
from vc.types import CREDENTIAL_TYPES, mandatory_pointers

SUBJECTS = {
    "DiplomaCredential": (
        EDUCATION_V1,
        {
            "givenName": "An",
            "familyName": "Peeters",
            "degree": {"type": "BachelorDegree", "name": "Bachelor of Laws"},
            "awardedOn": "2021-07-01",
            "grade": "magna cum laude",
        },
        ["/credentialSubject/degree/type"],
    ),
    "GoodConductCertificate": (
        GOOD_CONDUCT_V1,
        {
            "givenName": "An",
            "familyName": "Peeters",
            "birthDate": "1985-07-30",
            "extractType": "work-with-minors",
            "convictionsRecorded": False,
            "extractDate": "2026-11-30",
        },
        ["/credentialSubject/extractType"],
    ),
    "LanguageCertificate": (
        LANGUAGE_V1,
        {
            "givenName": "An",
            "familyName": "Peeters",
            "language": "fr",
            "proficiencyLevel": "B2",
            "assessedOn": "2026-06-01",
        },
        [],
    ),
}
BASE_POINTERS = ["/issuer", "/type", "/validFrom", "/credentialStatus", "/credentialSubject/id"]


def credential_of(type_name, **extra):
    context, subject, _ = SUBJECTS[type_name]
    return {
        "@context": [CREDENTIALS_V2, context],
        "type": ["VerifiableCredential", type_name],
        "credentialSubject": dict(subject),
        **extra,
    }


def test_every_registered_type_is_covered():
    assert set(SUBJECTS) == set(CREDENTIAL_TYPES)


@pytest.mark.parametrize("type_name", sorted(SUBJECTS))
def test_every_registered_type_is_issued_with_the_proof_set(issuer, type_name):
    signed, credential_type = issue_credential(
        organisation=issuer, credential=credential_of(type_name), subject_id=HOLDER
    )
    assert credential_type.name == type_name
    whole, base = signed["proof"]
    ed25519, p256 = active_issuer_key(issuer), active_issuer_key(issuer, key_type="P-256")
    assert (whole["cryptosuite"], whole["verificationMethod"]) == (
        "eddsa-rdfc-2022",
        ed25519.verification_method,
    )
    assert (base["cryptosuite"], base["verificationMethod"]) == ("ecdsa-sd-2023", p256.verification_method)
    assert whole["created"] == base["created"] and base["proofPurpose"] == "assertionMethod"
    expected = BASE_POINTERS + SUBJECTS[type_name][2]
    assert list(parse_base_proof_value(base["proofValue"]).mandatory_pointers) == expected
    assert mandatory_pointers(signed) == expected
    assert verify_held_credential(signed).verification_method == ed25519.verification_method


def test_mandatory_pointers_are_those_the_credential_has(issuer):
    signed, _ = issue_credential(
        organisation=issuer,
        credential=credential_of("DiplomaCredential", validUntil="2099-01-01T00:00:00Z"),
        subject_id=HOLDER,
        with_status=False,
    )
    pointers = list(parse_base_proof_value(signed["proof"][1]["proofValue"]).mandatory_pointers)
    assert pointers == [
        "/issuer",
        "/type",
        "/validFrom",
        "/validUntil",
        "/credentialSubject/id",
        "/credentialSubject/degree/type",
    ]


def test_read_whole_it_verifies_as_before_and_the_base_proof_stays_with_the_holder(issuer):
    accredit(issuer)
    signed, _ = issue_credential(
        organisation=issuer, credential=credential_of("DiplomaCredential"), subject_id=HOLDER
    )
    whole, bases = split_base_proofs(signed)
    assert len(bases) == 1 and whole["proof"] == signed["proof"][0]
    assert verify_credential(whole).verified
    # Handed to a verifier with the base proof, it is refused, saying why.
    result = verify_credential(signed)
    assert result.proof.outcome == Outcome.FAILED
    assert isinstance(result.proof.error, ProofInvalid)
    assert "base proof, which only the holder uses" in result.proof.detail


def test_a_derived_diploma_shows_the_mandatory_statements_and_what_was_chosen(issuer):
    accredit(issuer)
    signed, _ = issue_credential(
        organisation=issuer, credential=credential_of("DiplomaCredential"), subject_id=HOLDER
    )
    unsecured = {key: value for key, value in signed.items() if key != "proof"}
    derived = derive_proof({**unsecured, "proof": signed["proof"][1]}, ["/credentialSubject/degree/name"])
    assert derived["issuer"] == signed["issuer"]
    assert derived["type"] == signed["type"] and derived["validFrom"] == signed["validFrom"]
    assert derived["credentialStatus"] == signed["credentialStatus"]
    assert derived["credentialSubject"] == {
        "id": HOLDER,
        "degree": {"type": "BachelorDegree", "name": "Bachelor of Laws"},
    }
    result = verify_credential(derived)
    assert result.verified, result.as_dict()
    assert result.verification_method == active_issuer_key(issuer, key_type="P-256").verification_method


def test_the_whole_proof_can_be_ecdsa(issuer):
    signed, _ = issue_credential(
        organisation=issuer,
        credential=credential_of("DiplomaCredential"),
        subject_id=HOLDER,
        cryptosuite="ecdsa-jcs-2019",
    )
    whole, base = signed["proof"]
    p256 = active_issuer_key(issuer, key_type="P-256")
    assert (whole["cryptosuite"], whole["verificationMethod"]) == ("ecdsa-jcs-2019", p256.verification_method)
    assert base["cryptosuite"] == "ecdsa-sd-2023"
    assert verify_held_credential(signed).verification_method == p256.verification_method


def test_a_pod_credential_cannot_be_issued_with_only_a_base_proof(issuer):
    with pytest.raises(UnsupportedOption, match="always carries an ecdsa-sd-2023 base proof") as caught:
        issue_credential(
            organisation=issuer,
            credential=credential_of("DiplomaCredential"),
            subject_id=HOLDER,
            cryptosuite="ecdsa-sd-2023",
        )
    assert caught.value.extra["supported"] == [
        "eddsa-rdfc-2022",
        "eddsa-jcs-2022",
        "ecdsa-rdfc-2019",
        "ecdsa-jcs-2019",
    ]


def test_the_holder_check_refuses_a_base_proof_that_does_not_match(issuer):
    signed, _ = issue_credential(
        organisation=issuer, credential=credential_of("DiplomaCredential"), subject_id=HOLDER
    )
    other, _ = issue_credential(
        organisation=issuer, credential=credential_of("DiplomaCredential"), subject_id=HOLDER
    )
    # The eddsa proof is sound; the base proof is another credential's.
    swapped = {**signed, "proof": [signed["proof"][0], other["proof"][1]]}
    with pytest.raises(ProofInvalid):
        verify_held_credential(swapped)
    without_whole = {**signed, "proof": signed["proof"][1]}
    with pytest.raises(ProofInvalid, match="only ecdsa-sd-2023 base proofs"):
        verify_held_credential(without_whole)
