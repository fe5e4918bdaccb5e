"""Free text that a person will read (a purpose, a denial reason, an organisation's name).

Text that renders differently from what it holds is refused: bidirectional overrides and
isolates (U+202E turns "…DROP TABLE x;-- ”live" around on screen), zero-width and other
invisible format characters, control characters, private-use and unassigned code points. A
citizen must read exactly what the requester wrote. Tabs and line breaks are allowed where the
text may span lines; ZWNJ and ZWJ (U+200C, U+200D) are allowed because scripts such as Persian
and the Indic ones need them to be spelt correctly, and they do not reorder text.
"""

import unicodedata

from django.core.exceptions import ValidationError

from .errors import Invalid

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
_JOINERS = frozenset({"\u200c", "\u200d"})
_LINE_BREAKS = frozenset({"\n", "\r", "\t"})


class HiddenCharacters(Invalid):
    code = "hidden-characters"
    title = "The text holds characters that hide or reorder what is shown"


def hidden_characters(value: str, *, multiline: bool = False) -> list[str]:
    """The refused code points of ``value``, each as "U+202E RIGHT-TO-LEFT OVERRIDE" (in order, once)."""
    found: list[str] = []
    for char in value:
        if char in _JOINERS or (multiline and char in _LINE_BREAKS):
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            described = f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"
            if described not in found:
                found.append(described)
    return found


def _explain(label: str, found: list[str]) -> str:
    return f"{label} holds characters that hide or reorder what a reader sees: {', '.join(found)}."


def check_plain_text(value: str, *, field: str, label: str, multiline: bool = False) -> str:
    """``value`` unchanged, or HiddenCharacters (422) naming ``field`` (a JSON pointer) and the characters."""
    found = hidden_characters(value, multiline=multiline)
    if found:
        detail = _explain(label, found)
        raise HiddenCharacters(detail, errors=[{"pointer": field, "detail": detail}], characters=found)
    return value


def validate_plain_text(value: str) -> None:
    """The same rule as a Django validator, for single-line model and form fields."""
    found = hidden_characters(value)
    if found:
        raise ValidationError(_explain("The text", found), code="hidden-characters")
