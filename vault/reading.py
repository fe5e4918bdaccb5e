"""Decrypting pod credentials and recording the read: shared by the vault's two doors only.

The citizen's own reads (vault.services) and organisations' reads under a consent decision
(vault.disclosure) both come through here; nothing else may (import-linter: a protected module).
Every read is appended to the pod's log in the transaction of the act that allowed it.
"""

import json
from typing import Any

from django.db import transaction

from . import accesslog, crypto
from .access import AccessContext
from .models import AccessEvent, Pod, PodCredential


def decrypt(pod: Pod, key: bytes, resource: PodCredential) -> dict[str, Any]:
    """The credential held in ``resource`` (raises core.keyring.DecryptionError if it does not open)."""
    plaintext = crypto.open_for_pod(
        key, pod.id, crypto.CREDENTIAL_KIND, resource.pk, resource.version, bytes(resource.ciphertext)
    )
    return json.loads(plaintext)


def read_and_log(
    pod: Pod, *, context: AccessContext, credential_types: list[str] | tuple[str, ...]
) -> list[tuple[PodCredential, dict[str, Any]]]:
    """Decrypt the pod's credentials of the given types and log one read per credential.

    Must run inside the caller's transaction (the decision, the read and its record are one
    act). A read that finds nothing is logged too, so every attempt is visible.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Pod reads run inside the transaction of the decision that allowed them.")
    resources = list(
        PodCredential.objects.filter(pod=pod, credential_type__in=credential_types)
        .select_related("issuer")
        .order_by("created_at")
    )
    if not resources:
        for credential_type in credential_types:
            accesslog.append(
                pod,
                context=context,
                action=AccessEvent.Action.CREDENTIAL_READ,
                credential_type=credential_type,
            )
        return []
    key = crypto.data_key(pod)
    results = []
    for resource in resources:
        results.append((resource, decrypt(pod, key, resource)))
        accesslog.append(pod, context=context, action=AccessEvent.Action.CREDENTIAL_READ, resource=resource)
    return results
