"""did:web (W3C CCG did:web method): a DID's document fetched over HTTPS (its URL: vc.dids.did_web_to_url).

Resolution order (pinned documents first, then this) is decided in credentials.dids.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from vc.diddocument import DidDocument, parse_did_document
from vc.dids import did_web_to_url
from vc.errors import UnresolvableKey

from .errors import RemoteFetchFailed
from .remote import fetch_json

CACHE_PREFIX = "credentials:did-web:"


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
