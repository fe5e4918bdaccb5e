"""Batch issuance: an issuer hands in a CSV of diplomas; a Celery task issues it row by row.

The upload is sealed under a data key of its own in a BatchUpload row (it names citizens and
holds claim values); only that key is wrapped by the KEK ring. The task gets only the batch id,
issues each row through ``services.issue_into_pod`` (one transaction per row), records a bad
row by line and goes on, and checkpoints its progress every ``PROGRESS_EVERY`` rows. The batch
and its errors never hold a national id or a claim value, nor do the logs.

Running the task twice, or two workers at once, is safe:
- a run claims the batch with a lease and a fresh run token; every checkpoint and the end write
  only while the token is still theirs (fencing), so a run that lost its lease stops instead of
  doubling anything; a task that finds a live lease is told how long to wait (BatchHeld);
- a credential's id is derived from the issuer, the upload and the line, so a row issued just
  before a crash (after the last checkpoint) is recognised on the next run instead of issued twice;
- a database or broker failure (TRANSIENT_ERRORS) does not fail a row: the run stops, releases
  its lease and raises BatchInterrupted for the task to retry; the sweeper (``resume_stalled``)
  re-sends the task for any batch left queued, or running past its lease.
"""

import hashlib
import hmac
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.errors import CitizenNotFound
from accounts.idempotency import IdempotencyKeyReused, checked_key
from accounts.models import Organisation
from core.keyring import KEY_BYTES, DecryptionError, SealedColumn, WrappedSecret, keyring, seal, unseal
from credentials.selectors import active_issuer_key
from vc.errors import VcError

from . import selectors, services
from .batchcsv import (
    Layout,
    RowError,
    check_row,
    check_upload_size,
    credential_for,
    layout_of,
    read_csv,
    row_credential_id,
)
from .errors import DuplicateCredential, OrganisationSuspended
from .models import Batch, BatchRowError, BatchUpload
from .tasks import issue_batch

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 100  # rows between two progress checkpoints
LEASE = timedelta(minutes=5)  # how long a silent worker keeps the batch before another may resume it
# A checkpoint also renews the lease: one is written at least this often, however slow the rows.
RENEW_EVERY_SECONDS = LEASE.total_seconds() / 3

# Failures of the database or the broker, not of the row: the run is retried, the row is not failed.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, BrokerError)
# What a failed attempt to send the task raises (the broker is down or unreachable).
_SEND_ERRORS: tuple[type[Exception], ...] = (BrokerError, OSError)

DEFAULT_BATCH_TYPE = "DiplomaCredential"  # what a batch issues when the upload names no type
SUSPENDED_REASON = "organisation suspended: no further rows are issued."


