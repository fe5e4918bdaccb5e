"""Vault tasks. They take ids, reload what they need, and never carry pod plaintext."""

import logging

from celery import Task, shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import timezones
from accounts.language import language_of
from core.tasks import deliver_mail, task_options

logger = logging.getLogger(__name__)


@shared_task(**task_options())
def notify_new_credential(self: Task, resource_id: str) -> bool:
    """Tell the citizen a credential arrived: the type and issuer only, never its contents; in
    the citizen's language."""
    from .models import PodCredential
    from .templatetags.credential_types import type_name

    resource = PodCredential.objects.select_related("pod__owner", "issuer").filter(pk=resource_id).first()
    if resource is None:  # removed since: nothing to say
        return False
    owner = resource.pod.owner
    with translation.override(language_of(owner)):
        kind = type_name(resource.credential_type)
        subject = _("A new %(type)s is in your pod") % {"type": kind}
        message = _(
            "%(issuer)s added a %(type)s to your Citizen Vault pod.\n"
            "See it, and who may read it, at %(link)s\n"
        ) % {"issuer": resource.issuer.name, "type": kind, "link": f"{settings.SITE_URL}/portal/"}
    deliver_mail(self, subject=subject, message=message, to=owner.email)
    return True


def retry_delay(attempt: int) -> int:
    """Seconds before retry number ``attempt + 1`` of a batch a transient failure stopped."""
    return int(
        min(settings.BATCH_RETRY_BACKOFF_SECONDS * 2**attempt, settings.BATCH_RETRY_BACKOFF_MAX_SECONDS)
    )


# acks_late + reject_on_worker_lost: a worker killed mid-batch (OOM, SIGKILL) leaves the message
# on the queue for another worker, instead of acknowledging a batch nobody finishes.
@shared_task(bind=True, ignore_result=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def issue_batch(self: Task, batch_id: str, attempt: int = 0) -> None:
    """Issue a batch's rows into the citizens' pods (vault.batches.run_batch); safe to run twice.

    Another run's live lease: retried when the lease lapses. A database or broker failure:
    retried with backoff, ``attempt`` counting them; after BATCH_MAX_ATTEMPTS the batch fails
    with a reason. Eagerly (no broker) nothing can wait: a held batch is left to the sweeper or
    `manage.py resume_batches`, and a failed attempt is followed by the next at once.
    """
    from .batches import TRANSIENT_ERRORS, BatchHeld, BatchInterrupted, give_up, run_batch

    while True:
        try:
            run_batch(batch_id)
            return
        except BatchHeld as held:
            if self.request.is_eager:
                logger.info("Batch %s is held by another run; left to the sweeper.", batch_id)
                return
            raise self.retry(countdown=held.retry_in) from None
        except BatchInterrupted as interruption:
            attempt += 1
            if attempt >= settings.BATCH_MAX_ATTEMPTS:
                try:
                    give_up(batch_id, attempts=attempt, interruption=interruption)
                except TRANSIENT_ERRORS as exc:  # still down: the sweeper comes back to it
                    logger.error("Batch %s: could not be ended (%s).", batch_id, type(exc).__name__)
                return
            if not self.request.is_eager:
                raise self.retry(
                    args=(batch_id,), kwargs={"attempt": attempt}, countdown=retry_delay(attempt - 1)
                ) from None


@shared_task(ignore_result=True)
def resume_stalled_batches() -> int:
    """Periodic (Celery beat): send the task again for batches left queued or past their lease."""
    from .batches import resume_stalled

    return len(resume_stalled())


@shared_task(ignore_result=True)
def send_log_digests() -> int:
    """Periodic (Celery beat): queue one digest for each pod whose log grew since its last one."""
    from django.db.models import F

    from .models import PodLog

    grown = PodLog.objects.filter(size__gt=F("digest_size")).exclude(checkpoint="")
    count = 0
    for pod_id in grown.values_list("pod_id", flat=True).iterator():
        send_log_digest.delay(str(pod_id))
        count += 1
    return count


@shared_task(**task_options())
def send_log_digest(self: Task, pod_id: str) -> bool:
    """E-mail the citizen the latest signed checkpoint of their log, so they hold a copy the
    operator cannot take back. Says how many entries were added, never who or what."""
    from .models import PodLog

    head = PodLog.objects.select_related("pod__owner").filter(pod_id=pod_id).first()
    if head is None or not head.checkpoint or head.size <= head.digest_size:
        return False  # nothing new since the last digest (or a second run of this one)
    added = head.size - head.digest_size
    owner = head.pod.owner
    with translation.override(language_of(owner)):
        subject = ngettext(
            "Your Citizen Vault access log: %(added)d new entry",
            "Your Citizen Vault access log: %(added)d new entries",
            added,
        ) % {"added": added}
        message = (
            _("Your pod's access log now holds %(size)d entries (%(added)d since the last digest).")
            % {"size": head.size, "added": added}
            + "\n"
            + _("See who did what at %(link)s") % {"link": f"{settings.SITE_URL}/portal/log"}
            + "\n\n"
            + _(
                "Below is the log's signed checkpoint. Keep this e-mail: with it, anyone can check "
                "later, without us, that none of these entries was changed or removed (python -m "
                "vault.verify_log <your log download> --checkpoint <this checkpoint saved as a file>)."
            )
            + "\n\n"
            + head.checkpoint
        )
    deliver_mail(self, subject=subject, message=message, to=owner.email)
    PodLog.objects.filter(pod_id=pod_id, digest_size__lt=head.size).update(digest_size=head.size)
    return True


@shared_task(ignore_result=True)
def prune_access_logs() -> int:
    """Periodic (Celery beat, daily): entries older than ACCESS_LOG_RETENTION_DAYS lose their
    detail and keep their leaf hash (vault.accesslog.prune). Safe to run twice."""
    from datetime import timedelta

    from django.utils import timezone

    from .accesslog import prune

    pruned = prune(before=timezone.now() - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS))
    logger.info(
        "Access logs: %d entries older than %d days pruned of their detail.",
        pruned,
        settings.ACCESS_LOG_RETENTION_DAYS,
    )
    return pruned


