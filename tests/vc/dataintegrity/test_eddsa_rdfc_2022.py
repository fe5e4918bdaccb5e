"""eddsa-rdfc-2022 against the official vectors (VC DI EdDSA 1.0, App. B.1 and B.2), step by
step as App. B lays them out (tests/vectors/PROVENANCE.md), then tampering with every signed field."""

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import VECTORS
from vc.dataintegrity import add_proof, hash_data, verify_proof
from vc.errors import ProofInvalid, UndefinedTerm, UnresolvableKey
from vc.jsonld import canonicalize
from vc.multikey import (
    ED25519_PRIVATE_PREFIX,
    ED25519_PUBLIC_PREFIX,
    decode_multibase,
    did_key_for,
    encode_multibase,
    multikey_to_private_key,
    public_key_to_multikey,
)

EDDSA = VECTORS / "vc-di-eddsa"
KEY_PAIR = json.loads((EDDSA / "keyPair.json").read_text())


@dataclass(frozen=True)
class Vector:
    name: str
    unsigned_file: Path
    folder: Path

    def json(self, name: str) -> dict:
        return json.loads((self.folder / name).read_text())

    def text(self, name: str) -> str:
        # Canonical N-Quads keep their trailing newline (it is hashed); only the hash and
        # signature files are stripped, as the vectors README says.
        return (self.folder / name).read_text()

    def stripped(self, name: str) -> str:
        return self.text(name).strip()

    @property
    def unsigned(self) -> dict:
        return json.loads(self.unsigned_file.read_text())

    @property
    def signed(self) -> dict:
        return self.json("signedDataInt.json")

    @property
    def proof_config(self) -> dict:
        return self.json("proofConfigDataInt.json")


ALUMNI = Vector("alumni", EDDSA / "unsigned.json", EDDSA / "eddsa-rdfc-2022")
EMPLOYMENT = Vector("employment", EDDSA / "employmentAuth.json", EDDSA / "eddsa-rdfc-2022" / "employ")
VECTORS_UNDER_TEST = pytest.mark.parametrize("vector", [ALUMNI, EMPLOYMENT], ids=lambda v: v.name)


def _private_key() -> Ed25519PrivateKey:
    return multikey_to_private_key(KEY_PAIR["privateKeyMultibase"])


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Steps 1-6: the intermediate values of the algorithm.


@VECTORS_UNDER_TEST
def test_canonical_document_equals_vector_exactly(vector):
    expected = vector.text("canonDocDataInt.txt")
    assert expected.endswith(".\n")
    assert canonicalize(vector.unsigned) == expected


@VECTORS_UNDER_TEST
def test_canonical_proof_config_equals_vector_exactly(vector):
    assert canonicalize(vector.proof_config) == vector.text("proofCanonDataInt.txt")


@VECTORS_UNDER_TEST
def test_hashes_of_the_canonical_forms_equal_vector(vector):
    assert _sha256_hex(canonicalize(vector.unsigned)) == vector.stripped("docHashDataInt.txt")
    assert _sha256_hex(canonicalize(vector.proof_config)) == vector.stripped("proofHashDataInt.txt")


@VECTORS_UNDER_TEST
def test_combined_hash_puts_the_proof_config_hash_first(vector):
    combined = hash_data(vector.unsigned, vector.proof_config)
    assert combined.hex() == vector.stripped("combinedHashDataInt.txt")
    assert combined.hex() == vector.stripped("proofHashDataInt.txt") + vector.stripped("docHashDataInt.txt")


@VECTORS_UNDER_TEST
def test_signature_over_combined_hash_equals_vector_hex(vector):
    combined = bytes.fromhex(vector.stripped("combinedHashDataInt.txt"))
    assert _private_key().sign(combined).hex() == vector.stripped("sigHexDataInt.txt")


@VECTORS_UNDER_TEST
def test_proof_value_is_z_base58btc_of_the_signature(vector):
    signature = bytes.fromhex(vector.stripped("sigHexDataInt.txt"))
    assert encode_multibase(signature) == vector.stripped("sigBTC58DataInt.txt")
    assert vector.signed["proof"]["proofValue"] == vector.stripped("sigBTC58DataInt.txt")
    assert decode_multibase(vector.signed["proof"]["proofValue"]) == signature


# Step 7: signing reproduces the vector, and the vector verifies.


@VECTORS_UNDER_TEST
def test_add_proof_reproduces_the_signed_vector(vector):
    config = vector.proof_config
    signed = add_proof(
        vector.unsigned,
        private_key=_private_key(),
        verification_method=config["verificationMethod"],
        created=config["created"],
    )
    assert signed == vector.signed


@VECTORS_UNDER_TEST
def test_signed_vector_verifies(vector):
    verified = verify_proof(vector.signed)
    assert verified.controller == "did:key:" + KEY_PAIR["publicKeyMultibase"]
    assert verified.verification_method == vector.proof_config["verificationMethod"]
    assert verified.created == "2023-02-24T23:36:38Z"
    assert verified.proof_purpose == "assertionMethod"


# Step 8: Multikey.


def test_multikey_private_key_derives_the_vector_public_key():
    private_raw = decode_multibase(KEY_PAIR["privateKeyMultibase"])
    public_raw = decode_multibase(KEY_PAIR["publicKeyMultibase"])
    assert private_raw[:2] == ED25519_PRIVATE_PREFIX == b"\x80\x26"
    assert public_raw[:2] == ED25519_PUBLIC_PREFIX == b"\xed\x01"
    assert len(private_raw) == len(public_raw) == 34

    public_key = _private_key().public_key()
    assert public_key_to_multikey(public_key) == KEY_PAIR["publicKeyMultibase"]
    assert public_key.public_bytes_raw() == public_raw[2:]


