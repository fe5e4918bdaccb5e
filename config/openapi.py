"""OpenAPI post-processing: document the problem+json errors every operation can return."""

from typing import Any

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details. `type` is stable; see docs/api.md for the list.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "reason": {"type": "string", "description": "Why the consent engine denied a read."},
        "errors": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": True},
            "description": "Per-field errors: {pointer, detail} or, for credentials, {path, rule, detail}.",
        },
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}

_ERRORS = {
    "400": "Malformed body or invalid fields",
    "401": "Missing, unknown, expired or revoked credentials",
    "403": "Not allowed for this account, or denied by the consent engine",
    "404": "Nothing there for you",
    "405": "Method not allowed",
    "409": "Conflicts with the current state",
    "411": "Content-Length required (uploads read as a stream)",
    "413": "Body too large",
    "415": "Unsupported media type",
    "422": "Content not acceptable (credential, JSON-LD, national identifier, narrowing)",
    "429": "Rate limited",
}
_BODYLESS = {"411", "413", "415"}


def add_problem_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            public_operation = operation.get("security") == [{}] or {} in operation.get("security", [])
            for code, description in _ERRORS.items():
                if code in _BODYLESS and "requestBody" not in operation:
                    continue
                if public_operation and code in {"401", "403"}:
                    continue
                response = operation["responses"].setdefault(code, {"description": description})
                # An operation may word an error itself (core.serializers.UNKNOWN_PARAMETER): its
                # body is still a problem document, unless it names another (OAuth's errors).
                response.setdefault("content", reference)
    return result
