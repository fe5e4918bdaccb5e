"""eddsa-jcs-2022 and Ed25519Signature2020 against the official vectors (VC DI EdDSA 1.0, App. B.3
and B.4), step by step as App. B lays them out (tests/vectors/PROVENANCE.md); byte-for-byte reproduction
of every signed vector; and what tells the suites apart (swapped names, mismatched types)."""

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import VECTORS
from vc.dataintegrity import (
    SUPPORTED_CRYPTOSUITES,
    VERIFIABLE_CRYPTOSUITES,
    add_proof,
    verify_proof,
    verify_proofs,
)
from vc.dataintegrity.suites import SUITES
from vc.errors import (
    JsonLdInvalid,
    NotCanonicalizable,
    ProofInvalid,
    ProofOptionsInvalid,
    UndefinedTerm,
    UnknownContext,
)
from vc.jsonld import EXAMPLES_V2
from vc.multikey import decode_multibase, did_key_for, encode_multibase, multikey_to_private_key

EDDSA = VECTORS / "vc-di-eddsa"
KEY_PAIR = json.loads((EDDSA / "keyPair.json").read_text())
VECTOR_KEY = multikey_to_private_key(KEY_PAIR["privateKeyMultibase"])
UNSIGNED = json.loads((EDDSA / "unsigned.json").read_text())


@dataclass(frozen=True)
class SuiteVector:
    suite: str
    folder: Path
    suffix: str
    signed_name: str

    def text(self, stem: str) -> str:
        return (self.folder / f"{stem}{self.suffix}.txt").read_text()

    def stripped(self, stem: str) -> str:
        return self.text(stem).strip()

    @property
    def signed_text(self) -> str:
        return (self.folder / self.signed_name).read_text()

    @property
    def signed(self) -> dict:
        return json.loads(self.signed_text)

    @property
    def proof_config(self) -> dict:
        return json.loads((self.folder / f"proofConfig{self.suffix}.json").read_text())

    @property
    def unsigned(self) -> dict:
        # App. B.4: the unsigned document is the signed one minus its proof.
        return {key: value for key, value in self.signed.items() if key != "proof"}


JCS = SuiteVector("eddsa-jcs-2022", EDDSA / "eddsa-jcs-2022", "JCS", "signedJCS.json")
ED_SIG_2020 = SuiteVector("Ed25519Signature2020", EDDSA / "Ed25519Signature2020", "EdSig", "signedEdSig.json")
RDFC = SuiteVector("eddsa-rdfc-2022", EDDSA / "eddsa-rdfc-2022", "DataInt", "signedDataInt.json")
RDFC_EMPLOY = SuiteVector(
    "eddsa-rdfc-2022", EDDSA / "eddsa-rdfc-2022" / "employ", "DataInt", "signedDataInt.json"
)
STEP_VECTORS = pytest.mark.parametrize("vector", [JCS, ED_SIG_2020], ids=lambda v: v.suite)
ALL_VECTORS = pytest.mark.parametrize(
    "vector", [RDFC, RDFC_EMPLOY, JCS, ED_SIG_2020], ids=["rdfc", "rdfc-employ", "jcs", "ed25519-2020"]
)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Steps 1-6, through the suite objects the proofs use.


@STEP_VECTORS
def test_canonical_document_equals_vector_exactly(vector):
    canonical = SUITES[vector.suite].canonicalize(vector.unsigned).decode("utf-8")
    assert canonical == vector.text("canonDoc")


@STEP_VECTORS
def test_canonical_proof_config_equals_vector_exactly(vector):
    suite = SUITES[vector.suite]
    config = suite.proof_config(vector.unsigned, vector.proof_config)
    assert config == vector.proof_config  # the vector's config already carries the document's @context
    assert suite.canonicalize(config).decode("utf-8") == vector.text("proofCanon")


@STEP_VECTORS
def test_hashes_and_combined_hash_put_the_proof_config_first(vector):
    suite = SUITES[vector.suite]
    canonical_document = suite.canonicalize(vector.unsigned)
    canonical_config = suite.canonicalize(vector.proof_config)
    assert _sha256_hex(canonical_document) == vector.stripped("docHash")
    assert _sha256_hex(canonical_config) == vector.stripped("proofHash")
    combined = suite.hash(canonical_config, canonical_document)
    assert combined.hex() == vector.stripped("combinedHash")
    assert combined.hex() == vector.stripped("proofHash") + vector.stripped("docHash")


