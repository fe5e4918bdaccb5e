"""Vault tasks. They take ids, reload what they need, and never carry pod plaintext."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(ignore_result=True)
def notify_new_credential(resource_id: str) -> bool:
    """Tell the citizen a credential arrived: the type and issuer only, never its contents."""
    from .models import PodCredential

    resource = PodCredential.objects.select_related("pod__owner", "issuer").filter(pk=resource_id).first()
    if resource is None:  # removed since: nothing to say
        return False
    send_mail(
        subject=f"A new {resource.credential_type} is in your pod",
        message=(
            f"{resource.issuer.name} added a {resource.credential_type} to your Citizen Vault pod.\n"
            f"See it, and who may read it, at {settings.SITE_URL}/portal/\n"
        ),
        from_email=None,
        recipient_list=[resource.pod.owner.email],
    )
    return True


@shared_task(ignore_result=True, acks_late=True)
def issue_batch(batch_id: str) -> None:
    """Issue a batch's rows into the citizens' pods (vault.batches.run_batch); safe to run twice."""
    from .batches import run_batch

    run_batch(batch_id)
