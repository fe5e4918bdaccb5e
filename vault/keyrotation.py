"""Key rotation: every KEK-wrapped secret re-wrapped under the active KEK, and one pod's
ciphertexts re-encrypted under a new data key.

KEK rotation walks each table of KEK-wrapped secrets (``kek_sealed_columns``) in batches, one
transaction each, locking only the batch's rows (FOR NO KEY UPDATE: appends to the pods' logs,
which hold a key-share lock on the pod, are not blocked). A row already under the active KEK is
skipped, so a run killed at any point is finished by running it again, and nothing is wrapped
twice. Readers need no lock: a row's KEK id and wrapped secret change together, and the old KEK
stays in the ring until ``kek_usage`` shows it wraps nothing.

Per-pod data-key rotation (``reencrypt_pod``) re-encrypts every ciphertext sealed under one pod's
data key (``pod_sealed_tables``) in the transaction of the service that logs it.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.identity import NATIONAL_IDS
from accounts.requestkeys import REQUEST_SIGNING_KEYS
from core.keyring import DecryptionError, SealedColumn, keyring, seal, unseal
from credentials.keys import ISSUER_KEYS

from . import crypto
from .logkeys import LOG_SIGNING_KEYS
from .models import (
    DocumentChunk,
    ExportChunk,
    Pod,
    PodCredential,
    PodDocument,
    RequestEvidence,
    SealedLogDetail,
)

DEFAULT_BATCH_SIZE = 500
# Each ciphertext re-encrypted by a pod's data-key rotation is written back in groups this big.
REENCRYPT_WRITE_SIZE = 200


def kek_sealed_columns() -> list[SealedColumn]:
    """Every column of secrets wrapped by the KEK ring.

    A new table of KEK-wrapped secrets joins KEK rotation, ``manage.py kek_usage`` and the
    start-up check (vault.checks) by being listed here: declare a core.keyring.SealedColumn
    beside the code that wraps the secret, with the same associated-data function.
    """
    from .batches import UPLOAD_KEYS  # vault.batches imports vault.services, which imports this module

    return [
        crypto.POD_DATA_KEYS,
        ISSUER_KEYS,
        LOG_SIGNING_KEYS,
        UPLOAD_KEYS,
        NATIONAL_IDS,
        REQUEST_SIGNING_KEYS,
    ]


@dataclass(frozen=True)
class PodSealedTable:
    """A column of ciphertexts sealed under their pod's data key (core.keyring.seal, as
    vault.crypto.seal_for_pod and its kin do).

    ``pod_lookup`` is the filter path from a row to its pod (``"pod"``, ``"document__pod"``);
    ``aad(pod_id, row)`` gives the associated data the row was sealed with; ``related`` names
    what it reads through foreign keys (select_related), so a page of rows is one query.
    """

    label: str
    model: Any
    sealed_field: str
    pod_lookup: str
    aad: Callable[[uuid.UUID, Any], bytes]
    related: tuple[str, ...] = ()


def pod_sealed_tables() -> list[PodSealedTable]:
    """Every column of ciphertexts sealed under a pod's data key (the holder key, on the pod row
    itself, is handled apart). A new one (document chunks, say) joins per-pod data-key rotation
    by being listed here with the associated-data function it is sealed with."""
    return [
        PodSealedTable(
            label="credentials",
            model=PodCredential,
            sealed_field="ciphertext",
            pod_lookup="pod",
            aad=lambda pod_id, row: crypto.resource_aad(pod_id, crypto.CREDENTIAL_KIND, row.pk, row.version),
        ),
        PodSealedTable(
            label="signed access requests",
            model=RequestEvidence,
            sealed_field="sealed",
            pod_lookup="pod",
            aad=lambda pod_id, row: crypto.resource_aad(pod_id, crypto.REQUEST_EVIDENCE_KIND, row.pk, 1),
        ),
        PodSealedTable(
            label="document names",
            model=PodDocument,
            sealed_field="name_sealed",
            pod_lookup="pod",
            aad=lambda pod_id, row: crypto.resource_aad(
                pod_id, crypto.DOCUMENT_NAME_KIND, row.pk, row.version
            ),
        ),
        PodSealedTable(
            label="sealed log details",
            model=SealedLogDetail,
            sealed_field="sealed",
            pod_lookup="pod",
            aad=lambda pod_id, row: crypto.resource_aad(pod_id, crypto.SEALED_DETAIL_KIND, row.seq, 1),
        ),
        PodSealedTable(
            label="document chunks",
            model=DocumentChunk,
            sealed_field="sealed",
            pod_lookup="document__pod",
            related=("document",),
            aad=lambda pod_id, chunk: crypto.chunk_aad(
                pod_id,
                crypto.DOCUMENT_CHUNK_KIND,
                chunk.document_id,
                chunk.document.version,
                chunk.index,
                chunk.index == chunk.document.chunk_count - 1,
            ),
        ),
        PodSealedTable(
            label="export chunks",
            model=ExportChunk,
            sealed_field="sealed",
            pod_lookup="export__pod",
            related=("export",),
            aad=lambda pod_id, chunk: crypto.chunk_aad(
                pod_id,
                crypto.EXPORT_CHUNK_KIND,
                chunk.export_id,
                1,
                chunk.index,
                chunk.index == chunk.export.chunk_count - 1,
            ),
        ),
    ]


def _write_back(model: Any, rows: list[Any], fields: list[str]) -> None:
    """Save ``fields`` of ``rows`` in one statement. On PostgreSQL an UPDATE … FROM (VALUES …)
    joined on the primary key: Django's bulk_update writes a CASE over every row for every row,
    which made a batch of 500 eight times slower."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    columns = [model._meta.get_field(name) for name in fields]
    row_sql = "(" + ", ".join(["%s"] * (1 + len(columns))) + ")"
    names = ", ".join(quote(column.column) for column in columns)
    assignments = ", ".join(f"{quote(column.column)} = v.{quote(column.column)}" for column in columns)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 - our own names
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v({quote(pk.column)}, {names}) "
        f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}"
    )
    params: list[Any] = []
    for row in rows:
        params.append(pk.get_db_prep_value(row.pk, connection))
        params += [column.get_db_prep_value(getattr(row, column.attname), connection) for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- KEK rotation ---------------------------------------------------------------------------


@dataclass
class RewrapResult:
    """One batch of one column: how many re-wrapped, which rows did not open, where it stopped."""

    rewrapped: int = 0
    failed: list[str] = field(default_factory=list)
    last_pk: Any = None

    @property
    def seen(self) -> int:
        return self.rewrapped + len(self.failed)


def _wrapped_under_other_kek(column: SealedColumn, active_id: str) -> Any:
    return (
        column.model.objects.exclude(**{column.kek_field: active_id})
        .exclude(**{column.kek_field: ""})
        .exclude(**{f"{column.sealed_field}__isnull": True})
    )


def rewrap_batch(column: SealedColumn, *, after: Any = None, limit: int = DEFAULT_BATCH_SIZE) -> RewrapResult:
    """Re-wrap, in one transaction, up to ``limit`` rows of ``column`` (ordered by primary key,
    after ``after``) that are not under the active KEK.

    The rows are locked for the batch (FOR NO KEY UPDATE, re-read under the lock, so a row a
    concurrent run just moved is skipped). A row whose secret does not open stays as it is and
    is named in ``failed`` (the integrity failure is logged by core.keyring, without plaintext).
    """
    ring = keyring()
    result = RewrapResult()
    with transaction.atomic():
        rows = _wrapped_under_other_kek(column, ring.active_id).select_for_update(no_key=True, of=("self",))
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(rows.order_by("pk").only("pk", column.kek_field, column.sealed_field)[:limit])
        changed = []
        for row in batch:
            aad = column.aad(row)
            try:
                secret = ring.unwrap(column.wrapped(row), aad=aad)
            except DecryptionError:
                result.failed.append(str(row.pk))
                continue
            wrapped = ring.wrap(secret, aad=aad)
            setattr(row, column.kek_field, wrapped.kek_id)
            setattr(row, column.sealed_field, wrapped.sealed)
            changed.append(row)
        _write_back(column.model, changed, [column.kek_field, column.sealed_field])
        result.rewrapped = len(changed)
        result.last_pk = batch[-1].pk if batch else None
    return result


@dataclass
class ColumnRotation:
    label: str
    rewrapped: int = 0
    failed: list[str] = field(default_factory=list)


def rotate_kek(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    columns: list[SealedColumn] | None = None,
    report: Callable[[str], None] = lambda line: None,
    between_batches: Callable[[], None] = lambda: None,
) -> list[ColumnRotation]:
    """Re-wrap every KEK-wrapped secret that is not under the active KEK, batch by batch.

    Resumable and idempotent (see the module's docstring); ``report`` receives one progress line
    per batch (counts and labels only). A column is walked again while a walk moved something
    and rows remain (secrets wrapped meanwhile by a process that still had an older active KEK).
    Returns per column what moved and which rows did not open.
    """
    active_id = keyring().active_id
    outcome = []
    for column in columns if columns is not None else kek_sealed_columns():
        done = ColumnRotation(column.label)
        for _ in range(3):  # the first walk, and up to two for stragglers
            remaining = _wrapped_under_other_kek(column, active_id).count() - len(done.failed)
            if remaining <= 0:
                break
            report(f"{column.label}: {remaining} to re-wrap under KEK {active_id!r}")
            moved_this_walk, after = 0, None
            while True:
                batch = rewrap_batch(column, after=after, limit=batch_size)
                if batch.seen == 0:
                    break
                after = batch.last_pk
                moved_this_walk += batch.rewrapped
                done.rewrapped += batch.rewrapped
                done.failed += [pk for pk in batch.failed if pk not in done.failed]
                report(
                    f"{column.label}: {done.rewrapped} re-wrapped"
                    + (f", {len(done.failed)} did not open" if done.failed else "")
                )
                between_batches()
            if moved_this_walk == 0:
                break
        outcome.append(done)
    return outcome


def kek_usage() -> dict[str, dict[str, int]]:
    """For each table of KEK-wrapped secrets (by label): how many rows each KEK id wraps."""
    usage: dict[str, dict[str, int]] = {}
    for column in kek_sealed_columns():
        rows = (
            column.model.objects.exclude(**{column.kek_field: ""})
            .values(column.kek_field)
            .annotate(rows=Count("pk"))
            .order_by(column.kek_field)
        )
        usage[column.label] = {row[column.kek_field]: row["rows"] for row in rows}
    return usage


def keks_missing_from_ring() -> dict[str, dict[str, int]]:
    """What KEKs absent from the ring still wrap: {kek id: {label: rows}}, empty when all is
    well. Raises DatabaseError when the tables cannot be read (e.g. before the first migrate)."""
    known = set(keyring().key_ids)
    missing: dict[str, dict[str, int]] = {}
    for label, per_kek in kek_usage().items():
        for kek_id, rows in per_kek.items():
            if kek_id not in known:
                missing.setdefault(kek_id, {})[label] = rows
    return missing


# --- a pod's data key -----------------------------------------------------------------------


def reencrypt_pod(pod_id: uuid.UUID) -> tuple[Pod, int]:
    """Give the pod a new data key and re-encrypt under it everything sealed under the old one
    (the holder key and every row of ``pod_sealed_tables``). Returns the pod and how many
    ciphertexts were re-encrypted.

    Must run inside the caller's transaction (vault.services.rotate_pod_data_key, which logs
    it): the pod row is locked (FOR UPDATE), as issuance locks it before sealing, so nothing is
    sealed under the old key meanwhile; a crash rolls everything back, the old key still opens
    everything, and running again starts afresh. Raises Pod.DoesNotExist, and DecryptionError
    (logged, nothing written) if a ciphertext does not open.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A pod's data key is replaced inside the transaction that logs it.")
    pod = Pod.objects.select_for_update().get(pk=pod_id)
    old_key = crypto.data_key(pod)
    new_key, wrapped = crypto.new_data_key(pod.pk)
    holder = crypto.open_for_pod(
        old_key, pod.pk, crypto.HOLDER_KEY_KIND, pod.pk, 1, bytes(pod.holder_key_sealed)
    )
    pod.holder_key_sealed = crypto.seal_for_pod(new_key, pod.pk, crypto.HOLDER_KEY_KIND, pod.pk, 1, holder)
    count = 1
    for table in pod_sealed_tables():
        after = None
        while True:  # keyset pages: no cursor stays open over the table being written
            page = table.model.objects.filter(**{table.pod_lookup: pod}).select_related(*table.related)
            if after is not None:
                page = page.filter(pk__gt=after)
            chunk = list(page.order_by("pk")[:REENCRYPT_WRITE_SIZE])
            if not chunk:
                break
            for row in chunk:
                aad = table.aad(pod.pk, row)
                plaintext = unseal(old_key, bytes(getattr(row, table.sealed_field)), aad=aad)
                setattr(row, table.sealed_field, seal(new_key, plaintext, aad=aad))
            _write_back(table.model, chunk, [table.sealed_field])
            count += len(chunk)
            after = chunk[-1].pk
    pod.kek_id, pod.data_key_sealed = wrapped.kek_id, wrapped.sealed
    pod.data_key_created_at = timezone.now()
    pod.save(update_fields=["kek_id", "data_key_sealed", "holder_key_sealed", "data_key_created_at"])
    return pod, count
