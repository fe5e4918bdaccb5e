"""Bitstring Status List 1.0: revocation and suspension of the credentials we issue.

Each issuer identity (the DID credentials are issued as: a key's did:key, or a hosted did:web
that outlives key rotations) has one open list per purpose (revocation, suspension) of at least
131,072 bits.
A credential gets a random index in each (``allocate_status_entries``), drawn with the
``secrets`` module, so neither the list nor the order of issuance says who holds which bit.
A list takes new entries until it is half full (``FILL_LIMIT``): a random draw then finds a
free index in two tries on average; after that a new list is opened.

The list is published, signed by the issuer, as a BitstringStatusListCredential at
``<PUBLIC_BASE_URL>/status-lists/<uuid>`` (``published_status_list``); verifiers read it
through ``check_status``: our own lists straight from the database, other issuers' lists over
HTTPS, verified and cached for at most ``MAX_CACHE_SECONDS``. The bitstring and the entries a
credential carries are vc.statuslist's.
"""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation
from core.errors import Conflict
from vc.dataintegrity import add_proof
from vc.datamodel import parse_datetime_stamp
from vc.errors import CredentialInvalid, StatusListInvalid
from vc.jsonld import CREDENTIALS_V2
from vc.statuslist import (
    ENTRY_TYPE,
    LIST_CREDENTIAL_TYPE,
    LIST_TYPE,
    MAX_CACHE_SECONDS,
    MIN_STATUS_LIST_SIZE,
    PURPOSES,
    ListStatus,
    StatusResult,
    bit_is_set,
    cache_seconds,
    decode_bitstring,
    encode_bitstring,
    read_statuses,
    with_bit,
)

from .errors import RevocationIsFinal, UnknownCredentialStatus, UnknownStatusList, UnsupportedStatusPurpose
from .keys import SigningIdentity, unseal_private_key
from .models import IssuerKey, StatusEntry, StatusList, StatusPurpose
from .signals import credential_status_changed

FILL_LIMIT = 0.5
MAX_DRAWS = 64  # at most half the indexes are taken: 64 misses in a row happen with odds 2**-64

# A signed list we serve expires soon after it is made, so a stale copy cannot be replayed for
# long; we re-sign it at most every PUBLISH_CACHE_SECONDS, and at once after any change.
LIST_VALIDITY = timedelta(minutes=15)
PUBLISH_CACHE_SECONDS = 30


# Allocation, at issuance.


def _purpose(purpose: Any) -> str:
    if purpose not in PURPOSES:
        raise UnsupportedStatusPurpose(
            f"The status purpose {purpose!r} is not managed here; use one of {list(PURPOSES)}.",
            supportedPurposes=list(PURPOSES),
        )
    return str(purpose)