# Tampering: each signed field, changed, breaks verification.


def _set(path: tuple, value):
    def change(document):
        node = document
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


def _other_verification_method(document):
    other = did_key_for(Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key())
    document["proof"]["verificationMethod"] = other.verification_method


def _flip_signature_bit(document):
    signature = bytearray(decode_multibase(document["proof"]["proofValue"]))
    signature[10] ^= 0x01
    document["proof"]["proofValue"] = encode_multibase(bytes(signature))


def _drop_created(document):
    del document["proof"]["created"]


COMMON_TAMPERING = {
    "proof created": (_set(("proof", "created"), "2023-02-24T23:36:39Z"), ProofInvalid),
    "proof verificationMethod to another key": (_other_verification_method, ProofInvalid),
    "proof created removed": (_drop_created, ProofInvalid),
    "flipped signature bit": (_flip_signature_bit, ProofInvalid),
    "cryptosuite swapped": (_set(("proof", "cryptosuite"), "eddsa-jcs-2022"), ProofInvalid),
    "proof type swapped": (_set(("proof", "type"), "Ed25519Signature2020"), ProofInvalid),
    "wrong proofPurpose": (_set(("proof", "proofPurpose"), "authentication"), ProofInvalid),
    "validFrom": (_set(("validFrom",), "2020-01-01T00:00:00Z"), ProofInvalid),
    "name": (_set(("name",), "Forged Credential"), ProofInvalid),
    "description": (_set(("description",), "Forged."), ProofInvalid),
    "type added": (lambda d: d["type"].append("ExtraCredential"), (ProofInvalid, UndefinedTerm)),
    "context removed": (lambda d: d["@context"].pop(), UndefinedTerm),
}
ALUMNI_TAMPERING = {
    "issuer": (_set(("issuer",), "https://vc.example/issuers/9999"), ProofInvalid),
    "id": (_set(("id",), "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc34"), ProofInvalid),
    "credentialSubject alumniOf": (_set(("credentialSubject", "alumniOf"), "Another School"), ProofInvalid),
    "credentialSubject id": (_set(("credentialSubject", "id"), "did:example:someoneelse"), ProofInvalid),
}
EMPLOYMENT_TAMPERING = {
    "issuer id": (_set(("issuer", "id"), "did:example:issuer"), ProofInvalid),
    "issuer image": (_set(("issuer", "image"), "data:image/png;base64,AAAA"), ProofInvalid),
    "credentialSubject givenName": (_set(("credentialSubject", "givenName"), "JANE"), ProofInvalid),
    "credentialSubject birthDate": (_set(("credentialSubject", "birthDate"), "1999-07-18"), ProofInvalid),
    "nested document identifier": (
        _set(("credentialSubject", "employmentAuthorizationDocument", "identifier"), "83627466"),
        ProofInvalid,
    ),
    "validUntil": (_set(("validUntil",), "2039-12-03T00:00:00Z"), ProofInvalid),
}
TAMPERING_CASES = [
    pytest.param(vector, change, error, id=f"{vector.name}: {name}")
    for vector, cases in [
        (ALUMNI, {**COMMON_TAMPERING, **ALUMNI_TAMPERING}),
        (EMPLOYMENT, {**COMMON_TAMPERING, **EMPLOYMENT_TAMPERING}),
    ]
    for name, (change, error) in cases.items()
]


@pytest.mark.parametrize(("vector", "change", "error"), TAMPERING_CASES)
def test_changing_a_signed_field_fails_verification(vector, change, error):
    tampered = copy.deepcopy(vector.signed)
    change(tampered)
    assert tampered != vector.signed
    with pytest.raises(error):
        verify_proof(tampered)


@VECTORS_UNDER_TEST
def test_verifying_for_another_purpose_fails(vector):
    with pytest.raises(ProofInvalid, match="purpose"):
        verify_proof(vector.signed, expected_purpose="authentication")


@pytest.mark.parametrize(
    "verification_method",
    [
        "did:web:vc.example#key-1",
        "https://vc.example/issuers/5678#key-1",
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
    ],
    ids=["did:web", "https URL", "fragment names another key"],
)
def test_unresolvable_verification_method_fails_verification(verification_method):
    tampered = copy.deepcopy(ALUMNI.signed)
    tampered["proof"]["verificationMethod"] = verification_method
    with pytest.raises(UnresolvableKey):
        verify_proof(tampered)


@pytest.mark.parametrize(
    "proof_value",
    [
        None,
        "",
        ALUMNI.signed["proof"]["proofValue"][1:],
        "z0OIl",
        ALUMNI.signed["proof"]["proofValue"] + " ",
        ALUMNI.signed["proof"]["proofValue"] + "\n",
    ],
    ids=["missing", "empty", "no multibase prefix", "not base58", "trailing space", "trailing newline"],
)
def test_malformed_proof_value_fails_verification(proof_value):
    tampered = copy.deepcopy(ALUMNI.signed)
    tampered["proof"]["proofValue"] = proof_value
    with pytest.raises(ProofInvalid):
        verify_proof(tampered)


def test_truncated_signature_fails_verification():
    tampered = copy.deepcopy(ALUMNI.signed)
    tampered["proof"]["proofValue"] = encode_multibase(decode_multibase(tampered["proof"]["proofValue"])[:63])
    with pytest.raises(ProofInvalid, match="64-byte"):
        verify_proof(tampered)


def test_document_without_proof_fails_verification():
    with pytest.raises(ProofInvalid, match="no proof"):
        verify_proof(ALUMNI.unsigned)
