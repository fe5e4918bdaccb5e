"""The credential types this service issues and holds, and the contexts that define them."""

from dataclasses import dataclass
from typing import Any

from .datamodel import types_of
from .errors import UnknownCredentialType
from .jsonld import CREDENTIALS_V2, EDUCATION_V1


@dataclass(frozen=True)
class CredentialType:
    name: str
    description: str
    contexts: tuple[str, ...]


CREDENTIAL_TYPES: dict[str, CredentialType] = {
    t.name: t
    for t in [
        CredentialType(
            name="DiplomaCredential",
            description="A degree or diploma awarded by an accredited institution.",
            contexts=(CREDENTIALS_V2, EDUCATION_V1),
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
