"""Issuer signing keys: generated here, stored sealed under the key-encryption key ring.

An organisation signs as one DID at a time (``current_identity``): its hosted did:web when it
has one (credentials.hosted), else the did:key of its active key.
"""

import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from core.keyring import WrappedSecret, keyring

from .errors import NoSigningKey
from .models import HostedIssuerDid, IssuerKey
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


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs: ``did`` is the issuer named in what is signed, ``key`` the key making the proof."""

    did: str
    key: IssuerKey

    @property
    def verification_method(self) -> str:
        """``<did>#<publicKeyMultibase>``: a did:key's own method, and a stable method id per key
        in a hosted did:web document."""
        return f"{self.did}#{self.key.public_key_multibase}"


def current_identity(organisation: Organisation) -> SigningIdentity:
    """The DID ``organisation`` signs as now, with its active key; raises NoSigningKey.

    Its hosted did:web DID when it has one, else the did:key of the active key.
    """
    key = active_issuer_key(organisation)
    hosted = HostedIssuerDid.objects.filter(organisation=organisation).values_list("did", flat=True).first()
    return SigningIdentity(did=hosted or key.did, key=key)


def unseal_private_key(key: IssuerKey) -> Ed25519PrivateKey:
    """The private half of ``key``, unwrapped for one signing operation; raises DecryptionError."""
    raw = keyring().unwrap(WrappedSecret(key.kek_id, bytes(key.private_key_sealed)), aad=_key_aad(key.id))
    return Ed25519PrivateKey.from_private_bytes(raw)
