"""The vault's answers to what the apps below it announce."""

from typing import Any

from django.dispatch import receiver

from accounts.models import Organisation
from credentials.signals import credential_status_changed

from . import accesslog
from .access import AccessContext
from .models import AccessEvent, PodCredential


@receiver(credential_status_changed, dispatch_uid="vault.record_credential_status_change")
def record_credential_status_change(
    sender: Any,
    *,
    issuer: Organisation,
    credential_id: str,
    purpose: str,
    value: bool,
    reason: str = "",
    **kwargs: Any,
) -> None:
    """An issuer revoked, suspended or reinstated a credential: the pods holding it log it, in the
    issuer's transaction, so the citizen sees who changed what about their credential, and when,
    and why when the issuer said (``reason``, a credentials.models.StatusReason code)."""
    if purpose == "revocation":
        action = AccessEvent.Action.CREDENTIAL_REVOKED
    elif value:
        action = AccessEvent.Action.CREDENTIAL_SUSPENDED
    else:
        action = AccessEvent.Action.CREDENTIAL_REINSTATED
    held = PodCredential.objects.filter(issuer=issuer, credential_id=credential_id).select_related("pod")
    for resource in held:
        accesslog.append(
            resource.pod,
            context=AccessContext.for_organisation(issuer),
            action=action,
            resource=resource,
            credential_type=resource.credential_type,
            reason=reason,
        )
