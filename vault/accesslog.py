"""The pod's access log: a hash chain and an RFC 9162 Merkle tree, with a signed checkpoint per append.

Written in the transaction of each act. Each entry's fields (``entry_payload``) serialise to
canonical JSON (RFC 8785); the entry hash is SHA-256 of those bytes and links the chain (the
first entry links to 64 zeros); the Merkle leaf is SHA-256(0x00 ‖ bytes). The pod's head row
(PodLog) keeps the tree's frontier, so an append costs O(log n) hashes and one Ed25519
signature: the checkpoint (origin, size, root, time; a C2SP signed note) of the new tree.

The chain alone shows an edit, gap or reordering to whoever recomputes it, but not a cut tail,
a deleted log or a recomputed chain: the signed checkpoints do. A citizen who keeps any
checkpoint can later prove, offline (``python -m vault.verify_log``), that the log they are
shown still extends it.
"""

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, Field, ForeignKey, OuterRef
from django.utils import timezone

from . import logformat, logkeys, merkle, sealing
from .access import AccessContext
from .errors import LogProofUnavailable
from .models import AccessEvent, LogSigningKey, Pod, PodCredential, PodLog, SealedLogDetail

GENESIS = "0" * 64


def entry_payload(event: AccessEvent) -> dict[str, Any]:
    """The fields an entry's hashes cover, as plain JSON (not available once pruned)."""

    def text(value: Any) -> str | None:
        return str(value) if value not in (None, "") else None

    payload = {
        "v": 1,
        "pod": str(event.pod_id),
        "seq": event.seq,
        "at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": event.action,
        "outcome": event.outcome,
        "actor": {
            "kind": event.actor_kind,
            "label": event.actor_label,
            "organisation": text(event.actor_organisation_id),
        },
        "purpose": text(event.purpose),
        "legalBasis": text(event.legal_basis),
        "grant": text(event.grant_id),
        "request": text(event.request_id),
        "resource": text(event.resource_id),
        "credentialId": text(event.credential_id),
        "credentialType": text(event.credential_type),
        "reason": text(event.reason),
        "prev": event.prev_hash,
    }
    if event.fields:  # only where a read named fields, so every earlier entry hashes as it did
        payload["fields"] = list(event.fields)
    if event.legal:  # only a read under a mandate (vault.access.LegalRead; sealed: vault.sealing)
        payload["legal"] = dict(event.legal)
    return payload


def entry_hash(event: AccessEvent) -> str:
    return logformat.entry_hash(entry_payload(event))


def leaf_hash(event: AccessEvent) -> str:
    return logformat.entry_leaf_hash(entry_payload(event)).hex()


def origin_of(pod_id: Any) -> str:
    return f"{settings.ACCESS_LOG_NAME}/{pod_id}"


def _split_frontier(raw: bytes) -> list[bytes]:
    return [raw[i : i + merkle.HASH_BYTES] for i in range(0, len(raw), merkle.HASH_BYTES)]


@dataclass(frozen=True)
class Head:
    """The pod's log head as an append needs it, and the active log key's id."""

    origin: str
    size: int
    head_hash: str
    frontier: bytes
    active_key: Any


# The active log key's id (one parameter: the log's name).
_ACTIVE_KEY_SQL = (
    '(SELECT k."id" FROM "vault_logsigningkey" k WHERE k."name" = %s AND k."retired_at" IS NULL '
    'ORDER BY k."created_at" LIMIT 1)'
)
# The head's columns and the active log key's id (one parameter: the log's name), for a statement
# that reads the head with something else: unlocked by the read's statement of the credentials
# (vault.reading), locked by ``_locked_head``. ``h`` is the head's table.
HEAD_COLUMNS_SQL = f'h."origin", h."size", h."head_hash", h."frontier", {_ACTIVE_KEY_SQL}'
HEAD_COLUMNS = 5
# The head, locked until the transaction ends, and the active log key's id, in one statement
# written out once rather than composed by the ORM on every append (the hot path of every read).
_LOCK_HEAD_SQL = f'SELECT {HEAD_COLUMNS_SQL} FROM "vault_podlog" h WHERE h."pod_id" = %s'  # noqa: S608 - ours


