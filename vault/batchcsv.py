"""The batch CSV: its columns, reading an upload into rows, checking a row, the credential it makes.

Nothing here touches the database. Every limit is checked before the work it bounds: the upload
size (``check_upload_size``, the one place), the length of each physical line, the number of
header cells, then the rows. Errors name rules and positions, never the values.
"""

import csv
import io
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from accounts.errors import InvalidNationalId
from accounts.identity import normalise_national_id
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1

from .errors import BatchCsvInvalid, BatchTooLarge

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

# The longest physical line a well-formed batch can need: every column at its longest, each
# character a doubled quote, plus quotes and separators. Longer lines are refused before parsing.
MAX_LINE_CHARS = len(COLUMNS) * (2 * MAX_CELL_CHARS + 3) + 2

# Where a credential path points back to a column, errors name the column the issuer can fix.
PATH_COLUMNS = {
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
# C0 controls but tab: a NUL, an escape sequence or a line break has no place in a signed claim.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")


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


def check_upload_size(size: int) -> None:
    """The one rule on the size of an upload (BATCH_MAX_BYTES); raises BatchTooLarge.

    The parsers apply it to the declared length before reading, the view to a file part, the
    service to the bytes it is handed.
    """
    limit = settings.BATCH_MAX_BYTES
    if size > limit:
        raise BatchTooLarge(
            f"The CSV is larger than the limit of {limit} bytes; split it into several batches.",
            limitBytes=limit,
        )


def _shown(name: str) -> str:
    return name if len(name) <= 40 else name[:40] + "…"


def _header(cells: list[str]) -> list[str]:
    expected = {"expectedColumns": list(COLUMN_NAMES), "requiredColumns": list(REQUIRED_COLUMNS)}
    if len(cells) > len(COLUMN_NAMES):  # first: everything below is then bounded by 9 cells
        raise BatchCsvInvalid(
            f"Line 1 has {len(cells)} columns; a batch has at most {len(COLUMN_NAMES)}: "
            f"{', '.join(COLUMN_NAMES)}.",
            **expected,
        )
    names = [cell.strip().lower() for cell in cells]
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        shown = ", ".join(_shown(name) for name in duplicates)
        raise BatchCsvInvalid(f"Line 1 names these columns twice: {shown}.", **expected)
    unknown = [_shown(name) for name in names if name not in COLUMN_NAMES]
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


def _bounded_lines(text: str) -> Iterator[str]:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise BatchCsvInvalid(
                f"Line {number} is longer than {MAX_LINE_CHARS} characters; "
                f"no cell may be longer than {MAX_CELL_CHARS}."
            )
        yield line


def read_csv(data: bytes) -> tuple[list[str], list[Row]]:
    """Split an upload into its header (column names) and data rows; blank lines are skipped.

    Raises BatchCsvInvalid (not UTF-8, a line too long, broken quoting, a wrong header, no rows)
    or BatchTooLarge (more than BATCH_MAX_ROWS rows). Rows are not checked here: a bad row is
    reported by line.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchCsvInvalid(f"The CSV is not UTF-8 text (byte {exc.start} is not).") from exc
    reader = csv.reader(_bounded_lines(text), strict=True)
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


def check_row(header: list[str], row: Row) -> tuple[dict[str, str], list[RowError]]:
    """The row's cells by column, and what is wrong with them (naming rules, never values)."""
    if len(row.cells) != len(header):
        reason = f"has {len(row.cells)} fields; the header names {len(header)} columns"
        return {}, [RowError(row.line, "", "wrong-field-count", reason)]
    cells = {name: value.strip() for name, value in zip(header, row.cells, strict=True)}
    errors: list[RowError] = []
    refused: set[str] = set()

    def refuse(column: str, code: str, reason: str) -> None:
        errors.append(RowError(row.line, column, code, reason))
        refused.add(column)

    for column in COLUMN_NAMES:
        value = cells.get(column, "")
        if not value:
            if column in REQUIRED_COLUMNS:
                refuse(column, "required", "is required")
        elif len(value) > MAX_CELL_CHARS:
            refuse(column, "too-long", f"is longer than {MAX_CELL_CHARS} characters")
        elif _CONTROL.search(value):
            refuse(column, "control-character", "contains a control character (a line break, NUL, …)")
    if cells.get("national_id") and "national_id" not in refused:
        try:
            cells["national_id"] = normalise_national_id(cells["national_id"])
        except InvalidNationalId as exc:
            refuse("national_id", exc.code, exc.detail)
    if cells.get("degree_type") and "degree_type" not in refused and cells["degree_type"] not in DEGREE_TYPES:
        refuse("degree_type", "invalid-choice", f"must be one of {', '.join(DEGREE_TYPES)}")
    if cells.get("awarded_on") and "awarded_on" not in refused and not _is_date(cells["awarded_on"]):
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


_ROW_IDS = uuid.UUID("5b0c3a3e-8f4e-4d61-9a57-6d1f0c2b7e11")  # fixed: ids must not change across releases


def row_credential_id(issuer_id: uuid.UUID, upload_digest: str, line: int) -> str:
    """The id of the credential a line of an upload becomes: the same on every run of its batch,
    and for the same file handed in again by the same issuer after its batch failed, so a row
    issued before the failure is recognised (a duplicate) instead of issued twice."""
    return f"urn:uuid:{uuid.uuid5(_ROW_IDS, f'{issuer_id}|{upload_digest}|line:{line}')}"
