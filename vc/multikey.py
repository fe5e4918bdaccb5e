"""Ed25519, P-256 and P-384 keys as Multikey strings and did:key identifiers, resolved locally.

Ed25519 Multikeys start ``z6Mk`` (multicodec ed25519-pub 0xed); ECDSA ones carry the compressed
SEC1 point: ``zDn`` for P-256 (p256-pub 0x1200) and ``z82`` for P-384 (p384-pub 0x1201), as the
Controlled Identifiers and VC DI ECDSA specifications define them.
"""

import functools
from dataclasses import dataclass

import base58
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import UnresolvableKey

ED25519_PUBLIC_PREFIX = b"\xed\x01"  # multicodec ed25519-pub
ED25519_PRIVATE_PREFIX = b"\x80\x26"  # multicodec ed25519-priv
P256_PUBLIC_PREFIX = b"\x80\x24"  # multicodec p256-pub 0x1200, varint
P384_PUBLIC_PREFIX = b"\x81\x24"  # multicodec p384-pub 0x1201
P256_PRIVATE_PREFIX = b"\x86\x26"  # multicodec p256-priv 0x1306
P384_PRIVATE_PREFIX = b"\x87\x26"  # multicodec p384-priv 0x1307
BASE58BTC = "z"  # multibase prefix

# A key that verifies Data Integrity proofs: Ed25519 (eddsa-*) or a P-256/P-384 key (ecdsa-*).
PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class _Curve:
    name: str  # as the specifications write it: "P-256", "P-384"
    curve: type[ec.EllipticCurve]
    public_prefix: bytes
    private_prefix: bytes
    public_length: int  # compressed point: 0x02/0x03 and the x coordinate
    private_length: int


CURVES = (
    _Curve("P-256", ec.SECP256R1, P256_PUBLIC_PREFIX, P256_PRIVATE_PREFIX, 33, 32),
    _Curve("P-384", ec.SECP384R1, P384_PUBLIC_PREFIX, P384_PRIVATE_PREFIX, 49, 48),
)


_BASE58_ALPHABET = frozenset(base58.BITCOIN_ALPHABET.decode("ascii"))


# base58 decoding is quadratic in the length; nothing we decode (a 64-byte Ed25519 or P-256
# signature, a 96-byte P-384 one, a Multikey of at most 51 bytes) takes more than 132 characters,
# so a longer value is refused before any work.
MAX_BASE58_CHARACTERS = 160