def head_params() -> list[Any]:
    """The parameter of ``HEAD_COLUMNS_SQL``."""
    return [settings.ACCESS_LOG_NAME]


def head_of_row(values: Any) -> Head | None:
    """The head of ``HEAD_COLUMNS`` values of a row (None: the pod's log has no head yet)."""
    origin, size, head_hash, frontier, active_key = values
    if origin is None:
        return None
    if active_key is not None:
        active_key = LogSigningKey._meta.pk.to_python(active_key)
    return Head(origin, int(size), head_hash, bytes(frontier or b""), active_key)


def seen_head(pod_id: Any) -> Head | None:
    """The pod's log head as it is now, unlocked (for ``append_all``'s ``seen``); None if the
    log has none yet. A read takes it with its credentials instead (vault.reading)."""
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            _LOCK_HEAD_SQL, [*head_params(), PodLog._meta.pk.get_db_prep_value(pod_id, connection)]
        )
        row = cursor.fetchone()
    return head_of_row(row) if row is not None else None


def _locked_head(pod_id: Any) -> Head:
    """The pod's log head, locked until the transaction ends (FOR UPDATE on PostgreSQL; SQLite
    serialises writing transactions), with the active log key's id read in the same query."""
    connection = transaction.get_connection()
    sql = _LOCK_HEAD_SQL + (" FOR UPDATE OF h" if connection.vendor == "postgresql" else "")
    db_pod_id = PodLog._meta.pk.get_db_prep_value(pod_id, connection)
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [*head_params(), db_pod_id])
            row = cursor.fetchone()
        head = head_of_row(row) if row is not None else None
        if head is not None:
            return head
        # The pod's first entry: make its head (a concurrent first append may do the same).
        PodLog.objects.bulk_create(
            [PodLog(pod_id=pod_id, origin=origin_of(pod_id), head_hash=GENESIS)], ignore_conflicts=True
        )
    raise RuntimeError(f"The log head of pod {pod_id} could not be made.")


# Field types whose preparation for PostgreSQL (``get_db_prep_save``) hands these exact Python
# types, and None, to the driver unchanged: the values an append makes skip Django's per-field
# preparation (about 2 µs a field, 21 fields an entry). Any other value or field (integers:
# Django wraps them in psycopg's sized types), and every field on another database, is prepared
# by Django.
_PLAIN_ON_POSTGRESQL: dict[str, tuple[type, ...]] = {
    "CharField": (str,),
    "TextField": (str,),
    "UUIDField": (uuid.UUID,),
    "DateTimeField": (datetime,),  # aware only: Django makes a naive one aware, with a warning
}

Preparer = Callable[[AccessEvent, Any], Any]


def _preparer(field: Field, vendor: str) -> Preparer:
    """``field.get_db_prep_save(field.pre_save(event, True), connection)`` for an entry."""

    def prepared(event: AccessEvent, connection: Any) -> Any:
        return field.get_db_prep_save(field.pre_save(event, True), connection)

    target = field.target_field if isinstance(field, ForeignKey) else field
    plain = _PLAIN_ON_POSTGRESQL.get(target.get_internal_type()) if vendor == "postgresql" else None
    if plain is None or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return prepared
    attname, aware = field.attname, plain == (datetime,)

    def passed(event: AccessEvent, connection: Any) -> Any:
        value = getattr(event, attname)
        if value is None or (type(value) in plain and (not aware or value.tzinfo is not None)):
            return value
        return prepared(event, connection)

    return passed


