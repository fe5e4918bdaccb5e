"""Sealed log entries: a legal read the citizen sees at once, whose detail opens on a date.

An agency's mandate may allow a disclosure delay (an ongoing investigation). Its reads are
logged at once, in the same transaction, as entries the citizen sees: a read by the agency
under a law, "sealed until" a date. What the entry hides (the mandate and its legal reference,
the case reference, the purpose, what was read: credential type and id, fields) is its
**detail**: a JSON object with a random salt, kept sealed under the pod's data key
(``SealedLogDetail``). The entry's payload, which the hash chain and the Merkle tree cover,
holds ``legal: {"sealedUntil": <RFC 3339>, "digest": <hex SHA-256 of the detail's RFC 8785
bytes>}`` in place of the detail; so the log verifies offline as it always did, and once the
detail opens, the citizen checks it against the digest they already hold
(``python -m vault.verify_log`` does, for every opened entry in a download). The salt keeps
the digest from being guessed (a credential type is one of a few).

The detail opens by itself: ``open_due`` (the beat task ``vault.tasks.open_sealed_entries``)
opens what is due and tells the citizen; and every reader of a pod's log (API, portal,
download) first opens that pod's due entries (``open_due_in``), so a stopped beat never keeps
a detail hidden past its date. Before the date nothing of it leaves this module.
"""

import base64
import hashlib
import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.keyring import DecryptionError, seal, unseal
from inbox import services as inbox
from inbox.models import Notification

from . import crypto, logformat
from .access import LegalRead
from .errors import PodErased
from .models import AccessEvent, Pod, SealedLogDetail

logger = logging.getLogger(__name__)

SALT_BYTES = 16
OPEN_BATCH = 500


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def digest_of(detail: dict[str, Any]) -> str:
    """The hex SHA-256 of the detail's canonical bytes (RFC 8785): what the entry commits to."""
    return hashlib.sha256(logformat.canonical_json(detail)).hexdigest()


def seal_event(event: AccessEvent, legal: LegalRead) -> dict[str, Any]:
    """Move what ``event`` would show of a legal read into its sealed detail, leave in the
    entry the date and the detail's digest, and return the detail (to be stored with ``store``
    once the entry's place is known). The actor (the agency) and the act stay visible."""

    def text(value: Any) -> str | None:
        return str(value) if value not in (None, "") else None

    assert legal.sealed_until is not None
    detail: dict[str, Any] = {
        "salt": base64.b64encode(os.urandom(SALT_BYTES)).decode(),
        "legal": legal.block(),
        "purpose": text(event.purpose),
        "legalBasis": text(event.legal_basis),
        "resource": text(event.resource_id),
        "credentialId": text(event.credential_id),
        "credentialType": text(event.credential_type),
        "fields": list(event.fields),
    }
    event.purpose = event.legal_basis = event.credential_id = event.credential_type = ""
    event.resource_id = None
    event.fields = []
    event.legal = {"sealedUntil": _moment(legal.sealed_until), "digest": digest_of(detail)}
    return detail


def _bytes(detail: dict[str, Any]) -> bytes:
    return json.dumps(detail, ensure_ascii=False, separators=(",", ":")).encode()


def locked_keys(pod: Pod) -> crypto.PodKeys:
    """The pod's data keys, read from its row locked until the transaction ends (FOR NO KEY
    UPDATE: a data-key rotation's start and finish take the same lock, so they wait), so a
    detail sealed now is sealed under the key the pod keeps, and a detail sealed before opens
    with the key of the version it records (a rotation in progress holds two)."""
    fresh = Pod.objects.locked().get(pk=pod.pk)
    return crypto.PodKeys(fresh)


def _aad(pod: Pod, seq: int) -> bytes:
    # The text associated data of vault.crypto.resource_aad (format 1), as the data-key
    # rotation's table of sealed log details re-seals them: the resource is the entry's seq,
    # which format 2's fixed-length fields (UUIDs) cannot hold.
    return crypto.resource_aad(pod.pk, crypto.SEALED_DETAIL_KIND, str(seq), 1)


