"""The batch CSV: its columns, reading an upload into rows, checking a row, the credential it makes.

Nothing here touches the database. Every limit is checked before the work it bounds: the upload
size (``check_upload_size``, the one place), the length of each physical line, the number of
header cells, then the rows. Errors name rules and positions, never the values.
"""

import csv
import functools
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
from vc.types import Claim, CredentialType, check_type_name

from .errors import BatchCsvInvalid, BatchTooLarge

MAX_CELL_CHARS = 200
NATIONAL_ID = "national_id"
LIST_SEPARATOR = ";"  # a "list" claim's values in one cell, e.g. "reading;speaking"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str


@dataclass(frozen=True)
class Layout:
    """The batch CSV of one credential type: its columns (from the type's claims in the
    registry, after the citizen's national_id) and where each claim's errors point back to."""

    credential_type: CredentialType
    columns: tuple[Column, ...]
    claims: dict[str, Claim]  # by column name
    path_columns: dict[str, str]  # credential path -> the column an issuer can fix

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    @property
    def max_line_chars(self) -> int:
        """The longest physical line a well-formed batch can need: every column at its longest,
        each character a doubled quote, plus quotes and separators. Longer lines are refused
        before parsing."""
        return len(self.columns) * (2 * MAX_CELL_CHARS + 3) + 2


def _described(claim: Claim) -> str:
    where = f"credentialSubject{claim.pointer.replace('/', '.')}"
    if claim.kind == "date":
        return f"{where}, a date YYYY-MM-DD"
    if claim.kind == "boolean":
        return f"{where}: true or false"
    if claim.kind == "choice":
        return f"{where}: one of {', '.join(claim.choices)}"
    if claim.kind == "list":
        return f"{where}: some of {', '.join(claim.choices)}, separated by '{LIST_SEPARATOR}'"
    return where


@functools.cache
def layout_of(credential_type: str) -> Layout:
    """The batch layout of a registered credential type; raises UnknownCredentialType."""
    registered = check_type_name(credential_type)
    national_id = Column(
        NATIONAL_ID, True, "the citizen's national identifier, COUNTRY:NUMBER (e.g. BE:85073003328)"
    )
    columns = (national_id, *(Column(c.column, c.required, _described(c)) for c in registered.claims))
    return Layout(
        credential_type=registered,
        columns=columns,
        claims={claim.column: claim for claim in registered.claims},
        path_columns={f"/credentialSubject{claim.pointer}": claim.column for claim in registered.claims},
    )


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


def _header(cells: list[str], layout: Layout) -> list[str]:
    expected = {"expectedColumns": list(layout.names), "requiredColumns": list(layout.required)}
    if len(cells) > len(layout.names):  # first: everything below is then bounded by that count
        raise BatchCsvInvalid(
            f"Line 1 has {len(cells)} columns; a batch of {layout.credential_type.name} has at most "
            f"{len(layout.names)}: {', '.join(layout.names)}.",
            **expected,
        )
    names = [cell.strip().lower() for cell in cells]
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        shown = ", ".join(_shown(name) for name in duplicates)
        raise BatchCsvInvalid(f"Line 1 names these columns twice: {shown}.", **expected)
    unknown = [_shown(name) for name in names if name not in layout.names]
    if unknown:
        raise BatchCsvInvalid(
            f"Line 1 names unknown columns: {', '.join(unknown) or '(blank)'}; "
            f"the columns of a {layout.credential_type.name} batch are {', '.join(layout.names)}.",
            unknownColumns=unknown,
            **expected,
        )
    missing = [name for name in layout.required if name not in names]
    if missing:
        raise BatchCsvInvalid(
            f"Line 1 lacks the required columns: {', '.join(missing)}.", missingColumns=missing, **expected
        )
    return names


def _bounded_lines(text: str, limit: int) -> Iterator[str]:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > limit:
            raise BatchCsvInvalid(
                f"Line {number} is longer than {limit} characters; "
                f"no cell may be longer than {MAX_CELL_CHARS}."
            )
        yield line


