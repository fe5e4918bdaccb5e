"""JSON parsing for the API: bounded in size and nesting, strict about duplicates and NaN.

A signed document that two parsers read differently (duplicate keys, NaN) is a classic way to
make a verifier and a consumer disagree, so such bodies are refused rather than normalised.
"""

import json
import math
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from .problems import PayloadTooLarge

MAX_DEPTH = 64


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ParseError(f"Duplicate key {key!r} in JSON object.")
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise ParseError(f"{name} is not valid JSON.")


def _finite_float(text: str) -> float:
    # "1e999" is not a NaN/Infinity literal, but Python reads it as inf all the same.
    value = float(text)
    if not math.isfinite(value):
        raise ParseError(f"The number {text[:40]} is out of range.")
    return value


def _check_text(value: str) -> None:
    # A lone surrogate escape ("\ud800") parses, but is not Unicode text: it cannot be stored,
    # encoded or signed, so it would fail later, as a 500.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError("The JSON holds a lone surrogate escape, which is not Unicode text.") from exc


def _depth(value: Any) -> int:
    depth, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        depth = max(depth, level)
        if depth > MAX_DEPTH:
            return depth
        if isinstance(node, str):
            _check_text(node)
        elif isinstance(node, dict):
            for key in node:
                _check_text(key)
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return depth


def loads_strict(raw: bytes) -> Any:
    """Parse UTF-8 JSON bytes; raises ParseError with a reason on anything doubtful."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("The body is not UTF-8.") from exc
    try:
        data = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except json.JSONDecodeError as exc:
        raise ParseError(f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from exc
    except RecursionError as exc:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from exc
    except ValueError as exc:  # an integer literal longer than Python's int_max_str_digits
        raise ParseError("A number in the JSON has too many digits.") from exc
    if _depth(data) > MAX_DEPTH:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
    return data


class BoundedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The body is {declared} bytes; the limit is {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The body is larger than the limit of {limit} bytes.")
        if request is not None:
            # The bytes as sent, for a view that keeps them (a signed access request is kept
            # verbatim as evidence): read here, within the limit, not again from the stream.
            request.json_bytes = raw
        return loads_strict(raw)


class BoundedJSONLDParser(BoundedJSONParser):
    """The same parser for JSON-LD bodies (credentials are often sent as application/ld+json)."""

    media_type = "application/ld+json"
