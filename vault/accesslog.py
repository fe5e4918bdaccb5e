"""The pod's access log: an append-only hash chain, written in the transaction of each act.

Entry hash = SHA-256 of the RFC 8785 (JCS) serialisation of the entry's fields, which include
the previous entry's hash; the first entry links to 64 zeros. Anyone holding an export of the
log can recompute the chain; a deleted, inserted or altered entry breaks it.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import rfc8785
from django.db import transaction
from django.utils import timezone

from .access import AccessContext
from .models import AccessEvent, Pod, PodCredential

GENESIS = "0" * 64


def entry_payload(event: AccessEvent) -> dict[str, Any]:
    """The fields an entry's hash covers, as plain JSON."""

    def text(value: Any) -> str | None:
        return str(value) if value not in (None, "") else None

    return {
        "v": 1,
        "pod": str(event.pod_id),
        "seq": event.seq,
        "at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": event.action,
        "outcome": event.outcome,
        "actor": {
            "kind": event.actor_kind,
            "label": event.actor_label,
            "organisation": text(event.actor_organisation_id),
        },
        "purpose": text(event.purpose),
        "legalBasis": text(event.legal_basis),
        "grant": text(event.grant_id),
        "request": text(event.request_id),
        "resource": text(event.resource_id),
        "credentialId": text(event.credential_id),
        "credentialType": text(event.credential_type),
        "reason": text(event.reason),
        "prev": event.prev_hash,
    }


def entry_hash(event: AccessEvent) -> str:
    return hashlib.sha256(rfc8785.dumps(entry_payload(event))).hexdigest()


def append(
    pod: Pod,
    *,
    context: AccessContext,
    action: str,
    outcome: str = AccessEvent.Outcome.ALLOWED,
    resource: PodCredential | None = None,
    credential_type: str = "",
    reason: str = "",
) -> AccessEvent:
    """Append one entry to ``pod``'s log. Must run inside the transaction of the act it records.

    Raises RuntimeError outside a transaction: an act and its record commit together or not at all.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("The access log is written only inside the transaction of the act.")
    # Serialise appends per pod: the row lock orders writers so the chain never forks.
    Pod.objects.select_for_update().filter(pk=pod.pk).values_list("pk", flat=True).get()
    last = AccessEvent.objects.filter(pod_id=pod.pk).order_by("-seq").values_list("seq", "entry_hash").first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = AccessEvent(
        pod_id=pod.pk,
        seq=seq,
        occurred_at=timezone.now(),
        action=action,
        outcome=outcome,
        actor_kind=context.actor_kind,
        actor_organisation=context.organisation,
        actor_label=context.actor_label,
        purpose=context.purpose,
        legal_basis=context.legal_basis,
        grant_id=context.grant_id,
        request_id=context.request_id,
        resource_id=resource.pk if resource else None,
        credential_id=resource.credential_id if resource else "",
        credential_type=resource.credential_type if resource else credential_type,
        reason=reason,
        prev_hash=prev,
    )
    event.entry_hash = entry_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainCheck:
    valid: bool
    entries: int
    head: str
    first_broken_seq: int | None = None
    problem: str = ""


def verify_chain(pod: Pod) -> ChainCheck:
    """Recompute the pod's chain from the first entry; report the first entry that breaks it."""
    prev, expected_seq, count = GENESIS, 1, 0
    for event in AccessEvent.objects.filter(pod_id=pod.pk).order_by("seq").iterator(chunk_size=500):
        count += 1
        if event.seq != expected_seq:
            return ChainCheck(False, count, prev, event.seq, f"entry {expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainCheck(False, count, prev, event.seq, "does not link to the entry before it")
        if entry_hash(event) != event.entry_hash:
            return ChainCheck(False, count, prev, event.seq, "its content does not match its hash")
        prev, expected_seq = event.entry_hash, expected_seq + 1
    return ChainCheck(True, count, prev)