def _decode_multibase(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith(BASE58BTC):
        raise UnresolvableKey("Expected a base58btc multibase value (starting with 'z').")
    if len(value) > MAX_BASE58_CHARACTERS + 1:
        raise UnresolvableKey(
            f"A base58btc value this long ({len(value)} characters) is not a key or signature."
        )
    # The base58 library strips surrounding whitespace; accept only alphabet characters, so each
    # byte string has exactly one spelling (base58 with '1' for each leading zero byte is
    # one-to-one).
    if not _BASE58_ALPHABET.issuperset(value[1:]):
        raise UnresolvableKey("Not valid base58btc.")
    return base58.b58decode(value[1:])


def encode_multibase(data: bytes) -> str:
    return BASE58BTC + base58.b58encode(data).decode("ascii")


def decode_multibase(value: object) -> bytes:
    return _decode_multibase(value)


def public_key_to_multikey(key: PublicKey) -> str:
    """The Multikey of an Ed25519, P-256 or P-384 public key; raises UnresolvableKey for another curve."""
    if isinstance(key, Ed25519PublicKey):
        return encode_multibase(ED25519_PUBLIC_PREFIX + key.public_bytes(Encoding.Raw, PublicFormat.Raw))
    curve = _curve_of(key.curve)
    point = key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    return encode_multibase(curve.public_prefix + point)


def _curve_of(curve: ec.EllipticCurve) -> _Curve:
    for known in CURVES:
        if isinstance(curve, known.curve):
            return known
    raise UnresolvableKey(f"Only P-256 and P-384 ECDSA keys are supported, not {curve.name}.")


def curve_name(key: PublicKey | PrivateKey) -> str:
    """The key's type for messages and suite checks: Ed25519, P-256, P-384, or the curve's own
    name (e.g. secp521r1) for a curve we do not use."""
    if isinstance(key, Ed25519PublicKey | Ed25519PrivateKey):
        return "Ed25519"
    known = [curve.name for curve in CURVES if isinstance(key.curve, curve.curve)]
    return known[0] if known else key.curve.name


@functools.lru_cache(maxsize=4096)
def multikey_to_verification_key(value: str) -> PublicKey:
    """The public key of an Ed25519 (z6Mk…), P-256 (zDn…) or P-384 (z82…) Multikey.

    Raises UnresolvableKey naming what is wrong: not multibase, an unknown key type, a length
    that is not the curve's compressed point, or a point that is not on the curve.
    """
    raw = _decode_multibase(value)
    if raw[:2] == ED25519_PUBLIC_PREFIX:
        return multikey_to_public_key(value)
    for curve in CURVES:
        if raw[:2] != curve.public_prefix:
            continue
        point = raw[2:]
        if len(point) != curve.public_length or point[:1] not in (b"\x02", b"\x03"):
            raise UnresolvableKey(
                f"Not a {curve.name} Multikey: a {curve.name} key is its {curve.public_length}-byte "
                "compressed point (0x02 or 0x03, then x)."
            )
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(curve.curve(), point)
        except ValueError as exc:
            raise UnresolvableKey(f"Not a {curve.name} Multikey: the point is not on the curve.") from exc
    raise UnresolvableKey("Not an Ed25519 (z6Mk…), P-256 (zDn…) or P-384 (z82…) Multikey public key.")


@functools.lru_cache(maxsize=4096)
def multikey_to_public_key(value: str) -> Ed25519PublicKey:
    """The Ed25519 public key of a Multikey (z6Mk…). Cached: decoding costs more than verifying."""
    raw = _decode_multibase(value)
    if len(raw) != 34 or raw[:2] != ED25519_PUBLIC_PREFIX:
        raise UnresolvableKey("Not an Ed25519 Multikey public key (z6Mk…).")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def private_key_to_multikey(key: Ed25519PrivateKey) -> str:
    return encode_multibase(ED25519_PRIVATE_PREFIX + key.private_bytes_raw())


def ec_private_key_to_multikey(key: ec.EllipticCurvePrivateKey) -> str:
    """The secret-key Multikey of a P-256 (z42t…) or P-384 (z2fa…) key: the scalar, big-endian."""
    curve = _curve_of(key.curve)
    scalar = key.private_numbers().private_value.to_bytes(curve.private_length, "big")
    return encode_multibase(curve.private_prefix + scalar)


def multikey_to_ec_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 or P-384 private key of a secret-key Multikey; raises UnresolvableKey."""
    raw = _decode_multibase(value)
    for curve in CURVES:
        if raw[:2] == curve.private_prefix and len(raw) == 2 + curve.private_length:
            try:
                return ec.derive_private_key(int.from_bytes(raw[2:], "big"), curve.curve())
            except ValueError as exc:
                raise UnresolvableKey(f"Not a {curve.name} private key: the scalar is out of range.") from exc
    raise UnresolvableKey("Not a P-256 or P-384 Multikey private key.")


def multikey_to_private_key(value: str) -> Ed25519PrivateKey:
    raw = _decode_multibase(value)
    if len(raw) != 34 or raw[:2] != ED25519_PRIVATE_PREFIX:
        raise UnresolvableKey("Not an Ed25519 Multikey private key (z3u2…).")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


@dataclass(frozen=True)
class DidKey:
    did: str
    multikey: str

    @property
    def verification_method(self) -> str:
        return f"{self.did}#{self.multikey}"


def did_key_for(key: PublicKey) -> DidKey:
    multikey = public_key_to_multikey(key)
    return DidKey(did=f"did:key:{multikey}", multikey=multikey)


def resolve_verification_method(verification_method: object) -> tuple[str, Ed25519PublicKey]:
    """Resolve an Ed25519 did:key verification method locally; returns (controller DID, public key).

    Raises UnresolvableKey for other DID methods, malformed identifiers or a fragment that
    does not name the DID's own key.
    """
    did, public_key = resolve_did_key(verification_method)
    if not isinstance(public_key, Ed25519PublicKey):
        raise UnresolvableKey(
            "Not an Ed25519 Multikey public key (z6Mk…).", verificationMethod=verification_method
        )
    return did, public_key


def resolve_did_key(verification_method: object) -> tuple[str, PublicKey]:
    """Resolve a did:key verification method locally, whatever its key type (Ed25519, P-256,
    P-384); returns (controller DID, public key).

    Raises UnresolvableKey for other DID methods, malformed identifiers or a fragment that
    does not name the DID's own key.
    """
    if not isinstance(verification_method, str) or not verification_method.startswith("did:key:"):
        raise UnresolvableKey(
            "Only did:key verification methods are resolved here.",
            verificationMethod=verification_method if isinstance(verification_method, str) else None,
        )
    did, _, fragment = verification_method.partition("#")
    multikey = did.removeprefix("did:key:")
    if fragment and fragment != multikey:
        raise UnresolvableKey("The fragment does not name the key of this did:key.")
    return did, multikey_to_verification_key(multikey)
