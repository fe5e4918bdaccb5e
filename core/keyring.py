"""Authenticated encryption and the versioned key-encryption-key (KEK) ring.

Every secret we keep at rest (a pod's data key, an issuer's signing key) is sealed with
AES-256-GCM under a KEK from the environment. A sealed value records the KEK id that sealed
it, so rotation adds a new KEK, re-wraps at leisure, and only then retires the old one.
Associated data binds each ciphertext to where it belongs: moved elsewhere, it fails to open.
"""

import base64
import binascii
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(Exception):
    """A ciphertext did not open: wrong key, wrong associated data, or tampered bytes."""


def seal(key: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
    """AES-256-GCM with a fresh random nonce; returns nonce ‖ ciphertext ‖ tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, sealed: bytes, *, aad: bytes) -> bytes:
    """Open what seal() made; raises DecryptionError if key, bytes or aad do not match."""
    if len(sealed) < NONCE_BYTES + 16:
        raise DecryptionError("Ciphertext too short.")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag as exc:
        raise DecryptionError("Ciphertext failed authentication.") from exc


def _decode_key(kid: str, text: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 2 * KEY_BYTES else None
    except ValueError:
        key = None
    if key is None:
        try:
            key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"KEK {kid!r} is neither hex nor base64url.") from exc
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(f"KEK {kid!r} must be {KEY_BYTES} bytes, got {len(key)}.")
    return key


@dataclass(frozen=True)
class WrappedSecret:
    kek_id: str
    sealed: bytes


class KeyRing:
    """The KEKs this process may use: one active for wrapping, all of them for unwrapping."""

    def __init__(self, keys: dict[str, bytes], active_id: str) -> None:
        if active_id not in keys:
            raise ImproperlyConfigured(f"Active KEK id {active_id!r} is not in the key ring.")
        self._keys = keys
        self.active_id = active_id

    @classmethod
    def parse(cls, spec: str, active_id: str = "") -> "KeyRing":
        keys: dict[str, bytes] = {}
        for entry in (part.strip() for part in spec.split(",")):
            if not entry:
                continue
            kid, sep, material = entry.partition(":")
            if not sep or not kid:
                raise ImproperlyConfigured("KEY_ENCRYPTION_KEYS entries look like 'kid:key'.")
            if kid in keys:
                raise ImproperlyConfigured(f"KEK id {kid!r} appears twice.")
            keys[kid] = _decode_key(kid, material)
        if not keys:
            raise ImproperlyConfigured("KEY_ENCRYPTION_KEYS holds no key.")
        return cls(keys, active_id or next(iter(keys)))

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def wrap(self, secret: bytes, *, aad: bytes) -> WrappedSecret:
        return WrappedSecret(self.active_id, seal(self._keys[self.active_id], secret, aad=aad))

    def unwrap(self, wrapped: WrappedSecret, *, aad: bytes) -> bytes:
        key = self._keys.get(wrapped.kek_id)
        if key is None:
            raise DecryptionError(f"KEK {wrapped.kek_id!r} is not in this key ring.")
        return unseal(key, wrapped.sealed, aad=aad)


@lru_cache(maxsize=4)
def _ring(spec: str, active_id: str) -> KeyRing:
    return KeyRing.parse(spec, active_id)


def keyring() -> KeyRing:
    """The key ring configured in settings (re-read if settings change, e.g. in tests)."""
    return _ring(settings.KEY_ENCRYPTION_KEYS, settings.KEY_ENCRYPTION_KEY_ID)