# An export killed half-way (SIGKILL, OOM) is redelivered (acks_late, reject_on_worker_lost) and
# rebuilt from the start; run_export is safe to run twice.
@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def build_pod_export(export_id: str) -> str:
    """Build, seal and store the archive of one export (vault.podexport.run_export)."""
    from .podexport import run_export

    return run_export(export_id)


@shared_task(ignore_result=True)
def sweep_pod_exports() -> int:
    """Periodic (Celery beat): purge expired archives, re-send exports whose build stalled."""
    from datetime import timedelta

    from django.utils import timezone

    from .podexport import purge_expired, stalled

    purge_expired()
    again = stalled(before=timezone.now() - timedelta(seconds=settings.POD_EXPORT_STALL_SECONDS))
    for export_id in again:
        build_pod_export.delay(export_id)
    return len(again)


# Subject and body of each erasure mail, translated when sent (%(due)s: in the portal's zone,
# named; %(link)s: the page).
ERASURE_MAIL = {
    "requested": (
        gettext_lazy("Your Citizen Vault pod will be erased"),
        gettext_lazy(
            "You asked for your Citizen Vault pod to be erased. It will be erased for good on "
            "%(due)s: every credential and document, and its key.\n"
            "Changed your mind? Cancel before then at %(link)s\n"
            "Want a copy first? Export your pod there too.\n"
        ),
    ),
    "cancelled": (
        gettext_lazy("The erasure of your Citizen Vault pod is cancelled"),
        gettext_lazy(
            "The erasure of your Citizen Vault pod is cancelled: nothing was erased.\nSee %(link)s\n"
        ),
    ),
}


