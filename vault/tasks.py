"""Vault tasks. They take ids, reload what they need, and never carry pod plaintext."""

import logging

from celery import Task, shared_task
from django.conf import settings

from core.tasks import deliver_mail, task_options

logger = logging.getLogger(__name__)


@shared_task(**task_options())
def notify_new_credential(self: Task, resource_id: str) -> bool:
    """Tell the citizen a credential arrived: the type and issuer only, never its contents."""
    from .models import PodCredential

    resource = PodCredential.objects.select_related("pod__owner", "issuer").filter(pk=resource_id).first()
    if resource is None:  # removed since: nothing to say
        return False
    deliver_mail(
        self,
        subject=f"A new {resource.credential_type} is in your pod",
        message=(
            f"{resource.issuer.name} added a {resource.credential_type} to your Citizen Vault pod.\n"
            f"See it, and who may read it, at {settings.SITE_URL}/portal/\n"
        ),
        to=resource.pod.owner.email,
    )
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
