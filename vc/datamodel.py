"""VC Data Model shape rules that JSON-LD alone does not enforce.

``validate_credential`` and ``validate_presentation`` check a document against VCDM 2.0 or, when
its first context is the 1.1 one, VCDM 1.1 (the W3C Data Integrity test suites still issue 1.1
credentials). Each violation is reported with a JSON pointer to where it is and the section of the
Recommendation it breaks; all violations are collected before raising, so an issuer fixes its
payload in one round trip.

Whether each context is shipped and each term defined is the JSON-LD layer's job
(``vc.jsonld.expand_strict``); this module checks the JSON shape. What cannot be checked
offline (a ``credentialSchema`` or ``relatedResource`` we do not ship) is not an error of the data
model: it is returned in the ``ValidationReport`` as unchecked, never passed silently.
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeGuard

import base58

from .errors import CredentialInvalid, Invalid, PresentationInvalid
from .jsonld import CONTEXTS, CREDENTIALS_V2, is_absolute_iri
from .schemas import pinned_schema, schema_violations
from .types import registered_types_of, type_values

CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"

_DATETIME_STAMP = re.compile(
    r"^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d+)?(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)$"
)
# BCP 47, as far as a well-formedness check needs: what JSON-LD writes into the signed form.
_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_LANGUAGE_VALUE_KEYS = frozenset({"@value", "@language", "@direction"})

# Subresource Integrity hash algorithms (SRI §3.2) and their digest sizes.
_SRI_DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
# Multihash codes (multicodec table) of the digests Data Integrity §2.6 allows, with their sizes.
_MULTIHASHES = {
    0x12: ("sha256", 32),
    0x20: ("sha384", 48),
    0x13: ("sha512", 64),
    0x16: ("sha3_256", 32),
    0x15: ("sha3_384", 48),
    0x14: ("sha3_512", 64),
}


def is_url(value: Any) -> TypeGuard[str]:
    """A single absolute URL (scheme, no whitespace): what VCDM calls a URL and JSON-LD signs."""
    return is_absolute_iri(value)


def parse_datetime_stamp(value: Any) -> datetime | None:
    """An XML Schema dateTimeStamp (timezone required) as an aware datetime, or None."""
    if not isinstance(value, str) or not _DATETIME_STAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- what validation returns --------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A check beyond the shape rules: done ("valid"), or impossible offline ("unchecked")."""

    path: str
    kind: Literal["credentialSchema", "relatedResource"]
    target: str
    outcome: Literal["valid", "unchecked"]
    reason: str = ""

    def __str__(self) -> str:
        what = "schema" if self.kind == "credentialSchema" else "digest"
        return f"{self.path}: {what} {self.target}: {self.outcome}" + (
            f" ({self.reason})" if self.reason else ""
        )


@dataclass(frozen=True)
class ValidationReport:
    """A document that passed: the rule set applied, and what was (or could not be) checked further."""

    rules: str
    checks: tuple[Check, ...] = ()

    @property
    def unchecked(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.outcome == "unchecked")

    @property
    def fully_checked(self) -> bool:
        return not self.unchecked


# --- rule sets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    name: str
    base_context: str
    sections: dict[str, str]

    def __getitem__(self, concept: str) -> str:
        return f"{self.name} §{self.sections[concept]}"


