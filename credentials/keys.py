"""Issuer key material: private keys sealed under the key-encryption key ring, and the identity
an organisation signs as.

An organisation signs as one DID at a time (credentials.selectors.current_identity): its hosted
did:web when it has one (credentials.hosted), else the did:key of its active key. Keys are
created, rotated and reported compromised by credentials.services.
"""

import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.keyring import SealedColumn, WrappedSecret, keyring
from vc.multikey import PrivateKey

from .models import IssuerKey

P256_SCALAR_BYTES = 32


def _key_aad(key_id: uuid.UUID, key_type: str) -> bytes:
    # Ed25519 keys keep the binding they were sealed with; other types name their type too, so
    # sealed bytes are never read as a key of another type.
    if key_type == IssuerKey.KeyType.ED25519:
        return f"citizen-vault/issuer-key/v1|key:{key_id}".encode()
    return f"citizen-vault/issuer-key/v1|key:{key_id}|type:{key_type}".encode()


# Issuers' private keys, wrapped by the KEK ring: they join KEK rotation (vault.keyrotation).
ISSUER_KEYS = SealedColumn(
    label="issuer signing keys",
    model=IssuerKey,
    kek_field="kek_id",
    sealed_field="private_key_sealed",
    aad=lambda key: _key_aad(key.pk, key.key_type),
)


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs: ``did`` is the issuer named in what is signed, ``key`` the key making the proof."""

    did: str
    key: IssuerKey

    @property
    def verification_method(self) -> str:
        """The key's method: a stable ``<did>#<publicKeyMultibase>`` in a hosted did:web document;
        for an organisation signing as a did:key, the key's own did:key method (each key is its own
        DID: the P-256 key of an organisation named by its Ed25519 did:key signs as itself)."""
        if self.did.startswith("did:key:"):
            return self.key.verification_method
        return f"{self.did}#{self.key.public_key_multibase}"


def seal_private_key(key_id: uuid.UUID, private_key: PrivateKey) -> WrappedSecret:
    """The private half of a new key (Ed25519: its 32 raw bytes; P-256: its 32-byte scalar,
    big-endian), wrapped by the key ring and bound to the key's id and type."""
    if isinstance(private_key, Ed25519PrivateKey):
        raw, key_type = private_key.private_bytes_raw(), IssuerKey.KeyType.ED25519
    elif isinstance(private_key.curve, ec.SECP256R1):
        raw = private_key.private_numbers().private_value.to_bytes(P256_SCALAR_BYTES, "big")
        key_type = IssuerKey.KeyType.P256
    else:
        raise ValueError(f"Issuer keys are Ed25519 or P-256, not {private_key.curve.name}.")
    return keyring().wrap(raw, aad=_key_aad(key_id, key_type))


def unseal_private_key(key: IssuerKey) -> PrivateKey:
    """The private half of ``key``, unwrapped for one signing operation; raises DecryptionError."""
    raw = keyring().unwrap(
        WrappedSecret(key.kek_id, bytes(key.private_key_sealed)), aad=_key_aad(key.id, key.key_type)
    )
    if key.key_type == IssuerKey.KeyType.P256:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    return Ed25519PrivateKey.from_private_bytes(raw)
