"""A credential disclosed in part (an ecdsa-sd-2023 derived proof, from the base proof issuance
adds) verifies at POST /credentials/verify and POST /presentations/verify with the same trust,
status and validity checks as a whole credential; anything changed, added, dropped or moved is
refused, and so is a base proof, which is the holder's to derive from, never a verifier's."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.models import IssuerKey
from credentials.selectors import active_issuer_key
from credentials.services import create_issuer_key, issue_credential, mark_key_compromised, update_status
from tests.conftest import diploma
from tests.credentials.conftest import accredit
from tests.support import assert_problem
from vc.dataintegrity.sd import (
    derive_proof,
    parse_derived_proof_value,
    serialize_derived_proof_value,
    split_base_proofs,
)
from vc.multikey import did_key_for
from vc.presentations import create_presentation

DEGREE_NAME = "/credentialSubject/degree/name"
CHALLENGE = "derived-nonce-0001"
DOMAIN = "https://hr.acme.example"
NOTE = "The P-256 key was exported from the HSM by mistake; reported by the CISO."


@pytest.fixture
def holder():
    key = Ed25519PrivateKey.generate()
    return key, did_key_for(key.public_key())


@pytest.fixture
def accredited(university):
    accredit(university.organisation)
    return university.organisation


def issue_for(organisation, subject_id, **subject):
    signed, _ = issue_credential(
        organisation=organisation, credential=diploma(**subject), subject_id=subject_id
    )
    return signed


def derived_from(issued, pointers):
    """The holder's derivation: from the credential with its base proof alone."""
    whole, (base,) = split_base_proofs(issued)
    unsecured = {key: value for key, value in whole.items() if key != "proof"}
    return derive_proof({**unsecured, "proof": base}, pointers)


def verify(client, credential):
    return client.post("/credentials/verify", {"verifiableCredential": credential}, format="json")


def refused(response, words=""):
    """A 422 whose error is the proof's (the cryptography or the data it signs), saying ``words``."""
    body = assert_problem(response, 422)
    assert body["verified"] is False
    assert [error["check"] for error in body["errors"]] == ["proof"]
    assert words in body["detail"], body["detail"]
    return body


# What verifies.


def test_a_derived_diploma_verifies_with_every_check(anonymous, accredited, holder):
    derived = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    assert "givenName" not in derived["credentialSubject"] and "awardedOn" not in derived["credentialSubject"]
    response = verify(anonymous, derived)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["verified"] is True
    assert body["checks"] == ["proof", "issuer_trusted", "validity", "status"]
    assert body["warnings"] == [] and body["errors"] == []


