"""The citizen's download of their access log: every entry, its leaf hash, an inclusion proof for
each, the signed checkpoint and the log keys; and a readable summary of the same.

``python -m vault.verify_log`` reads the JSON. The download is itself logged, before it is
built, so it covers its own entry.
"""

import base64
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

from . import accesslog, logkeys, merkle, sealing, selectors
from .access import AccessContext
from .evidence import requests_with_evidence
from .models import AccessEvent, Pod
from .verify_log import FORMAT


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _entries(pod: Pod) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(pod_id=pod.pk).order_by("seq").select_related("actor_organisation")
    )


def build(pod: Pod) -> dict[str, Any]:
    """The download of ``pod``'s log as it stands (a read; see ``export_log`` for the logged act)."""
    sealing.open_due_in(pod)
    head = accesslog.head_of(pod)
    events = _entries(pod)
    details = sealing.details_of(pod)
    leaves = [bytes.fromhex(event.leaf_hash) for event in events]
    signed = requests_with_evidence({event.request_id for event in events})
    return {
        "format": FORMAT,
        "pod": str(pod.pk),
        "origin": head.origin if head else accesslog.origin_of(pod.pk),
        "exportedAt": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        "treeSize": len(events),
        "rootHash": _b64(merkle.root(leaves)),
        "checkpoint": head.checkpoint if head else "",
        "logKeys": [str(key) for key in logkeys.verifier_keys()],
        "retentionDays": settings.ACCESS_LOG_RETENTION_DAYS,
        "entries": [
            {
                "seq": event.seq,
                "entry": None if event.pruned_at else accesslog.entry_payload(event),
                "prunedAt": event.pruned_at.isoformat() if event.pruned_at else None,
                # A sealed entry's detail once opened (its digest is in the entry): else absent.
                **(
                    {"sealedDetail": sealing.opened_detail(event, details)}
                    if sealing.opened_detail(event, details) is not None
                    else {}
                ),
                "hash": event.entry_hash,
                "leafHash": _b64(leaf),
                # Beside the entry, not in it (its hashes do not cover this): where the citizen
                # downloads the signed request the entry follows from.
                "evidence": (
                    reverse("request-evidence", kwargs={"request_id": event.request_id})
                    if event.request_id in signed
                    else None
                ),
            }
            for event, leaf in zip(events, leaves, strict=True)
        ],
        "inclusionProofs": [[_b64(node) for node in path] for path in merkle.all_inclusion_proofs(leaves)],
        "howToVerify": "python -m vault.verify_log <this file> --checkpoint <a checkpoint you kept>",
    }


def summary(pod: Pod) -> str:
    """The same log as plain text, for people: one line per entry, then the signed checkpoint."""
    head = accesslog.head_of(pod)
    lines = [
        f"Access log of your Citizen Vault pod {pod.pk}",
        f"Downloaded {timezone.now().astimezone(UTC):%Y-%m-%d %H:%M} UTC. Times are UTC.",
        f"Entries older than {settings.ACCESS_LOG_RETENTION_DAYS} days keep only their time and kind.",
        "",
    ]
    sealing.open_due_in(pod)
    details = sealing.details_of(pod)
    for event in _entries(pod):
        when = f"{event.occurred_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}"
        if event.pruned_at:
            lines.append(f"#{event.seq:<5} {when}  {event.get_action_display()} (detail removed)")
            continue
        what = event.get_action_display() + (f": {event.credential_type}" if event.credential_type else "")
        why = f", purpose {event.purpose}" if event.purpose else ""
        legal, opened = event.legal or {}, sealing.opened_detail(event, details)
        if sealing.is_sealed(event) and opened is None:
            why += f", a legal read sealed until {legal['sealedUntil']}"
        elif sealing.is_sealed(event) and opened is not None:
            legal = opened["legal"]
            what += f": {opened['credentialType']}" if opened.get("credentialType") else ""
            why += f", a legal read sealed until {event.legal['sealedUntil']}, now open"
        if legal.get("case") is not None or legal.get("reference"):
            law = legal.get("title") or legal.get("reference") or "no mandate"
            why += f", under {law}, case {legal.get('case') or '-'}"
        lines.append(
            f"#{event.seq:<5} {when}  {event.actor_label}: {what}{why} ({event.shown_outcome[1].lower()})"
        )
    lines += ["", "Signed checkpoint (keep it: it proves this log later, without us):", ""]
    lines.append(head.checkpoint if head and head.checkpoint else "(none yet)")
    return "\n".join(lines) + "\n"


@transaction.atomic
def export_log(*, owner: User, readable: bool = False) -> tuple[Pod, dict[str, Any] | str]:
    """Log the citizen's download of their log, then build it (JSON, or the readable summary).

    Raises PodNotFound if ``owner`` has no pod. Records one ``log.exported`` entry.
    """
    pod = selectors.pod_of(owner)
    accesslog.append(
        pod,
        context=AccessContext.for_citizen(owner),
        action=AccessEvent.Action.LOG_EXPORTED,
        reason="summary" if readable else "json",
    )
    return pod, (summary(pod) if readable else build(pod))
