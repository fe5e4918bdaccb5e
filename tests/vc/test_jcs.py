"""The JCS fast path gives exactly rfc8785's bytes, or defers to it."""

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import VECTORS
from vc import jcs

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
credential_like = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(max_codepoint=127), max_size=8), children, max_size=5
        )
    ),
    max_leaves=30,
)


def _reference(value):
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        return type(exc)


def _ours(value):
    try:
        return jcs.canonicalize(value)
    except rfc8785.CanonicalizationError as exc:
        return type(exc)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_equals_rfc8785_on_any_json(value):
    assert _ours(value) == _reference(value)


@settings(max_examples=400, deadline=None)
@given(credential_like)
def test_equals_rfc8785_where_the_fast_path_applies(value):
    assert jcs._fast_path_applies(value)
    assert _ours(value) == _reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, None, '\u0000\u001f"\\\b\t\n\f\r\u007f\u2028é😀']},
        {"€": 1, "a": 2, "😀": 3, "\ue000": 4},  # non-ASCII keys: UTF-16 order, via rfc8785
        {"n": 2**53, "m": -(2**53), "f": 1e21, "g": 0.1, "z": -0.0},
        ["\ud800"],  # a lone surrogate is refused by both
    ],
    ids=["escapes", "non-ascii keys", "numbers", "lone surrogate"],
)
def test_edge_cases_agree_with_rfc8785(value):
    assert _ours(value) == _reference(value)


def test_reproduces_the_eddsa_jcs_2022_vector():
    folder = VECTORS / "vc-di-eddsa"
    unsigned = json.loads((folder / "unsigned.json").read_text())
    expected = (folder / "eddsa-jcs-2022" / "canonDocJCS.txt").read_text()
    assert jcs.canonicalize(unsigned).decode("utf-8") == expected
