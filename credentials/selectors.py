"""Reads of issuer state: the trust registry's answers, and the keys and identity issuers sign with.

Is an issuer accredited for the credential types it issued?
Accreditations are kept per organisation (credentials.models.Accreditation) and cover every
DID the organisation signs with: each of its keys here, retired ones included, the did:web we
host for it (HostedIssuerDid), and the DIDs it signs with elsewhere (ExternalIssuerDid, e.g. the
did:web of a university's own site).

A credential is judged by the key that signed it too (``is_trusted_credential``), since a proof's
``created`` is whatever the signer wrote: a key its issuer reported compromised is trusted for
nothing, and a retired key of ours only for credentials its issuer can still revoke (they carry
status entries we allocated in one of its lists).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, overload

from django.db.models import Q

from accounts.models import Organisation
from vc.statuslist import StatusResult, bit_is_set

from .errors import NoSigningKey
from .keys import SigningIdentity
from .models import (
    SERVICE_CREDENTIAL_TYPES,
    SERVICE_SLUG,
    Accreditation,
    ExternalIssuerDid,
    HostedIssuerDid,
    IssuerKey,
    StatusEntry,
)
from .statuslist import status_list_url

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
    nothing, so a credential without a more specific type is not trusted. A did:key of ours
    reported compromised is trusted for nothing: the DID is the key. The reason names the issuer
    and what is missing. To judge a signed credential, use ``is_trusted_credential``, which also
    looks at the key that signed it.
    """
    specific = sorted({t for t in credential_types if t != BASE_TYPE})
    if not specific:
        return TrustResult(
            False, "The credential names no type besides VerifiableCredential to be accredited for."
        )
    key = issuer_key_of(issuer_did) if issuer_did.startswith("did:key:") else None
    if key is not None and key.compromised_at is not None:
        return TrustResult(False, f"The credential is {compromise_reason(key)}.")
    organisation = organisation_of_did(issuer_did)
    if organisation is None:
        return TrustResult(False, f"{issuer_did} is not in the trust registry.")
    if not organisation.is_active:
        return TrustResult(False, f"{organisation.name} ({issuer_did}) is deactivated.")
    # The service's own types (access grants) are trusted from the service alone, which issues
    # nothing else: no accreditation row can give them to an issuer, or more to the service.
    service_types = [t for t in specific if t in SERVICE_CREDENTIAL_TYPES]
    if organisation.slug == SERVICE_SLUG or service_types:
        if organisation.slug == SERVICE_SLUG and len(service_types) == len(specific):
            return TrustResult(True, f"{organisation.name} is this service: it issues {', '.join(specific)}.")
        return TrustResult(
            False,
            f"{organisation.name} ({issuer_did}) is not trusted for {', '.join(specific)}: only this "
            f"service issues {', '.join(sorted(SERVICE_CREDENTIAL_TYPES))}, and it issues nothing else.",
        )
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