def test_a_derived_diploma_in_a_presentation_verifies(anonymous, accredited, holder):
    key, did_key = holder
    derived = derived_from(issue_for(accredited, did_key.did), [DEGREE_NAME])
    presentation = create_presentation(
        [derived],
        holder=did_key.did,
        private_key=key,
        verification_method=did_key.verification_method,
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    response = anonymous.post(
        "/presentations/verify",
        {"verifiablePresentation": presentation, "options": {"challenge": CHALLENGE, "domain": DOMAIN}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["verified"] is True and body["warnings"] == []
    [result] = body["credentialResults"]
    assert result["verified"] is True and result["warnings"] == []


# The same trust, status and validity checks as whole credentials (VCALM: warnings).


def _warning_types(response):
    assert response.status_code == 200, response.json()
    return [warning["type"].rsplit("#", 1)[1] for warning in response.json()["warnings"]]


def test_a_derived_diploma_of_a_revoked_credential_says_so(anonymous, accredited, holder):
    issued = issue_for(accredited, holder[1].did)
    update_status(issuer=accredited, credential_id=issued["id"], purposes=["revocation"], value=True)
    assert _warning_types(verify(anonymous, derived_from(issued, [DEGREE_NAME]))) == ["credential-revoked"]


def test_a_derived_diploma_of_an_unaccredited_issuer_is_not_trusted(anonymous, university, holder):
    derived = derived_from(issue_for(university.organisation, holder[1].did), [DEGREE_NAME])
    assert "issuer-not-trusted" in _warning_types(verify(anonymous, derived))


def test_a_derived_diploma_signed_with_a_compromised_p256_key_is_not_trusted(anonymous, accredited, holder):
    derived = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    p256 = active_issuer_key(accredited, key_type=IssuerKey.KeyType.P256)
    mark_key_compromised(key=p256, note=NOTE, at=p256.created_at)
    response = verify(anonymous, derived)
    assert _warning_types(response) == ["issuer-not-trusted"]
    assert "reported compromised" in response.json()["warnings"][0]["detail"]


def test_a_derived_diploma_of_a_retired_p256_key_keeps_its_standing(anonymous, accredited, holder):
    derived = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    create_issuer_key(organisation=accredited)  # it carries status entries the issuer can still flip
    assert _warning_types(verify(anonymous, derived)) == []


def test_a_derived_diploma_out_of_its_validity_period_says_so(anonymous, accredited, holder):
    issued_doc, _ = issue_credential(
        organisation=accredited,
        credential={**diploma(), "validUntil": "2025-01-01T00:00:00Z", "validFrom": "2024-01-01T00:00:00Z"},
        subject_id=holder[1].did,
    )
    derived = derived_from(issued_doc, [DEGREE_NAME])
    assert derived["validUntil"] == "2025-01-01T00:00:00Z"  # mandatory: it cannot be hidden
    assert _warning_types(verify(anonymous, derived)) == ["credential-not-valid-now"]


def test_undefined_terms_are_refused_in_a_disclosure_too(anonymous, accredited, holder):
    derived = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    derived["nickname"] = "Annie"  # no context defines it: never dropped in silence
    body = refused(verify(anonymous, derived), "nickname")
    assert body["errors"][0]["type"].endswith("#undefined-term"), body["errors"]


# Tampering.


def test_a_disclosed_statement_changed_is_refused(anonymous, accredited, holder):
    derived = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    derived["credentialSubject"]["degree"]["name"] = "Master of Laws"
    refused(verify(anonymous, derived), "signature")


def test_a_statement_added_that_was_not_disclosed_is_refused(anonymous, accredited, holder):
    derived = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    derived["credentialSubject"]["givenName"] = "An"  # true, and signed in the base, but not disclosed
    refused(verify(anonymous, derived))


@pytest.mark.parametrize("member", ["validFrom", "credentialStatus", "type"])
def test_a_mandatory_statement_dropped_is_refused(anonymous, accredited, holder, member):
    derived = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    if member == "type":
        derived["credentialSubject"]["degree"].pop("type")
    else:
        derived.pop(member)
    refused(verify(anonymous, derived))


def test_an_altered_label_map_is_refused(anonymous, accredited, holder):
    derived = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    parsed = parse_derived_proof_value(derived["proof"]["proofValue"])
    assert parsed.label_map  # the degree is a blank node
    labels = dict(parsed.label_map)
    first = sorted(labels)[0]
    labels[first] = "u" + "A" * 43  # another HMAC label
    derived["proof"]["proofValue"] = serialize_derived_proof_value(
        parsed.base_signature,
        parsed.public_key,
        list(parsed.signatures),
        labels,
        list(parsed.mandatory_indexes),
    )
    refused(verify(anonymous, derived))


def test_a_derived_proof_moved_onto_another_credential_is_refused(anonymous, accredited, holder):
    ours = derived_from(issue_for(accredited, holder[1].did), [DEGREE_NAME])
    other = derived_from(
        issue_for(accredited, holder[1].did, degree={"type": "BachelorDegree", "name": "Bachelor of Laws"}),
        [DEGREE_NAME],
    )
    refused(verify(anonymous, {**other, "proof": ours["proof"]}))


def test_a_base_proof_presented_to_a_verifier_is_refused_with_the_reason(anonymous, accredited, holder):
    issued = issue_for(accredited, holder[1].did)
    words = "base proof, which only the holder uses"
    refused(verify(anonymous, issued), words)  # the proof set as the holder keeps it
    _, (base,) = split_base_proofs(issued)
    unsecured = {key: value for key, value in issued.items() if key != "proof"}
    refused(verify(anonymous, {**unsecured, "proof": base}), words)
