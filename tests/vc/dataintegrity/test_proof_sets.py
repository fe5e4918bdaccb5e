"""Proof sets and chains (VC DI EdDSA 1.0 App. B.5, VC Data Integrity 1.0 §2.1.2-2.1.3), and the
rules every proof follows: purpose, created/expires, challenge and domain."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import VECTORS
from vc.dataintegrity import CLOCK_SKEW, add_proof, verify_proof, verify_proofs
from vc.dataintegrity import suites as suites_module
from vc.dataintegrity.proofs import MAX_PROOFS
from vc.errors import ProofInvalid, ProofOptionsInvalid, UnresolvableKey
from vc.multikey import decode_multibase, did_key_for, encode_multibase, multikey_to_private_key

SET_CHAIN = VECTORS / "vc-di-eddsa" / "proof-set-chain"
KEY_PAIRS = json.loads((SET_CHAIN / "multiKeyPairs.json").read_text())
KEYS = [multikey_to_private_key(KEY_PAIRS[f"keyPair{n}"]["privateKeyMultibase"]) for n in range(1, 5)]
CONFIGS = ["proofSetConfig1", "proofSetConfig2", "proofChainConfig1", "proofChainConfig2"]
# After each of the four steps, the signed document of the vector.
STEPS = ["signedProofSet1", "signedProofSet2", "signedProofChain1", "signedProofChain2"]


def _json(name: str) -> dict:
    return json.loads((SET_CHAIN / f"{name}.json").read_text())


def _text(name: str) -> str:
    return (SET_CHAIN / f"{name}.json").read_text()


UNSIGNED = _json("unsigned")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _add_vector_step(document: dict, step: int) -> dict:
    config = _json(CONFIGS[step])
    return add_proof(
        document,
        private_key=KEYS[step],
        verification_method=config["verificationMethod"],
        created=config["created"],
        proof_id=config.get("id"),
        previous_proof=config.get("previousProof"),
    )


# The vectors, step by step.


@pytest.mark.parametrize("steps", range(1, 5), ids=STEPS)
def test_adding_proofs_reproduces_each_signed_vector_byte_for_byte(steps):
    document = UNSIGNED
    for step in range(steps):
        document = _add_vector_step(document, step)
    assert json.dumps(document, indent=2) == _text(STEPS[steps - 1])


@pytest.mark.parametrize("step", range(4), ids=CONFIGS)
def test_each_new_proof_equals_the_signed_config_of_the_vector(step):
    document = UNSIGNED
    for previous in range(step + 1):
        document = _add_vector_step(document, previous)
    new_proof = document["proof"][-1] if isinstance(document["proof"], list) else document["proof"]
    signed_config = CONFIGS[step].replace("Config", "ConfigSigned")
    assert new_proof == _json(signed_config)


@pytest.mark.parametrize("name", STEPS)
def test_every_proof_of_each_vector_verifies(name):
    document = _json(name)
    verified = verify_proofs(document)
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    assert [v.verification_method for v in verified] == [p["verificationMethod"] for p in proofs]
    assert [v.proof_id for v in verified] == [p.get("id") for p in proofs]
    assert [v.controller for v in verified] == [
        "did:key:" + KEY_PAIRS[f"keyPair{n}"]["publicKeyMultibase"] for n in range(1, len(proofs) + 1)
    ]


@pytest.mark.parametrize("temp_doc", ["proofChainTempDoc1", "proofChainTempDoc2"])
def test_a_chained_proof_signs_the_document_with_exactly_the_proofs_it_names(temp_doc):
    # The vector's temporary document is what the chain link signs: the unsigned document with
    # `proof` = the named proofs. Signed alone, it verifies under the link's own proof config.
    step = 2 if temp_doc.endswith("1") else 3
    config = _json(CONFIGS[step].replace("Config", "ConfigSigned"))
    temp = _json(temp_doc)
    assert [p["id"] for p in temp["proof"]] == (
        config["previousProof"] if isinstance(config["previousProof"], list) else [config["previousProof"]]
    )
    suite = suites_module.SUITES["eddsa-rdfc-2022"]
    unsecured = {key: value for key, value in temp.items() if key != "proof"}
    data = suite.hash(suite.canonicalize(suite.proof_config(unsecured, config)), suite.canonicalize(temp))
    KEYS[step].public_key().verify(decode_multibase(config["proofValue"]), data)


# Every proof must verify: one good proof does not carry a bad one.


def _flip(proof: dict) -> None:
    signature = bytearray(decode_multibase(proof["proofValue"]))
    signature[5] ^= 0x01
    proof["proofValue"] = encode_multibase(bytes(signature))


@pytest.mark.parametrize("index", range(4))
def test_a_tampered_proof_beside_valid_ones_fails_naming_it(index):
    document = _json("signedProofChain2")
    _flip(document["proof"][index])
    with pytest.raises(ProofInvalid, match=f"^Proof {index}") as caught:
        verify_proofs(document)
    assert caught.value.extra["proofIndex"] == index
    assert caught.value.extra["rule"] == "signature"
    if "id" in document["proof"][index]:
        assert caught.value.extra["proofId"] == document["proof"][index]["id"]


def test_a_proof_set_holding_one_proof_copied_from_another_document_fails():
    other = add_proof(
        {**UNSIGNED, "name": "Another Credential"},
        private_key=KEYS[0],
        verification_method=_json(CONFIGS[0])["verificationMethod"],
    )
    document = _json("signedProofSet1")
    document["proof"] = [document["proof"], other["proof"]]
    with pytest.raises(ProofInvalid, match=r"^Proof 1: The signature does not match"):
        verify_proofs(document)


def test_changing_a_proof_a_chain_link_names_breaks_the_link_too():
    # Proof 0's created changes: proof 0 fails on its own; so does proof 2, which signed proof 0.
    document = _json("signedProofChain1")
    document["proof"][0]["created"] = "2023-02-24T23:36:39Z"
    with pytest.raises(ProofInvalid, match=r"^Proof 0"):
        verify_proofs(document)
    # Re-sign proof 0 with its own key: it verifies again, but the chain link still covers the old one.
    resigned = add_proof(
        {**UNSIGNED, "proof": document["proof"][1]},
        private_key=KEYS[0],
        verification_method=document["proof"][0]["verificationMethod"],
        created="2023-02-24T23:36:39Z",
        proof_id=document["proof"][0]["id"],
    )
    document["proof"][0] = resigned["proof"][1]
    with pytest.raises(ProofInvalid, match=r"^Proof 2 \(urn:uuid:d94f792a.*signature does not match"):
        verify_proofs(document)
    # Without the chain link, the re-signed set verifies: it was the link that caught the change.
    del document["proof"][2]
    assert len(verify_proofs(document)) == 2


def test_dangling_previous_proof_fails():
    document = _json("signedProofChain1")
    del document["proof"][1]  # the chain link names it
    with pytest.raises(ProofInvalid, match="previousProof' names urn:uuid:8cc9022b") as caught:
        verify_proofs(document)
    assert caught.value.extra["rule"] == "previousProof"


def test_previous_proof_naming_itself_fails():
    document = _json("signedProofChain1")
    document["proof"][2]["previousProof"] = document["proof"][2]["id"]
    with pytest.raises(ProofInvalid, match="names itself"):
        verify_proofs(document)


def test_two_proofs_with_the_same_id_fail():
    document = _json("signedProofSet2")
    document["proof"][1]["id"] = document["proof"][0]["id"]
    with pytest.raises(ProofInvalid, match="same 'id'"):
        verify_proofs(document)


def test_a_chain_link_pointing_at_other_proofs_than_it_signed_fails():
    document = _json("signedProofChain1")
    document["proof"][2]["previousProof"] = [document["proof"][0]["id"]]
    with pytest.raises(ProofInvalid, match=r"^Proof 2 .*signature"):
        verify_proofs(document)


def test_proof_sets_may_mix_cryptosuites():
    document = add_proof(UNSIGNED, private_key=KEYS[0], verification_method=_vm(KEYS[0]))
    document = add_proof(
        document,
        private_key=KEYS[1],
        verification_method=_vm(KEYS[1]),
        cryptosuite="eddsa-jcs-2022",
        proof_id="urn:uuid:jcs-proof",
    )
    verified = verify_proofs(document)
    assert [v.cryptosuite for v in verified] == ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
    assert verified[1].proof_id == "urn:uuid:jcs-proof"


def test_a_proof_set_canonicalizes_the_document_once_per_canonicalization(monkeypatch):
    document = UNSIGNED
    for key in KEYS[:3]:
        document = add_proof(
            document, private_key=key, verification_method=did_key_for(key.public_key()).verification_method
        )
    canonicalized = []
    real = suites_module.canonicalize

    def counting(data):
        canonicalized.append("proof config" if "proofPurpose" in data else "document")
        return real(data)

    monkeypatch.setattr(suites_module, "canonicalize", counting)
    assert len(verify_proofs(document)) == 3
    assert canonicalized.count("document") == 1
    assert canonicalized.count("proof config") == 3


def test_verify_proof_refuses_a_proof_set_and_points_to_verify_proofs():
    with pytest.raises(ProofInvalid, match="2 proofs; verify them all with verify_proofs"):
        verify_proof(_json("signedProofSet2"))


@pytest.mark.parametrize(
    "proof",
    [None, [], "a proof", ["a proof"], [{}, 3]],
    ids=["null", "empty list", "string", "list of strings", "list with a number"],
)
def test_malformed_proof_member_fails(proof):
    document = {**UNSIGNED, "proof": proof}
    with pytest.raises(ProofInvalid, match="proof"):
        verify_proofs(document)


@pytest.mark.parametrize(
    ("member", "value", "match"),
    [
        ("verificationMethod", None, "'verificationMethod' is missing"),
        ("proofPurpose", 7, "'proofPurpose' is missing or not a string"),
        ("proofValue", None, "'proofValue' is missing"),
        ("created", "yesterday", "'created' is not an XML Schema dateTime"),
        ("expires", "2030-01-01", "'expires' is not an XML Schema dateTime"),
        ("challenge", 42, "'challenge' must be a string"),
        ("domain", [], "'domain' must be a string or a list"),
        ("previousProof", {"id": "urn:x"}, "'previousProof' must be a proof id"),
        ("id", "not a url", "'id' must be a URL"),
    ],
)
def test_malformed_proof_members_fail_with_the_rule_named(member, value, match):
    document = _json("signedProofSet1")
    document["proof"][member] = value
    with pytest.raises(ProofInvalid, match=match):
        verify_proofs(document)


def test_unresolvable_verification_method_names_the_proof():
    document = _json("signedProofSet2")
    document["proof"][1]["verificationMethod"] = "did:example:nobody#key-1"
    with pytest.raises(UnresolvableKey, match=r"^Proof 1 \(urn:uuid:8cc9022b") as caught:
        verify_proofs(document)
    assert caught.value.extra["proofIndex"] == 1


# Creating proof sets and chains: what add_proof refuses.


def _vm(key: Ed25519PrivateKey) -> str:
    return did_key_for(key.public_key()).verification_method


def test_add_proof_to_a_signed_document_keeps_the_existing_proof_and_adds_one():
    first = _json("signedProofSet1")
    second = add_proof(first, private_key=KEYS[1], verification_method=_vm(KEYS[1]))
    assert second["proof"][0] == first["proof"]
    assert len(second["proof"]) == 2
    assert first == _json("signedProofSet1")  # the input is not changed


def test_add_proof_with_a_dangling_previous_proof_is_refused():
    with pytest.raises(ProofOptionsInvalid, match="does not carry \\['urn:uuid:missing'\\]"):
        add_proof(
            _json("signedProofSet2"),
            private_key=KEYS[2],
            verification_method=_vm(KEYS[2]),
            previous_proof="urn:uuid:missing",
        )


def test_add_proof_with_a_proof_id_already_used_is_refused():
    with pytest.raises(ProofOptionsInvalid, match="no other proof"):
        add_proof(
            _json("signedProofSet1"),
            private_key=KEYS[1],
            verification_method=_vm(KEYS[1]),
            proof_id=_json("signedProofSet1")["proof"]["id"],
        )


@pytest.mark.parametrize("cryptosuite", ["ecdsa-sd-2023", "Ed25519Signature2020", ""])
def test_add_proof_with_a_cryptosuite_we_do_not_sign_with_is_refused(cryptosuite):
    with pytest.raises(ProofOptionsInvalid, match="not a cryptosuite this service signs with"):
        add_proof(UNSIGNED, private_key=KEYS[0], verification_method=_vm(KEYS[0]), cryptosuite=cryptosuite)


@pytest.mark.parametrize(
    ("created", "expires", "match"),
    [
        ("2025-01-01", None, "'created' must be an XML Schema dateTime"),
        ("2025-01-01T00:00:00Z", "tomorrow", "'expires' must be an XML Schema dateTime"),
        ("2025-01-01T00:00:00Z", "2024-12-31T00:00:00Z", "expire before it was created"),
    ],
)
def test_add_proof_with_malformed_dates_is_refused(created, expires, match):
    with pytest.raises(ProofOptionsInvalid, match=match):
        add_proof(
            UNSIGNED,
            private_key=KEYS[0],
            verification_method=_vm(KEYS[0]),
            created=created,
            expires=expires,
        )


# Purposes.


def test_wrong_proof_purpose_fails():
    with pytest.raises(ProofInvalid, match="purpose is 'assertionMethod'; 'authentication' is required"):
        verify_proofs(_json("signedProofSet1"), expected_purpose="authentication", challenge="c", domain="d")


def test_every_proof_of_a_set_needs_the_expected_purpose():
    document = add_proof(
        _json("signedProofSet1"),
        private_key=KEYS[1],
        verification_method=_vm(KEYS[1]),
        proof_purpose="capabilityInvocation",
    )
    with pytest.raises(ProofInvalid, match=r"^Proof 1: The proof purpose is 'capabilityInvocation'"):
        verify_proofs(document)


# created and expires.


def _signed(**options) -> dict:
    return add_proof(UNSIGNED, private_key=KEYS[0], verification_method=_vm(KEYS[0]), **options)


def test_expired_proof_fails():
    document = _signed(created="2025-01-01T00:00:00Z", expires="2025-06-01T11:59:59Z")
    with pytest.raises(ProofInvalid, match="expired at 2025-06-01T11:59:59Z"):
        verify_proofs(document, now=NOW)


def test_proof_before_its_expiry_verifies():
    document = _signed(created="2025-01-01T00:00:00Z", expires="2025-06-01T12:00:00Z")
    assert verify_proofs(document, now=NOW)[0].created == "2025-01-01T00:00:00Z"


def test_proof_created_in_the_future_beyond_the_clock_skew_fails():
    future = (NOW + CLOCK_SKEW + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    with pytest.raises(ProofInvalid, match="created in the future") as caught:
        verify_proofs(_signed(created=future), now=NOW)
    assert caught.value.extra["rule"] == "created"


def test_proof_created_within_the_clock_skew_verifies():
    within = (NOW + CLOCK_SKEW).isoformat().replace("+00:00", "Z")
    assert verify_proofs(_signed(created=within), now=NOW)


def test_expires_is_signed():
    document = _signed(created="2025-01-01T00:00:00Z", expires="2025-06-02T00:00:00Z")
    document["proof"]["expires"] = "2099-01-01T00:00:00Z"
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proofs(document, now=NOW)


def test_default_created_is_now():
    document = _signed()
    created = datetime.fromisoformat(document["proof"]["created"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1)


# challenge and domain.


def _authentication(**options) -> dict:
    return _signed(proof_purpose="authentication", **options)


def test_authentication_proof_with_the_expected_challenge_and_domain_verifies():
    document = _authentication(challenge="nonce-1", domain="https://employer.example")
    (verified,) = verify_proofs(
        document, expected_purpose="authentication", challenge="nonce-1", domain="https://employer.example"
    )
    assert verified.proof_purpose == "authentication"


@pytest.mark.parametrize(
    ("challenge", "domain", "rule"),
    [
        ("nonce-2", "https://employer.example", "challenge"),
        ("nonce-1", "https://other.example", "domain"),
        (None, "https://employer.example", "challenge"),
        ("nonce-1", None, "domain"),
    ],
    ids=["replayed to another challenge", "redirected to another domain", "no challenge", "no domain"],
)
def test_authentication_proof_against_other_or_missing_expectations_fails(challenge, domain, rule):
    document = _authentication(challenge="nonce-1", domain="https://employer.example")
    with pytest.raises(ProofInvalid) as caught:
        verify_proofs(document, expected_purpose="authentication", challenge=challenge, domain=domain)
    assert caught.value.extra["rule"] == rule


@pytest.mark.parametrize("missing", ["challenge", "domain"])
def test_authentication_proof_without_challenge_or_domain_fails(missing):
    options = {"challenge": "nonce-1", "domain": "https://employer.example"}
    del options[missing]
    document = _authentication(**options)
    with pytest.raises(ProofInvalid, match=f"carries no '{missing}'"):
        verify_proofs(
            document,
            expected_purpose="authentication",
            challenge="nonce-1",
            domain="https://employer.example",
        )


def test_changed_challenge_breaks_the_signature():
    document = _authentication(challenge="nonce-1", domain="https://employer.example")
    document["proof"]["challenge"] = "nonce-2"
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proofs(
            document,
            expected_purpose="authentication",
            challenge="nonce-2",
            domain="https://employer.example",
        )


def test_domain_list_in_the_proof_must_contain_the_expected_domain():
    document = copy.deepcopy(_authentication(challenge="n", domain="https://a.example"))
    document["proof"]["domain"] = ["https://a.example", "https://b.example"]
    # The list is not what was signed, so the signature fails, but only after the domain matched:
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proofs(document, expected_purpose="authentication", challenge="n", domain="https://b.example")
    with pytest.raises(ProofInvalid, match="domain is not the one expected"):
        verify_proofs(document, expected_purpose="authentication", challenge="n", domain="https://c.example")


def test_assertion_proof_checks_a_challenge_when_the_verifier_gives_one():
    document = _signed(challenge="nonce-1")
    assert verify_proofs(document, challenge="nonce-1")
    with pytest.raises(ProofInvalid, match="challenge is not the one expected"):
        verify_proofs(document, challenge="nonce-2")


def test_a_jcs_chain_link_signs_the_named_proofs_in_the_documents_order():
    # JCS signs JSON arrays in order, so the order matters; like the spec's algorithm, the named
    # proofs are taken from the proof set in its order, whatever order previousProof lists them in.
    document = _json("signedProofSet2")
    first_id, second_id = (proof["id"] for proof in document["proof"])
    chained = add_proof(
        document,
        private_key=KEYS[2],
        verification_method=_vm(KEYS[2]),
        cryptosuite="eddsa-jcs-2022",
        previous_proof=[second_id, first_id],
    )
    assert len(verify_proofs(chained)) == 3
    chained["proof"][:2] = reversed(chained["proof"][:2])
    with pytest.raises(ProofInvalid, match=r"^Proof 2: The signature does not match"):
        verify_proofs(chained)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"proof_purpose": ""}, "proof purpose must be a name"),
        ({"challenge": ""}, "challenge must be a non-empty string"),
        ({"domain": 7}, "domain must be a non-empty string"),
        ({"verification_method": None}, "verification method must be a URL"),
    ],
)
def test_add_proof_with_malformed_options_is_refused(options, match):
    arguments = {"private_key": KEYS[0], "verification_method": _vm(KEYS[0]), **options}
    with pytest.raises(ProofOptionsInvalid, match=match):
        add_proof(UNSIGNED, **arguments)


# Bounds: each proof may cost a key fetch and a canonicalization, so a document carries at most
# MAX_PROOFS, and a failing proof stops the others from being resolved.


def _signed_by(keys: list[Ed25519PrivateKey]) -> dict:
    document = UNSIGNED
    for key in keys:
        document = add_proof(document, private_key=key, verification_method=_vm(key))
    return document


EIGHT_KEYS = [Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32) for n in range(1, MAX_PROOFS + 1)]


def _counting_canonicalizations(monkeypatch) -> list[str]:
    canonicalized: list[str] = []
    real = suites_module.canonicalize

    def counting(data):
        canonicalized.append("proof config" if "proofPurpose" in data else "document")
        return real(data)

    monkeypatch.setattr(suites_module, "canonicalize", counting)
    return canonicalized


def test_a_document_with_the_most_proofs_allowed_verifies(monkeypatch):
    document = _signed_by(EIGHT_KEYS)
    canonicalized = _counting_canonicalizations(monkeypatch)
    assert len(verify_proofs(document)) == MAX_PROOFS == 8
    assert canonicalized.count("document") == 1
    assert canonicalized.count("proof config") == MAX_PROOFS


def test_a_document_with_more_proofs_is_refused_before_any_canonicalization(monkeypatch):
    document = _signed_by(EIGHT_KEYS)
    ninth = add_proof(UNSIGNED, private_key=KEYS[0], verification_method=_vm(KEYS[0]))["proof"]
    document["proof"].append(ninth)  # a valid proof: only the count is wrong
    canonicalized = _counting_canonicalizations(monkeypatch)
    with pytest.raises(ProofInvalid, match="carries 9 proofs; at most 8 are verified") as caught:
        verify_proofs(document)
    assert caught.value.extra == {"rule": "proof", "maxProofs": 8}
    assert canonicalized == []


def test_add_proof_refuses_a_proof_beyond_the_most_a_verifier_accepts():
    with pytest.raises(ProofOptionsInvalid, match="already carries 8 proofs; verifiers accept at most 8"):
        add_proof(_signed_by(EIGHT_KEYS), private_key=KEYS[0], verification_method=_vm(KEYS[0]))


def test_a_previous_proof_list_longer_than_the_proof_set_is_refused():
    document = _json("signedProofChain1")
    document["proof"][2]["previousProof"] = [document["proof"][0]["id"]] * 4
    with pytest.raises(
        ProofInvalid, match="'previousProof' names 4 proofs; the document carries only 3"
    ) as caught:
        verify_proofs(document)
    assert caught.value.extra["rule"] == "previousProof"


def test_the_first_failing_proof_stops_the_others_from_being_resolved():
    # Proof 0 is forged; proof 1 names a key nobody can resolve. Proof by proof, the forgery is
    # found first and proof 1's key is never looked up (with did:web, never fetched).
    document = _json("signedProofSet2")
    _flip(document["proof"][0])
    document["proof"][1]["verificationMethod"] = "did:example:nobody#key-1"
    with pytest.raises(
        ProofInvalid, match=r"^Proof 0 \(urn:uuid:26329423.*signature does not match"
    ) as caught:
        verify_proofs(document)
    assert caught.value.extra["proofIndex"] == 0