VCDM_2_0 = _Rules(
    "VCDM 2.0",
    CREDENTIALS_V2,
    {
        "contexts": "4.3 Contexts",
        "identifiers": "4.4 Identifiers",
        "types": "4.5 Types",
        "names": "4.6 Names and Descriptions",
        "issuer": "4.7 Issuer",
        "subject": "4.8 Credential Subject",
        "validity": "4.9 Validity Period",
        "status": "4.10 Status",
        "schemas": "4.11 Data Schemas",
        "securing": "4.12 Securing Mechanisms",
        "presentations": "4.13 Verifiable Presentations",
        "enveloped": "4.13.1 Enveloped Verifiable Credentials",
        "related": "5.3 Integrity of Related Resources",
        "refresh": "5.4 Refreshing",
        "terms": "5.5 Terms of Use",
        "evidence": "5.6 Evidence",
    },
)
VCDM_1_1 = _Rules(
    "VCDM 1.1",
    CREDENTIALS_V1,
    {
        "contexts": "4.1 Contexts",
        "identifiers": "4.2 Identifiers",
        "types": "4.3 Types",
        "subject": "4.4 Credential Subject",
        "issuer": "4.5 Issuer",
        "issuance": "4.6 Issuance Date",
        "securing": "4.7 Proofs (Signatures)",
        "expiration": "4.8 Expiration",
        "status": "4.9 Status",
        "presentations": "4.10 Presentations",
        "schemas": "5.4 Data Schemas",
        "refresh": "5.5 Refreshing",
        "terms": "5.6 Terms of Use",
        "evidence": "5.7 Evidence",
    },
)


def _rules_for(doc: dict[str, Any]) -> _Rules:
    """1.1 only when its context comes first; anything else is held to 2.0 (and fails there)."""
    contexts = doc.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    return VCDM_1_1 if first == CREDENTIALS_V1 else VCDM_2_0


# --- collecting violations ----------------------------------------------------------------------


def _pointer(base: str, *parts: str | int) -> str:
    return base + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []
        self.checks: list[Check] = []

    def add(self, path: str, rule: str, detail: str) -> None:
        self.errors.append({"path": path, "rule": rule, "detail": detail})

    def merge(self, other: "_Collector", prefix: str) -> None:
        """Take in another document's findings, their paths rebased under ``prefix``."""
        for error in other.errors:
            self.errors.append({**error, "path": prefix + error["path"]})
        for check in other.checks:
            self.checks.append(
                Check(prefix + check.path, check.kind, check.target, check.outcome, check.reason)
            )

    def raise_if_any(self, rules: _Rules, error: type[Invalid]) -> ValidationReport:
        if self.errors:
            summary = "; ".join(f"{e['path'] or '/'}: {e['detail']}" for e in self.errors)
            raise error(summary, errors=self.errors)
        return ValidationReport(rules.name, tuple(self.checks))


def _entries(doc: dict[str, Any], key: str) -> list[tuple[str, Any]]:
    """A property's values with their paths: one value, or each item of a list."""
    value = doc[key]
    if isinstance(value, list):
        return [(_pointer("", key, index), item) for index, item in enumerate(value)]
    return [(_pointer("", key), value)]


# --- single rules -------------------------------------------------------------------------------


def _check_contexts(errors: _Collector, doc: dict[str, Any], rules: _Rules) -> None:
    contexts = doc.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != rules.base_context:
        errors.add(
            "/@context",
            rules["contexts"],
            f"@context must be a list whose first item is {rules.base_context}.",
        )
        return
    for index, entry in enumerate(contexts[1:], start=1):
        if isinstance(entry, dict):
            continue
        if not is_url(entry):
            errors.add(
                f"/@context/{index}",
                rules["contexts"],
                "Each further context must be a URL or a context object.",
            )


def _check_id(errors: _Collector, holder: dict[str, Any], path: str, rules: _Rules) -> None:
    if "id" in holder and not is_url(holder["id"]):
        errors.add(path + "/id", rules["identifiers"], "An id must be a single URL.")


def _check_type(
    errors: _Collector, holder: dict[str, Any], path: str, rule: str, *, required: str | None = None
) -> list[Any]:
    if "type" not in holder:
        errors.add(
            path + "/type", rule, f"type is required{f' and must include {required!r}' if required else ''}."
        )
        return []
    types = type_values(holder["type"])
    if types is None:
        errors.add(path + "/type", rule, "type must be one or more non-empty strings (terms or URLs).")
        return []
    if required and required not in types:
        errors.add(path + "/type", rule, f"type must include {required!r}.")
    return types