class BatchHeld(Exception):
    """Another run holds the batch's lease; ``retry_in`` seconds from now it will have lapsed."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"The batch is held by another run for {retry_in:.0f} s more.")
        self.retry_in = retry_in


class BatchInterrupted(Exception):
    """A database or broker failure stopped the run at ``line``; the batch stays running with its
    lease released, so a retry resumes it from the last checkpoint."""

    def __init__(self, line: int, cause: BaseException) -> None:
        self.line = line
        self.cause = type(cause).__name__  # the class only: messages of library errors may quote values
        super().__init__(f"Interrupted at line {line} by {self.cause}.")


class _LeaseLost(Exception):
    """Another run has claimed the batch since this one did: this run writes nothing more."""


@dataclass(frozen=True)
class Submission:
    batch: Batch
    created: bool  # False: an earlier batch of the same upload (or Idempotency-Key) was returned


# --- submitting --------------------------------------------------------------------------------


def upload_digest(data: bytes, *, credential_type: str = DEFAULT_BATCH_TYPE) -> str:
    """HMAC-SHA256 of an upload and the type it issues, keyed by a key derived from LOOKUP_HASH_KEY.

    Keyed, because a plain SHA-256 of a one-row CSV would let anyone reading the database confirm
    a guess of who was awarded what. The type counts: the same bytes as another type's batch are
    another upload. (Diplomas keep the digest of the bytes alone, as before types were chosen.)
    """
    key = hmac.new(
        settings.LOOKUP_HASH_KEY.encode(), b"citizen-vault/batch-upload-digest/v1", hashlib.sha256
    ).digest()
    typed = data if credential_type == DEFAULT_BATCH_TYPE else credential_type.encode() + b"\n" + data
    return hmac.new(key, typed, hashlib.sha256).hexdigest()


def _upload_aad(batch_id: uuid.UUID) -> bytes:
    return f"citizen-vault/batch-upload/v2|batch:{batch_id}".encode()


def _upload_key_aad(batch_id: uuid.UUID) -> bytes:
    return f"citizen-vault/batch-upload-key/v2|batch:{batch_id}".encode()


# The data keys of uploads awaiting their batch, wrapped by the KEK ring: they join KEK rotation
# (vault.keyrotation).
UPLOAD_KEYS = SealedColumn(
    label="batch upload keys",
    model=BatchUpload,
    kek_field="kek_id",
    sealed_field="data_key_sealed",
    aad=lambda upload: _upload_key_aad(upload.pk),
)


def _earlier_submission(issuer: Organisation, digest: str, idempotency_key: str) -> Batch | None:
    """The batch this upload repeats, if any; raises IdempotencyKeyReused for another file's key."""
    if idempotency_key:
        earlier = Batch.objects.filter(issuer=issuer, idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.upload_digest != digest:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was sent with another file; use a new key for a new upload.",
                    batchId=str(earlier.pk),
                )
            return earlier
    return (
        Batch.objects.filter(issuer=issuer, upload_digest=digest)
        .exclude(status=Batch.Status.FAILED)
        .order_by("-created_at")
        .first()
    )


def submit_batch(
    *,
    issuer: Organisation,
    data: bytes,
    credential_type: str = DEFAULT_BATCH_TYPE,
    idempotency_key: str | None = None,
    default_country: str = "",
) -> Submission:
    """Accept an issuer's CSV of credentials of one registered type as a batch: check it, store it
    sealed, and send the task after commit. The CSV's columns are the type's (vault.batchcsv).

    The same file from the same issuer while an earlier batch of it is queued, running or done,
    or the same Idempotency-Key, returns that batch (``created`` False) and issues nothing.
    ``default_country`` (the console's "BE") is the country of a national_id without ``COUNTRY:``;
    without it (the API) every national_id must carry its country.
    Raises UnknownCredentialType, BatchTooLarge, BatchCsvInvalid, IdempotencyKeyInvalid,
    IdempotencyKeyReused, OrganisationSuspended, or NoSigningKey (refused once here rather than on
    every row). If the
    broker cannot take the task, the batch stays queued for the sweeper (the failure is logged).
    """
    check_upload_size(len(data))
    layout = layout_of(credential_type)
    key = checked_key(idempotency_key)
    if not issuer.is_active:
        raise OrganisationSuspended("Your organisation is suspended; it cannot issue credentials.")
    digest = upload_digest(data, credential_type=layout.credential_type.name)
    earlier = _earlier_submission(issuer, digest, key)
    if earlier is not None:
        return Submission(earlier, created=False)
    active_issuer_key(issuer)
    _, rows = read_csv(data, layout)
    try:
        with transaction.atomic():
            batch = Batch.objects.create(
                issuer=issuer,
                credential_type=layout.credential_type.name,
                total=len(rows),
                upload_digest=digest,
                idempotency_key=key,
                default_country=default_country,
                enqueued_at=timezone.now(),
            )
            data_key = os.urandom(KEY_BYTES)
            wrapped = keyring().wrap(data_key, aad=_upload_key_aad(batch.pk))
            BatchUpload.objects.create(
                batch=batch,
                kek_id=wrapped.kek_id,
                data_key_sealed=wrapped.sealed,
                sealed=seal(data_key, data, aad=_upload_aad(batch.pk)),
            )
            transaction.on_commit(lambda: enqueue(batch.pk))
    except IntegrityError:
        # The same upload (or key) handed in concurrently: the other request's batch won.
        earlier = _earlier_submission(issuer, digest, key)
        if earlier is None:
            raise
        return Submission(earlier, created=False)
    return Submission(batch, created=True)