@shared_task(**task_options())
def notify_erasure(self: Task, pod_id: str, what: str) -> bool:
    """Tell the citizen their pod's erasure was asked for (and when it happens) or cancelled."""
    from .models import Pod, PodErasure

    pod = Pod.objects.select_related("owner").filter(pk=pod_id).first()
    if pod is None or what not in ERASURE_MAIL:
        return False
    erasure = PodErasure.objects.filter(pod=pod).first()
    if (what == "requested") != (erasure is not None):  # cancelled or requested again since: stale
        return False
    subject, body = ERASURE_MAIL[what]
    with translation.override(language_of(pod.owner)):
        due = timezones.in_words(erasure.due_at) if erasure else ""
        words = str(subject), str(body) % {"due": due, "link": f"{settings.SITE_URL}/portal/my-data"}
    deliver_mail(self, subject=words[0], message=words[1], to=pod.owner.email)
    return True


# acks_late + reject_on_worker_lost: a worker killed mid-erasure leaves the message for another;
# and each run resumes the erasures begun before (vault.erasure.due).
@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def perform_due_erasures() -> int:
    """Periodic (Celery beat): erase the pods whose grace period is over; finish those begun."""
    from .erasure import due, erase

    erased = 0
    for pod_id in due():
        erased += erase(pod_id)
    return erased


@shared_task(**task_options())
def notify_export_ready(self: Task, export_id: str) -> bool:
    """Tell the citizen their export can be downloaded, and until when (no link to the archive
    itself: they download it signed in)."""
    from .models import PodExport

    export = PodExport.objects.select_related("pod__owner").filter(pk=export_id, status="ready").first()
    if export is None:  # erased, or gone, since
        return False
    owner = export.pod.owner
    with translation.override(language_of(owner)):
        subject = _("Your Citizen Vault export is ready")
        message = _(
            "The archive of your whole Citizen Vault pod is ready. Download it, signed in, at\n"
            "%(link)s\nuntil %(until)s. Keep it safe: it holds your holder key.\n"
        ) % {"link": f"{settings.SITE_URL}/portal/my-data", "until": timezones.in_words(export.expires_at)}
    deliver_mail(self, subject=subject, message=message, to=owner.email)
    return True


# acks_late + reject_on_worker_lost: a worker killed mid-rotation leaves the message for another
# worker, which skips what is already under the active KEK and finishes the rest.
@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def rotate_kek(batch_size: int = 500) -> int:
    """Re-wrap every KEK-wrapped secret under the active KEK (vault.keyrotation.rotate_kek),
    batch by batch, logging progress (counts only). Safe to run twice. Returns how many moved."""
    from .keyrotation import rotate_kek as rotate

    outcome = rotate(batch_size=batch_size, report=lambda line: logger.info("KEK rotation: %s", line))
    for column in outcome:
        if column.failed:
            logger.error(
                "KEK rotation: %d %s did not open; left as they were.", len(column.failed), column.label
            )
    return sum(column.rewrapped for column in outcome)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def rotate_pod_data_key(pod_id: str) -> int:
    """Re-encrypt one pod under a new data key in batches, logged in its access log once it is
    done (vault.services). A worker killed half-way leaves the rotation in progress (reads work
    with either key); the redelivered task resumes it. Run again once done, the pod simply gets
    one more new key."""
    from .services import rotate_pod_data_key as rotate

    return rotate(pod_id=pod_id)


@shared_task(ignore_result=True)
def open_sealed_entries() -> int:
    """Celery beat (CELERY_BEAT_SCHEDULE "open-sealed-entries"): open the sealed log entries whose
    date has come (each checked against its digest) and tell each citizen, once per entry.
    Idempotent; every reader of a log also opens its pod's due entries (vault.sealing)."""
    from .sealing import open_due

    return open_due()


# A check killed half-way is redelivered and recomputed from the first entry (run_check is safe to
# run twice). The message holds the check's id only.
@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def check_access_log(check_id: str) -> str:
    """Recompute one pod's whole log for the citizen's check page (vault.logcheck.run_check)."""
    from .logcheck import run_check

    return run_check(check_id)
