"""The server's check of a citizen's whole log, run in the background (a Celery task).

Recomputing the chain and the Merkle tree (``accesslog.verify_chain``) grows with the log (about
a second per 10,000 entries), so the citizen's page does not wait for it: asking starts a check
(``request_check``), a task runs it (``run_check``, ids only in the message), the page shows its
progress and then its result (``state_of``).

A check is keyed on the log head it was asked for (PodLog's ``size`` and ``head_hash``): while
the head is unchanged its result is shown again instead of recomputed; an append makes it stale,
and the page says so. Asking again always recomputes, because tampering with an old entry does
not move the head; and a broken result stays on the page until a newer check has finished, so
an earlier "intact" never hides it. A check holds hashes and counts, no pod data.

The API gives the same check (docs/api.md, "The server's check of your log"): ``POST
/api/v1/pod/log/verify`` asks for one (``request_check``) and answers with where to follow it
(``check_of``); ``GET /api/v1/pod/log/verify`` gives the latest result (``state_of``).

The citizen's own check, which does not trust the server, stays the download and
``python -m vault.verify_log``.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.tasks import enqueue_on_commit

from . import accesslog
from .errors import LogCheckNotFound
from .models import LogCheck, Pod, PodLog

# A check queued or running for longer than this is taken as lost (a dead worker, a broker that
# was down) and asking again starts another; a check of 10,000 entries takes seconds.
LOST_AFTER = timedelta(minutes=10)
PROGRESS_EVERY = 500  # entries between two progress updates


def _head(pod: Pod) -> tuple[int, str, str]:
    head = PodLog.objects.filter(pk=pod.pk).values_list("size", "head_hash", "checkpoint").first()
    return head if head is not None else (0, accesslog.GENESIS, "")


@dataclass(frozen=True)
class CheckState:
    """What the check page shows: the latest finished check (``result``), whether the log has
    grown since (``stale``), and a newer check under way (``working``)."""

    result: LogCheck | None
    stale: bool
    working: LogCheck | None
    size: int  # the log's size now
    checkpoint: str  # its latest signed checkpoint now
    head_hash: str = accesslog.GENESIS  # its head now

    @property
    def latest(self) -> accesslog.LatestCheckpoint | None:
        return accesslog.LatestCheckpoint.of(self.checkpoint)


def state_of(pod: Pod) -> CheckState:
    size, head_hash, checkpoint = _head(pod)
    checks = list(LogCheck.objects.filter(pod=pod).order_by("-created_at")[:10])
    result = next((check for check in checks if check.status == LogCheck.Status.DONE), None)
    lost = timezone.now() - LOST_AFTER
    working = next(
        (
            check
            for check in checks
            if check.status != LogCheck.Status.DONE
            and check.created_at > lost
            and (result is None or check.created_at > result.created_at)
        ),
        None,
    )
    stale = result is not None and (result.size, result.head_hash) != (size, head_hash)
    return CheckState(result, stale, working, size, checkpoint, head_hash)


def check_of(pod: Pod, check_id: Any) -> LogCheck:
    """One of the pod's checks; LogCheckNotFound for one that is not (another pod's included)."""
    check = LogCheck.objects.filter(pod=pod, pk=check_id).first()
    if check is None:
        raise LogCheckNotFound("Your log has no check with that id.")
    return check


def head_now(pod: Pod) -> tuple[int, str]:
    """The pod's log head now, (size, head hash): a check of another head is stale."""
    size, head_hash, _checkpoint = _head(pod)
    return size, head_hash


@transaction.atomic
def request_check(pod: Pod) -> LogCheck:
    """Start a check of the pod's log as it is now; a check of the same head still under way is
    returned instead of starting another."""
    from .tasks import check_access_log

    Pod.objects.locked().filter(pk=pod.pk).values_list("pk", flat=True).get()
    size, head_hash, _checkpoint = _head(pod)
    pending = (
        LogCheck.objects.filter(
            pod=pod,
            size=size,
            head_hash=head_hash,
            status__in=[LogCheck.Status.QUEUED, LogCheck.Status.RUNNING],
            created_at__gt=timezone.now() - LOST_AFTER,
        )
        .order_by("-created_at")
        .first()
    )
    if pending is not None:
        return pending
    check = LogCheck.objects.create(pod=pod, size=size, head_hash=head_hash)
    enqueue_on_commit(check_access_log, str(check.pk))
    return check


def run_check(check_id: Any) -> str:
    """Recompute the pod's whole log for one check and record what was found; safe to run twice
    (a redelivered check recomputes). Returns the check's status afterwards."""
    check = LogCheck.objects.select_related("pod").filter(pk=check_id).first()
    if check is None:
        return "gone"
    if check.status == LogCheck.Status.DONE:
        return check.status
    LogCheck.objects.filter(pk=check.pk).update(status=LogCheck.Status.RUNNING, progress=0)
    expected = max(check.size, 1)

    def progress(entries: int) -> None:
        LogCheck.objects.filter(pk=check.pk).update(progress=min(99, entries * 100 // expected))

    found = accesslog.verify_chain(check.pod, progress=progress, every=PROGRESS_EVERY)
    LogCheck.objects.filter(pk=check.pk).update(
        status=LogCheck.Status.DONE,
        progress=100,
        valid=found.valid,
        entries=found.entries,
        head=found.head,
        first_broken_seq=found.first_broken_seq,
        problem=found.problem[:200],
        root=found.root,
        checkpoint=found.checkpoint,
        finished_at=timezone.now(),
    )
    return LogCheck.Status.DONE
