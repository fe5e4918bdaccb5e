"""Property tests of the strict JSON reader: it returns what was written, or refuses with a reason."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from core.parsers import MAX_DEPTH, loads_strict

# JSON values as Python reads them: finite floats, text without lone surrogates, unique keys.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=30,
)


@given(json_values)
def test_any_json_value_reads_back_as_written(value):
    assert loads_strict(json.dumps(value).encode()) == value
    assert loads_strict(json.dumps(value, ensure_ascii=False).encode()) == value


def read_or_refuse(raw: bytes) -> None:
    """Either a ParseError with a reason, or a value that writes back as strict UTF-8 JSON."""
    try:
        value = loads_strict(raw)
    except ParseError as exc:
        assert str(exc.detail)
        return
    written = json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    assert loads_strict(written) == value


@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_read_or_refused_with_a_parse_error(raw):
    read_or_refuse(raw)


# Bytes that look like JSON: the corner cases of numbers, escapes, literals and nesting.
JSON_TOKENS = [
    *['{"a":', '"k":', "[", "]", "{", "}", ",", ":", '"', "\\", "\\u0041", "\\ud800", "\\udc00"],
    *["-", "0", "9" * 50, "9" * 4400, ".5", "e-7", "1e999", "NaN", "Infinity", "true", "null", " ", "\u00e9"],
]
json_like = st.lists(st.sampled_from(JSON_TOKENS), max_size=40).map("".join)


@settings(max_examples=300)
@given(json_like)
def test_json_like_text_is_read_or_refused_with_a_parse_error(text):
    read_or_refuse(text.encode())


@given(st.integers(min_value=1, max_value=MAX_DEPTH + 3))
def test_nesting_is_refused_exactly_beyond_the_limit(depth):
    text = "[" * depth + "]" * depth
    try:
        loads_strict(text.encode())
    except ParseError:
        assert depth > MAX_DEPTH
    else:
        assert depth <= MAX_DEPTH