@dataclass(frozen=True)
class _Append:
    """The append's statements and how each entry field is prepared, made once per process."""

    head: str  # INSERT INTO … (columns)
    head_fields: list[Field]  # the head's fields the append moves, in _HEAD_FIELDS order
    update: str  # the head's UPDATE (parameters: _HEAD_FIELDS, then the pod's id)
    arrays: str  # PostgreSQL: SELECT * FROM unnest(one array per column)
    preparers: list[Preparer]  # one per entry field but the id, in the INSERT's column order
    types: list[str]  # PostgreSQL: each column's type, without modifier, in the same order

    def values(self, rows: int) -> str:
        row = "(" + ", ".join(["%s"] * len(self.preparers)) + ")"
        return f"{self.head} VALUES {', '.join([row] * rows)}"

    def typed_values(self, rows: int) -> str:
        """PostgreSQL: SELECT * FROM a VALUES list of ``rows`` rows, each value cast to its column's
        type (a VALUES list in a subquery does not take its types from the INSERT's columns)."""
        row = "(" + ", ".join(f"%s::{name}" for name in self.types) + ")"
        return f"SELECT * FROM (VALUES {', '.join([row] * rows)}) AS v"  # noqa: S608 - our own types

    def in_one(self, insert: str) -> str:
        """PostgreSQL: the INSERT a data-modifying CTE of the head's UPDATE, returning the ids."""
        return (
            f'WITH inserted AS ({insert} RETURNING "id", "seq") {self.update} '  # noqa: S608 - ours
            'RETURNING (SELECT array_agg("id" ORDER BY "seq") FROM inserted)'
        )

    def if_unchanged(self, rows: str) -> str:
        """PostgreSQL: the head's UPDATE only where its size is still the one the append was made
        on and the active log key still the one its checkpoint was signed with (parameters:
        _HEAD_FIELDS, the pod's id, that size, the log's name, that key's id), and the INSERT of
        ``rows`` (a SELECT) only if the UPDATE took the head; returns the ids, or NULL if it did
        not. A log key rotated since the head was read thus sends the append to the locked path,
        which signs with the new key, instead of signing with the one just retired (and so does
        a head read when no key was active: NULL equals nothing)."""
        return (
            f'WITH head AS ({self.update} AND "size" = %s AND {_ACTIVE_KEY_SQL} = %s '  # noqa: S608 - ours
            "RETURNING 1), "
            f'inserted AS ({self.head} {rows} WHERE EXISTS (SELECT FROM head) RETURNING "id", "seq") '
            'SELECT array_agg("id" ORDER BY "seq") FROM inserted'
        )


_HEAD_FIELDS = ("size", "head_hash", "frontier", "checkpoint")
_TYPE_MODIFIER = re.compile(r"\(.*\)")  # ::varchar(32)[] would cut a longer value; varchar[] refuses it
# psycopg caches the conversion of a statement of at most 50 parameters (two entries): up to
# there a VALUES list is the cheapest; beyond, one array per column (its text, and the statement
# PostgreSQL prepares from it, the same however many entries: a VALUES list of three or more
# entries was converted anew, and parsed by PostgreSQL anew, on every append).
_MOST_VALUES = 50
_appends: dict[str, _Append] = {}
_statements: dict[tuple[str, int, bool], str] = {}


def _append_statements(connection: Any) -> _Append:
    """Every concrete field of an entry but its id is written, as the model declares them (a field
    added to AccessEvent is written too)."""
    made = _appends.get(connection.vendor)
    if made is not None:
        return made
    quote = connection.ops.quote_name
    fields = [f for f in AccessEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    podlog = PodLog._meta
    head_fields = [next(f for f in podlog.concrete_fields if f.name == name) for name in _HEAD_FIELDS]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in head_fields)
    made = _Append(
        head=f"INSERT INTO {quote(AccessEvent._meta.db_table)} ({columns})",
        head_fields=head_fields,
        update=f"UPDATE {quote(podlog.db_table)} SET {assignments} WHERE {quote(podlog.pk.column)} = %s",  # noqa: S608 - our own names
        arrays="SELECT * FROM unnest({})".format(  # noqa: S608 - our own types
            ", ".join(f"%s::{_TYPE_MODIFIER.sub('', str(f.db_type(connection)))}[]" for f in fields)
        ),
        preparers=[_preparer(f, connection.vendor) for f in fields],
        types=[_TYPE_MODIFIER.sub("", str(f.db_type(connection))) for f in fields],
    )
    _appends[connection.vendor] = made
    return made


