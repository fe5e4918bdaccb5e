"""POST /credentials/verify: public, throttled; VCALM result on 200, problem+json on 422."""

import json

import pytest
from rest_framework.test import APIClient

from credentials.keys import unseal_private_key
from credentials.selectors import current_identity
from tests.conftest import VECTORS
from tests.support import assert_problem
from vc.dataintegrity import add_proof
from vc.dataintegrity.suites import SUITES
from vc.multikey import did_key_for, encode_multibase, multikey_to_ec_private_key

from .conftest import plain_credential, vcdm11_credential


@pytest.fixture
def verify(anonymous):
    def _verify(credential, **options):
        body = {"verifiableCredential": credential, **({"options": options} if options else {})}
        return anonymous.post("/credentials/verify", body, format="json")

    return _verify


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_credential_we_issued_verifies_without_a_token(issue, verify, cryptosuite):
    signed = issue(plain_credential(), cryptosuite=cryptosuite)

    response = verify(signed, checks=["proof"])

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["verified"] is True
    assert body["errors"] == []
    assert body["checks"] == ["proof", "issuer_trusted", "validity", "status"]
    assert "credential" not in body


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_vcdm_1_1_credential_verifies(issue, verify, issuer_did, cryptosuite):
    signed = issue(vcdm11_credential(issuer=issuer_did), cryptosuite=cryptosuite)
    assert verify(signed).status_code == 200


def test_unaccredited_issuer_is_a_warning_not_an_error(issue, verify):
    body = verify(issue(plain_credential())).json()
    # Trust, validity and status are warnings in VCALM: the caller decides. Here the trust
    # registry has no accreditation for the university, so the warning says so.
    assert body["verified"] is True
    assert [warning["check"] for warning in body["warnings"]] == ["issuer_trusted"]


def test_return_options_echo_the_credential_and_problem_details(issue, verify):
    signed = issue(plain_credential())
    body = verify(signed, returnCredential=True, returnProblemDetails=True).json()
    assert body["credential"] == signed
    assert body["problemDetails"] == body["errors"] + body["warnings"]


def test_a_tampered_claim_is_a_422_with_the_proof_error(issue, verify):
    signed = issue(plain_credential())
    signed["credentialSubject"]["name"] = "Mallory"

    body = assert_problem(verify(signed), 422, "not-verified")
    assert body["verified"] is False
    assert body["checks"] == ["proof"]  # nothing else is checked for an unsigned claim
    assert body["errors"][0]["check"] == "proof"
    assert body["errors"][0]["type"].endswith("#invalid-proof")


@pytest.mark.parametrize(
    "change",
    [
        lambda vc: vc.update(proof=None),
        lambda vc: vc.pop("proof"),
        lambda vc: vc["proof"].update(proofValue="z1111"),
        lambda vc: vc["proof"].update(cryptosuite="ecdsa-rdfc-2019"),
        lambda vc: vc["proof"].update(proofPurpose="authentication"),
        lambda vc: vc.update(issuer="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
        lambda vc: vc.update(type=["VerifiablePresentation"]),
    ],
    ids=["proof-null", "no-proof", "bad-signature", "other-suite", "wrong-purpose", "other-issuer", "type"],
)
def test_every_broken_credential_is_a_422_never_a_500(issue, verify, change):
    signed = issue(plain_credential())
    change(signed)
    body = assert_problem(verify(signed), 422, "not-verified")
    assert body["verified"] is False and body["errors"]


def test_challenge_and_domain_options_bind_every_proof(issue, verify):
    signed = issue(plain_credential())
    body = assert_problem(verify(signed, domain="example.org"), 422, "not-verified")
    assert body["errors"][0]["check"] == "challenge_domain"


@pytest.mark.parametrize(
    "body",
    [{}, {"verifiableCredential": "a string"}, {"verifiableCredential": []}, "a string body", ["a list"]],
)
def test_malformed_request_is_a_400(anonymous, body):
    assert_problem(anonymous.post("/credentials/verify", body, format="json"), 400)


def test_unknown_option_is_a_400(issue, verify):
    body = assert_problem(verify(issue(plain_credential()), fetchEverything=True), 400, "unsupported-option")
    assert body["option"] == "fetchEverything"


def test_a_revoked_credential_verifies_with_a_revocation_warning(issue, verify, university):
    signed = issue(
        plain_credential(id="urn:uuid:9a1c2b3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"),
        credentialStatus={"type": "BitstringStatusListEntry"},
    )
    university.post(
        "/credentials/status",
        {
            "credentialId": signed["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            "status": True,
        },
    )
    body = verify(signed).json()
    assert body["verified"] is True  # VCALM: status is a warning, the caller decides
    assert "status" in [warning["check"] for warning in body["warnings"]]
    assert any(warning["type"].endswith("#credential-revoked") for warning in body["warnings"])


def test_verify_is_throttled_per_client(issue, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "vc-api-verify": "2/minute"},
    }
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        client, signed = APIClient(), issue(plain_credential())
        statuses = [
            client.post("/credentials/verify", {"verifiableCredential": signed}, format="json").status_code
            for _ in range(3)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert statuses == [200, 200, 429]


# Verification refuses what issuance refuses.


def _signed_unchecked(university, document, cryptosuite):
    """Sign as another implementation might, with the university's key: nothing checked but JSON."""
    suite = SUITES[cryptosuite]
    identity = current_identity(university.organisation)
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": "2024-01-01T00:00:00Z",
        "verificationMethod": identity.verification_method,
        "proofPurpose": "assertionMethod",
        "@context": document["@context"],
    }
    data = suite.hash(suite.canonicalize(suite.proof_config(document, options)), suite.canonicalize(document))
    proof_value = encode_multibase(unseal_private_key(identity.key).sign(data))
    return {**document, "proof": {**options, "proofValue": proof_value}}


def test_a_jcs_credential_with_undefined_terms_is_a_422(university, issuer_did, verify):
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "DiplomaCredential"],
        "issuer": issuer_did,
        "credentialSubject": {"id": "did:example:an", "degree": "MSc", "honours": "cum laude"},
    }
    signed = _signed_unchecked(university, document, "eddsa-jcs-2022")

    body = assert_problem(verify(signed), 422, "not-verified")
    assert body["verified"] is False
    assert body["errors"][0]["check"] == "proof"
    assert body["errors"][0]["type"].endswith("#undefined-term")


