"""POST /credentials/issue signs with any of the five suites (options.cryptosuite): eddsa-* with
the issuer's Ed25519 key, ecdsa-* with its P-256 key; ecdsa-sd-2023 makes a base proof with
options.mandatoryPointers. POST /api/v1/issuer/credentials names the suite of the proof a pod
credential is read whole with; the ecdsa-sd-2023 base proof is always beside it."""

import pytest

from credentials.models import IssuerKey
from credentials.selectors import active_issuer_key
from tests.conftest import diploma
from tests.support import assert_problem
from vc.dataintegrity import verify_proofs
from vc.dataintegrity.sd import derive_proof, parse_base_proof_value

from .conftest import plain_credential

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019", "ecdsa-sd-2023"]


@pytest.mark.parametrize("cryptosuite", SUITES)
def test_each_suite_is_signed_with_the_key_of_its_type(university, issuer_did, cryptosuite, anonymous):
    response = university.post(
        "/credentials/issue",
        {"credential": plain_credential(issuer=issuer_did), "options": {"cryptosuite": cryptosuite}},
    )
    assert response.status_code == 201, response.json()
    signed = response.json()["verifiableCredential"]
    proof = signed["proof"]
    assert (proof["type"], proof["cryptosuite"]) == ("DataIntegrityProof", cryptosuite)
    key_type = IssuerKey.KeyType.ED25519 if cryptosuite.startswith("eddsa") else IssuerKey.KeyType.P256
    key = active_issuer_key(university.organisation, key_type=key_type)
    assert proof["verificationMethod"] == key.verification_method
    if cryptosuite == "ecdsa-sd-2023":
        # A base proof is the holder's: derive, then the verifier checks the derived proof.
        assert list(parse_base_proof_value(proof["proofValue"]).mandatory_pointers) == [
            "/issuer",
            "/type",
            "/credentialSubject/id",
        ]
        signed = derive_proof(signed, ["/credentialSubject/name"])
        assert signed["credentialSubject"] == {"id": "did:example:alice", "name": "Alice"}
    else:
        (verified,) = verify_proofs(signed, expected_purpose="assertionMethod")
        assert verified.controller == key.did
    answer = anonymous.post("/credentials/verify", {"verifiableCredential": signed}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["verified"] is True


def test_ecdsa_sd_2023_takes_the_callers_mandatory_pointers(issue):
    signed = issue(
        plain_credential(),
        cryptosuite="ecdsa-sd-2023",
        mandatoryPointers=["/issuer", "/credentialSubject/name"],
    )
    base = parse_base_proof_value(signed["proof"]["proofValue"])
    assert list(base.mandatory_pointers) == ["/issuer", "/credentialSubject/name"]
    derived = derive_proof(signed, [])
    assert derived["credentialSubject"]["name"] == "Alice"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"cryptosuite": "bbs-2023"}, "'bbs-2023' is not supported"),
        ({"cryptosuite": "ecdsa-sd-2023", "mandatoryPointers": ["/nowhere"]}, "'/nowhere' names nothing"),
        ({"cryptosuite": "ecdsa-sd-2023", "mandatoryPointers": ["issuer"]}, "JSON Pointers"),
        ({"cryptosuite": "ecdsa-rdfc-2019", "mandatoryPointers": ["/issuer"]}, "goes with"),
        ({"mandatoryPointers": ["/issuer"]}, "goes with"),
    ],
)
def test_a_suite_or_pointers_we_cannot_honour_are_a_400_naming_them(university, issuer_did, options, words):
    response = university.post(
        "/credentials/issue", {"credential": plain_credential(issuer=issuer_did), "options": options}
    )
    body = assert_problem(response, 400, "unsupported-option")
    assert body["option"] == ("cryptosuite" if "bbs" in str(options) else "mandatoryPointers")
    assert words in body["detail"]
    if "bbs" in str(options):
        assert body["supported"] == SUITES


def test_too_many_mandatory_pointers_are_refused(university, issuer_did):
    pointers = [f"/credentialSubject/n{i}" for i in range(65)]
    response = university.post(
        "/credentials/issue",
        {
            "credential": plain_credential(issuer=issuer_did),
            "options": {"cryptosuite": "ecdsa-sd-2023", "mandatoryPointers": pointers},
        },
    )
    assert response.status_code == 400