def _check_typed_objects(
    errors: _Collector, doc: dict[str, Any], key: str, rules: _Rules, concept: str, *, id_required: bool
) -> list[tuple[str, dict[str, Any]]]:
    """Objects that must each have a type (status, schema, evidence, ...); returns the well-formed ones."""
    if key not in doc:
        return []
    if doc[key] == []:
        errors.add(f"/{key}", rules[concept], f"{key} must be one or more objects; leave it out otherwise.")
    objects = []
    for path, item in _entries(doc, key):
        if not isinstance(item, dict):
            errors.add(path, rules[concept], f"Each {key} must be an object.")
            continue
        _check_type(errors, item, path, rules[concept])
        if "id" in item and not is_url(item["id"]):
            errors.add(path + "/id", rules[concept], "The id must be a single URL.")
        elif id_required and "id" not in item:
            errors.add(path + "/id", rules[concept], f"Each {key} must have an id.")
        objects.append((path, item))
    return objects


def _check_language_strings(errors: _Collector, holder: dict[str, Any], path: str, rules: _Rules) -> None:
    """§4.6: name and description are strings or language value objects, one or several."""
    for key in ("name", "description"):
        if key not in holder:
            continue
        if holder[key] == []:
            errors.add(f"{path}/{key}", rules["names"], f"{key} must be a string or language value objects.")
        for item_path, item in _entries(holder, key):
            item_path = path + item_path
            if isinstance(item, str):
                continue
            if not isinstance(item, dict) or not isinstance(item.get("@value"), str):
                errors.add(
                    item_path,
                    rules["names"],
                    f"{key} must be a string or a language value object with a string @value.",
                )
                continue
            if extra := sorted(set(item) - _LANGUAGE_VALUE_KEYS):
                errors.add(
                    item_path,
                    rules["names"],
                    f"A language value object holds only @value, @language and @direction, not {extra}.",
                )
            if "@language" in item and not (
                isinstance(item["@language"], str) and _LANGUAGE_TAG.match(item["@language"])
            ):
                errors.add(
                    item_path + "/@language", rules["names"], "@language must be a BCP 47 language tag."
                )
            if "@direction" in item and item["@direction"] not in ("ltr", "rtl"):
                errors.add(item_path + "/@direction", rules["names"], "@direction must be 'ltr' or 'rtl'.")


def _check_issuer(errors: _Collector, doc: dict[str, Any], rules: _Rules) -> None:
    issuer = doc.get("issuer")
    if isinstance(issuer, dict):
        if not is_url(issuer.get("id")):
            errors.add("/issuer/id", rules["issuer"], "An issuer object must have an id that is a URL.")
        if "names" in rules.sections:
            _check_language_strings(errors, issuer, "/issuer", rules)
    elif not is_url(issuer):
        errors.add("/issuer", rules["issuer"], "issuer must be a URL or an object whose id is a URL.")


def _check_subjects(errors: _Collector, doc: dict[str, Any], rules: _Rules) -> list[tuple[str, Any]]:
    subjects = doc.get("credentialSubject")
    if subjects is None or subjects == []:
        errors.add("/credentialSubject", rules["subject"], "credentialSubject is required.")
        return []
    entries = _entries(doc, "credentialSubject")
    for path, subject in entries:
        if not isinstance(subject, dict) or not subject:
            # A subject's id alone is a claim (the credential is about it); an empty object is none.
            errors.add(path, rules["subject"], "Each subject must be an object making at least one claim.")
        elif "id" in subject and not is_url(subject["id"]):
            errors.add(path + "/id", rules["identifiers"], "A subject id must be a single URL.")
    return entries


