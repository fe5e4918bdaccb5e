"""Decrypting pod credentials and recording the read: shared by the vault's two doors only.

The citizen's own reads (vault.services) and organisations' reads under a consent decision
(vault.disclosure) both come through here; nothing else may (import-linter: a protected module).
Every read is appended to the pod's log in the transaction of the act that allowed it.
"""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

from accounts.models import Organisation, User
from core import rows

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


# The pod's credentials, oldest first, and its log head as it is (unlocked: the append takes it
# only if no other append got in first, accesslog.append_all's ``seen``), in one statement:
# written once per process (for each number of types asked, and with or without their issuers)
# instead of composed by the ORM on every read (docs/benchmarks.md). Led by the pod's row, so a
# pod holding none of the types still gives its head (one row without a credential).
_HELD_SQL = (
    'SELECT {selected}, {head} FROM "vault_pod" '
    'LEFT OUTER JOIN "vault_podlog" h ON (h."pod_id" = "vault_pod"."id") '
    'LEFT OUTER JOIN "vault_podcredential" ON ("vault_podcredential"."pod_id" = "vault_pod"."id"{of_types}) '
    '{join}WHERE "vault_pod"."id" = %s ORDER BY "vault_podcredential"."created_at" ASC'
)
_ISSUERS_JOIN = (
    'LEFT OUTER JOIN "accounts_organisation" '
    'ON ("vault_podcredential"."issuer_id" = "accounts_organisation"."id") '
)
_OF_TYPES = ' AND "vault_podcredential"."credential_type" IN ({placeholders})'


@functools.cache
def _held_statement(types: int | None, with_issuers: bool) -> tuple[str, rows.Columns, rows.Columns | None]:
    credential = rows.columns(PodCredential)
    issuer = rows.columns(Organisation) if with_issuers else None
    sql = _HELD_SQL.format(
        selected=credential.sql + (f", {issuer.sql}" if issuer else ""),
        head=accesslog.HEAD_COLUMNS_SQL,
        of_types="" if types is None else _OF_TYPES.format(placeholders=", ".join(["%s"] * types)),
        join=_ISSUERS_JOIN if issuer else "",
    )
    return sql, credential, issuer


def held_credentials(
    pod: Pod, credential_types: list[str] | tuple[str, ...] | None, *, with_issuers: bool = True
) -> tuple[list[PodCredential], accesslog.Head | None]:
    """The pod's credentials of ``credential_types`` (None: of every type), oldest first, each
    with its issuer organisation read with it unless ``with_issuers`` is False; and the pod's log
    head as the same statement saw it, unlocked (None: no head yet, or no types asked)."""
    types = None if credential_types is None else list(dict.fromkeys(credential_types))
    if types == []:
        return [], None
    sql, credential, issuer = _held_statement(None if types is None else len(types), with_issuers)
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [*accesslog.head_params(), *(types or ()), Pod._meta.pk.get_db_prep_value(pod.pk, connection)],
        )
        found = cursor.fetchall()
    resources = []
    issuer_at = credential.count
    head_at = issuer_at + (issuer.count if issuer is not None else 0)
    for row in found:
        if row[0] is None:  # the pod holds none of the types: the outer join's one row
            continue
        resource = credential.make(row[:issuer_at])
        if issuer is not None:
            PodCredential.issuer.field.set_cached_value(resource, issuer.make(row[issuer_at:head_at]))
        resources.append(resource)
    head = accesslog.head_of_row(found[0][head_at:]) if found else None
    return resources, head


# The citizen's pod, every credential it holds (with its issuer), oldest first, and the pod's log
# head (unlocked, as above), in one statement: the citizen's own read has no decision to make
# between them.
_OWN_SQL = (
    'SELECT {pod}, {credential}, {issuer}, {head} FROM "vault_pod" '
    'LEFT OUTER JOIN "vault_podlog" h ON (h."pod_id" = "vault_pod"."id") '
    'LEFT OUTER JOIN "vault_podcredential" ON ("vault_podcredential"."pod_id" = "vault_pod"."id") '
    'LEFT OUTER JOIN "accounts_organisation" '
    'ON ("vault_podcredential"."issuer_id" = "accounts_organisation"."id") '
    'WHERE "vault_pod"."owner_id" = %s ORDER BY "vault_podcredential"."created_at" ASC'
)


