"""Erasure of a pod, on the citizen's request, after a grace period in which it can be cancelled.

The request is logged (``erasure.requested``) and the citizen e-mailed after commit; a
cancellation likewise (``erasure.cancelled``). When the period is over, Celery beat
(``perform_due_erasures``) erases the pod in two phases:

1. one transaction: the last log entry (``pod.erased``), a tombstone holding the pod id, the
   time and the log's final signed checkpoint, and the pod's sealed data key and holder key
   overwritten with nothing. From its commit on, no ciphertext of the pod opens with any key the
   operator holds (backups: docs/operations.md, "Erasure and backups").
2. every row of the pod deleted, table by table in small batches: export and document chunks,
   documents, credentials, consent records, the log (through ``vault_erase_access_log``, which
   deletes the entries of a tombstoned pod only: migration 0011), the pod and its owner's
   account. Then the tombstone is marked complete.

A run killed anywhere is finished by the next: phase 1 is one transaction, phase 2 deletes what
is still there, and the beat task resumes every tombstone not yet complete.
"""

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from core.tasks import enqueue_on_commit

from . import accesslog, selectors
from .access import AccessContext
from .errors import ErasureNotPending, ErasurePending
from .models import (
    AccessEvent,
    DocumentChunk,
    ExportChunk,
    LogCheck,
    Pod,
    PodCredential,
    PodDocument,
    PodErasure,
    PodExport,
    PodLog,
    PodTombstone,
    RequestEvidence,
    SealedLogDetail,
)

logger = logging.getLogger(__name__)

DELETE_BATCH = 500


@transaction.atomic
def request_erasure(*, owner: User) -> PodErasure:
    """The citizen asks for their pod to be erased after POD_ERASURE_GRACE_DAYS.

    Raises PodNotFound, ErasurePending (one is already pending). Records ``erasure.requested``
    and e-mails the citizen after commit.
    """
    from .tasks import notify_erasure

    pod = selectors.pod_of(owner)
    Pod.objects.locked().filter(pk=pod.pk).values_list("pk", flat=True).get()
    if PodErasure.objects.filter(pod=pod).exists():
        raise ErasurePending("Your pod's erasure is already pending; cancel it or wait.")
    now = timezone.now()
    erasure = PodErasure.objects.create(
        pod=pod, requested_at=now, due_at=now + timedelta(days=settings.POD_ERASURE_GRACE_DAYS)
    )
    accesslog.append(
        pod,
        context=AccessContext.for_citizen(owner),
        action=AccessEvent.Action.ERASURE_REQUESTED,
        reason=f"due {accesslog.checkpoint_time(erasure.due_at)}",
    )
    enqueue_on_commit(notify_erasure, str(pod.pk), "requested")
    return erasure


def pending_erasure(owner: User) -> PodErasure | None:
    return PodErasure.objects.filter(pod__owner=owner).first()


@transaction.atomic
def cancel_erasure(*, owner: User) -> None:
    """The citizen cancels their pending erasure. Raises ErasureNotPending. Records
    ``erasure.cancelled`` and e-mails the citizen after commit."""
    from .tasks import notify_erasure

    pod = selectors.pod_of(owner)
    Pod.objects.locked().filter(pk=pod.pk).values_list("pk", flat=True).get()
    erasure = PodErasure.objects.filter(pod=pod).first()
    if erasure is None or PodTombstone.objects.filter(pod_id=pod.pk).exists():
        raise ErasureNotPending("No erasure of your pod is pending (or it has begun).")
    erasure.delete()
    accesslog.append(
        pod, context=AccessContext.for_citizen(owner), action=AccessEvent.Action.ERASURE_CANCELLED
    )
    enqueue_on_commit(notify_erasure, str(pod.pk), "cancelled")


def due(now=None) -> list[Any]:
    """Pods whose erasure is due, and erasures begun but not finished (to resume)."""
    now = now or timezone.now()
    begun = list(PodTombstone.objects.filter(completed_at__isnull=True).values_list("pod_id", flat=True))
    waiting = list(PodErasure.objects.filter(due_at__lte=now).values_list("pod_id", flat=True))
    return list(dict.fromkeys(begun + waiting))


@transaction.atomic
def destroy_key(pod_id: Any, *, now=None) -> PodTombstone | None:
    """Phase 1: the last log entry, the tombstone, and the pod's keys overwritten, together.

    Returns the tombstone (the existing one if phase 1 is done), None if nothing is due (no such
    pod, no erasure requested, cancelled, or not yet due).
    """
    now = now or timezone.now()
    done = PodTombstone.objects.filter(pod_id=pod_id).first()
    if done is not None:
        return done
    pod = Pod.objects.locked().filter(pk=pod_id).first()
    erasure = PodErasure.objects.filter(pod_id=pod_id).first()
    if pod is None or erasure is None or erasure.due_at > now:
        return None
    accesslog.append(pod, context=AccessContext.system(), action=AccessEvent.Action.POD_ERASED)
    head = PodLog.objects.get(pk=pod_id)
    tombstone = PodTombstone.objects.create(
        pod_id=pod_id,
        requested_at=erasure.requested_at,
        erased_at=now,
        log_size=head.size,
        final_checkpoint=head.checkpoint,
    )
    # The data key is gone: every ciphertext of the pod, here and in every copy, is noise to
    # whoever holds the KEK ring from now on (the holder key went with it).
    Pod.objects.filter(pk=pod_id).update(
        data_key_sealed=b"",
        holder_key_sealed=b"",
        kek_id="",
        previous_data_key_sealed=b"",
        previous_kek_id="",
    )
    return tombstone


