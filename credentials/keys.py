"""Issuer signing keys: generated here, stored sealed under the key-encryption key ring."""

import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from core.keyring import WrappedSecret, keyring

from .errors import NoSigningKey
from .models import IssuerKey
from .multikey import did_key_for


def _key_aad(key_id: uuid.UUID) -> bytes:
    return f"citizen-vault/issuer-key/v1|key:{key_id}".encode()


@transaction.atomic
def create_issuer_key(*, organisation: Organisation) -> IssuerKey:
    """Generate a new Ed25519 signing key for an issuer; the previous key is retired, not deleted."""
    if organisation.kind != Organisation.Kind.ISSUER:
        raise ValueError("Only issuers hold signing keys.")
    IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).update(
        retired_at=timezone.now()
    )
    private_key = Ed25519PrivateKey.generate()
    did_key = did_key_for(private_key.public_key())
    key_id = uuid.uuid4()
    wrapped = keyring().wrap(private_key.private_bytes_raw(), aad=_key_aad(key_id))
    return IssuerKey.objects.create(
        id=key_id,
        organisation=organisation,
        did=did_key.did,
        public_key_multibase=did_key.multikey,
        kek_id=wrapped.kek_id,
        private_key_sealed=wrapped.sealed,
    )


def active_issuer_key(organisation: Organisation) -> IssuerKey:
    """The organisation's current signing key; raises NoSigningKey when it has none."""
    key = IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).first()
    if key is None:
        raise NoSigningKey(f"{organisation.name} has no active signing key; an operator must create one.")
    return key


def unseal_private_key(key: IssuerKey) -> Ed25519PrivateKey:
    """The private half of ``key``, unwrapped for one signing operation; raises DecryptionError."""
    raw = keyring().unwrap(WrappedSecret(key.kek_id, bytes(key.private_key_sealed)), aad=_key_aad(key.id))
    return Ed25519PrivateKey.from_private_bytes(raw)