def _open_list(identity: SigningIdentity, purpose: str) -> StatusList:
    """The identity's list for ``purpose`` that still takes entries, locked; a new one when all are full."""
    open_lists = StatusList.objects.select_for_update().filter(
        organisation_id=identity.key.organisation_id,
        issuer_did=identity.did,
        status_purpose=purpose,
        allocated__lt=F("size") * FILL_LIMIT,
    )
    status_list = open_lists.order_by("created_at").first()
    if status_list is None:
        status_list = StatusList.objects.create(
            organisation_id=identity.key.organisation_id,
            issuer_key=identity.key,
            issuer_did=identity.did,
            status_purpose=purpose,
            size=MIN_STATUS_LIST_SIZE,
            bitstring=bytes(MIN_STATUS_LIST_SIZE // 8),
        )
    return status_list


def _draw_index(status_list: StatusList, *, credential_id: str) -> StatusEntry:
    for _ in range(MAX_DRAWS):
        index = secrets.randbelow(status_list.size)
        if StatusEntry.objects.filter(status_list=status_list, index=index).exists():
            continue
        try:
            with transaction.atomic():  # without a row lock (SQLite), the unique constraint decides
                entry = StatusEntry.objects.create(
                    status_list=status_list,
                    index=index,
                    organisation_id=status_list.organisation_id,
                    status_purpose=status_list.status_purpose,
                    credential_id=credential_id,
                )
        except IntegrityError:
            continue
        StatusList.objects.filter(pk=status_list.pk).update(allocated=F("allocated") + 1)
        return entry
    raise Conflict("No free status list index was found; try again.")


@transaction.atomic
def allocate_status_entries(
    *, identity: SigningIdentity, credential_id: str, purposes: tuple[str, ...] = PURPOSES
) -> list[StatusEntry]:
    """A revocation and a suspension entry (or those of ``purposes``) for a credential issued as
    ``identity.did``, in lists of that issuer DID.

    A credential id that already has entries (the same credential signed again) keeps them, so
    its status cannot be reset by re-issuing it. Raises CredentialInvalid when those entries
    belong to a list of another issuer DID (an earlier did:key): the list would name another issuer.
    """
    entries = []
    for purpose in map(_purpose, purposes):
        existing = (
            StatusEntry.objects.select_related("status_list")
            .filter(
                organisation_id=identity.key.organisation_id,
                credential_id=credential_id,
                status_purpose=purpose,
            )
            .first()
        )
        if existing is not None:
            if existing.status_list.issuer_did != identity.did:
                raise CredentialInvalid(
                    f"/id {credential_id} was issued before as {existing.status_list.issuer_did}, "
                    f"not {identity.did}; issue it under a new id.",
                    errors=[
                        {"path": "/id", "rule": "issuance", "detail": "already issued as another issuer DID"}
                    ],
                )
            entries.append(existing)
            continue
        entries.append(_draw_index(_open_list(identity, purpose), credential_id=credential_id))
    return entries


def status_list_url(status_list_id: uuid.UUID | str) -> str:
    """The stable public URL of a status list credential."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/status-lists/{status_list_id}"


def credential_status_of(entries: list[StatusEntry]) -> list[dict[str, str]]:
    """The ``credentialStatus`` a credential carries for its entries (§2.1 BitstringStatusListEntry)."""
    status = []
    for entry in entries:
        url = status_list_url(entry.status_list_id)
        status.append(
            {
                "id": f"{url}#{entry.index}",
                "type": ENTRY_TYPE,
                "statusPurpose": entry.status_purpose,
                "statusListIndex": str(entry.index),
                "statusListCredential": url,
            }
        )
    return status


# Changing a status: the issuer's act.


@transaction.atomic
def set_status(
    *, issuer: Organisation, credential_id: str, purpose: str, value: bool, reason: str = "", note: str = ""
) -> StatusEntry:
    """Set (``value=True``) or clear a credential's revocation or suspension bit.

    ``reason`` (a StatusReason code) and ``note`` (plain text), checked by the caller
    (credentials.services.update_status), are kept with the entry and sent with the signal, so the
    holders' logs record why.

    Only the issuing organisation can: for anyone else the credential is unknown. Setting a
    bit that is already so changes nothing. Raises UnsupportedStatusPurpose,
    UnknownCredentialStatus, or RevocationIsFinal (a revoked credential stays revoked;
    a suspension can be lifted).
    """
    purpose = _purpose(purpose)
    entry = (
        StatusEntry.objects.filter(organisation=issuer, credential_id=credential_id, status_purpose=purpose)
        .select_related("status_list")
        .first()
    )
    if entry is None:
        raise UnknownCredentialStatus(
            f"{issuer.name} has no {purpose} status for the credential {credential_id!r}: it was not "
            f"issued by {issuer.name} through this service.",
            credentialId=credential_id,
        )
    status_list = StatusList.objects.select_for_update().get(pk=entry.status_list_id)
    bits = bytes(status_list.bitstring)
    current = bit_is_set(bits, entry.index)
    if current == bool(value):
        return entry
    if purpose == StatusPurpose.REVOCATION and current:
        raise RevocationIsFinal(
            f"The credential {credential_id!r} is revoked; revocation is final. Issue a new credential.",
            credentialId=credential_id,
        )
    status_list.bitstring = with_bit(bits, entry.index, bool(value))
    status_list.version = F("version") + 1
    status_list.save(update_fields=["bitstring", "version", "updated_at"])
    entry.changed_at = timezone.now()
    entry.change_reason, entry.change_note = reason, note
    entry.save(update_fields=["changed_at", "change_reason", "change_note"])
    credential_status_changed.send(
        sender=StatusEntry,
        issuer=issuer,
        credential_id=credential_id,
        purpose=purpose,
        value=bool(value),
        reason=reason,
    )
    return entry


# Publication.


def _xsd(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def list_signer(status_list: StatusList) -> SigningIdentity:
    """Who signs ``status_list``: always as its recorded issuer DID, with a key of that identity.

    A did:key list is signed by its own key, retired or not: no other key can speak for that
    DID. A hosted did:web list is signed by the organisation's current key, which the DID's
    document lists beside the retired ones (credentials.hosted); the DID itself never changed.
    """
    key = status_list.issuer_key
    if status_list.issuer_did != key.did:
        current = IssuerKey.objects.filter(
            organisation_id=status_list.organisation_id,
            key_type=IssuerKey.KeyType.ED25519,
            retired_at__isnull=True,
        ).first()
        key = current or key
    return SigningIdentity(did=status_list.issuer_did, key=key)


def sign_status_list(status_list: StatusList, *, now: datetime | None = None) -> dict[str, Any]:
    """The list as a BitstringStatusListCredential, signed as the issuer DID it belongs to.

    That DID is the issuer of every credential in the list, so verifiers can check the list and
    the credential have the same issuer, even after the organisation rotated keys (list_signer).
    """
    now = now or timezone.now()
    signer = list_signer(status_list)
    url = status_list_url(status_list.id)
    document = {
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": signer.did,
        "validFrom": _xsd(now),
        "validUntil": _xsd(now + LIST_VALIDITY),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": LIST_TYPE,
            "statusPurpose": status_list.status_purpose,
            "encodedList": encode_bitstring(bytes(status_list.bitstring)),
            "ttl": MAX_CACHE_SECONDS * 1000,
        },
    }
    return add_proof(
        document,
        private_key=unseal_private_key(signer.key),
        verification_method=signer.verification_method,
        created=_xsd(now),
    )


def published_status_list(status_list_id: uuid.UUID) -> dict[str, Any]:
    """The signed list credential served at its URL; raises UnknownStatusList (404).

    Signed copies are cached briefly, keyed by the list's version, so a change is served at once.
    """
    status_list = StatusList.objects.select_related("issuer_key").filter(pk=status_list_id).first()
    if status_list is None:
        raise UnknownStatusList(f"There is no status list {status_list_id}.")
    cache_key = f"statuslist:signed:{status_list.pk}:{status_list.version}"
    document = cache.get(cache_key)
    if document is None:
        document = sign_status_list(status_list)
        cache.set(cache_key, document, timeout=PUBLISH_CACHE_SECONDS)
    return document


# Checking a credential's status: the verifier's side.


def check_status(credential: dict[str, Any], *, now: datetime | None = None) -> list[StatusResult]:
    """Read every BitstringStatusListEntry of ``credential`` (vc.statuslist.read_statuses).

    Our own lists are read from the database; others are fetched (credentials.remote), must
    verify, be issued by the credential's issuer and be within their validity period, and are
    cached at most MAX_CACHE_SECONDS. Raises StatusEntryInvalid (an entry that cannot be checked,
    or more than MAX_STATUS_ENTRIES entries: before any list is read), StatusListInvalid (naming
    the entry and the rule), RemoteFetchFailed, or the proof errors of a remote list. A credential
    without ``credentialStatus`` has no entries: the result is empty.
    """
    return read_statuses(credential, lists=resolve_status_list, now=now or timezone.now())


def _own_list_id(url: str) -> uuid.UUID | None:
    prefix = status_list_url("")
    if not url.startswith(prefix):
        return None
    try:
        return uuid.UUID(url[len(prefix) :])
    except ValueError:
        return None


def resolve_status_list(url: str, /, *, now: datetime) -> ListStatus:
    """A vc.statuslist.StatusListSource: ours from the database, others fetched, verified and cached."""
    own_id = _own_list_id(url)
    if own_id is not None:
        status_list = StatusList.objects.filter(pk=own_id).first()
        if status_list is None:
            raise StatusListInvalid(f"There is no status list at {url}.")
        return ListStatus(status_list.issuer_did, status_list.status_purpose, bytes(status_list.bitstring))
    cache_key = "statuslist:remote:" + hashlib.sha256(url.encode()).hexdigest()
    cached = cache.get(cache_key)
    if cached is not None:
        return ListStatus(**cached)
    from .remote import fetch_json  # the network is only for other issuers' lists

    document = fetch_json(url)
    listing, valid_until = verify_status_list_credential(document, url=url, now=now)
    timeout = cache_seconds(document, valid_until=valid_until, now=now)
    if timeout > 0:
        cache.set(
            cache_key, {"issuer": listing.issuer, "purpose": listing.purpose, "bits": listing.bits}, timeout
        )
    return listing


def verify_status_list_credential(
    document: Any, *, url: str, now: datetime
) -> tuple[ListStatus, datetime | None]:
    """Check a fetched BitstringStatusListCredential: its id, type, proof, validity and list.

    Returns the list and its validUntil. Raises StatusListInvalid or the proof errors.
    """
    from .verification import verify_issuer_proof  # verification uses this module too

    if not isinstance(document, dict):
        raise StatusListInvalid(f"The status list at {url} is not a JSON object.")
    if document.get("id") != url:
        raise StatusListInvalid(
            f"The status list credential at {url} names another id: {document.get('id')!r}."
        )
    types = document.get("type")
    if not isinstance(types, list) or LIST_CREDENTIAL_TYPE not in types:
        raise StatusListInvalid(f"The document at {url} is not a {LIST_CREDENTIAL_TYPE}.")
    issuer = verify_issuer_proof(document, now=now).issuer
    valid_from = parse_datetime_stamp(document.get("validFrom")) if "validFrom" in document else None
    valid_until = parse_datetime_stamp(document.get("validUntil")) if "validUntil" in document else None
    if valid_from is not None and valid_from > now:
        raise StatusListInvalid(f"The status list at {url} is not valid before {document['validFrom']}.")
    if valid_until is not None and valid_until <= now:
        raise StatusListInvalid(f"The status list at {url} expired at {document['validUntil']}.")
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != LIST_TYPE:
        raise StatusListInvalid(f"The credentialSubject of the status list at {url} is not a {LIST_TYPE}.")
    purpose = subject.get("statusPurpose")
    if not isinstance(purpose, str):
        raise StatusListInvalid(f"The status list at {url} has no statusPurpose.")
    return ListStatus(issuer, purpose, decode_bitstring(subject.get("encodedList"))), valid_until
