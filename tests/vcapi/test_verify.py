"""POST /credentials/verify: public, throttled; VCALM result on 200, problem+json on 422."""

import pytest
from rest_framework.test import APIClient

from tests.support import assert_problem

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


def test_a_vcdm_1_1_credential_verifies(issue, verify, issuer_did):
    assert verify(issue(vcdm11_credential(issuer=issuer_did))).status_code == 200


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