def _check_dates(
    errors: _Collector, doc: dict[str, Any], start: tuple[str, str], end: tuple[str, str]
) -> None:
    """Two optional dateTimeStamps, (property, rule) each; the end may not come before the start."""
    parsed: dict[str, datetime] = {}
    for key, rule in (start, end):
        if key not in doc:
            continue
        value = parse_datetime_stamp(doc[key])
        if value is None:
            errors.add(
                f"/{key}", rule, f"{key} must be an XML Schema dateTimeStamp, e.g. 2026-01-01T00:00:00Z."
            )
        else:
            parsed[key] = value
    (start_key, _), (end_key, end_rule) = start, end
    if start_key in parsed and end_key in parsed and parsed[start_key] > parsed[end_key]:
        errors.add(f"/{end_key}", end_rule, f"{end_key} is before {start_key}.")


def _check_proofs(errors: _Collector, doc: dict[str, Any], rules: _Rules) -> None:
    if "proof" not in doc:
        return
    if doc["proof"] == [] or doc["proof"] is None:
        errors.add("/proof", rules["securing"], "proof must be one or more proof objects.")
        return
    for path, proof in _entries(doc, "proof"):
        if not isinstance(proof, dict):
            errors.add(path, rules["securing"], "Each proof must be an object.")
            continue
        _check_type(errors, proof, path, rules["securing"])
        if "id" in proof and not is_url(proof["id"]):
            errors.add(path + "/id", rules["securing"], "A proof id must be a single URL.")


# --- relatedResource (VCDM 2.0 §5.3) -------------------------------------------------------------


