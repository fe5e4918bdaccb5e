"""Resolving verification methods to public keys: the one entry point proofs use.

``did:key`` is resolved locally (credentials.multikey). A ``did:web`` on our own host
(ISSUER_DID_WEB_HOST) is one of the issuer DIDs we host: its document is built from the database
(credentials.hosted), never fetched from ourselves. Any other ``did:web`` resolves from a pinned
document when there is one (credentials.pinned), which always wins; otherwise over HTTPS
(credentials.didweb) unless ``DID_WEB_NETWORK`` is off (air-gapped deployments).
"""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from .diddocument import DidDocument, check_purpose
from .didweb import PREFIX as DID_WEB_PREFIX
from .didweb import did_web_to_url, fetch_did_document
from .errors import UnresolvableKey
from .hosted import hosted_document
from .multikey import resolve_verification_method as _resolve_did_key
from .pinned import pinned_document

# A did:key document lists its Ed25519 key under these; key agreement uses a derived X25519 key.
DID_KEY_RELATIONSHIPS = frozenset(
    {"authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"}
)


def resolve_verification_method(
    verification_method: object, *, purpose: str | None = None
) -> tuple[str, Ed25519PublicKey]:
    """Resolve a verification method to (controller DID, Ed25519 public key).

    With ``purpose`` (a verification relationship such as "assertionMethod" or
    "authentication"), the method must be listed under it. Raises UnresolvableKey with a reason
    (DidDocumentInvalid, a subclass, when a did:web document is not acceptable).
    """
    if not isinstance(verification_method, str):
        raise UnresolvableKey("The verification method must be a DID URL string.")
    check_purpose(purpose)
    if verification_method.startswith("did:key:"):
        if purpose is not None and purpose not in DID_KEY_RELATIONSHIPS:
            raise UnresolvableKey(
                f"A did:key Ed25519 key is not listed under {purpose}.",
                verificationMethod=verification_method,
            )
        return _resolve_did_key(verification_method)
    if verification_method.startswith(DID_WEB_PREFIX):
        did, _, fragment = verification_method.partition("#")
        if not fragment:
            raise UnresolvableKey(
                "A did:web verification method names its key with a fragment (did:web:…#key-1).",
                verificationMethod=verification_method,
            )
        return did, resolve_did_document(did).public_key(verification_method, purpose=purpose)
    raise UnresolvableKey(
        "Only did:key and did:web verification methods are resolved.",
        verificationMethod=verification_method,
    )


def resolve_did_document(did: str) -> DidDocument:
    """The checked DID document of a did:web DID: ours from the database, else pinned if pinned,
    else fetched (and cached).

    Raises UnresolvableKey (or DidDocumentInvalid): never goes to the network for a DID on our
    own host or a pinned DID, nor at all when DID_WEB_NETWORK is off.
    """
    did_web_to_url(did)  # refuse a malformed DID before looking anywhere
    hosted = hosted_document(did)
    if hosted is not None:
        return hosted
    pinned = pinned_document(did)
    if pinned is not None:
        return pinned
    if not settings.DID_WEB_NETWORK:
        raise UnresolvableKey(
            f"{did} is not pinned and resolving did:web over the network is off (DID_WEB_NETWORK).", did=did
        )
    return fetch_did_document(did)
