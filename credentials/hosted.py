"""did:web DIDs this service hosts for the issuers whose keys it keeps.

A hosted issuer signs as ``did:web:<ISSUER_DID_WEB_HOST>:issuers:<slug>`` (the port's ``:``
written ``%3A``, as the did:web method says), whose document is served at
``https://<ISSUER_DID_WEB_HOST>/issuers/<slug>/did.json``. The document is built from the
database each time: one Multikey per IssuerKey of the organisation (Ed25519 and P-256), retired
ones included, all listed under ``assertionMethod``. A key rotation therefore adds keys to the
document and keeps the DID, so verifiers and trust registries keep knowing the issuer, and
credentials signed before keep verifying (hosting itself is a write:
credentials.services.host_issuer_did). A key reported compromised
(credentials.services.mark_key_compromised) is left out entirely, so no verifier anywhere
resolves it any more. Our own hosted DIDs are resolved from the database by the same builder
(``hosted_document``, used by credentials.dids), never over the network to ourselves; there a
compromised key resolves to no public key and says why.
"""

from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from credentials.selectors import compromise_reason
from vc.diddocument import DidDocument, VerificationMethod, parse_did_document
from vc.dids import DID_WEB_PREFIX, did_web_to_url
from vc.errors import UnresolvableKey

from .errors import UnknownIssuerDid
from .models import HostedIssuerDid, IssuerKey

DID_CONTEXTS = ("https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1")
PATH_SEGMENT = "issuers"  # the documents live under /issuers/<slug>/did.json


def hosting_authority() -> str | None:
    """ISSUER_DID_WEB_HOST as the host part of a did:web DID (``host`` or ``host%3Aport``).

    None when hosting is off (the setting is empty). Raises ImproperlyConfigured when the setting
    is not a domain name with an optional port.
    """
    host = settings.ISSUER_DID_WEB_HOST.strip().lower()
    if not host:
        return None
    authority = host.replace(":", "%3A", 1)
    try:
        did_web_to_url(DID_WEB_PREFIX + authority)
    except UnresolvableKey as exc:
        raise ImproperlyConfigured(
            f"ISSUER_DID_WEB_HOST={host!r} cannot name a did:web DID: {exc.detail}"
        ) from exc
    return authority


def hosted_did_for(authority: str, slug: str) -> str:
    """The did:web DID an issuer with ``slug`` is hosted as under ``authority``."""
    return f"{DID_WEB_PREFIX}{authority}:{PATH_SEGMENT}:{slug}"


def is_on_our_host(did: str) -> bool:
    """Whether ``did`` is a did:web DID on ISSUER_DID_WEB_HOST (false when hosting is off)."""
    authority = hosting_authority()
    if authority is None or not did.startswith(DID_WEB_PREFIX):
        return False
    return did.removeprefix(DID_WEB_PREFIX).split(":", 1)[0].lower() == authority.lower()


def did_document(hosted: HostedIssuerDid) -> dict[str, Any]:
    """The DID document of a hosted DID: every key of the organisation not reported compromised,
    Ed25519 and P-256, oldest first, as a Multikey listed (by reference) under assertionMethod."""
    did = hosted.did
    keys = IssuerKey.objects.filter(
        organisation_id=hosted.organisation_id, compromised_at__isnull=True
    ).order_by("created_at", "key_type", "id")
    methods = [
        {
            "id": f"{did}#{key.public_key_multibase}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
        for key in keys
    ]
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def published_did_document(slug: str) -> dict[str, Any]:
    """The document served at ``/issuers/<slug>/did.json``; raises UnknownIssuerDid (404) when
    hosting is off or no issuer is hosted there."""
    authority = hosting_authority()
    hosted = (
        HostedIssuerDid.objects.filter(did=hosted_did_for(authority, slug)).first()
        if authority is not None
        else None
    )
    if hosted is None:
        raise UnknownIssuerDid(f"This service hosts no issuer DID at /{PATH_SEGMENT}/{slug}/did.json.")
    return did_document(hosted)


def hosted_document(did: str) -> DidDocument | None:
    """The checked DID document of ``did`` when it is on our host, from the database; None when
    it is not on our host (resolve it elsewhere).

    Raises UnresolvableKey for a DID on our host that we do not host: it has no document anywhere.
    """
    if not is_on_our_host(did):
        return None
    hosted = HostedIssuerDid.objects.filter(did=did).first()
    if hosted is None:
        raise UnresolvableKey(f"{did} is on this service's host but is not an issuer DID it hosts.", did=did)
    return _with_compromised_keys(hosted, parse_did_document(did, did_document(hosted)))


def _with_compromised_keys(hosted: HostedIssuerDid, document: DidDocument) -> DidDocument:
    """``document`` plus the organisation's compromised keys, each without a public key: asking
    for one fails (UnresolvableKey) with the reason instead of "no such method"."""
    compromised = list(
        IssuerKey.objects.select_related("organisation")
        .filter(organisation_id=hosted.organisation_id, compromised_at__isnull=False)
        .order_by("created_at", "id")
    )
    if not compromised:
        return document
    methods = dict(document.methods)
    assertion = set(document.relationships.get("assertionMethod", frozenset()))
    for key in compromised:
        method_id = f"{hosted.did}#{key.public_key_multibase}"
        reason = f"{compromise_reason(key)}; {hosted.did} no longer lists it."
        methods[method_id] = VerificationMethod(method_id, "Multikey", hosted.did, None, reason)
        assertion.add(method_id)
    relationships = {**document.relationships, "assertionMethod": frozenset(assertion)}
    return replace(document, methods=methods, relationships=relationships)
