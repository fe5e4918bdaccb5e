"""DID documents carry P-256 and P-384 Multikeys as well as Ed25519 ones: a did:key document of a
zDn… or z82… key, and a did:web document listing both an issuer's keys, resolve to the key."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.conftest import VECTORS
from vc.diddocument import parse_did_document
from vc.dids import did_key_document, resolve_key
from vc.errors import UnresolvableKey
from vc.multikey import curve_name, encode_multibase, public_key_to_multikey

KEY_PAIRS = {
    curve: json.loads((VECTORS / "vc-di-ecdsa" / name).read_text())
    for curve, name in (("P-256", "p256KeyPair.json"), ("P-384", "p384KeyPair.json"))
}
DID = "did:web:university.example"


@pytest.mark.parametrize("curve", sorted(KEY_PAIRS))
def test_the_did_key_document_of_an_ecdsa_key_parses_to_its_key(curve):
    multikey = KEY_PAIRS[curve]["publicKeyMultibase"]
    did = f"did:key:{multikey}"
    document = parse_did_document(did, did_key_document(did))
    key = document.public_key(f"{did}#{multikey}", purpose="assertionMethod")
    assert curve_name(key) == curve and public_key_to_multikey(key) == multikey


def test_a_did_web_document_lists_an_ed25519_and_a_p256_key():
    ed25519 = public_key_to_multikey(Ed25519PrivateKey.generate().public_key())
    p256 = public_key_to_multikey(ec.generate_private_key(ec.SECP256R1()).public_key())
    p521_point = (
        ec.generate_private_key(ec.SECP521R1())
        .public_key()
        .public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    )
    p521 = encode_multibase(b"\x82\x24" + p521_point)  # multicodec p521-pub: a curve we do not read
    methods = [
        {"id": f"{DID}#{value}", "type": "Multikey", "controller": DID, "publicKeyMultibase": value}
        for value in (ed25519, p256, p521)
    ]
    raw = {"id": DID, "verificationMethod": methods, "assertionMethod": [m["id"] for m in methods]}
    document = parse_did_document(DID, raw)
    assert curve_name(document.public_key(f"{DID}#{ed25519}", purpose="assertionMethod")) == "Ed25519"
    assert curve_name(document.public_key(f"{DID}#{p256}", purpose="assertionMethod")) == "P-256"
    with pytest.raises(UnresolvableKey, match="not an Ed25519, P-256 or P-384 public key"):
        document.public_key(f"{DID}#{p521}")
    controller, key = resolve_key(f"{DID}#{p256}", purpose="assertionMethod", did_web=lambda did: document)
    assert controller == DID and public_key_to_multikey(key) == p256


def test_an_ed25519_verification_key_2020_is_never_read_as_an_ecdsa_key():
    p256 = public_key_to_multikey(ec.generate_private_key(ec.SECP256R1()).public_key())
    method = {
        "id": f"{DID}#k",
        "type": "Ed25519VerificationKey2020",
        "controller": DID,
        "publicKeyMultibase": p256,
    }
    document = parse_did_document(DID, {"id": DID, "verificationMethod": [method]})
    with pytest.raises(UnresolvableKey, match="not an Ed25519 public key"):
        document.public_key(f"{DID}#k")
