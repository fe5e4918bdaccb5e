"""From a verification method to its public key: did:key locally, did:web from a document source.

``resolve_key`` is the library's key resolver. A ``did:key`` is resolved locally (vc.multikey);
a ``did:web`` needs its DID document, which the caller supplies through ``did_web`` (a
DidDocumentSource: fetched, pinned or built from its own records, as it decides). Without one,
did:web methods do not resolve. Anything that verifies proofs takes a KeyResolver, so the
application can give it one that knows its own did:web documents.
"""

import re
from typing import Any, Protocol

from .diddocument import DidDocument, check_purpose
from .errors import UnresolvableKey
from .multikey import PublicKey, resolve_did_key

DID_WEB_PREFIX = "did:web:"
DID_KEY_CONTEXTS = ("https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1")
# A did:key document lists its key (Ed25519, P-256 or P-384) under these; key agreement, which
# for Ed25519 uses a derived X25519 key, is not a purpose any proof here is made for.
DID_KEY_RELATIONSHIPS = frozenset(
    {"authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"}
)


class DidDocumentSource(Protocol):
    """Gives the checked DID document of a did:web DID; raises UnresolvableKey when it cannot."""

    def __call__(self, did: str, /) -> DidDocument: ...


class KeyResolver(Protocol):
    """Resolves a verification method, listed under ``purpose`` when given, to (controller DID, key)."""

    def __call__(
        self, verification_method: object, *, purpose: str | None = None
    ) -> tuple[str, PublicKey]: ...


def resolve_key(
    verification_method: object, *, purpose: str | None = None, did_web: DidDocumentSource | None = None
) -> tuple[str, PublicKey]:
    """Resolve a verification method to (controller DID, public key): Ed25519, P-256 or P-384,
    for a did:key and for a did:web's Multikeys (vc.diddocument).

    With ``purpose`` (a verification relationship such as "assertionMethod" or
    "authentication"), the method must be listed under it. A did:web method is looked up in the
    document ``did_web`` gives. Raises UnresolvableKey with a reason (DidDocumentInvalid, a
    subclass, when a did:web document is not acceptable).
    """
    if not isinstance(verification_method, str):
        raise UnresolvableKey("The verification method must be a DID URL string.")
    check_purpose(purpose)
    if verification_method.startswith("did:key:"):
        if purpose is not None and purpose not in DID_KEY_RELATIONSHIPS:
            raise UnresolvableKey(
                f"A did:key key is not listed under {purpose}.",
                verificationMethod=verification_method,
            )
        return resolve_did_key(verification_method)
    if verification_method.startswith(DID_WEB_PREFIX) and did_web is not None:
        did, _, fragment = verification_method.partition("#")
        if not fragment:
            raise UnresolvableKey(
                "A did:web verification method names its key with a fragment (did:web:…#key-1).",
                verificationMethod=verification_method,
            )
        return did, did_web(did).public_key(verification_method, purpose=purpose)
    raise UnresolvableKey(
        "Only did:key and did:web verification methods are resolved."
        if did_web is not None
        else "Only did:key verification methods are resolved here.",
        verificationMethod=verification_method,
    )


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of a did:key (Ed25519, P-256 or P-384): its one Multikey verification
    method, listed under the relationships a did:key key serves here (DID_KEY_RELATIONSHIPS).

    Raises UnresolvableKey for anything that is not a did:key DID (no fragment) of a key we read.
    """
    if not isinstance(did, str) or "#" in did:
        raise UnresolvableKey("A did:key DID has no fragment.", did=did if isinstance(did, str) else None)
    resolve_did_key(did)
    multikey = did.removeprefix("did:key:")
    method_id = f"{did}#{multikey}"
    return {
        "@context": list(DID_KEY_CONTEXTS),
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": multikey}
        ],
        **{relationship: [method_id] for relationship in sorted(DID_KEY_RELATIONSHIPS)},
    }


# did:web (W3C CCG did:web method): from a DID to the URL of its document.

# A DNS name: letters, digits and hyphens in dot-separated labels (no IP addresses, per the method).
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


def did_web_to_url(did: str) -> str:
    """The https URL of the DID document of ``did`` (did:web §3.2, Read).

    ``did:web:example.com`` → ``https://example.com/.well-known/did.json``;
    ``did:web:example.com%3A8443:user:alice`` → ``https://example.com:8443/user/alice/did.json``.
    Raises UnresolvableKey for anything that is not a plain did:web DID (no fragment, query, IP
    address, percent-encoding other than the port's ``%3A``, or dot segments).
    """
    if not isinstance(did, str) or not did.startswith(DID_WEB_PREFIX):
        raise UnresolvableKey(f"{did!r} is not a did:web DID.")
    host_part, *path = did.removeprefix(DID_WEB_PREFIX).split(":")
    host, separator, port = host_part.replace("%3a", "%3A").partition("%3A")
    if not _HOST.match(host) or len(host) > 253 or host.replace(".", "").isdigit():
        raise UnresolvableKey(f"{did} does not name a valid domain (did:web takes no IP address).", did=did)
    if separator and not (_PORT.match(port) and 0 < int(port) < 65536):
        raise UnresolvableKey(f"{did} has an invalid port {port!r}.", did=did)
    for segment in path:
        if not _PATH_SEGMENT.match(segment) or segment in (".", ".."):
            raise UnresolvableKey(f"{did} has an invalid path segment {segment!r}.", did=did)
    authority = f"{host.lower()}:{port}" if separator else host.lower()
    return f"https://{authority}/{'/'.join(path) if path else '.well-known'}/did.json"
