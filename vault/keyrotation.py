"""Key rotation: every KEK-wrapped secret re-wrapped under the active KEK, and one pod's
ciphertexts re-encrypted under a new data key.

KEK rotation walks each table of KEK-wrapped secrets (``kek_sealed_columns``) in batches, one
transaction each, locking only the batch's rows (FOR NO KEY UPDATE: appends to the pods' logs,
which hold a key-share lock on the pod, are not blocked). A row already under the active KEK is
skipped, so a run killed at any point is finished by running it again, and nothing is wrapped
twice. Readers need no lock: a row's KEK id and wrapped secret change together, and the old KEK
stays in the ring until ``kek_usage`` shows it wraps nothing.

Per-pod data-key rotation re-encrypts every ciphertext sealed under one pod's data key
(``pod_sealed_tables``) in batches, resumable after a crash:

1. ``start_pod_rotation`` (one transaction, the pod row ``Pod.objects.locked``): a new data key becomes
   the pod's current one (``data_key_version`` + 1), the old one is kept, wrapped as before, in
   ``previous_*``; the holder key (on the pod row) is re-sealed under the new key. From its
   commit on, every write seals under the new key (writers read the key under the same lock).
2. ``reencrypt_batch`` (one transaction each, the batch's rows locked FOR UPDATE): rows still
   under the previous version are opened with the old key and sealed under the new one, their
   ``key_version`` moved with them. Reads open each row with the key of the version it records
   (vault.crypto.PodKeys), so they work throughout.
3. ``finish_pod_rotation`` (the pod row locked, as in 1): once no row is left under the old
   version, the old key is dropped; the caller logs ``pod.rekeyed`` in the same transaction.

A run killed anywhere is resumed by running it again: step 1 finds the rotation in progress and
keeps its keys, step 2 takes only rows still under the old version, step 3 happens once.
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
REENCRYPT_WRITE_SIZE = 200  # (the default batch of a pod's data-key rotation)


def kek_sealed_columns() -> list[SealedColumn]:
    """Every column of secrets wrapped by the KEK ring.

    A new table of KEK-wrapped secrets joins KEK rotation, ``manage.py kek_usage`` and the
    start-up check (vault.checks) by being listed here: declare a core.keyring.SealedColumn
    beside the code that wraps the secret, with the same associated-data function.
    """
    from .batches import UPLOAD_KEYS  # vault.batches imports vault.services, which imports this module
    from .evidence import HELD_EVIDENCE

    return [
        crypto.POD_DATA_KEYS,
        crypto.POD_PREVIOUS_DATA_KEYS,
        ISSUER_KEYS,
        LOG_SIGNING_KEYS,
        UPLOAD_KEYS,
        NATIONAL_IDS,
        REQUEST_SIGNING_KEYS,
        HELD_EVIDENCE,
    ]


@dataclass(frozen=True)
class PodSealedTable:
    """A column of ciphertexts sealed under their pod's data key.

    Either records of vault.crypto.seal_for_pod (``record_kind``: the kind; the resource is the
    row's id and the version its ``version``), or chunks sealed with the associated data
    ``aad(pod_id, row)`` gives. ``pod_lookup`` is the filter path from a row to its pod
    (``"pod"``, ``"document__pod"``); ``related`` names what it reads through foreign keys
    (select_related), so a page of rows is one query. Each row records the pod's data key
    version it is sealed under in ``key_version``.
    """

    label: str
    model: Any
    sealed_field: str
    pod_lookup: str
    record_kind: str = ""
    aad: Callable[[uuid.UUID, Any], bytes] | None = None
    related: tuple[str, ...] = ()

    def open(self, key: bytes, pod_id: uuid.UUID, row: Any) -> bytes:
        sealed = bytes(getattr(row, self.sealed_field))
        if self.aad is None:
            return crypto.open_for_pod(key, pod_id, self.record_kind, row.pk, row.version, sealed)
        return unseal(key, sealed, aad=self.aad(pod_id, row))

    def seal(self, key: bytes, pod_id: uuid.UUID, row: Any, plaintext: bytes) -> bytes:
        if self.aad is None:
            return crypto.seal_for_pod(key, pod_id, self.record_kind, row.pk, row.version, plaintext)
        return seal(key, plaintext, aad=self.aad(pod_id, row))


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
            record_kind=crypto.CREDENTIAL_KIND,
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
            record_kind=crypto.DOCUMENT_NAME_KIND,
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


def start_pod_rotation(pod_id: uuid.UUID) -> tuple[Pod, bool]:
    """Begin a data-key rotation of the pod, or find the one in progress (see the module's
    docstring). Returns the pod and whether this call began it. Raises Pod.DoesNotExist,
    PodErased, DecryptionError (logged; nothing changed) if the holder key does not open."""
    with transaction.atomic():
        # FOR NO KEY UPDATE: it conflicts with the writers' locks of the pod (FOR UPDATE, FOR NO
        # KEY UPDATE) but not with the key-share lock an append to the pod's log takes.
        pod = Pod.objects.locked().get(pk=pod_id)
        if pod.previous_kek_id:
            return pod, False
        old_key = crypto.data_key(pod)
        new_key, wrapped = crypto.new_data_key(pod.pk)
        holder = crypto.open_for_pod(
            old_key, pod.pk, crypto.HOLDER_KEY_KIND, pod.pk, 1, bytes(pod.holder_key_sealed)
        )
        pod.holder_key_sealed = crypto.seal_for_pod(
            new_key, pod.pk, crypto.HOLDER_KEY_KIND, pod.pk, 1, holder
        )
        pod.previous_kek_id, pod.previous_data_key_sealed = pod.kek_id, bytes(pod.data_key_sealed)
        pod.kek_id, pod.data_key_sealed = wrapped.kek_id, wrapped.sealed
        pod.data_key_version += 1
        pod.data_key_created_at = timezone.now()
        pod.save(
            update_fields=[
                "kek_id",
                "data_key_sealed",
                "data_key_version",
                "previous_kek_id",
                "previous_data_key_sealed",
                "holder_key_sealed",
                "data_key_created_at",
            ]
        )
    return pod, True


def _left_under_old_key(table: PodSealedTable, pod: Pod) -> Any:
    return table.model.objects.filter(**{table.pod_lookup: pod.pk, "key_version__lt": pod.data_key_version})


def left_under_old_key(pod: Pod) -> int:
    """How many ciphertexts of the pod are still sealed under a key older than its current one."""
    return sum(_left_under_old_key(table, pod).count() for table in pod_sealed_tables())


@dataclass
class ReencryptResult:
    """One batch of one table: how many re-encrypted, which rows did not open, where it stopped."""

    reencrypted: int = 0
    failed: list[str] = field(default_factory=list)
    last_pk: Any = None

    @property
    def seen(self) -> int:
        return self.reencrypted + len(self.failed)


def reencrypt_batch(
    pod: Pod, table: PodSealedTable, *, after: Any = None, limit: int = REENCRYPT_WRITE_SIZE
) -> ReencryptResult:
    """Re-encrypt, in one transaction, up to ``limit`` rows of ``table`` (by primary key, after
    ``after``) still under the pod's previous data key. The rows are locked FOR UPDATE and
    re-read under the lock, so a row another run just moved is skipped. A row that does not open
    stays as it is and is named in ``failed`` (logged by core.keyring, without plaintext)."""
    keys = crypto.PodKeys(pod)
    version, new_key = pod.data_key_version, crypto.data_key(pod)
    result = ReencryptResult()
    with transaction.atomic():
        rows = _left_under_old_key(table, pod).select_related(*table.related).select_for_update(of=("self",))
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(rows.order_by("pk")[:limit])
        changed = []
        for row in batch:
            try:
                plaintext = table.open(keys(row.key_version), pod.pk, row)
            except DecryptionError:
                result.failed.append(str(row.pk))
                continue
            setattr(row, table.sealed_field, table.seal(new_key, pod.pk, row, plaintext))
            row.key_version = version
            changed.append(row)
        _write_back(table.model, changed, [table.sealed_field, "key_version"])
        result.reencrypted = len(changed)
        result.last_pk = batch[-1].pk if batch else None
    return result


@dataclass
class PodRotation:
    """What one run of a pod's data-key rotation did."""

    pod_id: uuid.UUID
    version: int
    began: bool
    reencrypted: int = 0
    failed: list[str] = field(default_factory=list)
    finished: bool = False


def rotate_pod(
    pod_id: uuid.UUID,
    *,
    batch_size: int = REENCRYPT_WRITE_SIZE,
    finish: Callable[[Pod], bool],
    report: Callable[[str], None] = lambda line: None,
    between_batches: Callable[[], None] = lambda: None,
) -> PodRotation:
    """Rotate (or resume rotating) one pod's data key, batch by batch; ``finish(pod)`` drops the
    old key and logs it, in one transaction, once nothing is left under it (it returns False if
    something is). ``report`` gets one progress line per batch (counts only). Rows that do not
    open keep the old key in place (named in ``failed``); running again retries them."""
    pod, began = start_pod_rotation(pod_id)
    done = PodRotation(pod.pk, pod.data_key_version, began, reencrypted=1 if began else 0)  # the holder key
    total, moved = left_under_old_key(pod), 0
    report(f"pod {pod.pk}: {total} ciphertexts to re-encrypt under data key version {pod.data_key_version}")
    for table in pod_sealed_tables():
        after = None
        while True:
            batch = reencrypt_batch(pod, table, after=after, limit=batch_size)
            if batch.seen == 0:
                break
            after = batch.last_pk
            done.reencrypted += batch.reencrypted
            moved += batch.seen
            done.failed += batch.failed
            report(
                f"pod {pod.pk}: {table.label}: {done.reencrypted} re-encrypted"
                + (f", {len(done.failed)} did not open" if done.failed else "")
                + f", {max(total - moved, 0)} to go"
            )
            between_batches()
    if not done.failed:
        done.finished = finish(pod)
    return done


def finish_pod_rotation(pod_id: uuid.UUID) -> Pod | None:
    """Drop the pod's previous data key if nothing is sealed under it any more. Must run inside
    the caller's transaction (which logs the rotation); returns the pod, or None when there is
    no rotation to finish or something is still under the old key."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A pod's old data key is dropped inside the transaction that logs it.")
    # FOR NO KEY UPDATE, as start_pod_rotation: a read appending to the log (holding the log's
    # head, waiting for a key-share lock of the pod) must not deadlock with this.
    pod = Pod.objects.locked().filter(pk=pod_id).first()
    if pod is None or not pod.previous_kek_id or left_under_old_key(pod):
        return None
    pod.previous_kek_id, pod.previous_data_key_sealed = "", b""
    pod.save(update_fields=["previous_kek_id", "previous_data_key_sealed"])
    return pod