def _write(
    pod_id: Any,
    events: list[AccessEvent],
    head: dict[str, Any],
    *,
    if_size: int | None = None,
    if_key: Any = None,
) -> bool:
    """Insert ``events`` and move the pod's log head to ``head``: on PostgreSQL in one statement
    (the INSERT a data-modifying CTE of the head's UPDATE), elsewhere in two; sets each event's id.

    With ``if_size`` (PostgreSQL only), only if the head still holds that many entries: the
    head's UPDATE asks for that size (and, should another append hold the head meanwhile, waits
    for it and checks the size again as it committed it), and only if the active log key is
    still ``if_key``, the key the new checkpoint was signed with; the INSERT happens only if the
    UPDATE took the head. Returns False, having written nothing, if it did not."""
    connection = transaction.get_connection()
    append = _append_statements(connection)
    head_params = [f.get_db_prep_save(head[f.name], connection) for f in append.head_fields]
    db_pod_id = PodLog._meta.pk.get_db_prep_value(pod_id, connection)
    by_arrays = connection.vendor == "postgresql" and len(events) * len(append.preparers) > _MOST_VALUES
    if by_arrays:
        params: list[Any] = [[prepare(event, connection) for event in events] for prepare in append.preparers]
    else:
        params = [prepare(event, connection) for event in events for prepare in append.preparers]
    guarded = if_size is not None
    if guarded and connection.vendor != "postgresql":
        raise ValueError("A conditional append needs PostgreSQL's data-modifying CTE.")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            key = ("arrays" if by_arrays else "values", 0 if by_arrays else len(events), guarded)
            statement = _statements.get(key)
            if statement is None:
                if guarded:
                    rows = append.arrays if by_arrays else append.typed_values(len(events))
                    statement = append.if_unchanged(rows)
                else:
                    insert = f"{append.head} {append.arrays}" if by_arrays else append.values(len(events))
                    statement = append.in_one(insert)
                _statements[key] = statement
            if guarded:
                db_key = LogSigningKey._meta.pk.get_db_prep_value(if_key, connection)
                cursor.execute(
                    statement, [*head_params, db_pod_id, if_size, settings.ACCESS_LOG_NAME, db_key, *params]
                )
            else:
                cursor.execute(statement, [*params, *head_params, db_pod_id])
            row = cursor.fetchone()
            ids = (row[0] if row is not None else None) or []
            if guarded and not ids:
                return False
        else:
            cursor.execute(f'{append.values(len(events))} RETURNING "id"', params)
            ids = sorted(row[0] for row in cursor.fetchall())
            cursor.execute(append.update, [*head_params, db_pod_id])
            if cursor.rowcount != 1:
                raise RuntimeError(f"The log head of pod {pod_id} is gone.")
    if len(ids) != len(events):
        raise RuntimeError(f"The log of pod {pod_id} took {len(ids)} of {len(events)} entries.")
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias
    return True


def checkpoint_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Entry:
    """One entry to append: what happened, to which credential (if any), and why."""

    action: str
    outcome: str = AccessEvent.Outcome.ALLOWED
    resource: PodCredential | None = None
    credential_type: str = ""
    reason: str = ""
    # A resource that is not a credential (a document, an export): its id only.
    resource_id: Any = None
    fields: tuple[str, ...] = ()  # the JSON pointers a field-scoped read released or asked for


