"""Issuer key material: private keys sealed under the key-encryption key ring, and the identity
an organisation signs as.

An organisation signs as one DID at a time (credentials.selectors.current_identity): its hosted
did:web when it has one (credentials.hosted), else the did:key of its active key. Keys are
created, rotated and reported compromised by credentials.services.
"""

import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.keyring import SealedColumn, WrappedSecret, keyring

from .models import IssuerKey


def _key_aad(key_id: uuid.UUID) -> bytes:
    return f"citizen-vault/issuer-key/v1|key:{key_id}".encode()


# Issuers' private keys, wrapped by the KEK ring: they join KEK rotation (vault.keyrotation).
ISSUER_KEYS = SealedColumn(
    label="issuer signing keys",
    model=IssuerKey,
    kek_field="kek_id",
    sealed_field="private_key_sealed",
    aad=lambda key: _key_aad(key.pk),
)


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


def seal_private_key(key_id: uuid.UUID, private_key: Ed25519PrivateKey) -> WrappedSecret:
    """The private half of a new key, wrapped by the key ring and bound to the key's id."""
    return keyring().wrap(private_key.private_bytes_raw(), aad=_key_aad(key_id))


def unseal_private_key(key: IssuerKey) -> Ed25519PrivateKey:
    """The private half of ``key``, unwrapped for one signing operation; raises DecryptionError."""
    raw = keyring().unwrap(WrappedSecret(key.kek_id, bytes(key.private_key_sealed)), aad=_key_aad(key.id))
    return Ed25519PrivateKey.from_private_bytes(raw)