@STEP_VECTORS
def test_signature_and_proof_value_equal_vector(vector):
    signature = VECTOR_KEY.sign(bytes.fromhex(vector.stripped("combinedHash")))
    assert signature.hex() == vector.stripped("sigHex")
    assert encode_multibase(signature) == vector.stripped("sigBTC58")
    assert vector.signed["proof"]["proofValue"] == vector.stripped("sigBTC58")


# Step 7: every signed vector verifies, and our signing reproduces it byte for byte.


@ALL_VECTORS
def test_signed_vector_verifies(vector):
    (verified,) = verify_proofs(vector.signed)
    assert verified.cryptosuite == vector.suite
    assert verified.controller == "did:key:" + KEY_PAIR["publicKeyMultibase"]
    assert verified.created == "2023-02-24T23:36:38Z"
    assert verified.proof_purpose == "assertionMethod"
    assert verified.proof_id is None


@pytest.mark.parametrize("vector", [RDFC, RDFC_EMPLOY, JCS], ids=["rdfc", "rdfc-employ", "jcs"])
def test_add_proof_reproduces_the_signed_vector_byte_for_byte(vector):
    unsigned = json.loads(
        (EDDSA / ("employmentAuth.json" if vector is RDFC_EMPLOY else "unsigned.json")).read_text()
    )
    signed = add_proof(
        unsigned,
        private_key=VECTOR_KEY,
        verification_method=vector.proof_config["verificationMethod"],
        cryptosuite=vector.suite,
        created=vector.proof_config["created"],
    )
    assert json.dumps(signed, indent=2, ensure_ascii=False) == vector.signed_text


def test_jcs_proof_carries_the_document_context():
    signed = add_proof(
        UNSIGNED,
        private_key=VECTOR_KEY,
        verification_method=JCS.proof_config["verificationMethod"],
        cryptosuite="eddsa-jcs-2022",
    )
    assert signed["proof"]["@context"] == UNSIGNED["@context"]
    assert signed["proof"]["@context"] is not UNSIGNED["@context"]
    verify_proof(signed)


def test_supported_cryptosuites_sign_two_and_verify_six():
    # The service's Ed25519 keys sign with two; the ECDSA suites are verified (test_ecdsa_2019.py,
    # test_ecdsa_sd_2023.py).
    assert SUPPORTED_CRYPTOSUITES == ("eddsa-rdfc-2022", "eddsa-jcs-2022")
    assert VERIFIABLE_CRYPTOSUITES == (
        "eddsa-rdfc-2022",
        "eddsa-jcs-2022",
        "Ed25519Signature2020",
        "ecdsa-rdfc-2019",
        "ecdsa-jcs-2019",
        "ecdsa-sd-2023",
    )


# Tampering with each signed field, for the two suites test_eddsa_rdfc_2022.py does not cover.


def _set(*path):
    *steps, last = path[:-1]
    value = path[-1]

    def change(document):
        node = document
        for step in steps:
            node = node[step]
        node[last] = value

    return change


def _flip_signature_bit(document):
    signature = bytearray(decode_multibase(document["proof"]["proofValue"]))
    signature[0] ^= 0x80
    document["proof"]["proofValue"] = encode_multibase(bytes(signature))


def _another_issuers_key(document):
    other = did_key_for(Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key())
    document["proof"]["verificationMethod"] = other.verification_method


TAMPERING = {
    "name": _set("name", "Forged Credential"),
    "issuer": _set("issuer", "https://vc.example/issuers/9999"),
    "validFrom": _set("validFrom", "2020-01-01T00:00:00Z"),
    "subject alumniOf": _set("credentialSubject", "alumniOf", "Another School"),
    "subject id": _set("credentialSubject", "id", "did:example:someoneelse"),
    "proof created": _set("proof", "created", "2023-02-24T23:36:39Z"),
    "flipped signature bit": _flip_signature_bit,
    "another issuer's key": _another_issuers_key,
}