def accredited_pairs(organisation_ids: Iterable[Any], at: datetime) -> set[tuple[Any, str]]:
    """(organisation id, credential type) for each active organisation among ``organisation_ids``
    accredited at ``at`` for that type: the trust registry for a whole list in one query (the
    portal's badges; a single credential is judged by ``is_trusted_credential``)."""
    return set(
        Accreditation.objects.filter(
            organisation_id__in=list(organisation_ids), organisation__is_active=True, valid_from__lte=at
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        .values_list("organisation_id", "credential_type")
    )


def is_trusted_credential(
    *,
    issuer_did: str,
    verification_method: str,
    credential_types: list[str],
    at: datetime,
    statuses: Sequence[StatusResult],
    registry: TrustResult | None = None,
) -> TrustResult:
    """Whether a credential whose proof verified can be trusted: its signing key still counts,
    and its issuer is accredited (``is_accredited``).

    ``verification_method`` is the issuer's proof's method; ``statuses`` the credential's status
    entries as read by credentials.statuslist.check_status. For a key of ours (IssuerKey):
    compromised, the credential is not trusted whatever its date; retired, it must carry a
    status entry allocated in one of the issuer's lists. External issuers' keys are not ours to
    judge and only the registry applies. ``registry`` is ``is_accredited``'s answer when the
    caller already has it (it is not asked twice).
    """
    key = issuer_key_of(verification_method)
    if key is not None:
        if key.compromised_at is not None:
            return TrustResult(False, f"The credential is {compromise_reason(key)}.")
        if key.retired_at is not None and not _has_our_status(key, statuses):
            return TrustResult(
                False,
                "The credential is signed with a retired key and carries no status the issuer can "
                f"change: {key.organisation.name} retired {verification_method} on "
                f"{key.retired_at.isoformat()} and could not revoke this credential.",
            )
    return registry if registry is not None else is_accredited(issuer_did, credential_types, at)


def _has_our_status(key: IssuerKey, statuses: Sequence[StatusResult]) -> bool:
    """Whether one of ``statuses`` is an entry we allocated in a list of ``key``'s organisation."""
    for status in statuses:
        entries = StatusEntry.objects.filter(
            organisation_id=key.organisation_id, status_purpose=status.purpose, index=status.index
        ).values_list("status_list_id", flat=True)
        if any(status_list_url(list_id) == status.status_list_credential for list_id in entries):
            return True
    return False


# Keys and the identity an organisation signs as.


@overload
def active_issuer_key(
    organisation: Organisation, *, key_type: str = ..., required: Literal[True] = ...
) -> IssuerKey: ...
@overload
def active_issuer_key(
    organisation: Organisation, *, key_type: str = ..., required: Literal[False]
) -> IssuerKey | None: ...
def active_issuer_key(
    organisation: Organisation, *, key_type: str = IssuerKey.KeyType.ED25519, required: bool = True
) -> IssuerKey | None:
    """The organisation's current signing key of ``key_type`` (Ed25519 by default: the key its
    did:key identity and status lists use); raises NoSigningKey when it has none, unless not
    ``required`` (None then)."""
    key = IssuerKey.objects.filter(
        organisation=organisation, key_type=key_type, retired_at__isnull=True
    ).first()
    if key is None and required:
        raise NoSigningKey(f"{organisation.name} has no active signing key; an operator must create one.")
    return key


def signs_for(issuer_did: str, controller: str) -> bool:
    """Whether ``controller``, the DID a proof's key belongs to, speaks for ``issuer_did``: the same
    DID, or two did:key DIDs of keys we keep for one organisation (an organisation named by its
    Ed25519 did:key signs ecdsa-* proofs with its P-256 key, a DID of its own)."""
    if controller == issuer_did:
        return True
    if not (issuer_did.startswith("did:key:") and controller.startswith("did:key:")):
        return False
    owners = set(
        IssuerKey.objects.filter(did__in=[issuer_did, controller]).values_list("did", "organisation_id")
    )
    organisations = {organisation for _, organisation in owners}
    return len(owners) == 2 and len(organisations) == 1


def current_identity(organisation: Organisation) -> SigningIdentity:
    """The DID ``organisation`` signs as now, with its active key; raises NoSigningKey.

    Its hosted did:web DID when it has one, else the did:key of the active key.
    """
    key = active_issuer_key(organisation)
    hosted = HostedIssuerDid.objects.filter(organisation=organisation).values_list("did", flat=True).first()
    return SigningIdentity(did=hosted or key.did, key=key)


def issuer_key_of(verification_method: str) -> IssuerKey | None:
    """The IssuerKey a verification method (or a did:key DID) names; None when it is not ours.

    A did:key is the key itself (``did:key:z…`` or ``did:key:z…#z…``). A hosted did:web names
    the key by its fragment, the key's publicKeyMultibase (``did:web:…#z…``), as
    ``SigningIdentity.verification_method`` writes it. External DIDs name no key of ours.
    """
    did, _, fragment = verification_method.partition("#")
    if did.startswith("did:key:"):
        key = IssuerKey.objects.select_related("organisation").filter(did=did).first()
        if key is None or (fragment and fragment != key.public_key_multibase):
            return None
        return key
    if not fragment:
        return None
    hosted = HostedIssuerDid.objects.filter(did=did).values_list("organisation_id", flat=True).first()
    if hosted is None:
        return None
    return (
        IssuerKey.objects.select_related("organisation")
        .filter(organisation_id=hosted, public_key_multibase=fragment)
        .first()
    )


def compromise_reason(key: IssuerKey) -> str:
    """Why a credential signed with ``key`` is refused, in the words every verifier check uses;
    ValueError for a key not reported compromised."""
    if key.compromised_at is None:
        raise ValueError(f"{key.did} is not reported compromised.")
    return (
        f"signed with a key its issuer reported compromised on {key.compromised_at.isoformat()} "
        f"({key.organisation.name}, {key.verification_method}): nothing it signed is trusted, "
        "whatever date its proof gives"
    )


def status_bits_of(issuer: Organisation, credential_ids: Iterable[str]) -> dict[str, set[str]]:
    """Per credential id that ``issuer`` issued with a status, the purposes whose bit is set now
    ("revocation", "suspension"): what its status lists say, read from our database."""
    entries = StatusEntry.objects.filter(
        organisation=issuer, credential_id__in=list(credential_ids)
    ).select_related("status_list")
    statuses: dict[str, set[str]] = {}
    for entry in entries:
        purposes = statuses.setdefault(entry.credential_id, set())
        if bit_is_set(bytes(entry.status_list.bitstring), entry.index):
            purposes.add(entry.status_purpose)
    return statuses


def status_reasons_of(
    issuer: Organisation, credential_ids: Iterable[str]
) -> dict[str, dict[str, tuple[str, str]]]:
    """Per credential id that ``issuer`` issued, per purpose, what the issuer said about its last
    change of that status: (StatusReason code, note), each possibly ""; purposes it said nothing
    about are left out."""
    rows = (
        StatusEntry.objects.filter(organisation=issuer, credential_id__in=list(credential_ids))
        .exclude(change_reason="", change_note="")
        .values_list("credential_id", "status_purpose", "change_reason", "change_note")
    )
    said: dict[str, dict[str, tuple[str, str]]] = {}
    for credential_id, purpose, reason, note in rows:
        said.setdefault(credential_id, {})[purpose] = (reason, note)
    return said
