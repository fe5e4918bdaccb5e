"""Decrypting pod credentials and recording the read: shared by the vault's two doors only.

The citizen's own reads (vault.services) and organisations' reads under a consent decision
(vault.disclosure) both come through here; nothing else may (import-linter: a protected module).
Every read is appended to the pod's log in the transaction of the act that allowed it.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

from . import accesslog, crypto
from .access import AccessContext
from .models import AccessEvent, Pod, PodCredential

T = TypeVar("T")


@dataclass(frozen=True)
class Disclosed:
    """What a read releases of one credential: the document, and the JSON pointers of the
    fields it was narrowed to (() when it is released whole)."""

    document: dict[str, Any]
    fields: tuple[str, ...] = ()


def decrypt(keys: crypto.PodKeys, resource: PodCredential) -> dict[str, Any]:
    """The credential held in ``resource``, opened with the pod's data key of the version the
    row records (raises core.keyring.DecryptionError if it does not open). A data-key rotation
    going on meanwhile is no matter: the row's version and ciphertext are read together, and
    ``keys`` holds, or reloads, the key of that version."""
    plaintext = crypto.open_for_pod(
        keys(resource.key_version),
        keys.pod.pk,
        crypto.CREDENTIAL_KIND,
        resource.pk,
        resource.version,
        bytes(resource.ciphertext),
    )
    return json.loads(plaintext)


def read_and_log(
    pod: Pod,
    *,
    context: AccessContext,
    credential_types: list[str] | tuple[str, ...] | None,
    then: Callable[[list[dict[str, Any]]], T] | None = None,
    disclose: Callable[[PodCredential, dict[str, Any]], Disclosed] | None = None,
    with_issuers: bool = True,
) -> tuple[list[tuple[PodCredential, dict[str, Any]]], T | None]:
    """Decrypt the pod's credentials of the given types (None: of every type), run ``then`` on
    the documents (e.g. sign the presentation that carries them), and log one read per credential.

    ``with_issuers=False`` leaves each credential's issuer organisation unread (a read that does
    not show it saves the join). With ``disclose``, ``then`` receives what it makes of each
    credential instead, and each entry records the fields it released; whatever ``disclose``
    raises is raised before ``then`` runs or anything is logged.

    Must run inside the caller's transaction (the decision, the read, what ``then`` makes and
    the record are one act: if logging fails, nothing is answered). The log is written last and
    in one append (one lock of the pod's log head, one checkpoint), so the head stays locked
    only for the append and the commit, not while decrypting and signing. A read of given
    types that finds nothing is logged too (one entry per type), so every attempt is visible; a
    read of every type in a pod that holds none has nothing to name, and logs nothing.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Pod reads run inside the transaction of the decision that allowed them.")
    held = PodCredential.objects.filter(pod=pod)
    if credential_types is not None:
        held = held.filter(credential_type__in=credential_types)
    if with_issuers:
        held = held.select_related("issuer")
    resources = list(held.order_by("created_at"))
    keys = crypto.PodKeys(pod) if resources else None
    pairs = [(resource, decrypt(keys, resource)) for resource in resources if keys is not None]
    released = [
        disclose(resource, document) if disclose is not None else Disclosed(document)
        for resource, document in pairs
    ]
    made = then([item.document for item in released]) if then is not None else None
    read = AccessEvent.Action.CREDENTIAL_READ
    entries = [
        accesslog.Entry(read, resource=resource, fields=item.fields)
        for resource, item in zip(resources, released, strict=True)
    ] or [
        accesslog.Entry(read, credential_type=credential_type) for credential_type in credential_types or ()
    ]
    if entries:
        accesslog.append_all(pod, context=context, entries=entries)
    return pairs, made