@pytest.mark.parametrize("vector", [JCS, ED_SIG_2020], ids=lambda v: v.suite)
@pytest.mark.parametrize("change", TAMPERING.values(), ids=TAMPERING.keys())
def test_changing_a_signed_field_fails_verification(vector, change):
    tampered = copy.deepcopy(vector.signed)
    change(tampered)
    with pytest.raises(ProofInvalid, match="signature does not match"):
        verify_proofs(tampered)


def test_jcs_signs_json_bytes_so_even_key_order_free_changes_of_values_fail():
    # JCS covers values RDFC would not distinguish, e.g. a type list reordered.
    tampered = copy.deepcopy(JCS.signed)
    tampered["type"].reverse()
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proofs(tampered)


def test_jcs_verification_ignores_member_order_of_the_json():
    reordered = dict(reversed(list(JCS.signed.items())))
    reordered["proof"] = dict(reversed(list(JCS.signed["proof"].items())))
    assert verify_proofs(reordered)[0].cryptosuite == "eddsa-jcs-2022"


# Swapped suites and mismatched types: a proof verifies only under the suite that made it.


@pytest.mark.parametrize(
    ("vector", "swap_to"),
    [(RDFC, "eddsa-jcs-2022"), (JCS, "eddsa-rdfc-2022")],
    ids=["rdfc proof named jcs", "jcs proof named rdfc"],
)
def test_proof_value_under_another_cryptosuite_name_fails(vector, swap_to):
    tampered = copy.deepcopy(vector.signed)
    tampered["proof"]["cryptosuite"] = swap_to
    with pytest.raises(ProofInvalid, match="signature does not match"):
        verify_proofs(tampered)


def test_ed25519_signature_2020_proof_as_data_integrity_proof_fails():
    tampered = copy.deepcopy(ED_SIG_2020.signed)
    tampered["proof"]["type"] = "DataIntegrityProof"
    tampered["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    with pytest.raises(ProofInvalid, match="signature does not match"):
        verify_proofs(tampered)


@pytest.mark.parametrize(
    ("proof_type", "cryptosuite", "match"),
    [
        ("DataIntegrityProof", "Ed25519Signature2020", "cryptosuite 'Ed25519Signature2020' is not one"),
        ("DataIntegrityProof", "bbs-2023", "cryptosuite 'bbs-2023' is not one"),
        ("DataIntegrityProof", "ecdsa-sd-2023", "ecdsa-sd-2023 proofValue is base64url multibase"),
        (
            "DataIntegrityProof",
            "ecdsa-rdfc-2019",
            "verified with a P-256 or P-384 key; its verification method's key is Ed25519",
        ),
        ("DataIntegrityProof", None, "cryptosuite None is not one"),
        ("Ed25519Signature2018", None, "type 'Ed25519Signature2018' is not one"),
        ("eddsa-rdfc-2022", None, "type 'eddsa-rdfc-2022' is not one"),
        ("Ed25519Signature2020", "eddsa-rdfc-2022", "has no 'cryptosuite'"),
    ],
)
def test_unknown_or_mismatched_type_and_cryptosuite_fail(proof_type, cryptosuite, match):
    tampered = copy.deepcopy(RDFC.signed)
    tampered["proof"]["type"] = proof_type
    if cryptosuite is None:
        del tampered["proof"]["cryptosuite"]
    else:
        tampered["proof"]["cryptosuite"] = cryptosuite
    with pytest.raises(ProofInvalid, match=match):
        verify_proofs(tampered)


def test_ed25519_signature_2020_needs_its_context():
    tampered = copy.deepcopy(ED_SIG_2020.signed)
    tampered["@context"].remove("https://w3id.org/security/suites/ed25519-2020/v1")
    with pytest.raises(ProofInvalid, match="ed25519-2020/v1"):
        verify_proofs(tampered)


def test_ed25519_signature_2020_needs_created():
    tampered = copy.deepcopy(ED_SIG_2020.signed)
    del tampered["proof"]["created"]
    with pytest.raises(ProofInvalid, match="created"):
        verify_proofs(tampered)


def test_ed25519_signature_2020_is_verify_only():
    with pytest.raises(ProofOptionsInvalid, match="not a cryptosuite this service signs with"):
        add_proof(
            UNSIGNED,
            private_key=VECTOR_KEY,
            verification_method=ED_SIG_2020.proof_config["verificationMethod"],
            cryptosuite="Ed25519Signature2020",
        )


# eddsa-jcs-2022 checks contexts without expanding.


def _vector_vm():
    return JCS.proof_config["verificationMethod"]


def _sign_jcs(document):
    return add_proof(
        document,
        private_key=VECTOR_KEY,
        verification_method=JCS.proof_config["verificationMethod"],
        cryptosuite="eddsa-jcs-2022",
    )


def test_jcs_refuses_to_sign_a_document_with_an_unknown_context():
    document = {**UNSIGNED, "@context": [*UNSIGNED["@context"], "https://example.com/unknown/v1"]}
    with pytest.raises(UnknownContext, match=re.escape("https://example.com/unknown/v1")):
        _sign_jcs(document)


def test_jcs_rejects_a_signed_document_with_an_unknown_nested_context():
    # Signed correctly (bypassing our own checks), it must still be refused on verification.
    document = copy.deepcopy(UNSIGNED)
    document["credentialSubject"]["@context"] = "https://example.com/unknown/v1"
    suite = SUITES["eddsa-jcs-2022"]
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2024-01-01T00:00:00Z",
        "verificationMethod": JCS.proof_config["verificationMethod"],
        "proofPurpose": "assertionMethod",
    }
    data = suite.hash(suite.canonicalize(suite.proof_config(document, options)), suite.canonicalize(document))
    signed = {**document, "proof": {**options, "proofValue": encode_multibase(VECTOR_KEY.sign(data))}}
    with pytest.raises(UnknownContext):
        verify_proofs(signed)


