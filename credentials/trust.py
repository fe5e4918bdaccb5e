"""The trust registry: is an issuer accredited for the credential types it issued?

Accreditations are kept per organisation (credentials.models.Accreditation) and cover every
DID the organisation signs with: each of its keys here, retired ones included, the did:web we
host for it (HostedIssuerDid), and the DIDs it signs with elsewhere (ExternalIssuerDid, e.g. the
did:web of a university's own site).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from accounts.models import Organisation

from .models import Accreditation, ExternalIssuerDid, HostedIssuerDid, IssuerKey

BASE_TYPE = "VerifiableCredential"


@dataclass(frozen=True)
class TrustResult:
    trusted: bool
    reason: str


def organisation_of_did(did: str) -> Organisation | None:
    """The issuer organisation a DID belongs to: one of our keys for it, the did:web we host for
    it, or a DID it registered."""
    key = IssuerKey.objects.select_related("organisation").filter(did=did).first()
    if key is not None:
        return key.organisation
    hosted = HostedIssuerDid.objects.select_related("organisation").filter(did=did).first()
    if hosted is not None:
        return hosted.organisation
    external = ExternalIssuerDid.objects.select_related("organisation").filter(did=did).first()
    return external.organisation if external is not None else None


def is_accredited(issuer_did: str, credential_types: list[str], at: datetime) -> TrustResult:
    """Whether ``issuer_did`` was accredited at ``at`` for every specific type of a credential.

    ``credential_types`` is the credential's ``type`` list; VerifiableCredential alone says
    nothing, so a credential without a more specific type is not trusted. The reason names the
    issuer and what is missing.
    """
    specific = sorted({t for t in credential_types if t != BASE_TYPE})
    if not specific:
        return TrustResult(
            False, "The credential names no type besides VerifiableCredential to be accredited for."
        )
    organisation = organisation_of_did(issuer_did)
    if organisation is None:
        return TrustResult(False, f"{issuer_did} is not in the trust registry.")
    if not organisation.is_active:
        return TrustResult(False, f"{organisation.name} ({issuer_did}) is deactivated.")
    accredited = set(
        Accreditation.objects.filter(
            organisation=organisation, credential_type__in=specific, valid_from__lte=at
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        .values_list("credential_type", flat=True)
    )
    missing = [t for t in specific if t not in accredited]
    if missing:
        return TrustResult(
            False,
            f"{organisation.name} ({issuer_did}) is not accredited for {', '.join(missing)} "
            f"at {at.isoformat()}.",
        )
    return TrustResult(True, f"{organisation.name} is accredited for {', '.join(specific)}.")