def _delete_in_batches(queryset: QuerySet[Any]) -> int:
    total = 0
    manager = queryset.model._default_manager
    while True:
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True)[:DELETE_BATCH])
            if not ids:
                return total
            deleted, _ = manager.filter(pk__in=ids).delete()
            total += deleted


def _delete_log(pod_id: Any) -> None:
    if connection.vendor == "postgresql":
        # The application role may not DELETE from the log; this function (migration 0011) may,
        # for a pod with a tombstone only.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT vault_erase_access_log(%s)", [pod_id])
    else:
        _delete_in_batches(AccessEvent.objects.filter(pod_id=pod_id))


def delete_rows(pod_id: Any) -> None:
    """Phase 2: every row of the pod, then the owner's account; safe to repeat."""
    _delete_in_batches(ExportChunk.objects.filter(export__pod_id=pod_id))
    _delete_in_batches(PodExport.objects.filter(pod_id=pod_id))
    _delete_in_batches(DocumentChunk.objects.filter(document__pod_id=pod_id))
    _delete_in_batches(PodDocument.objects.filter(pod_id=pod_id))
    _delete_in_batches(PodCredential.objects.filter(pod_id=pod_id))
    _delete_in_batches(SealedLogDetail.objects.filter(pod_id=pod_id))
    _delete_in_batches(RequestEvidence.objects.filter(pod_id=pod_id))
    _delete_in_batches(LogCheck.objects.filter(pod_id=pod_id))
    pod = Pod.objects.filter(pk=pod_id).first()
    if pod is not None:
        # Consent's records, through their relations to the pod (the vault does not import consent):
        # grants first (they protect their requests).
        for relation in ("grants", "access_requests"):
            manager = getattr(pod, relation, None)
            if manager is not None:
                _delete_in_batches(manager.all())
    PodErasure.objects.filter(pod_id=pod_id).delete()
    _delete_log(pod_id)
    with transaction.atomic():
        PodLog.objects.filter(pk=pod_id).delete()
        owner_id = Pod.objects.filter(pk=pod_id).values_list("owner_id", flat=True).first()
        Pod.objects.filter(pk=pod_id).delete()
        if owner_id is not None:
            User.objects.filter(pk=owner_id).delete()
        PodTombstone.objects.filter(pod_id=pod_id, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )


def erase(pod_id: Any, *, now=None) -> bool:
    """Erase one pod if its erasure is due, or finish one begun; True if the pod is gone now."""
    tombstone = destroy_key(pod_id, now=now)
    if tombstone is None:
        return False
    if tombstone.completed_at is None:
        delete_rows(pod_id)
        logger.info("Pod %s erased (tombstone kept: log of %s entries).", pod_id, tombstone.log_size)
    return True


# --- after restoring a backup -----------------------------------------------------------------


def tombstone_record(tombstone: PodTombstone) -> dict[str, Any]:
    """A tombstone as plain JSON, to keep outside the database (docs/operations.md)."""
    return {
        "pod": str(tombstone.pod_id),
        "requestedAt": tombstone.requested_at.isoformat(),
        "erasedAt": tombstone.erased_at.isoformat(),
        "logSize": tombstone.log_size,
        "finalCheckpoint": tombstone.final_checkpoint,
    }


def reapply(record: dict[str, Any]) -> bool:
    """Erase again a pod a restored backup brought back, from its kept tombstone ``record``.

    The tombstone is put back as it was (the restored log may be shorter than its checkpoint
    says, or as long: it is deleted either way), the pod's keys overwritten, its rows deleted.
    Returns True if anything of the pod was still there. Raises ValueError for a bad record.
    """
    from django.utils.dateparse import parse_datetime

    try:
        pod_id = uuid.UUID(str(record["pod"]))
        requested, erased = parse_datetime(record["requestedAt"]), parse_datetime(record["erasedAt"])
        log_size, checkpoint = int(record["logSize"]), str(record["finalCheckpoint"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"Not a tombstone record: {exc}") from exc
    if requested is None or erased is None:
        raise ValueError("Not a tombstone record: unreadable times.")
    present = Pod.objects.filter(pk=pod_id).exists()
    with transaction.atomic():
        PodTombstone.objects.get_or_create(
            pod_id=pod_id,
            defaults={
                "requested_at": requested,
                "erased_at": erased,
                "log_size": log_size,
                "final_checkpoint": checkpoint,
            },
        )
        if present:
            PodTombstone.objects.filter(pk=pod_id).update(completed_at=None)
            Pod.objects.filter(pk=pod_id).update(
                data_key_sealed=b"",
                holder_key_sealed=b"",
                kek_id="",
                previous_data_key_sealed=b"",
                previous_kek_id="",
            )
    delete_rows(pod_id)
    return present
