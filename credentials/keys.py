"""Issuer signing keys: generated here, stored sealed under the key-encryption key ring.

An organisation signs as one DID at a time (``current_identity``): its hosted did:web when it
has one (credentials.hosted), else the did:key of its active key. A key whose private half
leaked is reported with ``mark_key_compromised``: it is retired at once and trusted for nothing
after (credentials.trust), and hosted DID documents stop listing it (credentials.hosted).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation
from core.keyring import WrappedSecret, keyring
from vc.multikey import did_key_for

from .errors import KeyCompromiseInvalid, NoSigningKey
from .models import HostedIssuerDid, IssuerKey, StatusList


def _key_aad(key_id: uuid.UUID) -> bytes:
    return f"citizen-vault/issuer-key/v1|key:{key_id}".encode()


@transaction.atomic
def create_issuer_key(*, organisation: Organisation) -> IssuerKey:
    """Generate a new Ed25519 signing key for an issuer; the previous key is retired, not deleted."""
    if organisation.kind != Organisation.Kind.ISSUER:
        raise ValueError("Only issuers hold signing keys.")
    IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).update(
        retired_at=timezone.now()
    )
    private_key = Ed25519PrivateKey.generate()
    did_key = did_key_for(private_key.public_key())
    key_id = uuid.uuid4()
    wrapped = keyring().wrap(private_key.private_bytes_raw(), aad=_key_aad(key_id))
    return IssuerKey.objects.create(
        id=key_id,
        organisation=organisation,
        did=did_key.did,
        public_key_multibase=did_key.multikey,
        kek_id=wrapped.kek_id,
        private_key_sealed=wrapped.sealed,
    )


def active_issuer_key(organisation: Organisation) -> IssuerKey:
    """The organisation's current signing key; raises NoSigningKey when it has none."""
    key = IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).first()
    if key is None:
        raise NoSigningKey(f"{organisation.name} has no active signing key; an operator must create one.")
    return key


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs: ``did`` is the issuer named in what is signed, ``key`` the key making the proof."""

    did: str
    key: IssuerKey

    @property
    def verification_method(self) -> str:
        """``<did>#<publicKeyMultibase>``: a did:key's own method, and a stable method id per key
        in a hosted did:web document."""
        return f"{self.did}#{self.key.public_key_multibase}"


def current_identity(organisation: Organisation) -> SigningIdentity:
    """The DID ``organisation`` signs as now, with its active key; raises NoSigningKey.

    Its hosted did:web DID when it has one, else the did:key of the active key.
    """
    key = active_issuer_key(organisation)
    hosted = HostedIssuerDid.objects.filter(organisation=organisation).values_list("did", flat=True).first()
    return SigningIdentity(did=hosted or key.did, key=key)


def unseal_private_key(key: IssuerKey) -> Ed25519PrivateKey:
    """The private half of ``key``, unwrapped for one signing operation; raises DecryptionError."""
    raw = keyring().unwrap(WrappedSecret(key.kek_id, bytes(key.private_key_sealed)), aad=_key_aad(key.id))
    return Ed25519PrivateKey.from_private_bytes(raw)


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


@transaction.atomic
def mark_key_compromised(*, key: IssuerKey, note: str, at: datetime | None = None) -> IssuerKey:
    """Record that ``key``'s private half is compromised; from then on nothing it signed is trusted.

    The active key is rotated first (create_issuer_key), so the issuer keeps issuing with a new
    key (an organisation that is no longer an issuer only has it retired). ``at`` (default now) is
    when the compromise was reported or found.
    Idempotent: a key already marked keeps its first report. Signed copies of the organisation's
    hosted did:web status lists are invalidated, so the next copy is signed with the new key
    (credentials.statuslist.list_signer). Raises KeyCompromiseInvalid for an empty note or an
    ``at`` in the future or before the key existed.
    """
    note = note.strip()
    if not note:
        raise KeyCompromiseInvalid("Say what happened in the note: who reported the compromise and how.")
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        raise KeyCompromiseInvalid("The time of compromise must carry a time zone.")
    locked = IssuerKey.objects.select_for_update().get(pk=key.pk)
    if locked.compromised_at is not None:
        return locked
    if at > now:
        raise KeyCompromiseInvalid(f"The time of compromise {at.isoformat()} is in the future.")
    if at < locked.created_at:
        raise KeyCompromiseInvalid(
            f"The time of compromise {at.isoformat()} is before the key was created "
            f"({locked.created_at.isoformat()})."
        )
    if locked.retired_at is None:
        if locked.organisation.kind == Organisation.Kind.ISSUER:
            create_issuer_key(organisation=locked.organisation)
            locked.refresh_from_db(fields=["retired_at"])
        else:  # no longer an issuer: it needs no new key
            locked.retired_at = now
    locked.compromised_at = at
    locked.compromise_note = note
    locked.save(update_fields=["retired_at", "compromised_at", "compromise_note"])
    # A hosted did:web list is signed by the current key; a new version is never served from the
    # cache of copies the compromised key signed. A did:key list has no other key to sign with.
    StatusList.objects.filter(organisation_id=locked.organisation_id).exclude(
        issuer_did__startswith="did:key:"
    ).update(version=F("version") + 1)
    return locked