def _b64decode(text: str, *, urlsafe: bool) -> bytes | None:
    try:
        if urlsafe:
            if "=" in text:
                return None  # multibase 'u' is base64url without padding
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_digest_sri(value: Any) -> list[tuple[str, bytes]] | None:
    """SRI metadata (``sha384-<base64>``, space-separated for several) as (algorithm, digest), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    digests = []
    for expression in value.split():
        algorithm, _, rest = expression.partition("-")
        encoded = rest.split("?", 1)[0]  # SRI allows ?options after the digest
        digest = _b64decode(encoded, urlsafe=False) if algorithm in _SRI_DIGEST_SIZES else None
        if digest is None or len(digest) != _SRI_DIGEST_SIZES[algorithm]:
            return None
        digests.append((algorithm, digest))
    return digests


def parse_digest_multibase(value: Any) -> tuple[str, bytes] | None:
    """A multibase (``u`` base64url or ``z`` base58btc) multihash as (hashlib algorithm, digest), or None."""
    if not isinstance(value, str) or len(value) < 2:
        return None
    prefix, encoded = value[0], value[1:]
    raw: bytes | None
    if prefix == "u":
        raw = _b64decode(encoded, urlsafe=True)
    elif prefix == "z":
        try:
            raw = base58.b58decode(encoded)
        except ValueError:
            raw = None
    else:
        raw = None
    if raw is None or len(raw) < 2 or raw[0] not in _MULTIHASHES:
        return None
    algorithm, size = _MULTIHASHES[raw[0]]
    if raw[1] != size or len(raw) != 2 + size:
        return None
    return algorithm, raw[2:]


def _check_related_resources(errors: _Collector, doc: dict[str, Any], rules: _Rules) -> None:
    if "relatedResource" not in doc:
        return
    rule = rules["related"]
    if doc["relatedResource"] == []:
        errors.add("/relatedResource", rule, "relatedResource must be one or more objects.")
        return
    seen: set[str] = set()
    for path, resource in _entries(doc, "relatedResource"):
        if not isinstance(resource, dict):
            errors.add(path, rule, "Each relatedResource must be an object with an id and a digest.")
            continue
        resource_id = resource.get("id")
        if not is_url(resource_id):
            errors.add(path + "/id", rule, "Each relatedResource must have an id that is a URL.")
        elif resource_id in seen:
            errors.add(path + "/id", rule, f"{resource_id} is listed more than once.")
        else:
            seen.add(resource_id)
        if "mediaType" in resource and not (isinstance(resource["mediaType"], str) and resource["mediaType"]):
            errors.add(path + "/mediaType", rule, "mediaType must be a media type string.")
        if "digestSRI" not in resource and "digestMultibase" not in resource:
            errors.add(path, rule, "Each relatedResource must have a digestSRI or a digestMultibase.")
            continue
        digests: list[tuple[str, str, bytes]] = []  # (path, hashlib algorithm, digest)
        if "digestSRI" in resource:
            parsed_sri = parse_digest_sri(resource["digestSRI"])
            if parsed_sri is None:
                errors.add(
                    path + "/digestSRI",
                    rule,
                    "digestSRI must be SRI metadata: sha256-, sha384- or sha512- and the base64 digest.",
                )
            else:
                digests += [(path + "/digestSRI", algorithm, digest) for algorithm, digest in parsed_sri]
        if "digestMultibase" in resource:
            values = resource["digestMultibase"]
            for index, value in enumerate(values if isinstance(values, list) else [values]):
                value_path = path + "/digestMultibase" + (f"/{index}" if isinstance(values, list) else "")
                parsed_multibase = parse_digest_multibase(value)
                if parsed_multibase is None:
                    errors.add(
                        value_path,
                        rule,
                        "digestMultibase must be a multibase (u or z) multihash of a SHA-2 or SHA-3 digest.",
                    )
                else:
                    digests.append((value_path, *parsed_multibase))
        _compare_digests(errors, path, resource_id, digests, rule)


def _compare_digests(
    errors: _Collector, path: str, resource_id: Any, digests: list[tuple[str, str, bytes]], rule: str
) -> None:
    """Digests of a context we ship are checked against its real bytes; others cannot be, offline."""
    if not digests or not is_url(resource_id):
        return
    shipped = CONTEXTS.get(resource_id)
    if shipped is None:
        errors.checks.append(
            Check(path, "relatedResource", resource_id, "unchecked", "resource not available offline")
        )
        return
    matches = True
    for digest_path, algorithm, digest in digests:
        actual = hashlib.new(algorithm, shipped.raw).digest()
        if actual != digest:
            matches = False
            errors.add(
                digest_path,
                rule,
                f"The {algorithm} digest does not match the resource {resource_id} (its {algorithm} "
                f"is {base64.b64encode(actual).decode()} in base64).",
            )
    if matches:
        errors.checks.append(Check(path, "relatedResource", resource_id, "valid"))


# --- credentialSchema (VCDM 2.0 §4.11, VC JSON Schema) ------------------------------------------


def _check_schemas(
    errors: _Collector,
    schemas: list[tuple[str, dict[str, Any]]],
    subjects: list[tuple[str, Any]],
    rule: str,
    *,
    partial: bool = False,
) -> set[str]:
    """Check the subjects against each declared credentialSchema we pin; returns their URLs.
    ``partial`` (a disclosure): a required claim may be missing."""
    checked: set[str] = set()
    for path, declared in schemas:
        schema_id = declared.get("id")
        types = type_values(declared.get("type")) or []
        if not is_url(schema_id) or not types:
            continue  # already reported as a shape error
        if "JsonSchemaCredential" in types and "JsonSchema" not in types:
            # We pin schemas, not schema credentials: the schema is inside a credential we cannot fetch.
            errors.checks.append(
                Check(path, "credentialSchema", schema_id, "unchecked", "not available offline")
            )
            continue
        if "JsonSchema" not in types:
            errors.checks.append(
                Check(path, "credentialSchema", schema_id, "unchecked", f"type {types} is not validated here")
            )
            continue
        schema = pinned_schema(schema_id)
        if schema is None:
            errors.checks.append(
                Check(path, "credentialSchema", schema_id, "unchecked", "not available offline")
            )
            continue
        checked.add(schema_id)
        failed = False
        for subject_path, subject in subjects:
            for violation in schema_violations(schema, subject, partial=partial):
                failed = True
                errors.add(
                    subject_path + violation.pointer,
                    rule,
                    f"Does not conform to the schema {schema_id}: {violation.message}",
                )
        if not failed:
            errors.checks.append(Check(path, "credentialSchema", schema_id, "valid"))
    return checked


def _check_registered_claims(
    errors: _Collector,
    doc: dict[str, Any],
    subjects: list[tuple[str, Any]],
    checked: set[str],
    *,
    partial: bool = False,
) -> None:
    """A credential of a type we issue (vc.types) is held to that type's subject schema,
    whether or not it names it in credentialSchema: a diploma awarded on 2021-02-30 is refused
    at issuance and at verification. A schema its credentialSchema named is not checked twice.
    ``partial`` (a disclosure): a required claim may be missing."""
    for credential_type in registered_types_of(doc):
        schema = pinned_schema(credential_type.subject_schema)
        if schema is None or schema.url in checked:  # no schema: the JSON-LD terms are the rule
            continue
        checked.add(schema.url)
        for subject_path, subject in subjects:
            for violation in schema_violations(schema, subject, partial=partial):
                errors.add(
                    subject_path + violation.pointer,
                    f"{credential_type.name} claims ({schema.url})",
                    f"Not a valid {credential_type.name} claim: {violation.message}.",
                )


# --- documents ----------------------------------------------------------------------------------


_ALIASED_KEYWORDS = {"@id": ("id", "identifiers"), "@type": ("type", "types")}


def _check_aliased_keywords(errors: _Collector, node: Any, path: str, rules: _Rules) -> None:
    """Refuse ``@id`` and ``@type`` where the contexts alias them as ``id`` and ``type``.

    JSON-LD reads both spellings alike, so the signature covers either; but a reader of the JSON
    (``credential["credentialSubject"]["id"]``) would find nothing where the signed data names
    someone. One spelling, the one the data model uses, keeps reader and signature in step.
    """
    if isinstance(node, list):
        for index, item in enumerate(node):
            _check_aliased_keywords(errors, item, _pointer(path, index), rules)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                continue
            if key in _ALIASED_KEYWORDS:
                alias, section = _ALIASED_KEYWORDS[key]
                errors.add(_pointer(path, key), rules[section], f"Write '{alias}', not '{key}'.")
            _check_aliased_keywords(errors, value, _pointer(path, key), rules)


def _collect_credential(doc: dict[str, Any]) -> tuple[_Collector, _Rules]:
    errors = _Collector()
    rules = _rules_for(doc)
    _check_contexts(errors, doc, rules)
    _check_aliased_keywords(errors, {k: v for k, v in doc.items() if k != "proof"}, "", rules)
    _check_id(errors, doc, "", rules)
    _check_type(errors, doc, "", rules["types"], required="VerifiableCredential")
    if "names" in rules.sections:
        _check_language_strings(errors, doc, "", rules)
    _check_issuer(errors, doc, rules)
    subjects = _check_subjects(errors, doc, rules)

    if rules is VCDM_1_1:
        if "issuanceDate" not in doc:
            errors.add("/issuanceDate", rules["issuance"], "A VCDM 1.1 credential must have an issuanceDate.")
        _check_dates(
            errors, doc, ("issuanceDate", rules["issuance"]), ("expirationDate", rules["expiration"])
        )
    else:
        _check_dates(errors, doc, ("validFrom", rules["validity"]), ("validUntil", rules["validity"]))

    _check_typed_objects(errors, doc, "credentialStatus", rules, "status", id_required=rules is VCDM_1_1)
    schemas = _check_typed_objects(errors, doc, "credentialSchema", rules, "schemas", id_required=True)
    _check_typed_objects(errors, doc, "refreshService", rules, "refresh", id_required=rules is VCDM_1_1)
    _check_typed_objects(errors, doc, "termsOfUse", rules, "terms", id_required=False)
    _check_typed_objects(errors, doc, "evidence", rules, "evidence", id_required=False)
    _check_proofs(errors, doc, rules)
    if "related" in rules.sections:
        _check_related_resources(errors, doc, rules)
    valid_subjects = [(path, subject) for path, subject in subjects if isinstance(subject, dict)]
    partial = is_disclosure(doc)
    checked = _check_schemas(errors, schemas, valid_subjects, rules["schemas"], partial=partial)
    _check_registered_claims(errors, doc, valid_subjects, checked, partial=partial)
    return errors, rules


def is_disclosure(doc: dict[str, Any]) -> bool:
    """Whether ``doc`` is secured by an ecdsa-sd-2023 proof: then it shows what its holder chose to
    disclose, and the claims a schema requires may be undisclosed. Every claim it does show is
    still held to the schema (its type, format and values); the proof itself is the verifier's to
    check, and a base proof is refused there."""
    proof = doc.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    return any(isinstance(item, dict) and item.get("cryptosuite") == "ecdsa-sd-2023" for item in proofs)


def validate_credential(doc: Any) -> ValidationReport:
    """Check a credential (signed or not) against VCDM 2.0, or 1.1 when its first context is 1.1's.

    Raises CredentialInvalid listing every violation as {path, rule, detail}. Returns a report of
    the rule set applied and of the schema and digest checks done or impossible offline.
    """
    if not isinstance(doc, dict):
        raise CredentialInvalid("A credential must be a JSON object.", errors=[])
    errors, rules = _collect_credential(doc)
    return errors.raise_if_any(rules, CredentialInvalid)


def _check_enveloped(errors: _Collector, item: dict[str, Any], path: str, rules: _Rules) -> None:
    """§4.13.1: the credential travels inside a data: URL; here only the envelope's shape is checked."""
    rule = rules["enveloped"]
    contexts = item.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first != CREDENTIALS_V2:
        errors.add(
            path + "/@context", rule, f"An enveloped credential's first @context must be {CREDENTIALS_V2}."
        )
    identifier = item.get("id")
    if not (isinstance(identifier, str) and identifier.startswith("data:") and "," in identifier):
        errors.add(
            path + "/id", rule, "An enveloped credential's id must be a data: URL holding the credential."
        )


