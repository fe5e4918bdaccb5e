"""The application's key resolver: vc.dids.resolve_key with our did:web documents.

``did:key`` is resolved locally (vc.dids). A ``did:web`` on our own host (ISSUER_DID_WEB_HOST)
is one of the issuer DIDs we host: its document is built from the database (credentials.hosted),
never fetched from ourselves. Any other ``did:web`` resolves from a pinned document when there
is one (credentials.pinned), which always wins; otherwise over HTTPS (credentials.didweb) unless
``DID_WEB_NETWORK`` is off (air-gapped deployments).
"""

from django.conf import settings

from vc.diddocument import DidDocument
from vc.dids import did_web_to_url, resolve_key
from vc.errors import UnresolvableKey
from vc.multikey import PublicKey

from .didweb import fetch_did_document
from .hosted import hosted_document
from .pinned import pinned_document


def resolve_verification_method(
    verification_method: object, *, purpose: str | None = None
) -> tuple[str, PublicKey]:
    """Resolve a verification method to (controller DID, public key): a vc.dids.KeyResolver for
    did:key and for did:web (Ed25519, P-256, P-384) as resolve_did_document finds them.

    With ``purpose`` the method must be listed under it. Raises UnresolvableKey with a reason
    (DidDocumentInvalid, a subclass, when a did:web document is not acceptable).
    """
    return resolve_key(verification_method, purpose=purpose, did_web=resolve_did_document)


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
