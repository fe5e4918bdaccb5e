"""Bitstring Status List 1.0: the bitstring, the entries a credential carries, and reading them.

A status list credential publishes a bitstring (GZIP, then multibase base64url: ``encodedList``);
a credential's ``credentialStatus`` entries (BitstringStatusListEntry) each name a list and an
index in it. ``read_statuses`` reads every entry of a credential from its list, which the caller
supplies through a StatusListSource (from its database, or fetched and verified): the library
checks that the list is the credential issuer's, of the entry's purpose, and long enough.
"""

import base64
import binascii
import gzip
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .errors import StatusEntryInvalid, StatusListInvalid
from .jsonld import is_absolute_iri
from .types import types_of

ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
PURPOSES = ("revocation", "suspension")  # the purposes checked (credentials.models.StatusPurpose)

# Bitstring Status List 1.0 §6.1: at least 131,072 entries (16 KiB), so that a list hides
# which credential any index belongs to among many.
MIN_STATUS_LIST_SIZE = 131_072
# Verifiers (us included) keep a fetched list at most this long: a revocation takes effect
# everywhere within a minute. A published list says so in its ``ttl`` (milliseconds).
MAX_CACHE_SECONDS = 60
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


# Reading a credential's status: the verifier's side.


@dataclass(frozen=True)
class StatusResult:
    """One BitstringStatusListEntry of a credential, as read from its list."""

    purpose: str
    status_list_credential: str
    index: int
    is_set: bool


@dataclass(frozen=True)
class ListStatus:
    """A status list as its source read it: who issued it, for which purpose, and its bits."""

    issuer: str
    purpose: str
    bits: bytes


class StatusListSource(Protocol):
    """Gives the status list at ``url``, checked as of ``now``; raises a VcError when it cannot."""

    def __call__(self, url: str, /, *, now: datetime) -> ListStatus: ...


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


def read_statuses(
    credential: dict[str, Any], *, lists: StatusListSource, now: datetime
) -> list[StatusResult]:
    """Read every BitstringStatusListEntry of ``credential`` from its status list, as ``lists`` gives it.

    Each list must be issued by the credential's issuer, be for the entry's purpose and hold its
    index. Raises StatusEntryInvalid (an entry that cannot be checked, or more than
    MAX_STATUS_ENTRIES entries: before any list is read), StatusListInvalid (naming the entry and
    the rule), or what ``lists`` raises. A credential without ``credentialStatus`` has no entries:
    the result is empty.
    """
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    results = []
    for entry in parse_status_entries(credential):
        path, purpose, index, url = entry.path, entry.purpose, entry.index, entry.status_list_credential
        listing = lists(url, now=now)
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
