"""VC Data Model 2.0 shape rules that JSON-LD alone does not enforce.

Each violation is reported with a JSON pointer to where it is and the section of the
Recommendation it breaks; all violations are collected before raising, so an issuer fixes
its payload in one round trip.
"""

import re
from datetime import datetime
from typing import Any

from .errors import CredentialInvalid
from .jsonld import CREDENTIALS_V2, is_absolute_iri

_DATETIME_STAMP = re.compile(
    r"^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d+)?(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)$"
)


def is_url(value: Any) -> bool:
    return is_absolute_iri(value)


def parse_datetime_stamp(value: Any) -> datetime | None:
    """An XML Schema dateTimeStamp (timezone required) as an aware datetime, or None."""
    if not isinstance(value, str) or not _DATETIME_STAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class _Collector:
    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, path: str, rule: str, detail: str) -> None:
        self.errors.append({"path": path, "rule": rule, "detail": detail})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_typed_objects(errors: _Collector, doc: dict, key: str, rule: str, id_required: bool) -> None:
    if key not in doc:
        return
    for index, item in enumerate(_as_list(doc[key])):
        path = f"/{key}" + (f"/{index}" if isinstance(doc[key], list) else "")
        if not isinstance(item, dict):
            errors.add(path, rule, f"Each {key} must be an object.")
            continue
        if not item.get("type"):
            errors.add(path + "/type", rule, f"Each {key} must have a type.")
        if "id" in item and not is_url(item["id"]):
            errors.add(path + "/id", rule, "The id must be a URL.")
        elif id_required and "id" not in item:
            errors.add(path + "/id", rule, f"Each {key} must have an id.")


def validate_credential(doc: Any) -> None:
    """Check a credential (signed or not) against VCDM 2.0; raises CredentialInvalid with all errors."""
    errors = _Collector()
    if not isinstance(doc, dict):
        raise CredentialInvalid("A credential must be a JSON object.", errors=[])

    contexts = doc.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != CREDENTIALS_V2:
        errors.add(
            "/@context",
            "VCDM 2.0 §4.3 Contexts",
            f"@context must be a list whose first item is {CREDENTIALS_V2}.",
        )

    if "id" in doc and not is_url(doc["id"]):
        errors.add("/id", "VCDM 2.0 §4.4 Identifiers", "The credential id must be a single URL.")

    types = doc.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        errors.add(
            "/type",
            "VCDM 2.0 §4.5 Types",
            "type must be a list that includes 'VerifiableCredential'.",
        )
    elif not all(isinstance(t, str) and t for t in types):
        errors.add("/type", "VCDM 2.0 §4.5 Types", "Every type must be a non-empty string.")

    issuer = doc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not is_url(issuer_id):
        errors.add(
            "/issuer",
            "VCDM 2.0 §4.7 Issuer",
            "issuer must be a URL or an object whose id is a URL.",
        )

    subjects = doc.get("credentialSubject")
    if subjects is None or subjects == []:
        errors.add(
            "/credentialSubject",
            "VCDM 2.0 §4.8 Credential Subject",
            "credentialSubject is required.",
        )
    else:
        for index, subject in enumerate(_as_list(subjects)):
            path = "/credentialSubject" + (f"/{index}" if isinstance(subjects, list) else "")
            if not isinstance(subject, dict) or not subject:
                errors.add(
                    path,
                    "VCDM 2.0 §4.8 Credential Subject",
                    "Each subject must be a non-empty object.",
                )
            elif "id" in subject and not is_url(subject["id"]):
                errors.add(path + "/id", "VCDM 2.0 §4.8 Credential Subject", "A subject id must be a URL.")
            elif set(subject) <= {"id"}:
                errors.add(
                    path,
                    "VCDM 2.0 §4.8 Credential Subject",
                    "A subject must make at least one claim.",
                )

    valid_from = valid_until = None
    for key in ("validFrom", "validUntil"):
        if key in doc:
            parsed = parse_datetime_stamp(doc[key])
            if parsed is None:
                errors.add(
                    f"/{key}",
                    "VCDM 2.0 §4.9 Validity Period",
                    f"{key} must be an XML Schema dateTimeStamp, e.g. 2026-01-01T00:00:00Z.",
                )
            elif key == "validFrom":
                valid_from = parsed
            else:
                valid_until = parsed
    if valid_from and valid_until and valid_from > valid_until:
        errors.add("/validUntil", "VCDM 2.0 §4.9 Validity Period", "validUntil is before validFrom.")

    _check_typed_objects(errors, doc, "credentialStatus", "VCDM 2.0 §4.10 Status", False)
    _check_typed_objects(errors, doc, "credentialSchema", "VCDM 2.0 §4.11 Data Schemas", True)
    _check_typed_objects(errors, doc, "termsOfUse", "VCDM 2.0 §5.5 Terms of Use", False)
    _check_typed_objects(errors, doc, "evidence", "VCDM 2.0 §5.6 Evidence", False)
    _check_typed_objects(errors, doc, "refreshService", "VCDM 2.0 §5.4 Refreshing", False)

    if errors.errors:
        summary = "; ".join(f"{e['path']}: {e['detail']}" for e in errors.errors)
        raise CredentialInvalid(summary, errors=errors.errors)
