"""The issuing services' refusals in the issuer console member's language, by their code
(core.refusals.in_words): what vault.services.issue_into_pod, vault.batches.submit_batch and
credentials.services.update_status may still refuse after the console's forms checked what they
can. A code not here keeps the service's English detail, marked as English."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.identity import NATIONAL_ID_PROBLEMS
from core.refusals import WithDetail, Words, code_in_words
from vault.models import Batch

_SUSPENDED = _("Your organisation is suspended: it cannot issue credentials.")
_NO_KEY = _("Your organisation has no active signing key: an operator must make one before it can issue.")
_UNKNOWN_TYPE = _("This credential type is not one this service knows.")

# One credential through the form.
ISSUE_REFUSALS: Mapping[str, Words] = {
    "organisation-suspended": _SUSPENDED,
    "no-signing-key": _NO_KEY,
    "unknown-credential-type": _UNKNOWN_TYPE,
    "duplicate-credential": _("The citizen's pod already holds this credential."),
    "invalid-credential": WithDetail(_("The credential would not be valid:")),
}

# A class as a CSV: the file's own faults name the line and column, in the service's English.
BATCH_REFUSALS: Mapping[str, Words] = {
    "organisation-suspended": _SUSPENDED,
    "no-signing-key": _NO_KEY,
    "unknown-credential-type": _UNKNOWN_TYPE,
    "payload-too-large": _("The file is too large for one class: split it into several files."),
    "invalid-batch-csv": WithDetail(_("The file cannot be read as a class:")),
}

# Revoking, suspending, reinstating.
STATUS_REFUSALS: Mapping[str, Words] = {
    "revocation-is-final": _("This credential is revoked: a revocation cannot be undone."),
    "unknown-credential-status": _(
        "Your organisation holds no status of this credential that it could change."
    ),
}


# --- a line of a class (or the one-credential form, checked by the same rules) ---------------------
#
# vault.batchcsv.check_row and vault.batches refuse a line with a stable ``code`` and an English
# ``reason`` naming the rule (what the API and the report CSV give). The console says it in the
# member's language: ROW_REFUSALS by code; a code whose reason carries a value (a count, a line,
# the choices) has a ``pattern`` reading it from the reason. tests/vault/test_row_refusals.py reads
# the codes from the code that writes them and fails on one without words here.


@dataclass(frozen=True)
class RowWords:
    words: Promise  # may name %(value)s the pattern reads from the English reason
    pattern: re.Pattern[str] | None = None


ROW_REFUSALS: Mapping[str, RowWords] = {
    "wrong-field-count": RowWords(
        _("This line has %(found)s fields, but line 1 names %(expected)s columns."),
        re.compile(r"has (?P<found>\d+) fields; the header names (?P<expected>\d+) columns"),
    ),
    "required": RowWords(_("This is required, and it is empty.")),
    "too-long": RowWords(
        _("This is longer than %(limit)s characters."),
        re.compile(r"is longer than (?P<limit>\d+) characters"),
    ),
    "control-character": RowWords(_("This contains a control character (a line break, a NUL, …).")),
    "invalid-national-id": RowWords(
        _("This is not a national register number (e.g. 85.07.30-033.28, or BE:85073003328).")
    ),
    "invalid-choice": RowWords(
        _("This must be one of these values: %(choices)s."),
        re.compile(r"must be (?:one|some) of (?P<choices>.+?)(?:, separated by '.')?"),
    ),
    "invalid-date": RowWords(_("This must be a calendar date written YYYY-MM-DD, e.g. 2025-06-30.")),
    "invalid-boolean": RowWords(_("This must be true or false.")),
    "duplicate-row": RowWords(
        _("This line repeats line %(line)s: the same citizen and the same values."),
        re.compile(r"repeats line (?P<line>\d+)"),
    ),
    "citizen-not-found": RowWords(_("No citizen with this national register number has a pod here.")),
    "integrity-failure": RowWords(
        _("The citizen's pod failed its integrity check; the operator has been alerted.")
    ),
    "invalid-credential": RowWords(_("The credential this line makes would not be valid.")),
    "unknown-credential-type": RowWords(_UNKNOWN_TYPE),
    "no-signing-key": RowWords(_NO_KEY),
    "organisation-suspended": RowWords(_SUSPENDED),
}

# What is wrong with a national register number (accounts.identity.NATIONAL_ID_PROBLEMS, by key).
NATIONAL_ID_WORDS: Mapping[str, Promise] = {
    "not-text": _("This is not a national register number."),
    "empty": _("The national register number is empty."),
    "no-country": _("This national register number has no country: write it as BE:85073003328."),
    "bad-country": _(
        "This is not a national register number: the country before the “:” must be a two-letter "
        "code, such as BE."
    ),
    "bad-characters": _(
        "This is not a national register number: it may hold only digits (and letters), with "
        "spaces, dots, dashes or slashes between them, e.g. 85.07.30-033.28."
    ),
    "bad-length": _(
        "This is not a national register number: it must have 4 to 32 digits or letters, "
        "separators not counted (a Belgian one has 11, e.g. 85.07.30-033.28)."
    ),
    "not-belgian-shape": _(
        "This is not a Belgian national register number: it has 11 digits, e.g. 85.07.30-033.28."
    ),
    "bad-check-digits": _(
        "This national register number's last two digits do not match the first nine: a digit is "
        "wrong or two are swapped. Check it against the identity card."
    ),
}
_PROBLEM_OF_DETAIL = {detail: problem for problem, detail in NATIONAL_ID_PROBLEMS.items()}
_REFUSED_BY_ISSUANCE = WithDetail(_("The issuance service refused this line:"))


# Why a class failed as a whole (Batch.Failure), as the console says it.
BATCH_FAILURES: Mapping[str, Promise] = {
    Batch.Failure.SUSPENDED: _SUSPENDED,
    Batch.Failure.UNREADABLE: _("The uploaded file could not be opened; the operator has been alerted."),
    Batch.Failure.UNAVAILABLE: _(
        "Stopped at line %(line)s: the service stayed unavailable through every retry. Hand in the "
        "same file again to finish it; nothing is issued twice."
    ),
    Batch.Failure.INTERNAL: _(
        "Stopped by an internal error at line %(line)s; the operator has been alerted."
    ),
}


# The same, for a class stopped before it reached a line (no line to name).
BATCH_FAILURES_BEFORE_ANY_LINE: Mapping[str, Promise] = {
    Batch.Failure.UNAVAILABLE: _(
        "Stopped before its first line: the service stayed unavailable through every retry. Hand in "
        "the same file again to finish it; nothing is issued twice."
    ),
    Batch.Failure.INTERNAL: _(
        "Stopped by an internal error before its first line; the operator has been alerted."
    ),
}


def batch_failure_in_words(batch: Batch) -> str:
    """Why a class failed as a whole, in the active language, with the line it stopped at; a
    batch that failed before its code was kept (or with a code without words) says its English
    reason."""
    if not batch.failure_line and batch.failure_code in BATCH_FAILURES_BEFORE_ANY_LINE:
        return str(BATCH_FAILURES_BEFORE_ANY_LINE[batch.failure_code])
    words = BATCH_FAILURES.get(batch.failure_code)
    if words is None:
        return batch.failure_reason
    return str(words) % {"line": batch.failure_line}


def row_in_words(code: str, reason: str) -> str:
    """A refused line's ``code`` and English ``reason`` in the active language; a code without
    words (a refusal of the issuance service added later) keeps its English reason, marked."""
    if code == "invalid-national-id" and reason in _PROBLEM_OF_DETAIL:
        return str(NATIONAL_ID_WORDS[_PROBLEM_OF_DETAIL[reason]])
    known = ROW_REFUSALS.get(code)
    if known is None:
        return code_in_words(code, reason, {code: _REFUSED_BY_ISSUANCE})
    if known.pattern is None:
        return str(known.words)
    match = known.pattern.fullmatch(reason)
    if match is None:  # written before the reason had this shape: the words without the value
        return code_in_words(code, reason, {})
    return str(known.words) % match.groupdict()