def enqueue(batch_id: Any) -> bool:
    """Send the batch's task; False (logged) if the broker cannot take it: the sweeper resends it."""
    try:
        issue_batch.delay(str(batch_id))
    except _SEND_ERRORS as exc:
        logger.error(
            "Batch %s: the task could not be sent (%s); the stalled-batch sweeper will resend it.",
            batch_id,
            type(exc).__name__,
        )
        return False
    return True


def resume_stalled(*, stalled_for: timedelta | None = None) -> list[uuid.UUID]:
    """Send the task again for every batch left behind: unfinished, no live lease, and its task
    last sent more than ``stalled_for`` ago (default BATCH_STALL_SECONDS). Returns their ids.

    Sending twice is harmless (a second task finds the lease held, or the batch done); two sweepers
    at once each take a batch only if the other has not just sent it.
    """
    now = timezone.now()
    if stalled_for is None:
        stalled_for = timedelta(seconds=settings.BATCH_STALL_SECONDS)
    sent_before = now - stalled_for
    stalled = selectors.stalled_batches(now=now, sent_before=sent_before)
    resent = []
    for batch_id in list(stalled.values_list("pk", flat=True)):
        if stalled.filter(pk=batch_id).update(enqueued_at=now):  # not just taken by another sweeper
            logger.info("Batch %s had stalled; its task is sent again.", batch_id)
            enqueue(batch_id)
            resent.append(batch_id)
    return resent


# --- running -----------------------------------------------------------------------------------


def _claim(batch_id: Any) -> Batch | None:
    """Take the batch for this run with a fresh token, or None if it is gone or finished.

    Raises BatchHeld while another run's lease is live.
    """
    with transaction.atomic():
        # The batch's row alone: FOR UPDATE on its issuer's too would hold every log entry that
        # issuer appends anywhere (Pod.objects.locked says why).
        batch = (
            Batch.objects.select_for_update(of=("self",)).select_related("issuer").filter(pk=batch_id).first()
        )
        if batch is None or batch.status in (Batch.Status.DONE, Batch.Status.FAILED):
            return None
        now = timezone.now()
        if batch.status == Batch.Status.RUNNING and batch.lease_expires_at and batch.lease_expires_at > now:
            raise BatchHeld(max(1.0, (batch.lease_expires_at - now).total_seconds() + 1))
        batch.status = Batch.Status.RUNNING
        batch.started_at = batch.started_at or now
        batch.lease_expires_at = now + LEASE
        batch.run_token = uuid.uuid4()
        batch.save(update_fields=["status", "started_at", "lease_expires_at", "run_token"])
        return batch


def _mine(batch: Batch) -> Any:
    """The batch's row, if this run still holds it (the fence every write of a run goes through)."""
    return Batch.objects.filter(pk=batch.pk, run_token=batch.run_token, status=Batch.Status.RUNNING)


def _open_upload(batch: Batch) -> bytes | None:
    upload = BatchUpload.objects.filter(batch=batch).first()
    if upload is None:
        return None
    data_key = keyring().unwrap(
        WrappedSecret(upload.kek_id, bytes(upload.data_key_sealed)), aad=_upload_key_aad(batch.pk)
    )
    return unseal(data_key, bytes(upload.sealed), aad=_upload_aad(batch.pk))


