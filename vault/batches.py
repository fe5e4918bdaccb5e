"""Batch issuance: an issuer hands in a CSV of diplomas; a Celery task issues it row by row.

The upload is sealed under the KEK ring in a BatchUpload row (it names citizens and holds claim
values); the task gets only the batch id, issues each row through ``services.issue_into_pod`` (one
transaction per row), records a bad row by line and goes on, and checkpoints its progress every
``PROGRESS_EVERY`` rows. The batch and its errors never hold a national id or a claim value.

Running the task twice is safe: a batch that is done stays done, a live lease keeps a second
worker out, and a credential's id is derived from the batch and the line, so a row issued just
before a crash (after the last checkpoint) is recognised on the next run instead of issued twice.
"""

import csv
import io
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.errors import CitizenNotFound, InvalidNationalId
from accounts.identity import normalise_national_id
from accounts.models import Organisation
from core.errors import DomainError, NotFound
from core.keyring import DecryptionError, WrappedSecret, keyring
from credentials.jsonld import CREDENTIALS_V2, EDUCATION_V1
from credentials.services import active_issuer_key

from . import services
from .errors import DuplicateCredential
from .models import Batch, BatchRowError, BatchUpload
from .tasks import issue_batch

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 100  # rows between two progress checkpoints
LEASE = timedelta(minutes=5)  # how long a silent worker keeps the batch before another may resume it
MAX_CELL_CHARS = 200

DEGREE_TYPES = ("BachelorDegree", "MasterDegree", "DoctoralDegree", "ProfessionalQualification")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("national_id", True, "the citizen's national identifier, COUNTRY:NUMBER (e.g. BE:85073003328)"),
    Column("given_name", True, "credentialSubject.givenName"),
    Column("family_name", True, "credentialSubject.familyName"),
    Column("degree_type", True, f"credentialSubject.degree.type: one of {', '.join(DEGREE_TYPES)}"),
    Column("degree_name", True, "credentialSubject.degree.name"),
    Column("awarded_on", True, "credentialSubject.awardedOn, a date YYYY-MM-DD"),
    Column("field_of_study", False, "credentialSubject.fieldOfStudy"),
    Column("qualification_level", False, "credentialSubject.qualificationLevel"),
    Column("grade", False, "credentialSubject.grade"),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS = tuple(c.name for c in COLUMNS if c.required)

