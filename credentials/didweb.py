"""did:web (W3C CCG did:web method): from a DID to its URL, and its document fetched over HTTPS.

Resolution order (pinned documents first, then this) is decided in credentials.dids.
"""

import hashlib
import re

from django.conf import settings
from django.core.cache import cache

from .diddocument import DidDocument, parse_did_document
from .errors import RemoteFetchFailed, UnresolvableKey
from .remote import fetch_json

PREFIX = "did:web:"
# A DNS name: letters, digits and hyphens in dot-separated labels (no IP addresses, per the method).
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
CACHE_PREFIX = "credentials:did-web:"


def did_web_to_url(did: str) -> str:
    """The https URL of the DID document of ``did`` (did:web §3.2, Read).

    ``did:web:example.com`` → ``https://example.com/.well-known/did.json``;
    ``did:web:example.com%3A8443:user:alice`` → ``https://example.com:8443/user/alice/did.json``.
    Raises UnresolvableKey for anything that is not a plain did:web DID (no fragment, query, IP
    address, percent-encoding other than the port's ``%3A``, or dot segments).
    """
    if not isinstance(did, str) or not did.startswith(PREFIX):
        raise UnresolvableKey(f"{did!r} is not a did:web DID.")
    host_part, *path = did.removeprefix(PREFIX).split(":")
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


def fetch_did_document(did: str) -> DidDocument:
    """Fetch, check and cache (DID_WEB_CACHE_SECONDS) the DID document of ``did`` over HTTPS.

    Raises UnresolvableKey when it cannot be fetched, DidDocumentInvalid when it is not acceptable.
    """
    url = did_web_to_url(did)
    cache_key = CACHE_PREFIX + hashlib.sha256(did.encode()).hexdigest()
    cached = cache.get(cache_key)
    if cached is not None:
        return parse_did_document(did, cached)
    try:
        raw = fetch_json(url, max_bytes=settings.DID_WEB_MAX_BYTES)
    except RemoteFetchFailed as exc:
        raise UnresolvableKey(
            f"The DID document of {did} could not be fetched: {exc.detail}", did=did
        ) from exc
    document = parse_did_document(did, raw)  # only a document we accept is cached
    if settings.DID_WEB_CACHE_SECONDS > 0:
        cache.set(cache_key, raw, settings.DID_WEB_CACHE_SECONDS)
    return document


def forget_did_document(did: str) -> None:
    """Drop the cached document of ``did`` (after a key rotation the issuer told us about)."""
    cache.delete(CACHE_PREFIX + hashlib.sha256(did.encode()).hexdigest())
