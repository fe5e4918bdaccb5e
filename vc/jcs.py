"""RFC 8785 JSON Canonicalization Scheme (JCS), with a fast path for the JSON credentials hold.

``rfc8785`` implements the whole scheme in pure Python: ECMAScript number formatting, keys
ordered by UTF-16 code units, and its string escaping. For JSON made only of objects whose keys
are ASCII, arrays, strings, booleans, null and integers of magnitude at most 2**53, RFC 8785's
output is exactly that of the standard library's C encoder with sorted keys, no whitespace and
no ASCII escaping: ASCII keys sort the same by code point and by UTF-16 unit, such integers print
the same in ECMAScript, and both escape exactly ``"``, ``\\`` and the control characters
(``\\b \\t \\n \\f \\r`` by name, the rest as lower-case ``\\u00xx``). Anything else (a float, a
non-ASCII key, a huge integer) goes to ``rfc8785``. tests/credentials/test_jcs.py checks the
two agree on generated JSON.
"""

import json
from typing import Any

import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1

_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _fast_path_applies(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) or item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            return False
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, str) or not key.isascii():
                    return False
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            return False
    return True


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises rfc8785.CanonicalizationError (or its subclasses) for what JSON cannot hold, such as
    NaN, or a string with a lone surrogate.
    """
    if _fast_path_applies(value):
        try:
            return _encoder.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 report it
    return rfc8785.dumps(value)
