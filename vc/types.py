"""The credential types this service issues and holds, the contexts that define them, and the
JSON Schema their claims must meet."""

from dataclasses import dataclass
from typing import Any

from .errors import UnknownCredentialType
from .jsonld import CREDENTIALS_V2, EDUCATION_V1
from .schemas import DIPLOMA_SUBJECT_SCHEMA


@dataclass(frozen=True)
class CredentialType:
    name: str
    description: str
    contexts: tuple[str, ...]
    # The pinned schema (vc.schemas) every credentialSubject of this type must meet,
    # whether or not the credential names it in credentialSchema.
    subject_schema: str | None = None


CREDENTIAL_TYPES: dict[str, CredentialType] = {
    t.name: t
    for t in [
        CredentialType(
            name="DiplomaCredential",
            description="A degree or diploma awarded by an accredited institution.",
            contexts=(CREDENTIALS_V2, EDUCATION_V1),
            subject_schema=DIPLOMA_SUBJECT_SCHEMA,
        ),
    ]
}

# Contexts an issuer may use in what we sign. The W3C examples context is shipped (the
# official test vectors need it) but never signed by us: its @vocab would make any misspelt
# property "defined" and so signed without meaning.
ISSUABLE_CONTEXTS = frozenset(
    {
        CREDENTIALS_V2,
        EDUCATION_V1,
        "https://www.w3.org/ns/credentials/status/v1",
        "https://w3id.org/security/data-integrity/v2",
    }
)


def type_values(value: Any) -> list[Any] | None:
    """The values of a ``type`` property if they are one or more non-empty strings, else None."""
    types = value if isinstance(value, list) else [value]
    if not types or not all(isinstance(t, str) and t for t in types):
        return None
    return types


def types_of(node: dict[str, Any]) -> list[str]:
    """A node's types as a list (VCDM allows one type as a plain string), [] if malformed."""
    return type_values(node.get("type")) or []


def registered_types_of(document: dict[str, Any]) -> list[CredentialType]:
    """The registered types a credential is of: it names the type and uses every context that
    defines it (without them the same word would be some other vocabulary's term, or none)."""
    contexts = document.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    return [
        CREDENTIAL_TYPES[name]
        for name in types_of(document)
        if name in CREDENTIAL_TYPES and all(c in contexts for c in CREDENTIAL_TYPES[name].contexts)
    ]


def supported_type_names() -> list[str]:
    return sorted(CREDENTIAL_TYPES)


def check_type_name(name: Any) -> CredentialType:
    """The registered type with this name; raises UnknownCredentialType otherwise."""
    credential_type = CREDENTIAL_TYPES.get(name) if isinstance(name, str) else None
    if credential_type is None:
        raise UnknownCredentialType(
            f"{name!r} is not a credential type this service knows.",
            supportedTypes=supported_type_names(),
        )
    return credential_type


def credential_type_of(document: dict[str, Any]) -> CredentialType:
    """The single registered type a credential declares besides VerifiableCredential.

    Raises UnknownCredentialType when there is none, or more than one.
    """
    declared = [t for t in types_of(document) if t != "VerifiableCredential"]
    known = [t for t in declared if t in CREDENTIAL_TYPES]
    if len(known) != 1:
        raise UnknownCredentialType(
            f"The credential's types {declared} name no single supported credential type.",
            supportedTypes=supported_type_names(),
        )
    return CREDENTIAL_TYPES[known[0]]