def read_csv(data: bytes, layout: Layout) -> tuple[list[str], list[Row]]:
    """Split an upload into its header (column names) and data rows; blank lines are skipped.

    Raises BatchCsvInvalid (not UTF-8, a line too long, broken quoting, a wrong header, no rows)
    or BatchTooLarge (more than BATCH_MAX_ROWS rows). Rows are not checked here: a bad row is
    reported by line.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchCsvInvalid(f"The CSV is not UTF-8 text (byte {exc.start} is not).") from exc
    reader = csv.reader(_bounded_lines(text, layout.max_line_chars), strict=True)
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
                header = _header(record, layout)
                continue
            rows.append(Row(start, record))
            if len(rows) > settings.BATCH_MAX_ROWS:
                raise BatchTooLarge(
                    f"The CSV has more than {settings.BATCH_MAX_ROWS} rows; split it into several batches."
                )
    except csv.Error as exc:
        raise BatchCsvInvalid(f"Line {reader.line_num}: the CSV is malformed ({exc}).") from exc
    if header is None:
        raise BatchCsvInvalid(f"The CSV is empty; line 1 must name the columns: {', '.join(layout.names)}.")
    if not rows:
        raise BatchCsvInvalid("The CSV has a header but no rows.")
    return header, rows


def check_row(
    header: list[str], row: Row, layout: Layout, *, default_country: str = ""
) -> tuple[dict[str, str], list[RowError]]:
    """The row's cells by column, and what is wrong with them (naming rules, never values).

    ``default_country``: the country of a national_id written without ``COUNTRY:`` (the console's
    form and uploads: "BE"); without it (the API) the prefix is required.
    """
    if len(row.cells) != len(header):
        reason = f"has {len(row.cells)} fields; the header names {len(header)} columns"
        return {}, [RowError(row.line, "", "wrong-field-count", reason)]
    cells = {name: value.strip() for name, value in zip(header, row.cells, strict=True)}
    errors: list[RowError] = []
    refused: set[str] = set()

    def refuse(column: str, code: str, reason: str) -> None:
        errors.append(RowError(row.line, column, code, reason))
        refused.add(column)

    for column in layout.columns:
        value = cells.get(column.name, "")
        if not value:
            if column.required:
                refuse(column.name, "required", "is required")
        elif len(value) > MAX_CELL_CHARS:
            refuse(column.name, "too-long", f"is longer than {MAX_CELL_CHARS} characters")
        elif _CONTROL.search(value):
            refuse(column.name, "control-character", "contains a control character (a line break, NUL, …)")
    if cells.get(NATIONAL_ID) and NATIONAL_ID not in refused:
        try:
            cells[NATIONAL_ID] = normalise_national_id(cells[NATIONAL_ID], default_country=default_country)
        except InvalidNationalId as exc:
            refuse(NATIONAL_ID, exc.code, exc.detail)
    for name, claim in layout.claims.items():
        cell = cells.get(name, "")
        if not cell or name in refused:
            continue
        if claim.kind == "choice" and cell not in claim.choices:
            refuse(name, "invalid-choice", f"must be one of {', '.join(claim.choices)}")
        elif claim.kind == "list" and not all(
            item.strip() in claim.choices for item in cell.split(LIST_SEPARATOR)
        ):
            refuse(
                name,
                "invalid-choice",
                f"must be some of {', '.join(claim.choices)}, separated by '{LIST_SEPARATOR}'",
            )
        elif claim.kind == "date" and not _is_date(cell):
            refuse(name, "invalid-date", "must be a calendar date written YYYY-MM-DD")
        elif claim.kind == "boolean" and cell.lower() not in ("true", "false"):
            refuse(name, "invalid-boolean", "must be true or false")
    return cells, errors


def _is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _value(claim: Claim, cell: str) -> Any:
    if claim.kind == "boolean":
        return cell.lower() == "true"
    if claim.kind == "list":
        return [item.strip() for item in cell.split(LIST_SEPARATOR)]
    return cell


def credential_for(cells: dict[str, str], *, layout: Layout, credential_id: str) -> dict[str, Any]:
    """The unsigned credential a checked row describes (the vault signs it on issuance)."""
    subject: dict[str, Any] = {}
    for name, claim in layout.claims.items():
        if not cells.get(name):
            continue
        *parents, leaf = claim.pointer.strip("/").split("/")
        node = subject
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = _value(claim, cells[name])
    registered = layout.credential_type
    return {
        "@context": list(registered.contexts),
        "id": credential_id,
        "type": ["VerifiableCredential", registered.name],
        "credentialSubject": subject,
    }


_ROW_IDS = uuid.UUID("5b0c3a3e-8f4e-4d61-9a57-6d1f0c2b7e11")  # fixed: ids must not change across releases


def row_credential_id(issuer_id: uuid.UUID, upload_digest: str, line: int) -> str:
    """The id of the credential a line of an upload becomes: the same on every run of its batch,
    and for the same file handed in again by the same issuer after its batch failed, so a row
    issued before the failure is recognised (a duplicate) instead of issued twice."""
    return f"urn:uuid:{uuid.uuid5(_ROW_IDS, f'{issuer_id}|{upload_digest}|line:{line}')}"