def test_a_status_entry_that_cannot_be_checked_is_an_error_naming_it(university, verify, issuer_did):
    entry = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": True}
    unsigned = plain_credential(issuer=issuer_did, credentialStatus=entry)
    identity = current_identity(university.organisation)
    signed = add_proof(
        unsigned,
        private_key=unseal_private_key(identity.key),
        verification_method=identity.verification_method,
    )

    body = assert_problem(verify(signed), 422, "not-verified")
    assert body["verified"] is False
    (error,) = [error for error in body["errors"] if error["check"] == "status"]
    assert error["type"].endswith("#invalid-status-entry")
    assert "/credentialStatus/statusListIndex" in error["detail"]
    assert "/credentialStatus/statusListCredential" in error["detail"]
    assert "status" in body["checks"]


def test_a_status_entry_of_a_method_we_do_not_check_is_an_error_not_silence(issue, verify):
    entry = {"id": "did:example:status", "type": "CredentialStatusList2017"}
    credential = plain_credential(credentialStatus=entry)
    credential["@context"] = [
        *credential["@context"],
        {"CredentialStatusList2017": "https://example.org/examples#CredentialStatusList2017"},
    ]
    body = assert_problem(verify(issue(credential)), 422, "not-verified")
    (error,) = body["errors"]
    assert error["check"] == "status"
    assert "/credentialStatus" in error["detail"]


ECDSA_KEYS = {
    curve: multikey_to_ec_private_key(
        json.loads((VECTORS / "vc-di-ecdsa" / f"p{curve}KeyPair.json").read_text())["secretKeyMultibase"]
    )
    for curve in ("256", "384")
}
ECDSA_CASES = pytest.mark.parametrize(
    ("cryptosuite", "curve"),
    [(suite, curve) for suite in ("ecdsa-rdfc-2019", "ecdsa-jcs-2019") for curve in ("256", "384")],
)


def _ecdsa_signed(cryptosuite: str, curve: str) -> dict:
    key = ECDSA_KEYS[curve]
    did_key = did_key_for(key.public_key())
    return add_proof(
        plain_credential(issuer=did_key.did),
        private_key=key,
        verification_method=did_key.verification_method,
        cryptosuite=cryptosuite,
    )


@ECDSA_CASES
def test_an_ecdsa_credential_verifies(verify, cryptosuite, curve):
    response = verify(_ecdsa_signed(cryptosuite, curve))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["verified"] is True
    assert body["errors"] == []
    assert body["checks"] == ["proof", "issuer_trusted", "validity", "status"]
    # A did:key issuer accredited for nothing is a warning, as for an Ed25519 one.
    assert [warning["check"] for warning in body["warnings"]] == ["issuer_trusted"]


@ECDSA_CASES
def test_a_tampered_ecdsa_credential_fails_the_proof_check(verify, cryptosuite, curve):
    signed = _ecdsa_signed(cryptosuite, curve)
    signed["credentialSubject"]["name"] = "Mallory"
    body = assert_problem(verify(signed), 422, "not-verified")
    assert body["errors"][0]["check"] == "proof"
    assert body["errors"][0]["type"].endswith("#invalid-proof")
