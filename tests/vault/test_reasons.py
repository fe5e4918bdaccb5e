"""Every reason code the access log can hold has words (vault.reasons), in every language.

The codes are read from the code that writes entries, not listed again here: a ``reason=`` given
to ``record``, ``append`` or ``Entry`` (a string, a choice of strings, or an f-string, whose
shape must be one of vault.reasons.SHAPED), and every refusal of the consent engine
(``Decision(False, code, ...)``, ``type_reason=``, ``field_reason=``), which consent.services logs
as the reason of a denied read. A new code without words fails here.
"""

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.utils import translation

from consent.errors import UnknownPurpose
from credentials.models import StatusReason
from vault import reasons
from vc.errors import UnknownCredentialType

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "consent", "core", "credentials", "inbox", "vault")
LOGGING_CALLS = {"record", "append", "Entry"}
LANGUAGES = ("nl", "fr", "de")

# Logged as ``exc.code`` of the error a read's arguments raise (consent.services._check_read_arguments),
# and as the reason an issuer gave a status change (vault.receivers, a StatusReason code).
CODES_OF_ERRORS = {UnknownCredentialType.code, UnknownPurpose.code, *StatusReason.values}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _shapes(node: ast.expr) -> set[str]:
    """The codes ``node`` may evaluate to, as far as it says so itself, each value of an f-string
    as {}: a string, an f-string, a choice (``a if c else b``) or a sum of these."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.JoinedStr):
        return {"".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)}
    if isinstance(node, ast.IfExp):
        return _shapes(node.body) | _shapes(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return {left + right for left in _shapes(node.left) for right in _shapes(node.right)}
    return set()


def logged_reasons() -> tuple[set[str], set[str]]:
    codes, shapes = set(CODES_OF_ERRORS), set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                found: list[ast.expr] = []
                if _name(node) in LOGGING_CALLS:
                    found += [k.value for k in node.keywords if k.arg == "reason"]
                refused = len(node.args) >= 2 and isinstance(node.args[0], ast.Constant)
                if _name(node) == "Decision" and refused and node.args[0].value is False:
                    found.append(node.args[1])
                found += [k.value for k in node.keywords if k.arg in {"type_reason", "field_reason"}]
                for expr in found:
                    for shape in _shapes(expr) - {""}:
                        (shapes if "{}" in shape else codes).add(shape)
    return codes, shapes


def test_the_scan_finds_the_codes_it_should():
    codes, shapes = logged_reasons()
    # One of each way a code is written: a refusal, a mandate's, a choice, the vault's, shapes.
    assert {"grant-revoked", "field-out-of-mandate", "summary", "json", "listed", "unanswered"} <= codes
    assert {
        "max-reads:{}",
        "due {}",
        "{} credentials, {} documents",
        "{} credentials, {} documents, {} signed requests checked",
    } <= shapes


def test_every_code_the_log_can_hold_has_words():
    codes, shapes = logged_reasons()
    assert sorted(codes - set(reasons.WORDS)) == []
    assert sorted(shapes - set(reasons.SHAPED)) == []


def test_the_table_holds_no_code_nothing_logs():
    codes, shapes = logged_reasons()
    assert sorted(set(reasons.WORDS) - codes) == []
    assert sorted(set(reasons.SHAPED) - shapes) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_is_translated(language):
    for code, words in reasons.WORDS.items():
        with translation.override("en"):
            english = str(words)
        with translation.override(language):
            assert str(words) != english, (language, code)


def test_codes_with_values_are_said_with_them():
    due = datetime(2026, 12, 10, 11, 5, tzinfo=UTC)
    with translation.override("nl"):
        assert reasons.in_words("max-reads:3") == "Hoogstens 3 inzages in totaal."
        assert reasons.in_words("max-reads:1") == "Hoogstens 1 inzage in totaal."
        assert reasons.in_words(f"due {due.isoformat().replace('+00:00', 'Z')}") == (
            "Wordt gewist op 10 december 2026 12:05 Brusselse tijd, tenzij u dat annuleert."
        )
        assert reasons.in_words("2 credentials, 1 documents") == "2 attesten, 1 document."
        assert reasons.in_words("1 credentials, 0 documents, 3 signed requests checked") == (
            "1 attest, 0 documenten, 3 ondertekende verzoeken gecontroleerd."
        )
    with translation.override("fr"):
        assert reasons.in_words("grant-revoked") == "Vous aviez révoqué cet accès."


def test_no_reason_says_nothing_and_an_unknown_one_stays_as_it_is():
    assert reasons.in_words("") == ""
    assert reasons.in_words("due whenever") == "due whenever"
    assert reasons.in_words("something-new") == "something-new"
