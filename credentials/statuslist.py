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
HTTPS, verified and cached for at most ``MAX_CACHE_SECONDS``.
"""

import base64
import binascii
import gzip
import hashlib
import secrets
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation
from core.errors import Conflict

from .dataintegrity import add_proof
from .datamodel import parse_datetime_stamp
from .errors import (
    CredentialInvalid,
    RevocationIsFinal,
    StatusEntryInvalid,
    StatusListInvalid,
    UnknownCredentialStatus,
    UnknownStatusList,
    UnsupportedStatusPurpose,
)
from .jsonld import CREDENTIALS_V2, is_absolute_iri
from .keys import SigningIdentity, unseal_private_key
from .models import MIN_STATUS_LIST_SIZE, IssuerKey, StatusEntry, StatusList, StatusPurpose
from .signals import credential_status_changed
from .types import types_of

ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
PURPOSES = tuple(StatusPurpose.values)

FILL_LIMIT = 0.5
MAX_DRAWS = 64  # at most half the indexes are taken: 64 misses in a row happen with odds 2**-64

# Verifiers (us included) keep a fetched list at most this long: a revocation takes effect
# everywhere within a minute. The published list says so in its ``ttl`` (milliseconds).
MAX_CACHE_SECONDS = 60
# A signed list we serve expires soon after it is made, so a stale copy cannot be replayed for
# long; we re-sign it at most every PUBLISH_CACHE_SECONDS, and at once after any change.
LIST_VALIDITY = timedelta(minutes=15)
PUBLISH_CACHE_SECONDS = 30
# The largest bitstring we decode from someone else's list: 16 Mi entries (2 MiB). GZIP
# compresses a run of zeros about a thousandfold, so this bounds a decompression bomb.
MAX_DECODED_BYTES = 2 * 1024 * 1024
# The most status entries of one credential we check. Ours carry two (revocation, suspension);
# each entry of someone else's may cost a fetch, so a credential cannot make us fetch hundreds.
MAX_STATUS_ENTRIES = 4


# The bitstring.


def encode_bitstring(bits: bytes) -> str:
    """GZIP, then multibase base64url without padding (prefix ``u``), as §3.2 encodedList says."""
    compressed = gzip.compress(bits, mtime=0)  # mtime 0: the same bits always encode the same
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bitstring(encoded: Any, *, max_bytes: int = MAX_DECODED_BYTES) -> bytes:
    """The bitstring of an ``encodedList``; raises StatusListInvalid naming what is wrong."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListInvalid("encodedList must be a multibase base64url string (starting with 'u').")
    body = encoded[1:]
    if not body.isascii() or "=" in body or "+" in body or "/" in body:
        raise StatusListInvalid("encodedList must be base64url without padding.")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise StatusListInvalid("encodedList is not valid base64url.") from exc
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP framing only
    try:
        bits = decompressor.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise StatusListInvalid("encodedList is not GZIP-compressed data.") from exc
    if len(bits) > max_bytes:
        raise StatusListInvalid(f"encodedList decompresses to more than {max_bytes} bytes.")
    if not decompressor.eof or decompressor.unused_data:
        raise StatusListInvalid("encodedList is truncated or has data after the GZIP stream.")
    if len(bits) * 8 < MIN_STATUS_LIST_SIZE:
        raise StatusListInvalid(
            f"The status list has {len(bits) * 8} entries; Bitstring Status List requires at least "
            f"{MIN_STATUS_LIST_SIZE}."
        )
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """Bit ``index``, counting from the left-most (most significant) bit of byte 0."""
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def with_bit(bits: bytes, index: int, value: bool) -> bytes:
    """A copy of ``bits`` with bit ``index`` (MSB-first) set to ``value``."""
    changed = bytearray(bits)
    mask = 0x80 >> (index % 8)
    changed[index // 8] = changed[index // 8] | mask if value else changed[index // 8] & ~mask
    return bytes(changed)


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
def allocate_status_entries(*, identity: SigningIdentity, credential_id: str) -> list[StatusEntry]:
    """A revocation and a suspension entry for a credential issued as ``identity.did``, in lists
    of that issuer DID.

    A credential id that already has entries (the same credential signed again) keeps them, so
    its status cannot be reset by re-issuing it. Raises CredentialInvalid when those entries
    belong to a list of another issuer DID (an earlier did:key): the list would name another issuer.
    """
    entries = []
    for purpose in PURPOSES:
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
def set_status(*, issuer: Organisation, credential_id: str, purpose: str, value: bool) -> StatusEntry:
    """Set (``value=True``) or clear a credential's revocation or suspension bit.

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
    entry.save(update_fields=["changed_at"])
    credential_status_changed.send(
        sender=StatusEntry, issuer=issuer, credential_id=credential_id, purpose=purpose, value=bool(value)
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
            organisation_id=status_list.organisation_id, retired_at__isnull=True
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


@dataclass(frozen=True)
class StatusResult:
    """One BitstringStatusListEntry of a credential, as read from its list."""

    purpose: str
    status_list_credential: str
    index: int
    is_set: bool


@dataclass(frozen=True)
class _ResolvedList:
    issuer: str
    purpose: str
    bits: bytes


@dataclass(frozen=True)
class ParsedStatusEntry:
    """A BitstringStatusListEntry as written in a credential, every member well formed."""

    path: str
    purpose: str
    index: int
    status_list_credential: str


ENTRY_RULE = "Bitstring Status List 1.0 §2.1"


def parse_status_entries(
    credential: dict[str, Any], *, other_types_allowed: bool = False
) -> list[ParsedStatusEntry]:
    """Every ``credentialStatus`` entry of ``credential``, parsed as this service checks it.

    An entry can be checked when it is a BitstringStatusListEntry with a purpose we check
    (revocation, suspension), a 1-bit status, a ``statusListIndex`` that is a non-negative integer
    written as a string, and a ``statusListCredential`` URL; a credential has at most
    MAX_STATUS_ENTRIES. With ``other_types_allowed`` entries of other types are passed over
    (an issuer may use another status method) instead of refused. Nothing is fetched. Raises
    StatusEntryInvalid listing every violation by path.
    """
    declared = credential.get("credentialStatus")
    if declared is None:
        return []
    entries = declared if isinstance(declared, list) else [declared]
    if len(entries) > MAX_STATUS_ENTRIES:
        detail = (
            f"the credential has {len(entries)} status entries; at most {MAX_STATUS_ENTRIES} are checked."
        )
        raise StatusEntryInvalid(
            f"/credentialStatus: {detail}",
            path="/credentialStatus",
            errors=[{"path": "/credentialStatus", "rule": ENTRY_RULE, "detail": detail}],
            maxStatusEntries=MAX_STATUS_ENTRIES,
        )
    violations: list[dict[str, str]] = []
    parsed = []
    for position, entry in enumerate(entries):
        path = "/credentialStatus" + (f"/{position}" if isinstance(declared, list) else "")
        found = _entry_violations(entry, path, other_types_allowed=other_types_allowed)
        if found is None:
            continue  # another status method, passed over
        if found:
            violations += [{"path": where, "rule": ENTRY_RULE, "detail": why} for where, why in found]
            continue
        parsed.append(
            ParsedStatusEntry(
                path, entry["statusPurpose"], int(entry["statusListIndex"]), entry["statusListCredential"]
            )
        )
    if violations:
        raise StatusEntryInvalid(
            "; ".join(f"{v['path']}: {v['detail']}" for v in violations),
            path=violations[0]["path"],
            errors=violations,
        )
    return parsed


def _entry_violations(entry: Any, path: str, *, other_types_allowed: bool) -> list[tuple[str, str]] | None:
    """What makes one entry uncheckable, as (path, reason); None for another status method when
    those are allowed."""
    if not isinstance(entry, dict):
        return [(path, f"a status entry must be an object; only {ENTRY_TYPE} entries can be checked.")]
    if ENTRY_TYPE not in types_of(entry):
        if other_types_allowed:
            return None
        return [(path + "/type", f"only {ENTRY_TYPE} status entries can be checked.")]
    found = []
    purpose = entry.get("statusPurpose")
    if purpose not in PURPOSES:
        found.append(
            (path + "/statusPurpose", f"{purpose!r} cannot be checked; this service checks {list(PURPOSES)}.")
        )
    if entry.get("statusSize", 1) != 1:
        found.append((path + "/statusSize", "only 1-bit statuses are supported."))
    raw_index = entry.get("statusListIndex")
    if (
        not isinstance(raw_index, str)
        or not raw_index.isascii()
        or not raw_index.isdigit()
        or len(raw_index) > 9
    ):
        found.append(
            (
                path + "/statusListIndex",
                'must be a non-negative integer written as a string, e.g. "94567".',
            )
        )
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not is_absolute_iri(url):
        found.append((path + "/statusListCredential", "must be the URL of the status list credential."))
    return found


def check_status(credential: dict[str, Any], *, now: datetime | None = None) -> list[StatusResult]:
    """Read every BitstringStatusListEntry of ``credential`` from its status list.

    Our own lists are read from the database; others are fetched (credentials.remote), must
    verify, be issued by the credential's issuer and be within their validity period, and are
    cached at most MAX_CACHE_SECONDS. Raises StatusEntryInvalid (an entry that cannot be checked,
    or more than MAX_STATUS_ENTRIES entries: before any list is read), StatusListInvalid (naming
    the entry and the rule), RemoteFetchFailed, or the proof errors of a remote list. A credential
    without ``credentialStatus`` has no entries: the result is empty.
    """
    now = now or timezone.now()
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    results = []
    for entry in parse_status_entries(credential):
        path, purpose, index, url = entry.path, entry.purpose, entry.index, entry.status_list_credential
        listing = _resolve_list(url, now=now)
        if listing.issuer != issuer_id:
            raise StatusListInvalid(
                f"{path}: the status list {url} is issued by {listing.issuer}, not by the credential's "
                f"issuer {issuer_id}.",
                path=path,
            )
        if listing.purpose != purpose:
            raise StatusListInvalid(
                f"{path}: the entry's statusPurpose is {purpose!r} but the list at {url} is for "
                f"{listing.purpose!r}.",
                path=path,
            )
        if index >= len(listing.bits) * 8:
            raise StatusListInvalid(
                f"{path}/statusListIndex: {index} is outside the list, which has {len(listing.bits) * 8} "
                "entries.",
                path=f"{path}/statusListIndex",
            )
        results.append(StatusResult(purpose, url, index, bit_is_set(listing.bits, index)))
    return results


def _own_list_id(url: str) -> uuid.UUID | None:
    prefix = status_list_url("")
    if not url.startswith(prefix):
        return None
    try:
        return uuid.UUID(url[len(prefix) :])
    except ValueError:
        return None


def _resolve_list(url: str, *, now: datetime) -> _ResolvedList:
    own_id = _own_list_id(url)
    if own_id is not None:
        status_list = StatusList.objects.filter(pk=own_id).first()
        if status_list is None:
            raise StatusListInvalid(f"There is no status list at {url}.")
        return _ResolvedList(status_list.issuer_did, status_list.status_purpose, bytes(status_list.bitstring))
    cache_key = "statuslist:remote:" + hashlib.sha256(url.encode()).hexdigest()
    cached = cache.get(cache_key)
    if cached is not None:
        return _ResolvedList(**cached)
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
) -> tuple[_ResolvedList, datetime | None]:
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
    return _ResolvedList(issuer, purpose, decode_bitstring(subject.get("encodedList"))), valid_until


def cache_seconds(document: dict[str, Any], *, valid_until: datetime | None, now: datetime) -> int:
    """How long a verified remote list may be reused: at most MAX_CACHE_SECONDS, less when the
    list's ``ttl`` (milliseconds) or its validUntil says so."""
    seconds = float(MAX_CACHE_SECONDS)
    subject = document.get("credentialSubject")
    ttl = subject.get("ttl") if isinstance(subject, dict) else None
    if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0:
        seconds = min(seconds, ttl / 1000)
    if valid_until is not None:
        seconds = min(seconds, (valid_until - now).total_seconds())
    return max(int(seconds), 0)
