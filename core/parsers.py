"""JSON parsing for the API: bounded in size and nesting, strict about duplicates and NaN.

A signed document that two parsers read differently (duplicate keys, NaN) is a classic way to
make a verifier and a consumer disagree, so such bodies are refused rather than normalised.
"""

import json
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


def _depth(value: Any) -> int:
    depth, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        depth = max(depth, level)
        if depth > MAX_DEPTH:
            return depth
        if isinstance(node, dict):
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
        data = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ParseError(f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from exc
    except RecursionError as exc:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from exc
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
        return loads_strict(raw)


class BoundedJSONLDParser(BoundedJSONParser):
    """The same parser for JSON-LD bodies (credentials are often sent as application/ld+json)."""

    media_type = "application/ld+json"
