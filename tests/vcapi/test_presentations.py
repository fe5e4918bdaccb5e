"""POST /presentations/verify: the holder's proof (challenge, domain) and every credential inside."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.multikey import did_key_for
from credentials.presentations import create_presentation
from tests.support import assert_problem

from .conftest import plain_credential

CHALLENGE, DOMAIN = "u3fY8sJz0Xl0", "verifier.example"


@pytest.fixture
def holder():
    private_key = Ed25519PrivateKey.generate()
    did_key = did_key_for(private_key.public_key())
    return private_key, did_key.did, f"{did_key.did}#{did_key.multikey}"


@pytest.fixture
def present(holder):
    private_key, did, method = holder

    def _present(credentials, cryptosuite="eddsa-rdfc-2022"):
        return create_presentation(
            credentials,
            holder=did,
            private_key=private_key,
            verification_method=method,
            challenge=CHALLENGE,
            domain=DOMAIN,
            cryptosuite=cryptosuite,
        )

    return _present


def _verify(client, presentation, **options):
    options = {"challenge": CHALLENGE, "domain": DOMAIN, **options}
    return client.post(
        "/presentations/verify", {"verifiablePresentation": presentation, "options": options}, format="json"
    )


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_presentation_of_our_credentials_verifies(anonymous, issue, present, cryptosuite):
    first = issue(plain_credential(credentialSubject={"id": "did:example:alice", "name": "Alice"}))
    second = issue(plain_credential(credentialSubject={"id": "did:example:bob", "name": "Bob"}))
    presentation = present([first, second], cryptosuite)

    response = _verify(anonymous, presentation, returnPresentation=True)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["verified"] is True and body["errors"] == []
    assert [result["verified"] for result in body["credentialResults"]] == [True, True]
    assert body["verifiablePresentation"] == presentation


@pytest.mark.parametrize(
    "options", [{"challenge": "replayed"}, {"domain": "elsewhere.example"}], ids=["challenge", "domain"]
)
def test_a_replayed_or_redirected_presentation_is_refused(anonymous, issue, present, options):
    body = assert_problem(
        _verify(anonymous, present([issue(plain_credential())]), **options), 422, "not-verified"
    )
    assert body["errors"][0]["check"] == "presentation"


def test_a_tampered_credential_inside_fails_the_whole(anonymous, issue, present):
    tampered = issue(plain_credential())
    tampered["credentialSubject"]["name"] = "Mallory"
    other = issue(plain_credential(credentialSubject={"id": "did:example:bob", "name": "Bob"}))
    presentation = present([other, tampered])

    body = assert_problem(_verify(anonymous, presentation), 422, "not-verified")
    assert [result["verified"] for result in body["credentialResults"]] == [True, False]
    assert body["errors"][0]["credential"] == 1


def test_a_presentation_without_proof_is_refused(anonymous, issue, present):
    presentation = present([issue(plain_credential())])
    del presentation["proof"]
    assert_problem(_verify(anonymous, presentation), 422, "not-verified")


@pytest.mark.parametrize("body", [{}, {"verifiablePresentation": "vp"}, "vp"])
def test_malformed_request_is_a_400(anonymous, body):
    assert_problem(anonymous.post("/presentations/verify", body, format="json"), 400)