def test_jcs_holds_inline_contexts_to_the_rdfc_rules():
    # The same safe subset as eddsa-rdfc-2022 (vc.jsonld.check_contexts): new terms as
    # absolute IRIs are accepted; @vocab, which changes how every other term is read, is not.
    with_new_term = {
        **UNSIGNED,
        "@context": [*UNSIGNED["@context"], {"nickname": "https://example.com/nick"}],
    }
    assert verify_proofs(_sign_jcs(with_new_term))
    with_vocab = {**UNSIGNED, "@context": [*UNSIGNED["@context"], {"@vocab": "https://evil.example/#"}]}
    with pytest.raises(JsonLdInvalid, match="'@vocab' is not accepted"):
        _sign_jcs(with_vocab)


def _sign_jcs_unchecked(document):
    """Sign with eddsa-jcs-2022 as another implementation might: no term checked."""
    suite = SUITES["eddsa-jcs-2022"]
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2024-01-01T00:00:00Z",
        "verificationMethod": _vector_vm(),
        "proofPurpose": "assertionMethod",
        "@context": document["@context"],
    }
    data = suite.hash(suite.canonicalize(suite.proof_config(document, options)), suite.canonicalize(document))
    return {**document, "proof": {**options, "proofValue": encode_multibase(VECTOR_KEY.sign(data))}}


UNDEFINED_TERMS = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential", "DiplomaCredential"],
    "issuer": "did:example:issuer",
    "credentialSubject": {"id": "did:example:subject", "degree": "MSc", "honours": "cum laude"},
}


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_both_suites_refuse_to_sign_terms_the_contexts_do_not_define(cryptosuite):
    # JCS signs JSON bytes, but the data model still requires every term to be defined.
    with pytest.raises(UndefinedTerm):
        add_proof(
            copy.deepcopy(UNDEFINED_TERMS),
            private_key=VECTOR_KEY,
            verification_method=_vector_vm(),
            cryptosuite=cryptosuite,
        )


def test_jcs_refuses_to_verify_terms_the_contexts_do_not_define():
    signed = _sign_jcs_unchecked(copy.deepcopy(UNDEFINED_TERMS))
    with pytest.raises(UndefinedTerm, match=r"DiplomaCredential|degree|honours"):
        verify_proofs(signed)


def test_jcs_refuses_an_undefined_term_however_often_the_same_document_is_verified():
    defined = {**copy.deepcopy(UNDEFINED_TERMS), "type": ["VerifiableCredential"]}
    defined["credentialSubject"] = {"id": "did:example:subject", "name": "An"}
    good = _sign_jcs(defined)
    bad = _sign_jcs_unchecked({**copy.deepcopy(defined), "honours": "cum laude"})
    for _ in range(3):  # the expansion verdict may be cached: only ever for the same bytes
        assert verify_proofs(good)
        with pytest.raises(UndefinedTerm, match="honours"):
            verify_proofs(bad)


