"""The citizen's download of their access log: every entry, its leaf hash, an inclusion proof for
each, the signed checkpoint and the log keys; and a readable summary of the same.

``python -m vault.verify_log`` reads the JSON. The download is itself logged, before it is
built, so it covers its own entry.
"""

import base64
from collections.abc import Callable
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import timezones
from accounts.models import User
from core.words import labelled

from . import accesslog, logkeys, merkle, reasons, sealing, selectors
from .access import AccessContext
from .evidence import requests_with_evidence
from .models import AccessEvent, Pod
from .portal.presenting import type_name
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


# The purposes' words belong to the consent app, which owns the vocabulary: it registers them
# here (consent.apps), as it registers its records with the pod's export.
PURPOSE_WORDS: list[Callable[[str], str]] = []


def register_purpose_words(words: Callable[[str], str]) -> None:
    """Say a log entry's purpose code with ``words(code)`` (in the active language)."""
    PURPOSE_WORDS[:] = [words]


def purpose_in_words(code: str) -> str:
    return PURPOSE_WORDS[0](code) if PURPOSE_WORDS else code


def _actor(event: AccessEvent) -> str:
    if event.actor_kind == AccessEvent.ActorKind.CITIZEN:
        return str(_("You"))
    if event.actor_kind == AccessEvent.ActorKind.SYSTEM:
        return "Citizen Vault"
    return event.actor_label


def entry_lines(pod: Pod) -> list[str]:
    """The pod's log for people, in the active language: one line per entry, its time in the
    portal's zone, what happened with the kind of credential or document in words, why (the
    purpose, or the law of a legal read, in words), the outcome and the reason in words."""
    sealing.open_due_in(pod)
    details = sealing.details_of(pod)
    lines = []
    for event in _entries(pod):
        head = f"#{event.seq} · {timezones.in_words(event.occurred_at)} · "
        if event.pruned_at:
            lines.append(head + _("%(what)s (detail removed)") % {"what": event.get_action_display()})
            continue
        what = str(event.get_action_display())
        legal, opened = event.legal or {}, sealing.opened_detail(event, details)
        kind = event.credential_type or (opened or {}).get("credentialType") or ""
        if kind:
            what = labelled(what, type_name(kind))
        why = []
        if event.purpose:
            why.append(labelled(str(_("Why")), purpose_in_words(event.purpose)))
        sealed_until = sealing.sealed_until(event)
        if sealed_until is not None:
            until = date_format(timezones.local(sealed_until), "DATE_FORMAT")
            if opened is None:
                why.append(_("a legal read, sealed until %(day)s") % {"day": until})
            else:
                legal = opened["legal"]
                why.append(_("a legal read, sealed until %(day)s, now open") % {"day": until})
        if legal.get("case") is not None or legal.get("reference"):
            law = legal.get("title") or legal.get("reference") or str(_("no mandate"))
            why.append(_("under %(law)s, case %(case)s") % {"law": law, "case": legal.get("case") or "-"})
        outcome = [event.shown_outcome[1]]
        if event.reason:
            outcome.append(reasons.in_words(event.reason))
        # The parts are set apart by a middle dot, which no language spaces differently.
        lines.append(" · ".join([head + labelled(_actor(event), what), *why, *outcome]))
    return lines


def summary(pod: Pod) -> str:
    """The same log as plain text, for people, in the active language: one line per entry
    (``entry_lines``), then the signed checkpoint."""
    head = accesslog.head_of(pod)
    lines = [
        str(_("Access log of your Citizen Vault pod %(pod)s") % {"pod": pod.pk}),
        str(_("Downloaded %(moment)s.") % {"moment": timezones.in_words(timezone.now())}),
        str(
            _("Entries older than %(days)d days keep only their time and kind.")
            % {"days": settings.ACCESS_LOG_RETENTION_DAYS}
        ),
        "",
        *entry_lines(pod),
        "",
        str(_("Signed checkpoint (keep it: it proves this log later, without us):")),
        "",
        head.checkpoint if head and head.checkpoint else str(_("(none yet)")),
    ]
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
