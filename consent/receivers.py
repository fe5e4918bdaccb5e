"""Consent's answers to what happens to its rows from outside."""

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from credentials.service_identity import revoke_service_credential

from .models import GrantCredential


@receiver(post_delete, sender=GrantCredential, dispatch_uid="consent.revoke_deleted_grant_credential")
def revoke_deleted_grant_credential(sender: Any, *, instance: GrantCredential, **kwargs: Any) -> None:
    """A grant deleted with its pod (erasure, vault.erasure) takes its credential with it: the
    revocation bit is set in the deleting transaction, so no third party sees it as holding."""
    revoke_service_credential(credential_id=instance.credential_id)
