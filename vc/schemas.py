"""JSON Schemas shipped with the service, pinned by SHA-256, for ``credentialSchema`` checks.

``vc/schemas/manifest.json`` maps each schema's URL to its file and digest, like the
JSON-LD contexts. Schemas are never fetched: a ``credentialSchema`` naming any other URL cannot be
checked offline, and callers report it as unchecked rather than valid. Validation is JSON Schema
Draft 2020-12 (``jsonschema``), formats asserted, ``$ref`` resolved only among pinned schemas.
"""

import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import ShippedFileInvalid

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"

DIPLOMA_SUBJECT_SCHEMA = "https://w3id.org/citizen-vault/schemas/diploma-credential-subject/v1"
GOOD_CONDUCT_SUBJECT_SCHEMA = "https://w3id.org/citizen-vault/schemas/good-conduct-certificate-subject/v1"
LANGUAGE_SUBJECT_SCHEMA = "https://w3id.org/citizen-vault/schemas/language-certificate-subject/v1"


@dataclass(frozen=True)
class PinnedSchema:
    url: str
    filename: str
    sha256: str
    document: dict[str, Any]


@dataclass(frozen=True)
class SchemaViolation:
    """One failed keyword: where in the instance (JSON pointer, relative) and why."""

    pointer: str
    message: str


def _load_pinned_schemas() -> dict[str, PinnedSchema]:
    manifest = json.loads((SCHEMAS_DIR / "manifest.json").read_text())
    pinned = {}
    for url, entry in manifest["schemas"].items():
        raw = (SCHEMAS_DIR / entry["file"]).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise ShippedFileInvalid(
                f"Schema file {entry['file']} does not match its pinned SHA-256 "
                f"({digest} != {entry['sha256']}); refusing to start."
            )
        document = json.loads(raw)
        if document.get("$id") != url:
            raise ShippedFileInvalid(
                f"Schema file {entry['file']} has $id {document.get('$id')!r}, not {url}."
            )
        try:
            Draft202012Validator.check_schema(document)
        except SchemaError as exc:
            raise ShippedFileInvalid(
                f"Schema file {entry['file']} is not a valid JSON Schema: {exc.message}"
            ) from exc
        pinned[url] = PinnedSchema(url, entry["file"], digest, document)
    return pinned


SCHEMAS: dict[str, PinnedSchema] = _load_pinned_schemas()

# Only pinned schemas resolve; referencing never retrieves anything it was not given.
_REGISTRY: Registry = Registry().with_resources(
    (url, Resource.from_contents(schema.document, default_specification=DRAFT202012))
    for url, schema in SCHEMAS.items()
)


def pinned_schema(url: Any) -> PinnedSchema | None:
    """The shipped schema with this URL, or None when it is not available offline."""
    return SCHEMAS.get(url) if isinstance(url, str) else None


# jsonschema quotes the failing value in its message; a refusal names it, it does not echo a
# whole submitted subtree back.
MAX_MESSAGE_LENGTH = 240


def _message(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_LENGTH else text[: MAX_MESSAGE_LENGTH - 1] + "…"


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


@functools.cache
def _validator(url: str) -> Draft202012Validator:
    """One validator per pinned schema, made once: every credential of a registered type meets one."""
    return Draft202012Validator(
        SCHEMAS[url].document, registry=_REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def schema_violations(
    schema: PinnedSchema, instance: Any, *, partial: bool = False
) -> Iterator[SchemaViolation]:
    """Every way ``instance`` breaks ``schema`` (Draft 2020-12, formats asserted), in document order.

    ``partial``: ``instance`` is what a holder disclosed of a conforming value, so a missing
    required member is not a violation; everything present is held to the schema."""
    validator = (
        _validator(schema.url)
        if SCHEMAS.get(schema.url) is schema
        else Draft202012Validator(
            schema.document, registry=_REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    )
    errors = sorted(
        (e for e in validator.iter_errors(instance) if not (partial and e.validator == "required")),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    for error in errors:
        pointer = "".join(f"/{_escape(part)}" for part in error.absolute_path)
        yield SchemaViolation(pointer, _message(error.message))
