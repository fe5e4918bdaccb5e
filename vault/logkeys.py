"""The service's checkpoint-signing keys (Ed25519), sealed under the KEK ring like issuer keys.

The first append on a fresh installation makes the first key; ``manage.py rotate_log_key``
retires it and makes the next. Retired keys stay published: a checkpoint a citizen saved years
ago must still verify.
"""

import logging
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.keyring import SealedColumn, WrappedSecret, keyring

from .logformat import VerifierKey, key_id
from .models import LogSigningKey

logger = logging.getLogger(__name__)


def _aad(key_id: uuid.UUID) -> bytes:
    return f"citizen-vault/log-key/v1|key:{key_id}".encode()


# The log's signing keys, wrapped by the KEK ring: they join KEK rotation (vault.keyrotation).
LOG_SIGNING_KEYS = SealedColumn(
    label="access-log signing keys",
    model=LogSigningKey,
    kek_field="kek_id",
    sealed_field="private_key_sealed",
    aad=lambda key: _aad(key.pk),
)


@dataclass(frozen=True)
class Signer:
    key_id: uuid.UUID
    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier_key(self) -> VerifierKey:
        return published(self.name, self.private_key.public_key().public_bytes_raw())


def published(name: str, public_key: bytes) -> VerifierKey:
    return VerifierKey(name, key_id(name, public_key), public_key)


# Unsealed keys by id: a key never changes once made, so this cache cannot go stale.
_unsealed: dict[uuid.UUID, Signer] = {}


@transaction.atomic
def rotate_log_key(*, name: str | None = None) -> LogSigningKey:
    """Retire the active log key (if any) and make a new one; returns the new key."""
    name = name or settings.ACCESS_LOG_NAME
    LogSigningKey.objects.filter(name=name, retired_at__isnull=True).update(retired_at=timezone.now())
    return _create(name)


def _create(name: str) -> LogSigningKey:
    private_key = Ed25519PrivateKey.generate()
    new_id = uuid.uuid4()
    wrapped = keyring().wrap(private_key.private_bytes_raw(), aad=_aad(new_id))
    return LogSigningKey.objects.create(
        id=new_id,
        name=name,
        public_key=private_key.public_key().public_bytes_raw(),
        kek_id=wrapped.kek_id,
        private_key_sealed=wrapped.sealed,
    )


def signer(key_id: uuid.UUID | None) -> Signer:
    """The signer for the active key ``key_id`` (looked up by the caller in its own query), or,
    with None, the active key, made now if the installation has none yet."""
    if key_id is not None and key_id in _unsealed:
        return _unsealed[key_id]
    key = (
        LogSigningKey.objects.filter(pk=key_id).first()
        if key_id is not None
        else LogSigningKey.objects.filter(name=settings.ACCESS_LOG_NAME, retired_at__isnull=True).first()
    )
    if key is None:
        try:
            with transaction.atomic():  # a savepoint: a concurrent first append may win the race
                key = _create(settings.ACCESS_LOG_NAME)
            logger.info("Made the first access-log signing key %s (%s).", key.pk, key.name)
        except IntegrityError:
            key = LogSigningKey.objects.get(name=settings.ACCESS_LOG_NAME, retired_at__isnull=True)
    raw = keyring().unwrap(WrappedSecret(key.kek_id, bytes(key.private_key_sealed)), aad=_aad(key.pk))
    made = Signer(key.pk, key.name, Ed25519PrivateKey.from_private_bytes(raw))
    _unsealed[key.pk] = made
    return made


def verifier_keys() -> list[VerifierKey]:
    """Every log key ever used, oldest first: what verifiers need (retired keys included)."""
    return [
        published(key.name, bytes(key.public_key)) for key in LogSigningKey.objects.order_by("created_at")
    ]
