"""Resolving verification methods to public keys: the one entry point proofs use.

``did:key`` is resolved locally (credentials.multikey).
"""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .multikey import resolve_verification_method as _resolve_did_key


def resolve_verification_method(verification_method: object) -> tuple[str, Ed25519PublicKey]:
    """Resolve a verification method to (controller DID, Ed25519 public key).

    Raises UnresolvableKey with a reason.
    """
    return _resolve_did_key(verification_method)
