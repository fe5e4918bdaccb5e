"""ecdsa-rdfc-2019 and ecdsa-jcs-2019 on P-256 and P-384 against the official vectors (VC DI ECDSA
1.0, App. A; tests/vectors/PROVENANCE.md): every intermediate value byte for byte, the signed
vectors verify as they are, and a signature we make (randomised) verifies against the vector key."""

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import VECTORS
from vc.dataintegrity import (
    SIGNING_CRYPTOSUITES,
    SUPPORTED_CRYPTOSUITES,
    VERIFIABLE_CRYPTOSUITES,
    add_proof,
    verify_proof,
    verify_proofs,
)
from vc.dataintegrity.suites import SUITES
from vc.errors import ProofInvalid, ProofOptionsInvalid, UndefinedTerm
from vc.multikey import (
    decode_multibase,
    did_key_for,
    encode_multibase,
    multikey_to_ec_private_key,
    multikey_to_verification_key,
)

ECDSA = VECTORS / "vc-di-ecdsa"
KEYS = {
    "P-256": json.loads((ECDSA / "p256KeyPair.json").read_text()),
    "P-384": json.loads((ECDSA / "p384KeyPair.json").read_text()),
}
UNSIGNED = json.loads((ECDSA / "unsigned.json").read_text())
EMPLOYMENT = json.loads((ECDSA / "employmentAuth.json").read_text())
DIGESTS = {"P-256": hashlib.sha256, "P-384": hashlib.sha384}


@dataclass(frozen=True)
class EcdsaVector:
    suite: str
    curve: str
    folder: Path
    suffix: str  # file names: canonDoc{suffix}.txt, signed{suffix}.json
    unsigned: dict

    def text(self, stem: str) -> str:
        return (self.folder / f"{stem}{self.suffix}.txt").read_text()

    def stripped(self, stem: str) -> str:
        return self.text(stem).strip()

    @property
    def signed(self) -> dict:
        return json.loads((self.folder / f"signed{self.suffix}.json").read_text())

    @property
    def proof_config(self) -> dict:
        return json.loads((self.folder / f"proofConfig{self.suffix}.json").read_text())

    @property
    def private_key(self) -> ec.EllipticCurvePrivateKey:
        return multikey_to_ec_private_key(KEYS[self.curve]["secretKeyMultibase"])

    @property
    def public_multikey(self) -> str:
        return KEYS[self.curve]["publicKeyMultibase"]

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        key = multikey_to_verification_key(self.public_multikey)
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key


def _vectors() -> list[EcdsaVector]:
    vectors = []
    for curve, bits in (("P-256", "256"), ("P-384", "384")):
        rdfc = ECDSA / f"ecdsa-rdfc-2019-p{bits}"
        vectors.append(EcdsaVector("ecdsa-rdfc-2019", curve, rdfc, f"ECDSAP{bits}", UNSIGNED))
        vectors.append(EcdsaVector("ecdsa-rdfc-2019", curve, rdfc / "employ", f"ECDSAP{bits}", EMPLOYMENT))
        jcs = ECDSA / f"ecdsa-jcs-2019-p{bits}"
        vectors.append(EcdsaVector("ecdsa-jcs-2019", curve, jcs, f"JCSECDSAP{bits}", UNSIGNED))
    return vectors


VECTOR_LIST = _vectors()
ALL_VECTORS = pytest.mark.parametrize(
    "vector",
    VECTOR_LIST,
    ids=[f"{v.suite}-{v.curve}{'-employ' if v.folder.name == 'employ' else ''}" for v in VECTOR_LIST],
)


@ALL_VECTORS
def test_the_signed_vector_is_the_unsigned_document_plus_its_proof(vector):
    assert {key: value for key, value in vector.signed.items() if key != "proof"} == vector.unsigned


@ALL_VECTORS
def test_canonical_document_equals_vector_exactly(vector):
    canonical = SUITES[vector.suite].canonicalize(vector.unsigned, vector.public_key)
    assert canonical.decode("utf-8") == vector.text("canonDoc")


@ALL_VECTORS
def test_canonical_proof_config_equals_vector_exactly(vector):
    suite = SUITES[vector.suite]
    signed_proof = vector.signed["proof"]
    config = suite.proof_config(vector.unsigned, signed_proof)
    assert config == vector.proof_config
    assert suite.canonicalize(config, vector.public_key).decode("utf-8") == vector.text("proofCanon")