def _end(batch: Batch, status: str, *, failure: str = "", reason: str = "", line: int | None = None) -> None:
    """Close the batch (done, or failed with a Batch.Failure code, its English reason and the
    line it stopped at) and delete its upload, together; raises _LeaseLost if another run holds
    it now."""
    with transaction.atomic():
        ended = _mine(batch).update(
            status=status,
            failure_code=failure,
            failure_reason=reason[:200],
            failure_line=line,
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        if not ended:
            raise _LeaseLost
        BatchUpload.objects.filter(batch=batch).delete()
    batch.refresh_from_db()


def _release(batch: Batch) -> None:
    """Let the next run claim at once (after a transient failure); best effort."""
    try:
        with transaction.atomic():  # within a caller's transaction, a failure here must not spoil it
            _mine(batch).update(lease_expires_at=timezone.now())
    except TRANSIENT_ERRORS as exc:
        logger.warning(
            "Batch %s: its lease could not be released (%s); it lapses.", batch.pk, type(exc).__name__
        )


class _Progress:
    """Counts and errors since the last checkpoint; a checkpoint writes them in one transaction,
    renews the lease, and raises _LeaseLost if another run holds the batch now."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.processed, self.issued, self.failed = batch.processed, batch.issued, batch.failed
        self.pending: list[RowError] = []
        self.last_checkpoint = time.monotonic()

    def issued_one(self) -> None:
        self.processed += 1
        self.issued += 1

    def failed_one(self, errors: list[RowError]) -> None:
        self.processed += 1
        self.failed += 1
        self.pending.extend(errors)

    def due(self) -> bool:
        return (
            self.processed % PROGRESS_EVERY == 0
            or time.monotonic() - self.last_checkpoint >= RENEW_EVERY_SECONDS
        )

    def checkpoint(self) -> None:
        with transaction.atomic():
            written = _mine(self.batch).update(
                processed=self.processed,
                issued=self.issued,
                failed=self.failed,
                lease_expires_at=timezone.now() + LEASE,
            )
            if not written:
                raise _LeaseLost
            BatchRowError.objects.bulk_create(
                BatchRowError(batch=self.batch, line=e.line, column=e.column, code=e.code, reason=e.reason)
                for e in self.pending
            )
        self.pending = []
        self.last_checkpoint = time.monotonic()

    def checkpoint_if_possible(self) -> None:
        """The checkpoint of an error path: a database still down must not hide the first error."""
        try:
            self.checkpoint()
        except TRANSIENT_ERRORS as exc:
            logger.warning(
                "Batch %s: progress since the last checkpoint not saved (%s); the next run redoes it.",
                self.batch.pk,
                type(exc).__name__,
            )


def _issue_row(batch: Batch, layout: Layout, line: int, cells: dict[str, str]) -> list[RowError]:
    """Issue one checked row into its citizen's pod (its own transaction); the errors, if refused.

    Raises OrganisationSuspended and TRANSIENT_ERRORS: they are about the batch, not the row.
    """
    credential_id = row_credential_id(batch.issuer_id, batch.upload_digest, line)
    credential = credential_for(cells, layout=layout, credential_id=credential_id)
    try:
        services.issue_into_pod(issuer=batch.issuer, national_id=cells["national_id"], credential=credential)
    except DuplicateCredential:
        return []  # issued for this upload by an earlier run, after its last checkpoint
    except OrganisationSuspended:
        raise
    except CitizenNotFound as exc:
        return [RowError(line, "national_id", exc.code, exc.detail)]
    except VcError as exc:
        # The title, not the detail: a detail may quote the value, and values are not kept here.
        return [RowError(line, _column_of(exc, layout), exc.code, exc.title)]
    except DecryptionError:
        logger.error("Batch %s, line %s: the citizen's pod failed its integrity check.", batch.pk, line)
        reason = "the citizen's pod failed its integrity check; the operator has been alerted"
        return [RowError(line, "", "integrity-failure", reason)]
    return []


def _column_of(exc: VcError, layout: Layout) -> str:
    path = exc.extra.get("path")
    errors = exc.extra.get("errors")
    if not path and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        path = errors[0].get("path")
    if not isinstance(path, str):
        return ""
    return layout.path_columns.get(path, path[:100])


def _raised_at(exc: BaseException) -> str:
    """Where an exception was raised (module:line): enough to find the bug, nothing of the data."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_globals.get('__name__', '?')}:{tb.tb_lineno}"


def run_batch(batch_id: Any) -> Batch | None:
    """Issue a batch's rows from where the last run left off; None if there is nothing to do
    (the batch is gone or finished, or another run took it over during this one).

    A bad row (a missing, malformed or control-character field, an unknown citizen, a repeat of an
    earlier line, a credential the issuance service refuses) is recorded by line and the rest go
    on. The batch ends done (its upload deleted) or failed with a reason: its issuer is suspended,
    its upload cannot be opened, or an unexpected error stopped it (logged by class and place,
    never by message). Raises BatchHeld (another run's lease is live) and BatchInterrupted (a
    database or broker failure: retry later).
    """
    try:
        batch = _claim(batch_id)
        if batch is None:
            return None
        _run(batch)
    except _LeaseLost:
        logger.warning("Batch %s: another run took it over; this run stops.", batch_id)
        return None
    except TRANSIENT_ERRORS as exc:  # outside a row: claiming, opening the upload, ending
        logger.warning("Batch %s interrupted by %s; it will be retried.", batch_id, type(exc).__name__)
        raise BatchInterrupted(0, exc) from None
    return batch


def _run(batch: Batch) -> None:
    if not batch.issuer.is_active:
        _end(batch, Batch.Status.FAILED, failure=Batch.Failure.SUSPENDED, reason=SUSPENDED_REASON)
        return
    try:
        data = _open_upload(batch)
    except DecryptionError:
        logger.error("Batch %s: the sealed upload failed its integrity check.", batch.pk)
        data = None
    if data is None:
        _end(
            batch,
            Batch.Status.FAILED,
            failure=Batch.Failure.UNREADABLE,
            reason="The upload could not be opened; the operator has been alerted.",
        )
        return

    progress = _Progress(batch)
    seen: dict[tuple[str, ...], int] = {}
    line = 0
    try:
        layout = layout_of(batch.credential_type)
        header, rows = read_csv(data, layout)
        for index, row in enumerate(rows):
            line = row.line
            cells, errors = check_row(header, row, layout, default_country=batch.default_country)
            if not errors:
                key = tuple(cells.get(column, "") for column in layout.names)
                first = seen.setdefault(key, line)
                if first != line:
                    errors = [RowError(line, "", "duplicate-row", f"repeats line {first}")]
            if index < batch.processed:
                continue  # handled by an earlier run; read again only to know the duplicates
            if not errors:
                errors = _issue_row(batch, layout, line, cells)
            if errors:
                progress.failed_one(errors)
            else:
                progress.issued_one()
            if progress.due():
                progress.checkpoint()
        progress.checkpoint()
    except _LeaseLost:
        raise
    except OrganisationSuspended:
        progress.checkpoint_if_possible()
        _end(batch, Batch.Status.FAILED, failure=Batch.Failure.SUSPENDED, reason=SUSPENDED_REASON)
        return
    except TRANSIENT_ERRORS as exc:
        logger.warning(
            "Batch %s interrupted at line %s by %s; it will be retried.", batch.pk, line, type(exc).__name__
        )
        progress.checkpoint_if_possible()
        _release(batch)
        raise BatchInterrupted(line, exc) from None
    except Exception as exc:
        # Class and place only: a library's message or traceback text may quote a claim value.
        logger.error(
            "Batch %s stopped at line %s by %s raised at %s.",
            batch.pk,
            line,
            type(exc).__name__,
            _raised_at(exc),
        )
        progress.checkpoint_if_possible()
        _end(
            batch,
            Batch.Status.FAILED,
            failure=Batch.Failure.INTERNAL,
            reason=f"Stopped by an internal error at line {line}; the operator has been alerted.",
            line=line,
        )
        return
    _end(batch, Batch.Status.DONE)


def give_up(batch_id: Any, *, attempts: int, interruption: BatchInterrupted) -> bool:
    """End a batch failed after its last retry of a transient failure, unless a run holds it now.

    Returns whether it was ended. The upload is deleted; handing in the same file again resumes
    the work without issuing twice what was issued (the credential ids are the same).
    """
    now = timezone.now()
    reason = (
        f"Stopped at line {interruption.line}: the database or message broker stayed unavailable "
        f"through {attempts} attempts; hand in the same file again to finish it."
    )
    with transaction.atomic():
        ended = (
            Batch.objects.filter(pk=batch_id, status__in=[Batch.Status.QUEUED, Batch.Status.RUNNING])
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
            .update(
                status=Batch.Status.FAILED,
                failure_code=Batch.Failure.UNAVAILABLE,
                failure_reason=reason[:200],
                failure_line=interruption.line,
                finished_at=now,
                lease_expires_at=None,
            )
        )
        if ended:
            BatchUpload.objects.filter(batch_id=batch_id).delete()
    if ended:
        logger.error("Batch %s failed after %s attempts (last: %s).", batch_id, attempts, interruption.cause)
    return bool(ended)