@pytest.mark.parametrize("cryptosuite", ["ecdsa-rdfc-2019", "ecdsa-jcs-2019", "ecdsa-sd-2023"])
def test_an_ecdsa_credential_may_name_the_p256_did_key_as_its_issuer(university, anonymous, cryptosuite):
    # Verifiers elsewhere want the proof's key to be the issuer's DID: a did:key is one key.
    p256 = active_issuer_key(university.organisation, key_type=IssuerKey.KeyType.P256)
    response = university.post(
        "/credentials/issue",
        {"credential": plain_credential(issuer=p256.did), "options": {"cryptosuite": cryptosuite}},
    )
    assert response.status_code == 201, response.json()
    signed = response.json()["verifiableCredential"]
    assert signed["issuer"] == p256.did
    assert signed["proof"]["verificationMethod"] == p256.verification_method
    if cryptosuite == "ecdsa-sd-2023":
        signed = derive_proof(signed, [])
    answer = anonymous.post("/credentials/verify", {"verifiableCredential": signed}, format="json")
    assert answer.status_code == 200, answer.json()


def test_the_p256_did_key_names_no_issuer_of_an_eddsa_proof_or_a_status_list(university):
    p256 = active_issuer_key(university.organisation, key_type=IssuerKey.KeyType.P256)
    response = university.post("/credentials/issue", {"credential": plain_credential(issuer=p256.did)})
    assert "/issuer must be" in assert_problem(response, 422, "invalid-credential")["detail"]
    response = university.post(
        "/credentials/issue",
        {
            "credential": plain_credential(
                issuer=p256.did, id="urn:uuid:5b0f8a52-5d55-4b55-9d55-1d2f1b7e4a01"
            ),
            "options": {
                "cryptosuite": "ecdsa-rdfc-2019",
                "credentialStatus": {"type": "BitstringStatusListEntry"},
            },
        },
    )
    assert assert_problem(response, 400, "unsupported-option")["option"] == "credentialStatus"


# The issuer API into pods.

POD_URL = "/api/v1/issuer/credentials"


@pytest.mark.parametrize("cryptosuite", SUITES[:4])
def test_a_pod_credential_is_read_whole_with_the_named_suite_beside_the_base_proof(
    university, citizen, cryptosuite
):
    response = university.post(
        POD_URL,
        {
            "recipient": {"nationalId": "BE:85073003328"},
            "credential": diploma(),
            "options": {"cryptosuite": cryptosuite},
        },
    )
    assert response.status_code == 201, response.json()
    whole, base = response.json()["credential"]["proof"]
    assert whole["cryptosuite"] == cryptosuite and base["cryptosuite"] == "ecdsa-sd-2023"


def test_a_pod_credential_without_a_whole_proof_is_refused_with_the_reason(university, citizen):
    response = university.post(
        POD_URL,
        {
            "recipient": {"nationalId": "BE:85073003328"},
            "credential": diploma(),
            "options": {"cryptosuite": "ecdsa-sd-2023"},
        },
    )
    body = assert_problem(response, 400, "unsupported-option")
    assert "always carries an ecdsa-sd-2023 base proof" in body["detail"]
    assert not citizen.pod.credentials.exists()


def test_an_unknown_pod_suite_is_a_400_naming_it(university, citizen):
    response = university.post(
        POD_URL,
        {
            "recipient": {"nationalId": "BE:85073003328"},
            "credential": diploma(),
            "options": {"cryptosuite": "bbs-2023"},
        },
    )
    assert response.status_code == 400
    assert "bbs-2023" in str(response.json())


def test_a_subject_holding_only_its_id_is_made_mandatory_whole(issue, anonymous):
    # The W3C ECDSA suite's VCDM 1.1 credential: JSON-LD reads {"id": X} as X itself.
    signed = issue(
        plain_credential(credentialSubject={"id": "did:example:alice"}), cryptosuite="ecdsa-sd-2023"
    )
    base = parse_base_proof_value(signed["proof"]["proofValue"])
    assert list(base.mandatory_pointers) == ["/issuer", "/type", "/credentialSubject"]
    derived = derive_proof(signed, [])
    assert derived["credentialSubject"] == {"id": "did:example:alice"}
    answer = anonymous.post("/credentials/verify", {"verifiableCredential": derived}, format="json")
    assert answer.status_code == 200, answer.json()