def test_jcs_refuses_an_unknown_context_however_often_a_document_like_it_passed():
    """Only the verdict of the same JCS bytes is remembered (and only a pass), and a remembered
    document skips the context walk too: one that differs by an unknown nested context is
    refused every time; and a context refused is named before a number JCS cannot print."""
    good = _sign_jcs(copy.deepcopy(UNSIGNED))
    unknown = copy.deepcopy(UNSIGNED)
    unknown["credentialSubject"]["@context"] = "https://example.com/unknown/v1"
    bad = _sign_jcs_unchecked(unknown)
    for _ in range(3):
        assert verify_proofs(good)
        with pytest.raises(UnknownContext, match=re.escape("https://example.com/unknown/v1")):
            verify_proofs(bad)
    unknown["credentialSubject"]["alumniOf"] = 2**60
    with pytest.raises(UnknownContext):
        _sign_jcs(unknown)


def test_jcs_signed_bytes_still_cover_every_value():
    signed = _sign_jcs(copy.deepcopy(UNSIGNED))
    verify_proofs(signed)
    signed["credentialSubject"]["id"] = "did:example:someone-else"
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proofs(signed)


def test_jcs_refuses_numbers_it_cannot_canonicalize():
    document = copy.deepcopy(UNSIGNED)
    document["credentialSubject"]["alumniOf"] = 2**60
    with pytest.raises(NotCanonicalizable, match="RFC 8785"):
        _sign_jcs(document)


def test_proof_context_other_than_the_documents_fails():
    tampered = copy.deepcopy(JCS.signed)
    tampered["proof"]["@context"] = [tampered["@context"][0]]  # a prefix, which the spec would accept
    with pytest.raises(ProofInvalid, match="@context differs"):
        verify_proofs(tampered)


def test_jcs_proof_without_its_context_member_still_signs_the_documents_context():
    # The proof config always takes the document's @context; leaving it out of the proof changes nothing.
    signed = copy.deepcopy(JCS.signed)
    del signed["proof"]["@context"]
    assert verify_proofs(signed)[0].cryptosuite == "eddsa-jcs-2022"
    signed["@context"] = [signed["@context"][0], EXAMPLES_V2, "https://w3id.org/security/data-integrity/v2"]
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proofs(signed)


# Signing and verifying make each canonical form once.


def test_copy_json_is_a_deep_copy_sharing_nothing_mutable():
    from vc.dataintegrity.proofs import copy_json

    document = {"a": [1, 2.5, {"b": None, "c": True}], "d": "text", "e": (1, [2])}
    copied = copy_json(document)
    assert copied == copy.deepcopy(document)
    assert (
        copied is not document and copied["a"] is not document["a"] and copied["a"][2] is not document["a"][2]
    )
    assert copied["e"] == (1, [2]) and copied["e"][1] is not document["e"][1]  # left to copy.deepcopy


@pytest.mark.parametrize("cryptosuite", ["eddsa-jcs-2022", "ecdsa-jcs-2019"])
def test_a_jcs_document_is_canonicalized_once_to_sign_and_once_to_verify(monkeypatch, cryptosuite):
    from cryptography.hazmat.primitives.asymmetric import ec

    from vc import jcs

    key = (
        Ed25519PrivateKey.generate()
        if cryptosuite.startswith("eddsa")
        else ec.generate_private_key(ec.SECP256R1())
    )
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES_V2],
        "type": ["VerifiableCredential"],
    }
    document |= {"issuer": did_key_for(key.public_key()).did, "credentialSubject": {"id": "did:example:an"}}
    made = []
    real = jcs.canonicalize

    def counting(value):
        made.append("proof" if "cryptosuite" in value else "document")
        return real(value)

    monkeypatch.setattr(jcs, "canonicalize", counting)
    signed = add_proof(
        document,
        private_key=key,
        verification_method=did_key_for(key.public_key()).verification_method,
        cryptosuite=cryptosuite,
    )
    assert sorted(made) == ["document", "proof"]
    made.clear()
    verify_proof(signed)
    assert sorted(made) == ["document", "proof"]
    tampered = {**signed, "credentialSubject": {"id": "did:example:bo"}}
    with pytest.raises(ProofInvalid):
        verify_proof(tampered)
