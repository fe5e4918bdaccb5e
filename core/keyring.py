"""Authenticated encryption and the versioned key-encryption-key (KEK) ring.

Every secret we keep at rest (a pod's data key, an issuer's signing key) is sealed with
AES-256-GCM under a KEK from the environment. A sealed value records the KEK id that sealed
it, so rotation adds a new KEK, re-wraps at leisure, and only then retires the old one.
Associated data binds each ciphertext to where it belongs: moved elsewhere, it fails to open.

The ring is an interface (``KeyEncryptionRing``): ``KeyRing`` below, from the environment, is the
default; ``KEY_RING_CLASS`` names another (a KMS-backed one, docs/operations.md).
"""

import base64
import binascii
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16
# The system checks that compare the key rings with what the database needs (config.startup).
KEYS_CHECK_TAG = "keys"

logger = logging.getLogger(__name__)


class DecryptionError(Exception):
    """A ciphertext did not open: wrong key, wrong associated data, or tampered bytes."""


def _integrity_failure(reason: str, aad: bytes) -> DecryptionError:
    """Log a failed integrity check (where, never what: the associated data names the record,
    it holds no plaintext) and return the error to raise."""
    where = aad.decode("utf-8", errors="replace")
    logger.error("Integrity check failed (%s) for %s", reason, where)
    return DecryptionError(f"{reason} ({where}).")


@lru_cache(maxsize=256)
def cipher(key: bytes) -> AESGCM:
    """The prepared cipher for ``key``: a read opens many records under one data key, and
    preparing the cipher costs as much as sealing 2 KB. The process holds the KEKs (or a KMS
    client able to unwrap) anyway, so keeping the ciphers of recently used keys adds no power.
    For callers that frame their own records (vault.crypto's format 2); others use seal/unseal."""
    return AESGCM(key)


def seal(key: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
    """AES-256-GCM with a fresh random nonce; returns nonce ‖ ciphertext ‖ tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, sealed: bytes, *, aad: bytes) -> bytes:
    """Open what seal() made; raises DecryptionError (logged, without plaintext) if the key, the
    bytes or the associated data do not match: never returns anything but the sealed plaintext."""
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise _integrity_failure("ciphertext too short", aad)
    try:
        return cipher(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag as exc:
        raise _integrity_failure("ciphertext failed authentication", aad) from exc


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


class KeyEncryptionRing(Protocol):
    """What the rest of the code needs from a KEK ring: the id new secrets are wrapped under,
    the ids it can still unwrap, and the two operations. A KMS-backed ring implements the same
    four members, calling the KMS for wrap and unwrap (docs/operations.md, "A KMS-backed ring")."""

    @property
    def active_id(self) -> str: ...

    @property
    def key_ids(self) -> list[str]: ...

    def wrap(self, secret: bytes, *, aad: bytes) -> WrappedSecret: ...

    def unwrap(self, wrapped: WrappedSecret, *, aad: bytes) -> bytes: ...


class KeyRing:
    """The environment ring (the default): the KEKs in KEY_ENCRYPTION_KEYS, one active for
    wrapping (KEY_ENCRYPTION_KEY_ID, else the first), all of them for unwrapping."""

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
            raise _integrity_failure(f"KEK {wrapped.kek_id!r} is not in this key ring", aad)
        return unseal(key, wrapped.sealed, aad=aad)

    @classmethod
    def from_settings(cls) -> "KeyRing":
        return cls.parse(settings.KEY_ENCRYPTION_KEYS, settings.KEY_ENCRYPTION_KEY_ID)


@lru_cache(maxsize=4)
def _ring(ring_class: str, spec: str, active_id: str) -> KeyEncryptionRing:
    if not ring_class:
        return KeyRing.parse(spec, active_id)
    ring: KeyEncryptionRing = import_string(ring_class).from_settings()
    return ring


def keyring() -> KeyEncryptionRing:
    """The key ring configured in settings (re-read if settings change, e.g. in tests)."""
    return _ring(settings.KEY_RING_CLASS, settings.KEY_ENCRYPTION_KEYS, settings.KEY_ENCRYPTION_KEY_ID)


@dataclass(frozen=True)
class SealedColumn:
    """A table column holding secrets wrapped by the KEK ring, beside the column naming the KEK.

    ``aad`` gives the associated data a row's secret was wrapped with (it must be the same
    function the owner wraps and unwraps with). Rows whose ``kek_field`` is empty hold no secret.
    KEK rotation, ``kek_usage`` and the start-up check walk every SealedColumn in
    vault.keyrotation.kek_sealed_columns().
    """

    label: str
    model: Any  # a Django model class (core imports no app's models)
    kek_field: str
    sealed_field: str
    aad: Callable[[Any], bytes]

    def wrapped(self, row: Any) -> WrappedSecret:
        return WrappedSecret(getattr(row, self.kek_field), bytes(getattr(row, self.sealed_field)))
