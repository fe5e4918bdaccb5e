"""Consent tasks: ids in, nothing secret in the message, safe to run twice."""

from celery import Task, shared_task
from django.conf import settings

from core.tasks import deliver_mail, task_options


@shared_task(**task_options())
def notify_access_request(self: Task, request_id: str) -> bool:
    """Tell the citizen an organisation asked for their data (who, what types, why)."""
    from .models import AccessRequest

    request = AccessRequest.objects.select_related("requester", "pod__owner").filter(pk=request_id).first()
    if request is None or request.status != AccessRequest.Status.PENDING:
        return False
    deliver_mail(
        self,
        subject=f"{request.requester.name} asks to see your {', '.join(request.credential_types)}",
        message=(
            f"{request.requester.name} asks to read your {', '.join(request.credential_types)} "
            f"for {request.get_purpose_display().lower()}, until {request.requested_until:%Y-%m-%d}.\n"
            f"Approve, narrow or deny it at {settings.SITE_URL}/portal/requests\n"
        ),
        to=request.pod.owner.email,
    )
    return True