@ALL_VECTORS
def test_hashes_and_combined_hash_use_the_curves_hash_proof_config_first(vector):
    suite = SUITES[vector.suite]
    key = vector.public_key
    canonical_document = suite.canonicalize(vector.unsigned, key)
    canonical_config = suite.canonicalize(vector.proof_config, key)
    digest = DIGESTS[vector.curve]
    assert digest(canonical_document).hexdigest() == vector.stripped("docHash")
    assert digest(canonical_config).hexdigest() == vector.stripped("proofHash")
    combined = suite.hash(canonical_config, canonical_document, key)
    assert combined.hex() == vector.stripped("combinedHash")
    assert combined.hex() == vector.stripped("proofHash") + vector.stripped("docHash")


@ALL_VECTORS
def test_the_vector_signature_is_r_and_s_and_its_proof_value_is_base58btc(vector):
    signature = bytes.fromhex(vector.stripped("sigHex"))
    assert len(signature) == {"P-256": 64, "P-384": 96}[vector.curve]
    assert encode_multibase(signature) == vector.stripped("sigBTC58")
    assert vector.signed["proof"]["proofValue"] == vector.stripped("sigBTC58")
    key = multikey_to_verification_key(vector.public_multikey)
    SUITES[vector.suite].verify(key, signature, bytes.fromhex(vector.stripped("combinedHash")))


@ALL_VECTORS
def test_the_signed_vector_verifies_as_it_is(vector):
    verified = verify_proof(vector.signed)
    assert verified.cryptosuite == vector.suite
    assert verified.controller == f"did:key:{vector.public_multikey}"


@ALL_VECTORS
def test_a_proof_we_make_reproduces_the_vectors_proof_and_verifies_with_the_vector_key(vector):
    proof = vector.signed["proof"]
    signed = add_proof(
        vector.unsigned,
        private_key=vector.private_key,
        verification_method=proof["verificationMethod"],
        cryptosuite=vector.suite,
        created=proof["created"],
    )
    # Every member but the randomised signature is the vector's, in the vector's order.
    assert [key for key in signed["proof"] if key != "proofValue"] == [
        key for key in proof if key != "proofValue"
    ]
    assert {**signed["proof"], "proofValue": None} == {**proof, "proofValue": None}
    assert len(decode_multibase(signed["proof"]["proofValue"])) == {"P-256": 64, "P-384": 96}[vector.curve]
    assert verify_proof(signed).cryptosuite == vector.suite
    key = multikey_to_verification_key(vector.public_multikey)
    SUITES[vector.suite].verify(
        key,
        decode_multibase(signed["proof"]["proofValue"]),
        bytes.fromhex(vector.stripped("combinedHash")),
    )


@ALL_VECTORS
def test_a_changed_document_or_proof_option_fails(vector):
    changed = copy.deepcopy(vector.signed)
    changed["validFrom"] = "2024-01-01T00:00:00Z"
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proof(changed)
    moved = copy.deepcopy(vector.signed)
    moved["proof"]["created"] = "2023-02-24T23:36:39Z"
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proof(moved)


@ALL_VECTORS
def test_the_suite_name_is_signed(vector):
    other = {"ecdsa-rdfc-2019": "ecdsa-jcs-2019", "ecdsa-jcs-2019": "ecdsa-rdfc-2019"}[vector.suite]
    swapped = copy.deepcopy(vector.signed)
    swapped["proof"]["cryptosuite"] = other
    with pytest.raises(ProofInvalid):
        verify_proof(swapped)


@ALL_VECTORS
def test_a_signature_of_the_other_curves_length_or_a_der_signature_is_refused(vector):
    size = {"P-256": 32, "P-384": 48}[vector.curve]
    signature = bytes.fromhex(vector.stripped("sigHex"))
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    for wrong in (signature + bytes(32) if size == 32 else signature[:64], encode_dss_signature(r, s)):
        forged = copy.deepcopy(vector.signed)
        forged["proof"]["proofValue"] = encode_multibase(wrong)
        with pytest.raises(ProofInvalid, match="r ‖ s") as refused:
            verify_proof(forged)
        assert refused.value.extra["rule"] == "proofValue"


def test_an_ecdsa_proof_naming_an_ed25519_key_is_refused():
    vector = VECTOR_LIST[0]
    ed25519 = did_key_for(Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key())
    forged = copy.deepcopy(vector.signed)
    forged["proof"]["verificationMethod"] = ed25519.verification_method
    with pytest.raises(ProofInvalid, match="P-256 or P-384 key; its verification method's key is Ed25519"):
        verify_proof(forged)


