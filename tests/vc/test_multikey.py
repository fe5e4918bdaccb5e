"""P-256 and P-384 Multikeys (zDn…, z82…) and their did:key, against the VC DI ECDSA examples."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.conftest import VECTORS
from vc.dids import did_key_document, resolve_key
from vc.errors import UnresolvableKey
from vc.multikey import (
    P256_PUBLIC_PREFIX,
    P384_PUBLIC_PREFIX,
    curve_name,
    did_key_for,
    ec_private_key_to_multikey,
    encode_multibase,
    multikey_to_ec_private_key,
    multikey_to_verification_key,
    public_key_to_multikey,
    resolve_verification_method,
)

ECDSA = VECTORS / "vc-di-ecdsa"
KEY_PAIRS = {
    "P-256": json.loads((ECDSA / "p256KeyPair.json").read_text()),
    "P-384": json.loads((ECDSA / "p384KeyPair.json").read_text()),
}
# x = 1 has no y on P-256 (1 - 3 + b is not a square modulo p).
OFF_CURVE_P256 = P256_PUBLIC_PREFIX + b"\x02" + (1).to_bytes(32, "big")
CURVES = pytest.mark.parametrize("curve", sorted(KEY_PAIRS))
# The issuers of the spec's other examples (employmentAuth.json and the ecdsa-sd-2023 PR card).
OTHER_SPEC_KEYS = [
    "zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76",
    "zDnaeTHxNEBZoKaEo6PdA83fq98ebiFvo3X273Ydu4YmV96rg",
]


@CURVES
def test_the_spec_example_public_keys_round_trip(curve):
    multikey = KEY_PAIRS[curve]["publicKeyMultibase"]
    key = multikey_to_verification_key(multikey)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert curve_name(key) == curve
    assert public_key_to_multikey(key) == multikey
    assert multikey.startswith({"P-256": "zDn", "P-384": "z82"}[curve])


@CURVES
def test_the_spec_example_secret_keys_round_trip_and_match_their_public_keys(curve):
    secret = multikey_to_ec_private_key(KEY_PAIRS[curve]["secretKeyMultibase"])
    assert ec_private_key_to_multikey(secret) == KEY_PAIRS[curve]["secretKeyMultibase"]
    assert public_key_to_multikey(secret.public_key()) == KEY_PAIRS[curve]["publicKeyMultibase"]


@pytest.mark.parametrize("multikey", OTHER_SPEC_KEYS)
def test_the_spec_issuer_keys_read_as_p256(multikey):
    key = multikey_to_verification_key(multikey)
    assert curve_name(key) == "P-256"
    assert public_key_to_multikey(key) == multikey


@CURVES
def test_a_fresh_key_round_trips(curve):
    private_key = ec.generate_private_key({"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}[curve])
    multikey = public_key_to_multikey(private_key.public_key())
    assert multikey_to_verification_key(multikey) == private_key.public_key()
    again = multikey_to_ec_private_key(ec_private_key_to_multikey(private_key))
    assert again.private_numbers() == private_key.private_numbers()


@CURVES
def test_did_key_resolves_to_the_ecdsa_key_for_assertions(curve):
    multikey = KEY_PAIRS[curve]["publicKeyMultibase"]
    did = did_key_for(multikey_to_verification_key(multikey))
    assert did.verification_method == f"did:key:{multikey}#{multikey}"
    controller, key = resolve_key(did.verification_method, purpose="assertionMethod")
    assert controller == did.did
    assert public_key_to_multikey(key) == multikey


@CURVES
def test_the_did_key_document_lists_its_multikey(curve):
    multikey = KEY_PAIRS[curve]["publicKeyMultibase"]
    did = f"did:key:{multikey}"
    document = did_key_document(did)
    method_id = f"{did}#{multikey}"
    assert document["id"] == did
    assert document["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
    assert document["verificationMethod"] == [
        {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": multikey}
    ]
    for relationship in ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation"):
        assert document[relationship] == [method_id]
    assert "keyAgreement" not in document


def test_the_did_key_document_of_something_else_is_refused():
    with pytest.raises(UnresolvableKey):
        did_key_document(f"did:key:{encode_multibase(OFF_CURVE_P256)}")
    with pytest.raises(UnresolvableKey):
        did_key_document(f"did:key:{KEY_PAIRS['P-256']['publicKeyMultibase']}#key-1")
    with pytest.raises(UnresolvableKey):
        did_key_document("did:web:example.com")


def _point(curve: ec.EllipticCurve) -> bytes:
    return (
        ec.generate_private_key(curve).public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(P384_PUBLIC_PREFIX + _point(ec.SECP256R1()), "P-384", id="P-256 point, P-384 codec"),
        pytest.param(P256_PUBLIC_PREFIX + _point(ec.SECP384R1()), "P-256", id="P-384 point, P-256 codec"),
        pytest.param(P256_PUBLIC_PREFIX + _point(ec.SECP256R1())[:-1], "compressed point", id="truncated"),
        pytest.param(
            P256_PUBLIC_PREFIX
            + ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(Encoding.X962, PublicFormat.UncompressedPoint),
            "compressed point",
            id="uncompressed point",
        ),
        pytest.param(P256_PUBLIC_PREFIX + b"\x05" + bytes(32), "compressed point", id="bad point tag"),
        pytest.param(OFF_CURVE_P256, "not on the curve", id="off curve"),
        pytest.param(b"\x82\x24" + _point(ec.SECP256R1()), "Multikey public key", id="P-521 codec"),
        pytest.param(b"\x86\x26" + bytes(range(1, 33)), "Multikey public key", id="a secret key"),
    ],
)
def test_a_malformed_or_wrong_curve_key_is_refused_with_a_reason(raw, reason):
    with pytest.raises(UnresolvableKey, match=reason):
        multikey_to_verification_key(encode_multibase(raw))
    with pytest.raises(UnresolvableKey):
        resolve_key(f"did:key:{encode_multibase(raw)}", purpose="assertionMethod")


def test_a_key_on_another_curve_has_no_multikey():
    with pytest.raises(UnresolvableKey, match="Only P-256 and P-384"):
        public_key_to_multikey(ec.generate_private_key(ec.SECP521R1()).public_key())
    with pytest.raises(UnresolvableKey, match="Only P-256 and P-384"):
        ec_private_key_to_multikey(ec.generate_private_key(ec.SECP256K1()))


def test_a_secret_key_of_the_wrong_length_or_out_of_range_is_refused():
    with pytest.raises(UnresolvableKey, match="P-256 or P-384"):
        multikey_to_ec_private_key(encode_multibase(b"\x86\x26" + bytes(31)))
    with pytest.raises(UnresolvableKey, match="out of range"):
        multikey_to_ec_private_key(encode_multibase(b"\x86\x26" + bytes(32)))


def test_the_ed25519_only_resolver_refuses_a_p256_did_key_clearly():
    p256 = KEY_PAIRS["P-256"]["publicKeyMultibase"]
    with pytest.raises(UnresolvableKey, match="Not an Ed25519 Multikey"):
        resolve_verification_method(f"did:key:{p256}#{p256}")
    ed25519 = did_key_for(Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key())
    assert curve_name(resolve_key(ed25519.verification_method)[1]) == "Ed25519"