def validate_presentation(doc: Any) -> ValidationReport:
    """Check a presentation against VCDM 2.0 §4.13 (or 1.1 §4.10), and each credential it holds.

    Embedded credentials are validated in full, their violations reported under
    /verifiableCredential/N; enveloped ones (EnvelopedVerifiableCredential) only in shape. Raises
    PresentationInvalid with every violation; returns the report of the checks done or unchecked.
    """
    if not isinstance(doc, dict):
        raise PresentationInvalid("A presentation must be a JSON object.", errors=[])
    errors = _Collector()
    rules = _rules_for(doc)
    _check_contexts(errors, doc, rules)
    _check_id(errors, doc, "", rules)
    _check_type(errors, doc, "", rules["types"], required="VerifiablePresentation")

    if "holder" in doc:
        holder = doc["holder"]
        holder_id = holder.get("id") if isinstance(holder, dict) else holder
        if not is_url(holder_id):
            errors.add(
                "/holder" + ("/id" if isinstance(holder, dict) else ""),
                rules["presentations"],
                "holder must be a URL or an object whose id is a URL.",
            )

    if "verifiableCredential" in doc:
        if doc["verifiableCredential"] == []:
            errors.add(
                "/verifiableCredential",
                rules["presentations"],
                "verifiableCredential must be one or more credentials; leave it out when there are none.",
            )
        for path, item in _entries(doc, "verifiableCredential"):
            if not isinstance(item, dict):
                errors.add(
                    path,
                    rules["presentations"],
                    "Each verifiableCredential must be a credential object (not a string, number or URL); "
                    "wrap a secured credential of another format in an EnvelopedVerifiableCredential.",
                )
            elif "EnvelopedVerifiableCredential" in (type_values(item.get("type")) or []):
                _check_enveloped(errors, item, path, VCDM_2_0)
            else:
                inner, _ = _collect_credential(item)
                errors.merge(inner, path)

    _check_proofs(errors, doc, rules)
    return errors.raise_if_any(rules, PresentationInvalid)