@functools.cache
def _own_statement() -> tuple[str, rows.Columns, rows.Columns, rows.Columns]:
    pod, credential, issuer = rows.columns(Pod), rows.columns(PodCredential), rows.columns(Organisation)
    sql = _OWN_SQL.format(
        pod=pod.sql, credential=credential.sql, issuer=issuer.sql, head=accesslog.HEAD_COLUMNS_SQL
    )
    return sql, pod, credential, issuer


@dataclass(frozen=True)
class OwnPod:
    """The citizen's pod, the credentials it holds, oldest first, and its log head as read with
    them (unlocked; None: no head yet)."""

    pod: Pod
    credentials: list[PodCredential]
    head: accesslog.Head | None


def own_pod(owner: User) -> OwnPod | None:
    """The citizen's pod, the credentials it holds (each with its issuer), oldest first, and
    its log head; None if the citizen has no pod."""
    sql, pod_columns, credential_columns, issuer_columns = _own_statement()
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [*accesslog.head_params(), Pod._meta.get_field("owner").get_db_prep_value(owner.pk, connection)],
        )
        found = cursor.fetchall()
    if not found:
        return None
    credential_at = pod_columns.count
    issuer_at = credential_at + credential_columns.count
    head_at = issuer_at + issuer_columns.count
    pod = pod_columns.make(found[0][:credential_at])
    resources = []
    for row in found:
        if row[credential_at] is None:  # a pod without credentials: the outer join's one row
            continue
        resource = credential_columns.make(row[credential_at:issuer_at])
        PodCredential.issuer.field.set_cached_value(resource, issuer_columns.make(row[issuer_at:head_at]))
        resources.append(resource)
    return OwnPod(pod, resources, accesslog.head_of_row(found[0][head_at:]))


def read_and_log(
    pod: Pod,
    *,
    context: AccessContext,
    credential_types: list[str] | tuple[str, ...] | None,
    then: Callable[[list[dict[str, Any]]], T] | None = None,
    disclose: Callable[[PodCredential, dict[str, Any]], Disclosed] | None = None,
    with_issuers: bool = True,
    held: OwnPod | None = None,
) -> tuple[list[tuple[PodCredential, dict[str, Any]]], T | None]:
    """Decrypt the pod's credentials of the given types (None: of every type), run ``then`` on
    the documents (e.g. sign the presentation that carries them), and log one read per credential.

    ``with_issuers=False`` leaves each credential's issuer organisation unread (a read that does
    not show it saves the join). ``held``: the pod's credentials and log head already read with
    the pod (``own_pod``: every type), instead of reading them here. With ``disclose``, ``then``
    receives what it makes of each credential instead, and each entry records the fields it
    released; whatever ``disclose`` raises is raised before ``then`` runs or anything is logged.

    Must run inside the caller's transaction (the decision, the read, what ``then`` makes and
    the record are one act: if logging fails, nothing is answered). The log is written last and
    in one append (one checkpoint), so the head stays locked only for the append and the commit,
    not while decrypting and signing: the head read with the credentials, unlocked, is taken by
    the append only if no other append got in first (accesslog.append_all's ``seen``). A read of given
    types that finds nothing is logged too (one entry per type), so every attempt is visible; a
    read of every type in a pod that holds none has nothing to name, and logs nothing.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Pod reads run inside the transaction of the decision that allowed them.")
    if held is not None:
        resources, seen = held.credentials, held.head
    else:
        resources, seen = held_credentials(pod, credential_types, with_issuers=with_issuers)
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
        accesslog.append_all(pod, context=context, entries=entries, seen=seen)
    return pairs, made
