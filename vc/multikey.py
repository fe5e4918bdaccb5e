"""Ed25519 keys as Multikey strings and did:key identifiers, resolved locally."""

import functools
from dataclasses import dataclass

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import UnresolvableKey

ED25519_PUBLIC_PREFIX = b"\xed\x01"  # multicodec ed25519-pub
ED25519_PRIVATE_PREFIX = b"\x80\x26"  # multicodec ed25519-priv
BASE58BTC = "z"  # multibase prefix


_BASE58_ALPHABET = frozenset(base58.BITCOIN_ALPHABET.decode("ascii"))


# base58 decoding is quadratic in the length; nothing we decode (a 64-byte signature, a 34-byte
# Multikey) takes more than 90 characters, so a longer value is refused before any work.
MAX_BASE58_CHARACTERS = 128


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


def public_key_to_multikey(key: Ed25519PublicKey) -> str:
    return encode_multibase(ED25519_PUBLIC_PREFIX + key.public_bytes(Encoding.Raw, PublicFormat.Raw))


@functools.lru_cache(maxsize=4096)
def multikey_to_public_key(value: str) -> Ed25519PublicKey:
    """The Ed25519 public key of a Multikey (z6Mk…). Cached: decoding costs more than verifying."""
    raw = _decode_multibase(value)
    if len(raw) != 34 or raw[:2] != ED25519_PUBLIC_PREFIX:
        raise UnresolvableKey("Not an Ed25519 Multikey public key (z6Mk…).")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def private_key_to_multikey(key: Ed25519PrivateKey) -> str:
    return encode_multibase(ED25519_PRIVATE_PREFIX + key.private_bytes_raw())


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


def did_key_for(key: Ed25519PublicKey) -> DidKey:
    multikey = public_key_to_multikey(key)
    return DidKey(did=f"did:key:{multikey}", multikey=multikey)


def resolve_verification_method(verification_method: object) -> tuple[str, Ed25519PublicKey]:
    """Resolve a did:key verification method locally; returns (controller DID, public key).

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
    return did, multikey_to_public_key(multikey)