def append(
    pod: Pod,
    *,
    context: AccessContext,
    action: str,
    outcome: str = AccessEvent.Outcome.ALLOWED,
    resource: PodCredential | None = None,
    credential_type: str = "",
    reason: str = "",
    resource_id: Any = None,
    fields: tuple[str, ...] = (),
) -> AccessEvent:
    """Append one entry to ``pod``'s log and sign the new tree (see ``append_all``)."""
    entry = Entry(action, outcome, resource, credential_type, reason, resource_id, tuple(fields))
    return append_all(pod, context=context, entries=[entry])[0]


class _Contention:
    """The pods whose compare-and-set append this process lost lately (a bounded memo, per
    process). Reads of one pod that come faster than a read takes (two workers on one grant, a
    citizen's app polling) nearly always find the head moved by the time they append: the
    compare-and-set then costs a statement, the entries and the checkpoint's signature for
    nothing before the locked path does it all again. For ``window`` seconds after a loss, the
    pod's appends lock the head first, as without ``seen``; then the compare-and-set is tried
    again. Only which path is taken depends on it; either path appends the same entries on the
    head as it is, so a forgotten or wrong memo costs a statement, never an entry."""

    window = 1.0  # seconds
    most = 1024  # pods remembered; when full, forgotten all at once

    def __init__(self) -> None:
        self._lost: dict[Any, float] = {}

    def recently(self, pod_id: Any) -> bool:
        at = self._lost.get(pod_id)
        if at is None:
            return False
        if time.monotonic() - at < self.window:
            return True
        del self._lost[pod_id]
        return False

    def lost(self, pod_id: Any) -> None:
        if len(self._lost) >= self.most:
            self._lost.clear()
        self._lost[pod_id] = time.monotonic()

    def clear(self) -> None:
        self._lost.clear()


_contended = _Contention()


