"""Every code a batch line (or the console's one-credential form) can be refused with has words
in the issuer console (vault.portal.refusals.ROW_REFUSALS), in every language; the API and the
report keep the English reason.

The codes are read from the code that writes them, not listed again here: the code given to
``RowError(line, column, code, reason)`` and to ``refuse(column, code, reason)`` in
vault.batchcsv and vault.batches, and the codes of the errors whose ``exc.code`` becomes a line's.
A new code without words fails here.
"""

import ast
from pathlib import Path

import pytest
from django.utils import translation

from accounts.errors import CitizenNotFound, InvalidNationalId
from accounts.identity import NATIONAL_ID_PROBLEMS, normalise_national_id
from vault.batchcsv import Row, check_row, layout_of
from vault.portal.refusals import NATIONAL_ID_WORDS, ROW_REFUSALS, row_in_words

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("vault/batchcsv.py", "vault/batches.py")
LANGUAGES = ("nl", "fr", "de")
# A line's code taken from an error (``exc.code``): an unknown citizen, a malformed number, and
# the issuance service's refusals of a line the console can name (others keep their English).
CODES_OF_ERRORS = {
    CitizenNotFound.code,
    InvalidNationalId.code,
    "invalid-credential",
    "unknown-credential-type",
    "no-signing-key",
    "organisation-suspended",
}


def written_codes() -> set[str]:
    codes = set(CODES_OF_ERRORS)
    for module in MODULES:
        for node in ast.walk(ast.parse((ROOT / module).read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            position = {"RowError": 2, "refuse": 1}.get(node.func.id)
            if position is None or len(node.args) <= position:
                continue
            code = node.args[position]
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                codes.add(code.value)
    return codes


def test_the_scan_finds_the_codes_it_should():
    assert {"wrong-field-count", "required", "invalid-date", "duplicate-row", "integrity-failure"} <= (
        written_codes()
    )


def test_every_code_a_line_can_be_refused_with_has_words():
    assert sorted(written_codes() - set(ROW_REFUSALS)) == []


def test_the_table_holds_no_code_nothing_writes():
    assert sorted(set(ROW_REFUSALS) - written_codes()) == []


def test_every_problem_of_a_national_number_has_words():
    assert sorted(set(NATIONAL_ID_PROBLEMS) ^ set(NATIONAL_ID_WORDS)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_row_refusal_is_translated(language):
    table = {code: known.words for code, known in ROW_REFUSALS.items()} | dict(NATIONAL_ID_WORDS)
    for code, words in table.items():
        with translation.override("en"):
            english = str(words)
        with translation.override(language):
            assert str(words) != english, (language, code)


HEADER = ["national_id", "given_name", "family_name", "degree_type", "degree_name", "awarded_on"]


def _refusals(*cells: str):
    _, errors = check_row(HEADER, Row(2, list(cells)), layout_of("DiplomaCredential"))
    return errors


def test_the_reasons_with_values_are_said_with_them():
    (count,) = _refusals("BE:85073003328", "An")
    (choice,) = [
        e
        for e in _refusals("BE:85073003328", "An", "P", "Nope", "Laws", "2025-06-30")
        if e.column == "degree_type"
    ]
    (long,) = _refusals("BE:85073003328", "An", "P", "MasterDegree", "L" * 201, "2025-06-30")
    with translation.override("nl"):
        assert row_in_words(count.code, count.reason) == (
            "Deze regel heeft 2 velden, maar regel 1 noemt 6 kolommen."
        )
        assert "BachelorDegree, MasterDegree" in row_in_words(choice.code, choice.reason)
        assert row_in_words(long.code, long.reason) == "Dit is langer dan 200 tekens."
        assert row_in_words("duplicate-row", "repeats line 4") == (
            "Deze regel herhaalt regel 4: dezelfde burger en dezelfde waarden."
        )


def test_a_malformed_number_is_said_with_what_is_wrong():
    for problem, written in (("bad-characters", "BE:85!07"), ("bad-length", "BE:850")):
        with pytest.raises(InvalidNationalId) as refused:
            normalise_national_id(written)
        with translation.override("fr"):
            assert row_in_words(refused.value.code, refused.value.detail) == str(NATIONAL_ID_WORDS[problem])


def test_a_code_without_words_keeps_its_english_reason_marked_as_english():
    with translation.override("de"):
        said = row_in_words("invalid-proof", "The proof is not valid")
    assert 'lang="en">The proof is not valid</span>' in said
    with translation.override("de"):
        # A reason written before it had the shape its words read: English, marked.
        assert 'lang="en"' in row_in_words("duplicate-row", "repeats an earlier line")
