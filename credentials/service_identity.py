"""The service's own issuer identity: the DID it signs its own credentials as (access grants).

The service signs as an issuer organisation of its own, made on first use (``SERVICE_SLUG``,
named SERVICE_ORGANISATION_NAME): its keys are issuer keys like any other (sealed under the KEK
ring, rotated and reported compromised the same way, listed in the admin), its revocations are
bits in Bitstring Status Lists of its own, published at /status-lists/<uuid> like the issuers'.
When hosting is on (ISSUER_DID_WEB_HOST) it signs as the did:web of the site itself,
``did:web:<host>``, whose document is served at /.well-known/did.json; otherwise as the did:key
of its current key. It holds no key of the access log's (vault.logkeys): a log checkpoint and a
credential are different statements, rotated and judged apart.

This module knows nothing of grants (ARCHITECTURE.md): consent hands it a credential subject,
types and contexts, and a credential id; it returns the signed credential, and revokes it by id.
The trust registry (credentials.selectors.is_accredited) trusts this organisation for
SERVICE_CREDENTIAL_TYPES and nothing else, and nobody else for those types.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction

from accounts.models import Organisation
from vc.dataintegrity import add_proof
from vc.dids import DID_WEB_PREFIX
from vc.jsonld import CREDENTIALS_V2

from .errors import UnknownIssuerDid
from .hosted import did_document, hosting_authority
from .keys import SigningIdentity, unseal_private_key
from .models import SERVICE_CREDENTIAL_TYPES, SERVICE_SLUG, HostedIssuerDid, StatusPurpose
from .selectors import active_issuer_key, current_identity
from .services import create_issuer_key
from .statuslist import allocate_status_entries, credential_status_of, set_status


def _xsd(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def service_organisation() -> Organisation:
    """The service's issuer organisation, made on first use (concurrent first uses make one)."""
    organisation = Organisation.objects.filter(slug=SERVICE_SLUG).first()
    if organisation is None:
        try:
            with transaction.atomic():  # a savepoint: a concurrent first use may win the race
                organisation = Organisation.objects.create(
                    slug=SERVICE_SLUG, name=settings.SERVICE_ORGANISATION_NAME, kind=Organisation.Kind.ISSUER
                )
        except IntegrityError:
            organisation = Organisation.objects.get(slug=SERVICE_SLUG)
    if organisation.kind != Organisation.Kind.ISSUER:
        raise ImproperlyConfigured(f"The organisation {SERVICE_SLUG!r} is reserved for the service itself.")
    return organisation


def service_did() -> str | None:
    """``did:web:<host>`` when hosting is on, else None (the service signs as its did:key)."""
    authority = hosting_authority()
    return None if authority is None else DID_WEB_PREFIX + authority


def service_identity() -> SigningIdentity:
    """The DID the service signs as now, with its active Ed25519 key; both made on first use."""
    organisation = service_organisation()
    if active_issuer_key(organisation, required=False) is None:
        try:
            with transaction.atomic():  # the unique active-key constraint decides between two first uses
                create_issuer_key(organisation=organisation)
        except IntegrityError:
            pass
    did = service_did()
    if did is not None and not HostedIssuerDid.objects.filter(organisation=organisation).exists():
        try:
            with transaction.atomic():
                HostedIssuerDid.objects.create(organisation=organisation, did=did)
        except IntegrityError:
            pass
    return current_identity(organisation)


def published_service_did_document() -> dict[str, Any]:
    """The document of ``did:web:<host>``, served at /.well-known/did.json; raises
    UnknownIssuerDid (404) when hosting is off or the service has signed nothing yet."""
    did = service_did()
    hosted = HostedIssuerDid.objects.filter(did=did).first() if did is not None else None
    if hosted is None:
        raise UnknownIssuerDid("This service hosts no DID of its own at /.well-known/did.json.")
    return did_document(hosted)


@transaction.atomic
def issue_service_credential(
    *,
    credential_id: str,
    types: Sequence[str],
    contexts: Sequence[str],
    subject: dict[str, Any],
    valid_from: datetime,
    valid_until: datetime,
) -> dict[str, Any]:
    """A credential the service itself issues (``types`` among SERVICE_CREDENTIAL_TYPES), signed
    as the service's DID (eddsa-rdfc-2022), with a revocation entry in one of the service's
    status lists, in the caller's transaction.

    Raises ValueError for another type, and the canonicalization errors of vc.dataintegrity
    (UndefinedTerm: a term the contexts do not define) for a subject the contexts cannot sign.
    """
    if not types or not set(types) <= SERVICE_CREDENTIAL_TYPES:
        raise ValueError(f"The service issues only {sorted(SERVICE_CREDENTIAL_TYPES)}, not {list(types)}.")
    identity = service_identity()
    entries = allocate_status_entries(
        identity=identity, credential_id=credential_id, purposes=(StatusPurpose.REVOCATION.value,)
    )
    document = {
        "@context": [CREDENTIALS_V2, *contexts],
        "id": credential_id,
        "type": ["VerifiableCredential", *types],
        "issuer": identity.did,
        "validFrom": _xsd(valid_from),
        "validUntil": _xsd(valid_until),
        "credentialSubject": subject,
        "credentialStatus": credential_status_of(entries),
    }
    return add_proof(
        document,
        private_key=unseal_private_key(identity.key),
        verification_method=identity.verification_method,
        created=_xsd(valid_from),
    )


def revoke_service_credential(*, credential_id: str) -> None:
    """Set the revocation bit of a credential the service issued, in the caller's transaction
    (the list row is locked until it commits). Revoking it again changes nothing.

    Raises UnknownCredentialStatus for an id the service never issued.
    """
    set_status(
        issuer=service_organisation(),
        credential_id=credential_id,
        purpose=StatusPurpose.REVOCATION.value,
        value=True,
    )