def store(pod: Pod, sealed: list[tuple[int, datetime, dict[str, Any]]], keys: crypto.PodKeys) -> None:
    """Keep each entry's detail sealed under the pod's current data key (``locked_keys``),
    bound to the pod and the entry's place (``seq``). Runs in the transaction of the act that
    logged the entries."""
    if not sealed:
        return
    version, key = keys.current
    SealedLogDetail.objects.bulk_create(
        [
            SealedLogDetail(
                pod=pod,
                seq=seq,
                sealed_until=until,
                sealed=seal(key, _bytes(detail), aad=_aad(pod, seq)),
                key_version=version,
            )
            for seq, until, detail in sealed
        ]
    )


def is_sealed(event: AccessEvent) -> bool:
    return bool(event.legal) and "sealedUntil" in event.legal


def sealed_until(event: AccessEvent) -> datetime | None:
    if not is_sealed(event):
        return None
    return datetime.fromisoformat(event.legal["sealedUntil"].replace("Z", "+00:00"))


def _open(detail_row: SealedLogDetail, pod: Pod, keys: crypto.PodKeys, now: datetime) -> bool:
    """Open one due detail (locked by the caller): decrypt it, check it against the digest its
    entry committed to, keep it opened and tell the citizen (once). Returns whether it opened."""
    plaintext = unseal(keys(detail_row.key_version), bytes(detail_row.sealed), aad=_aad(pod, detail_row.seq))
    detail = json.loads(plaintext)
    event = AccessEvent.objects.filter(pod_id=pod.pk, seq=detail_row.seq).first()
    if event is None or (event.legal or {}).get("digest") != digest_of(detail):
        raise DecryptionError(
            f"The sealed detail of entry {detail_row.seq} of pod {pod.pk} does not match the digest "
            "its entry committed to."
        )
    SealedLogDetail.objects.filter(pk=detail_row.pk, opened_at__isnull=True).update(
        opened=detail, opened_at=now
    )
    detail_row.opened, detail_row.opened_at = detail, now
    inbox.notify(
        recipient_id=pod.owner_id,
        kind=Notification.Kind.SEALED_OPENED,
        actor_label=event.actor_label,
        once_key=f"sealed.opened:{pod.pk}:{detail_row.seq}",
    )
    return True


def _due(now: datetime) -> Any:
    return SealedLogDetail.objects.filter(opened_at__isnull=True, sealed_until__lte=now)


def open_due_in(pod: Pod, *, now: datetime | None = None) -> int:
    """Open every due sealed detail of one pod (each reader of the log calls it first); one
    transaction. Two at once open each detail once (the rows are locked; the second skips
    what the first holds, and the first's commit is what it then shows)."""
    now = now or timezone.now()
    if not _due(now).filter(pod_id=pod.pk).exists():
        return 0
    opened = 0
    with transaction.atomic():
        keys = locked_keys(pod)  # the pod row first, then the details: the order a rotation takes
        for row in _due(now).filter(pod_id=pod.pk).select_for_update(skip_locked=True).order_by("seq"):
            opened += _open(row, pod, keys, now)
    return opened


def open_due(*, now: datetime | None = None, limit: int = OPEN_BATCH) -> int:
    """Open what is due in every pod (the beat task), each pod in its own transaction, so a
    crash loses nothing opened and running it twice opens and notifies each once."""
    now = now or timezone.now()
    pods = list(_due(now).order_by("pod_id").values_list("pod_id", flat=True).distinct()[:limit])
    opened = 0
    for pod in Pod.objects.filter(pk__in=pods):
        try:
            opened += open_due_in(pod, now=now)
        except (PodErased, DecryptionError) as exc:  # one pod's trouble never stops the others
            logger.error("Sealed log entries of pod %s could not be opened: %s", pod.pk, exc)
    return opened


def details_of(pod: Pod) -> dict[int, SealedLogDetail]:
    """Every sealed detail of the pod, by entry ``seq``; the opened ones hold ``opened``, the
    others nothing readable (their ciphertext is never handed out)."""
    return {row.seq: row for row in SealedLogDetail.objects.filter(pod_id=pod.pk).defer("sealed")}


def opened_detail(event: AccessEvent, details: dict[int, SealedLogDetail]) -> dict[str, Any] | None:
    """The opened detail of a sealed entry, or None (not sealed, or not yet open)."""
    row = details.get(event.seq) if is_sealed(event) else None
    return row.opened if row is not None and row.opened_at is not None else None