def append_all(
    pod: Pod, *, context: AccessContext, entries: list[Entry], seen: Head | None = None
) -> list[AccessEvent]:
    """Append the entries of one act (e.g. one entry per credential a read released) to ``pod``'s
    log, in order, and sign the new tree once. Must run inside the transaction of the act.

    Raises RuntimeError outside a transaction: an act and its record commit together or not at
    all. Two statements on PostgreSQL however many entries: lock the head (with the active key's
    id); insert the entries and update the head (one statement, the INSERT a data-modifying CTE
    of the UPDATE, so they commit together or fail together). Three on SQLite (no such CTE).
    Every entry still has its own leaf, chain link and place in the
    tree; only the checkpoint is made once, for the tree with all of them.

    ``seen``: the head as the act read it, unlocked, in a statement it made anyway (a read's
    credentials: vault.reading). On PostgreSQL the entries are then made on it and written in
    one statement that takes the head only if it still holds ``seen.size`` entries (a compare-
    and-set: one round trip fewer than locking it first); if another append got in first,
    nothing is written and the append is made again on the head locked, as without ``seen``.
    A sealed legal read always locks (its sealed detail is stored by seq before the append), and
    so does a pod whose compare-and-set this process lost within the last second (``_Contention``:
    reads of one pod faster than a read takes would lose it nearly every time).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("The access log is written only inside the transaction of the act.")
    if not entries:
        raise ValueError("An act appends at least one entry.")
    legal = context.legal
    # A sealed legal read seals its detail under the pod's data key: lock the pod row first (as
    # issuance and data-key rotation do: pod, then log head), so no rotation slips in between.
    seal_key = (
        sealing.locked_keys(pod)
        if legal is not None
        and legal.sealed_until is not None
        and any(entry.outcome == AccessEvent.Outcome.ALLOWED for entry in entries)
        else None
    )
    if (
        seen is not None
        and seal_key is None
        and connection.vendor == "postgresql"
        and not _contended.recently(pod.pk)
    ):
        events, _, values = _made_on(seen, pod, context, entries)
        if _write(pod.pk, events, values, if_size=seen.size, if_key=seen.active_key):
            return events
        _contended.lost(pod.pk)
    head = _locked_head(pod.pk)
    events, sealed, values = _made_on(head, pod, context, entries)
    if seal_key is not None:
        sealing.store(pod, sealed, seal_key)
    _write(pod.pk, events, values)
    return events


_EVENT_FIELDS = AccessEvent._meta.concrete_fields
_EVENT_ORGANISATION = AccessEvent._meta.get_field("actor_organisation")


def _new_event(values: dict[str, Any], organisation: Any) -> AccessEvent:
    """``AccessEvent(**values, actor_organisation=organisation)`` (``values`` by attname, the
    organisation's id among them), made through Django's positional constructor, the one
    ``Model.from_db`` uses: every concrete field in declaration order, the field's default where
    ``values`` has none. The same event, 10 to 15 µs an entry cheaper than the keyword constructor
    (which pops every field's name and checks the organisation with the database router). The
    organisation is cached on the event as the keyword constructor caches it."""
    event = AccessEvent(
        *[values[f.attname] if f.attname in values else f.get_default() for f in _EVENT_FIELDS]
    )
    _EVENT_ORGANISATION.set_cached_value(event, organisation)
    return event


def _made_on(
    head: Head, pod: Pod, context: AccessContext, entries: list[Entry]
) -> tuple[list[AccessEvent], list[tuple[int, datetime, dict[str, Any]]], dict[str, Any]]:
    """The act's entries appended to ``head``: the events, the sealed details of a sealed legal
    read (by seq), and the head's new values (its signed checkpoint included)."""
    now = timezone.now()
    frontier = _split_frontier(head.frontier)
    size, prev = head.size, head.head_hash
    events = []
    sealed: list[tuple[int, datetime, dict[str, Any]]] = []
    organisation = context.organisation
    common = {  # the same for every entry of the act
        "pod_id": pod.pk,
        "occurred_at": now,
        "actor_kind": context.actor_kind,
        "actor_organisation_id": organisation.pk if organisation is not None else None,
        "actor_label": context.actor_label,
        "purpose": context.purpose,
        "legal_basis": context.legal_basis,
        "grant_id": context.grant_id,
        "request_id": context.request_id,
    }
    for entry in entries:
        resource = entry.resource
        values = {
            **common,
            "seq": size + 1,
            "action": entry.action,
            "outcome": entry.outcome,
            "resource_id": resource.pk if resource else entry.resource_id,
            "credential_id": resource.credential_id if resource else "",
            "credential_type": resource.credential_type if resource else entry.credential_type,
            "reason": entry.reason,
            "fields": list(entry.fields),
            "prev_hash": prev,
        }
        event = _new_event(values, organisation)
        legal = context.legal
        if (
            legal is not None
            and legal.sealed_until is not None
            and entry.outcome == AccessEvent.Outcome.ALLOWED
        ):
            sealed.append((event.seq, legal.sealed_until, sealing.seal_event(event, legal)))
        elif legal is not None:
            event.legal = legal.block()
        payload = entry_payload(event)
        event.entry_hash, leaf = logformat.entry_hashes(payload)
        event.leaf_hash = leaf.hex()
        frontier = merkle.append_leaf(frontier, size, leaf)
        size, prev = event.seq, event.entry_hash
        events.append(event)
    signer = logkeys.signer(head.active_key)
    checkpoint = logformat.Checkpoint(head.origin, size, merkle.frontier_root(frontier), checkpoint_time(now))
    values = {
        "size": size,
        "head_hash": prev,
        "frontier": b"".join(frontier),
        "checkpoint": logformat.sign_checkpoint(checkpoint, name=signer.name, private_key=signer.private_key),
    }
    return events, sealed, values


# --- retention ------------------------------------------------------------------------------------

# What pruning removes: who, why and what exactly (personal data of the citizen and of the
# organisations' staff). It keeps the position, time, kind and outcome of the entry, and its
# hashes, so the tree still proves the entry existed, where, and that nothing else did.
PRUNED_FIELDS: dict[str, Any] = {
    "actor_label": "",
    "actor_organisation": None,
    "purpose": "",
    "legal_basis": "",
    "grant_id": None,
    "request_id": None,
    "resource_id": None,
    "credential_id": "",
    "credential_type": "",
    "reason": "",
    "fields": [],
    "legal": {},
}


# A new value after each pruning that removed detail: the log page's filter choices kept in the
# cache (vault.selectors.log_filter_choices) name it, so none outlives the entries it came from.
PRUNED_GENERATION_KEY = "vault:log-pruned"


def prune(*, before: datetime) -> int:
    """Remove the detail of every entry that happened before ``before``; returns how many.

    Leaf and entry hashes stay, so checkpoints and proofs still verify. Idempotent. Once it
    commits, sets a new PRUNED_GENERATION_KEY in the cache if it removed any.
    """
    connection = transaction.get_connection()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The narrow path: the application role may not UPDATE the log, but may call this
            # function (migration 0008), which clears the same fields and nothing else.
            with connection.cursor() as cursor:
                cursor.execute("SELECT vault_prune_access_log(%s, %s)", [before, timezone.now()])
                pruned = int(cursor.fetchone()[0])
        else:
            pruned = AccessEvent.objects.filter(occurred_at__lt=before, pruned_at__isnull=True).update(
                pruned_at=timezone.now(), **PRUNED_FIELDS
            )
        # A pruned sealed entry no longer holds the digest its detail was checked against; the
        # detail (opened or not) goes with the rest of what the entry said.
        SealedLogDetail.objects.filter(
            Exists(
                AccessEvent.objects.filter(
                    pod_id=OuterRef("pod_id"), seq=OuterRef("seq"), pruned_at__isnull=False
                )
            )
        ).delete()
        if pruned:
            transaction.on_commit(lambda: cache.set(PRUNED_GENERATION_KEY, uuid.uuid4().hex, None))
    return pruned


# --- reading the tree ---------------------------------------------------------------------------


def head_of(pod: Pod) -> PodLog | None:
    return PodLog.objects.filter(pk=pod.pk).first()


def leaf_hashes(pod: Pod, size: int) -> list[bytes]:
    """The first ``size`` leaf hashes of the pod's tree, in order (reads 32 bytes per entry)."""
    rows = (
        AccessEvent.objects.filter(pod_id=pod.pk, seq__lte=size)
        .order_by("seq")
        .values_list("leaf_hash", flat=True)
    )
    return [bytes.fromhex(value) for value in rows.iterator(chunk_size=2000)]


@dataclass(frozen=True)
class Proof:
    """An RFC 9162 proof: the audit path of entry ``seq`` (inclusion), or the path from tree size
    ``old_size`` (consistency), in the tree of ``tree_size`` entries."""

    tree_size: int
    nodes: list[bytes]
    root: bytes
    seq: int | None = None
    leaf: bytes | None = None
    old_size: int | None = None
    old_root: bytes | None = None


def _tree_size(pod: Pod, wanted: int | None) -> int:
    head = head_of(pod)
    size = head.size if head else 0
    if wanted is None:
        return size
    if not 1 <= wanted <= size:
        raise LogProofUnavailable(f"The log holds {size} entries; there is no tree of {wanted}.")
    return wanted


def inclusion_proof(pod: Pod, *, seq: int, tree_size: int | None = None) -> Proof:
    """The audit path of entry ``seq`` in the tree of ``tree_size`` entries (default: all).

    Raises LogProofUnavailable for an entry or size the log does not hold. Reads the pod's
    leaf hashes up to ``tree_size`` (32 bytes each).
    """
    size = _tree_size(pod, tree_size)
    if not 1 <= seq <= size:
        raise LogProofUnavailable(f"Entry {seq} is not in a tree of {size} entries.")
    leaves = leaf_hashes(pod, size)
    return Proof(
        size, merkle.inclusion_proof(leaves, seq - 1), merkle.root(leaves), seq=seq, leaf=leaves[seq - 1]
    )


def consistency_proof(pod: Pod, *, old_size: int, tree_size: int | None = None) -> Proof:
    """The RFC 9162 proof that the tree of ``old_size`` entries is a prefix of ``tree_size``'s.

    Raises LogProofUnavailable for sizes the log does not hold or out of order.
    """
    size = _tree_size(pod, tree_size)
    if not 1 <= old_size <= size:
        raise LogProofUnavailable(f"No consistency proof from {old_size} entries to {size}.")
    leaves = leaf_hashes(pod, size)
    return Proof(
        size,
        merkle.consistency_proof(leaves, old_size),
        merkle.root(leaves),
        old_size=old_size,
        old_root=merkle.root(leaves[:old_size]),
    )


@dataclass(frozen=True)
class LatestCheckpoint:
    """A signed checkpoint as stored (``note``) and as read (``checkpoint``, signature unchecked)."""

    note: str
    checkpoint: logformat.Checkpoint

    @classmethod
    def of(cls, note: str) -> "LatestCheckpoint | None":
        return cls(note, logformat.checkpoint_of(note)) if note else None


@dataclass(frozen=True)
class ChainCheck:
    """What the server finds when it recomputes the pod's log against its own signed head.

    (The citizen's own check, which does not trust the server, is ``python -m vault.verify_log``.)
    """

    valid: bool
    entries: int
    head: str
    first_broken_seq: int | None = None
    problem: str = ""
    root: str = ""
    checkpoint: str = ""

    @property
    def latest(self) -> LatestCheckpoint | None:
        return LatestCheckpoint.of(self.checkpoint)


def _events(pod: Pod) -> Iterator[AccessEvent]:
    return AccessEvent.objects.filter(pod_id=pod.pk).order_by("seq").iterator(chunk_size=500)


def verify_chain(pod: Pod, *, progress: Callable[[int], None] | None = None, every: int = 1000) -> ChainCheck:
    """Recompute the pod's chain and Merkle tree from the first entry, and compare the tree with
    the latest signed checkpoint; report the first entry that breaks them. ``progress`` (if
    given) is told the number of entries checked every ``every`` entries."""
    prev, expected_seq, count = GENESIS, 1, 0
    leaves: list[bytes] = []
    head = head_of(pod)
    note = head.checkpoint if head else ""

    def broken(seq: int | None, problem: str, root: str = "") -> ChainCheck:
        return ChainCheck(False, count, prev, seq, problem, root, note)

    for event in _events(pod):
        count += 1
        if event.seq != expected_seq:
            return broken(event.seq, f"entry {expected_seq} is missing")
        if event.prev_hash != prev:
            return broken(event.seq, "does not link to the entry before it")
        if event.pruned_at is None:
            # the canonical bytes made once for both hashes
            chained, leaf = logformat.entry_hashes(entry_payload(event))
            if chained != event.entry_hash or leaf.hex() != event.leaf_hash:
                return broken(event.seq, "its content does not match its hash")
        leaves.append(bytes.fromhex(event.leaf_hash))
        prev, expected_seq = event.entry_hash, expected_seq + 1
        if progress is not None and count % every == 0:
            progress(count)
    root = merkle.root(leaves).hex()
    if not note:
        return (
            broken(None, "the log has entries but no signed checkpoint", root)
            if count
            else ChainCheck(True, 0, prev, root=root)
        )
    try:
        signed = logformat.open_checkpoint(note, logkeys.verifier_keys()).checkpoint
    except logformat.FormatError as exc:
        return broken(None, f"the latest checkpoint does not verify: {exc}", root)
    if signed.size != count:
        return broken(
            min(count, signed.size) + 1,
            f"the log holds {count} entries but its latest signed checkpoint {signed.size}",
            root,
        )
    if signed.root.hex() != root:
        return broken(None, "the entries do not add up to the root of the latest signed checkpoint", root)
    return ChainCheck(True, count, prev, root=root, checkpoint=note)
