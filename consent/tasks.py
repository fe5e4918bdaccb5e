"""Consent tasks: ids in, nothing secret in the message, safe to run twice."""

from celery import shared_task


@shared_task(ignore_result=True)
def sweep_lifecycle() -> dict[str, int]:
    """Celery beat (CELERY_BEAT_SCHEDULE "consent-lifecycle-sweep"): expire the requests left
    unanswered and the grants past their end, each with its log entry, and tell citizens once of
    grants about to end. Idempotent (see consent.services.sweep_lifecycle)."""
    from .services import sweep_lifecycle as sweep

    return sweep()