# Where a credential path points back to a column, errors name the column the issuer can fix.
_PATH_COLUMNS = {
    "/credentialSubject/givenName": "given_name",
    "/credentialSubject/familyName": "family_name",
    "/credentialSubject/degree/type": "degree_type",
    "/credentialSubject/degree/name": "degree_name",
    "/credentialSubject/awardedOn": "awarded_on",
    "/credentialSubject/fieldOfStudy": "field_of_study",
    "/credentialSubject/qualificationLevel": "qualification_level",
    "/credentialSubject/grade": "grade",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BatchCsvInvalid(DomainError):
    code = "invalid-batch-csv"
    title = "The CSV cannot be read as a batch"
    status = 400


class BatchTooLarge(DomainError):
    code = "payload-too-large"
    title = "Payload too large"
    status = 413


class BatchNotFound(NotFound):
    code = "batch-not-found"
    title = "No batch"


@dataclass(frozen=True)
class Row:
    """One data record of the CSV: where it starts (1-based line) and its cells."""

    line: int
    cells: list[str]


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    code: str
    reason: str


# --- reading the CSV ---------------------------------------------------------------------------


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    expected = {"expectedColumns": list(COLUMN_NAMES), "requiredColumns": list(REQUIRED_COLUMNS)}
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise BatchCsvInvalid(f"Line 1 names these columns twice: {', '.join(duplicates)}.", **expected)
    unknown = [name for name in names if name not in COLUMN_NAMES]
    if unknown:
        raise BatchCsvInvalid(
            f"Line 1 names unknown columns: {', '.join(unknown) or '(blank)'}; "
            f"the columns are {', '.join(COLUMN_NAMES)}.",
            unknownColumns=unknown,
            **expected,
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise BatchCsvInvalid(
            f"Line 1 lacks the required columns: {', '.join(missing)}.", missingColumns=missing, **expected
        )
    return names


def read_csv(data: bytes) -> tuple[list[str], list[Row]]:
    """Split an upload into its header (column names) and data rows; blank lines are skipped.

    Raises BatchCsvInvalid (not UTF-8, broken quoting, a wrong header, no rows) or BatchTooLarge
    (more than BATCH_MAX_ROWS rows). Rows are not checked here: a bad row is reported by line.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchCsvInvalid(f"The CSV is not UTF-8 text (byte {exc.start} is not).") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[Row] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                if start != 1:
                    raise BatchCsvInvalid("Line 1 must name the columns; it is blank.")
                header = _header(record)
                continue
            rows.append(Row(start, record))
            if len(rows) > settings.BATCH_MAX_ROWS:
                raise BatchTooLarge(
                    f"The CSV has more than {settings.BATCH_MAX_ROWS} rows; split it into several batches."
                )
    except csv.Error as exc:
        raise BatchCsvInvalid(f"Line {reader.line_num}: the CSV is malformed ({exc}).") from exc
    if header is None:
        raise BatchCsvInvalid(f"The CSV is empty; line 1 must name the columns: {', '.join(COLUMN_NAMES)}.")
    if not rows:
        raise BatchCsvInvalid("The CSV has a header but no rows.")
    return header, rows


def _check_row(header: list[str], row: Row) -> tuple[dict[str, str], list[RowError]]:
    """The row's cells by column, and what is wrong with them (naming rules, never values)."""
    if len(row.cells) != len(header):
        reason = f"has {len(row.cells)} fields; the header names {len(header)} columns"
        return {}, [RowError(row.line, "", "wrong-field-count", reason)]
    cells = {name: value.strip() for name, value in zip(header, row.cells, strict=True)}
    errors = []

    def refuse(column: str, code: str, reason: str) -> None:
        errors.append(RowError(row.line, column, code, reason))

    for column in COLUMN_NAMES:
        value = cells.get(column, "")
        if not value:
            if column in REQUIRED_COLUMNS:
                refuse(column, "required", "is required")
        elif len(value) > MAX_CELL_CHARS:
            refuse(column, "too-long", f"is longer than {MAX_CELL_CHARS} characters")
    if cells.get("national_id") and len(cells["national_id"]) <= MAX_CELL_CHARS:
        try:
            cells["national_id"] = normalise_national_id(cells["national_id"])
        except InvalidNationalId as exc:
            refuse("national_id", exc.code, exc.detail)
    if cells.get("degree_type") and cells["degree_type"] not in DEGREE_TYPES:
        refuse("degree_type", "invalid-choice", f"must be one of {', '.join(DEGREE_TYPES)}")
    if cells.get("awarded_on") and not _is_date(cells["awarded_on"]):
        refuse("awarded_on", "invalid-date", "must be a calendar date written YYYY-MM-DD")
    return cells, errors


def _is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def credential_for(cells: dict[str, str], *, credential_id: str) -> dict[str, Any]:
    """The unsigned DiplomaCredential a checked row describes (the vault signs it on issuance)."""
    subject: dict[str, Any] = {
        "givenName": cells["given_name"],
        "familyName": cells["family_name"],
        "degree": {"type": cells["degree_type"], "name": cells["degree_name"]},
        "awardedOn": cells["awarded_on"],
    }
    for column, term in (
        ("field_of_study", "fieldOfStudy"),
        ("qualification_level", "qualificationLevel"),
        ("grade", "grade"),
    ):
        if cells.get(column):
            subject[term] = cells[column]
    return {
        "@context": [CREDENTIALS_V2, EDUCATION_V1],
        "id": credential_id,
        "type": ["VerifiableCredential", "DiplomaCredential"],
        "credentialSubject": subject,
    }


def row_credential_id(batch_id: uuid.UUID, line: int) -> str:
    """The id of the credential a batch issues for a line: the same on every run of the batch."""
    return f"urn:uuid:{uuid.uuid5(batch_id, f'line:{line}')}"


# --- submitting --------------------------------------------------------------------------------


def _upload_aad(batch_id: uuid.UUID) -> bytes:
    return f"citizen-vault/batch-upload/v1|batch:{batch_id}".encode()


def submit_batch(*, issuer: Organisation, data: bytes) -> Batch:
    """Accept an issuer's CSV as a batch: check its size and header, store it sealed, and enqueue
    the task after commit.

    Raises BatchTooLarge (over BATCH_MAX_BYTES or BATCH_MAX_ROWS), BatchCsvInvalid, or
    NoSigningKey (refused once here rather than on every row).
    """
    if len(data) > settings.BATCH_MAX_BYTES:
        raise BatchTooLarge(f"The CSV is {len(data)} bytes; the limit is {settings.BATCH_MAX_BYTES} bytes.")
    active_issuer_key(issuer)
    _, rows = read_csv(data)
    with transaction.atomic():
        batch = Batch.objects.create(issuer=issuer, total=len(rows))
        wrapped = keyring().wrap(data, aad=_upload_aad(batch.pk))
        BatchUpload.objects.create(batch=batch, kek_id=wrapped.kek_id, sealed=wrapped.sealed)
        transaction.on_commit(lambda: issue_batch.delay(str(batch.pk)))
    return batch


# --- running -----------------------------------------------------------------------------------


def _claim(batch_id: Any) -> Batch | None:
    """Take the batch for this run, or None: it is gone, finished, or another worker holds it."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().select_related("issuer").filter(pk=batch_id).first()
        if batch is None or batch.status in (Batch.Status.DONE, Batch.Status.FAILED):
            return None
        now = timezone.now()
        if batch.status == Batch.Status.RUNNING and batch.lease_expires_at and batch.lease_expires_at > now:
            return None
        batch.status = Batch.Status.RUNNING
        batch.started_at = batch.started_at or now
        batch.lease_expires_at = now + LEASE
        batch.save(update_fields=["status", "started_at", "lease_expires_at"])
        return batch


def _open_upload(batch: Batch) -> bytes | None:
    upload = BatchUpload.objects.filter(batch=batch).first()
    if upload is None:
        return None
    return keyring().unwrap(WrappedSecret(upload.kek_id, bytes(upload.sealed)), aad=_upload_aad(batch.pk))


def _end(batch: Batch, status: str, failure_reason: str = "") -> None:
    """Close the batch (done or failed) and delete its upload, together."""
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(
            status=status,
            failure_reason=failure_reason,
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        BatchUpload.objects.filter(batch=batch).delete()
    batch.refresh_from_db()


class _Progress:
    """Counts and errors since the last checkpoint; a checkpoint writes them in one transaction."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.processed, self.issued, self.failed = batch.processed, batch.issued, batch.failed
        self.pending: list[RowError] = []

    def issued_one(self) -> None:
        self.processed += 1
        self.issued += 1

    def failed_one(self, errors: list[RowError]) -> None:
        self.processed += 1
        self.failed += 1
        self.pending.extend(errors)

    def checkpoint(self) -> None:
        with transaction.atomic():
            BatchRowError.objects.bulk_create(
                BatchRowError(batch=self.batch, line=e.line, column=e.column, code=e.code, reason=e.reason)
                for e in self.pending
            )
            Batch.objects.filter(pk=self.batch.pk).update(
                processed=self.processed,
                issued=self.issued,
                failed=self.failed,
                lease_expires_at=timezone.now() + LEASE,
            )
        self.pending = []


def _issue_row(batch: Batch, line: int, cells: dict[str, str]) -> list[RowError]:
    """Issue one checked row into its citizen's pod (its own transaction); the errors, if refused."""
    credential = credential_for(cells, credential_id=row_credential_id(batch.pk, line))
    try:
        services.issue_into_pod(issuer=batch.issuer, national_id=cells["national_id"], credential=credential)
    except DuplicateCredential:
        return []  # this batch issued the line on an earlier run, after its last checkpoint
    except CitizenNotFound as exc:
        return [RowError(line, "national_id", exc.code, exc.detail)]
    except DomainError as exc:
        # The title, not the detail: a detail may quote the value, and values are not kept here.
        return [RowError(line, _column_of(exc), exc.code, exc.title)]
    except DecryptionError:
        logger.error("Batch %s, line %s: the citizen's pod failed its integrity check.", batch.pk, line)
        reason = "the citizen's pod failed its integrity check; the operator has been alerted"
        return [RowError(line, "", "integrity-failure", reason)]
    return []


def _column_of(exc: DomainError) -> str:
    path = exc.extra.get("path")
    errors = exc.extra.get("errors")
    if not path and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        path = errors[0].get("path")
    if not isinstance(path, str):
        return ""
    return _PATH_COLUMNS.get(path, path[:100])


def run_batch(batch_id: Any) -> Batch | None:
    """Issue a batch's rows from where the last run left off; None if there is nothing to do.

    A bad row (a missing or malformed field, an unknown citizen, a repeat of an earlier line, a
    credential the issuance service refuses) is recorded by line and the rest go on. The batch
    ends done (its upload deleted) or, if its upload cannot be opened or an unexpected error
    stops it, failed with a reason (the error is logged for the operator).
    """
    batch = _claim(batch_id)
    if batch is None:
        return None
    try:
        data = _open_upload(batch)
    except DecryptionError:
        logger.error("Batch %s: the sealed upload failed its integrity check.", batch.pk)
        data = None
    if data is None:
        _end(batch, Batch.Status.FAILED, "The upload could not be opened; the operator has been alerted.")
        return batch

    progress = _Progress(batch)
    seen: dict[tuple[str, ...], int] = {}
    line = 0
    try:
        header, rows = read_csv(data)
        for index, row in enumerate(rows):
            line = row.line
            cells, errors = _check_row(header, row)
            if not errors:
                key = tuple(cells.get(column, "") for column in COLUMN_NAMES)
                first = seen.setdefault(key, line)
                if first != line:
                    errors = [RowError(line, "", "duplicate-row", f"repeats line {first}")]
            if index < batch.processed:
                continue  # handled by an earlier run; read again only to know the duplicates
            if not errors:
                errors = _issue_row(batch, line, cells)
            if errors:
                progress.failed_one(errors)
            else:
                progress.issued_one()
            if progress.processed % PROGRESS_EVERY == 0:
                progress.checkpoint()
        progress.checkpoint()
    except Exception:
        logger.exception("Batch %s stopped at line %s.", batch.pk, line)
        progress.checkpoint()
        _end(
            batch,
            Batch.Status.FAILED,
            f"Stopped by an internal error at line {line}; the operator has been alerted.",
        )
        return batch
    _end(batch, Batch.Status.DONE)
    return batch


# --- reading -----------------------------------------------------------------------------------


def batches_of(issuer: Organisation) -> QuerySet[Batch]:
    """The issuer's batches, newest first."""
    return Batch.objects.filter(issuer=issuer).order_by("-created_at")


def batch_of(issuer: Organisation, batch_id: Any) -> Batch:
    """One of the issuer's batches with its errors; raises BatchNotFound for anyone else's."""
    batch = Batch.objects.prefetch_related("row_errors").filter(pk=batch_id, issuer=issuer).first()
    if batch is None:
        raise BatchNotFound("Your organisation has no batch with that id.")
    return batch