def test_an_eddsa_proof_naming_a_p256_key_is_refused():
    vector = VECTOR_LIST[0]
    forged = copy.deepcopy(vector.signed)
    forged["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    with pytest.raises(ProofInvalid, match="Ed25519 key; its verification method's key is P-256"):
        verify_proof(forged)


def test_signing_with_a_key_of_the_wrong_type_is_refused_before_any_work():
    vector = VECTOR_LIST[0]
    method = vector.signed["proof"]["verificationMethod"]
    with pytest.raises(ProofOptionsInvalid, match="P-256 or P-384 key; this key is Ed25519"):
        add_proof(
            UNSIGNED,
            private_key=Ed25519PrivateKey.generate(),
            verification_method=method,
            cryptosuite="ecdsa-rdfc-2019",
        )
    with pytest.raises(ProofOptionsInvalid, match="Ed25519 key; this key is P-256"):
        add_proof(UNSIGNED, private_key=vector.private_key, verification_method=method)
    with pytest.raises(ProofOptionsInvalid, match="P-256 or P-384 key; this key is secp521r1"):
        add_proof(
            UNSIGNED,
            private_key=ec.generate_private_key(ec.SECP521R1()),
            verification_method=method,
            cryptosuite="ecdsa-jcs-2019",
        )


def test_rdfc_canonicalization_hashes_with_the_curves_hash():
    """The P-384 vectors are canonicalized with SHA-384 as RDFC-1.0's hash: with more than one
    blank node (the employment document) the labels differ from SHA-256's."""
    p256, p384 = (v for v in VECTOR_LIST if v.folder.name == "employ")
    suite = SUITES["ecdsa-rdfc-2019"]
    assert suite.canonicalize(EMPLOYMENT, p256.public_key) != suite.canonicalize(EMPLOYMENT, p384.public_key)
    assert suite.canonicalize(EMPLOYMENT, p256.public_key) == SUITES["eddsa-rdfc-2022"].canonicalize(
        EMPLOYMENT
    )


def test_a_proof_signed_with_one_curve_does_not_verify_under_the_other():
    p256, p384 = (multikey_to_ec_private_key(KEYS[c]["secretKeyMultibase"]) for c in ("P-256", "P-384"))
    signed = add_proof(
        UNSIGNED,
        private_key=p256,
        verification_method=did_key_for(p384.public_key()).verification_method,
        cryptosuite="ecdsa-rdfc-2019",
    )
    with pytest.raises(ProofInvalid, match="P-384 signature is 96 bytes"):
        verify_proof(signed)


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019", "ecdsa-jcs-2019"])
def test_undefined_terms_are_refused_signing_and_verifying(suite):
    key = multikey_to_ec_private_key(KEYS["P-256"]["secretKeyMultibase"])
    method = did_key_for(key.public_key()).verification_method
    undefined = {**{k: v for k, v in UNSIGNED.items()}, "@context": ["https://www.w3.org/ns/credentials/v2"]}
    with pytest.raises(UndefinedTerm):
        add_proof(undefined, private_key=key, verification_method=method, cryptosuite=suite)
    # Signed with a context that defines the term, then presented without it.
    signed = add_proof(UNSIGNED, private_key=key, verification_method=method, cryptosuite=suite)
    stripped = {**signed, "@context": ["https://www.w3.org/ns/credentials/v2"]}
    if "@context" in stripped["proof"]:
        stripped["proof"] = {**stripped["proof"], "@context": stripped["@context"]}
    with pytest.raises(UndefinedTerm):
        verify_proof(stripped)


def test_a_proof_set_of_eddsa_and_ecdsa_verifies_and_each_proof_counts():
    ecdsa_key = multikey_to_ec_private_key(KEYS["P-384"]["secretKeyMultibase"])
    eddsa_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    document = add_proof(
        UNSIGNED,
        private_key=eddsa_key,
        verification_method=did_key_for(eddsa_key.public_key()).verification_method,
    )
    document = add_proof(
        document,
        private_key=ecdsa_key,
        verification_method=did_key_for(ecdsa_key.public_key()).verification_method,
        cryptosuite="ecdsa-jcs-2019",
    )
    assert [proof.cryptosuite for proof in verify_proofs(document)] == ["eddsa-rdfc-2022", "ecdsa-jcs-2019"]
    document["proof"][1]["proofValue"] = VECTOR_LIST[-1].signed["proof"]["proofValue"]
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proofs(document)


def test_the_suite_lists():
    assert SIGNING_CRYPTOSUITES == ("eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019")
    # Verified, but not offered for issuance until issuers hold P-256 keys.
    assert SUPPORTED_CRYPTOSUITES == ("eddsa-rdfc-2022", "eddsa-jcs-2022")
    # Verify-only: the legacy Ed25519 suite, and ecdsa-sd-2023 (derived proofs; test_ecdsa_sd_2023.py).
    assert set(VERIFIABLE_CRYPTOSUITES) == {*SIGNING_CRYPTOSUITES, "Ed25519Signature2020", "ecdsa-sd-2023"}
