"""The credential types this service issues and holds: the registry, one entry per type.

A new type is one entry here, plus its context (vc/contexts, pinned in the manifest) and the
JSON Schema of its subject (vc/schemas, pinned likewise). Issuance, verification, access
requests, batch CSVs, the API's list of types and the portal all read this entry.
"""

from dataclasses import dataclass
from typing import Any

from .errors import UnknownCredentialType
from .jsonld import CREDENTIALS_V2, EDUCATION_V1, GOOD_CONDUCT_V1, LANGUAGE_V1
from .schemas import DIPLOMA_SUBJECT_SCHEMA, GOOD_CONDUCT_SUBJECT_SCHEMA, LANGUAGE_SUBJECT_SCHEMA


def _(message: str) -> str:
    """Marks an English word for the portal's translation catalogues (makemessages extracts
    ``_("...")``); the portal translates it when it shows it. vc itself stays free of Django."""
    return message


@dataclass(frozen=True)
class Claim:
    """One claim of a type's credentialSubject: where it sits, what people call it, how a
    batch CSV gives it, and what kind of value it holds."""

    pointer: str  # a JSON pointer into credentialSubject, e.g. "/degree/name"
    label: str  # what a person calls it (English; the portal translates)
    column: str  # its column in a batch CSV
    kind: str = "text"  # text | date | choice | boolean | list (of choices, ";"-separated in CSV)
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CredentialType:
    """Everything about one credential type, in one place: its name and words for people, the
    contexts that define its terms, the pinned JSON Schema its subject must meet (whether or not
    a credential names it in credentialSchema), and its claims (what a requester may ask for,
    and the batch CSV columns)."""

    name: str
    display_name: str
    description: str
    contexts: tuple[str, ...]
    subject_schema: str | None = None
    claims: tuple[Claim, ...] = ()
    # The claims that tell one credential of this type from another in a list ("Master of
    # Laws"), as JSON pointers into credentialSubject, joined by a space when several.
    title_claims: tuple[str, ...] = ()
    # JSON pointers into the credential to what its claim is (the claim object's type): always
    # disclosed with an ecdsa-sd-2023 derived proof, beside BASE_MANDATORY_POINTERS.
    claim_type_pointers: tuple[str, ...] = ()

    @property
    def requestable_claims(self) -> tuple[str, ...]:
        """The JSON pointers into credentialSubject that a requester may ask for."""
        return tuple(claim.pointer for claim in self.claims)


_NAMES = (
    Claim("/givenName", _("Given name"), "given_name", required=True),
    Claim("/familyName", _("Family name"), "family_name", required=True),
)
DEGREE_TYPES = ("BachelorDegree", "MasterDegree", "DoctoralDegree", "ProfessionalQualification")
EXTRACT_TYPES = ("general", "work-with-minors")
CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
LANGUAGE_SKILLS = ("listening", "reading", "speaking", "writing")
# What people call the choices above (CEFR levels are called by their codes everywhere).
CHOICE_LABELS = {
    "BachelorDegree": _("Bachelor's degree"),
    "MasterDegree": _("Master's degree"),
    "DoctoralDegree": _("Doctorate"),
    "ProfessionalQualification": _("Professional qualification"),
    "general": _("General extract"),
    "work-with-minors": _("Extract for work with minors"),
    "listening": _("Listening"),
    "reading": _("Reading"),
    "speaking": _("Speaking"),
    "writing": _("Writing"),
}

CREDENTIAL_TYPES: dict[str, CredentialType] = {
    t.name: t
    for t in [
        CredentialType(
            name="DiplomaCredential",
            display_name=_("Diploma"),
            description="A degree or diploma awarded by an accredited institution.",
            contexts=(CREDENTIALS_V2, EDUCATION_V1),
            subject_schema=DIPLOMA_SUBJECT_SCHEMA,
            claim_type_pointers=("/credentialSubject/degree/type",),
            claims=(
                *_NAMES,
                Claim("/degree/type", _("Kind of degree"), "degree_type", "choice", True, DEGREE_TYPES),
                Claim("/degree/name", _("Degree"), "degree_name", required=True),
                Claim("/awardedOn", _("Awarded on"), "awarded_on", "date", required=True),
                Claim("/fieldOfStudy", _("Field of study"), "field_of_study"),
                Claim("/qualificationLevel", _("Qualification level"), "qualification_level"),
                Claim("/grade", _("Grade"), "grade"),
            ),
            title_claims=("/degree/name",),
        ),
        CredentialType(
            name="GoodConductCertificate",
            display_name=_("Certificate of good conduct"),
            description=(
                "An extract from the criminal record, issued by the register that keeps it: whether "
                "convictions are recorded, for general use or for work with minors."
            ),
            contexts=(CREDENTIALS_V2, GOOD_CONDUCT_V1),
            subject_schema=GOOD_CONDUCT_SUBJECT_SCHEMA,
            # The kind of extract (general, work with minors) says what "no convictions" covers.
            claim_type_pointers=("/credentialSubject/extractType",),
            claims=(
                *_NAMES,
                Claim("/birthDate", _("Date of birth"), "birth_date", "date", required=True),
                Claim("/extractType", _("Kind of extract"), "extract_type", "choice", True, EXTRACT_TYPES),
                Claim(
                    "/convictionsRecorded", _("Convictions recorded"), "convictions_recorded", "boolean", True
                ),
                Claim("/extractDate", _("Date of the extract"), "extract_date", "date", required=True),
                Claim("/legalBasis", _("Legal basis"), "legal_basis"),
            ),
            title_claims=("/extractType",),
        ),
        CredentialType(
            name="LanguageCertificate",
            display_name=_("Language certificate"),
            description="A language proficiency assessed by a training provider, on the CEFR scale.",
            contexts=(CREDENTIALS_V2, LANGUAGE_V1),
            subject_schema=LANGUAGE_SUBJECT_SCHEMA,
            claims=(
                *_NAMES,
                Claim("/language", _("Language"), "language", required=True),
                Claim(
                    "/proficiencyLevel", _("Level (CEFR)"), "proficiency_level", "choice", True, CEFR_LEVELS
                ),
                Claim("/skills", _("Skills assessed"), "skills", "list", choices=LANGUAGE_SKILLS),
                Claim("/examName", _("Examination"), "exam_name"),
                Claim("/assessedOn", _("Assessed on"), "assessed_on", "date", required=True),
            ),
            title_claims=("/language", "/proficiencyLevel"),
        ),
    ]
}

# Contexts an issuer may use in what we sign. The W3C examples context is shipped (the
# official test vectors need it) but never signed by us: its @vocab would make any misspelt
# property "defined" and so signed without meaning.
ISSUABLE_CONTEXTS = frozenset(
    {
        CREDENTIALS_V2,
        *(context for credential_type in CREDENTIAL_TYPES.values() for context in credential_type.contexts),
        "https://www.w3.org/ns/credentials/status/v1",
        "https://w3id.org/security/data-integrity/v2",
    }
)


# What a disclosed (ecdsa-sd-2023 derived) credential always shows, when the credential has it:
# who issued it, what it is, when it holds, where its status is, and whom it is about.
BASE_MANDATORY_POINTERS = (
    "/issuer",
    "/type",
    "/validFrom",
    "/validUntil",
    "/credentialStatus",
    "/credentialSubject/id",
)


def mandatory_pointers(document: dict[str, Any]) -> list[str]:
    """The ecdsa-sd-2023 mandatory pointers of ``document``: BASE_MANDATORY_POINTERS and the
    claim type pointers of its registered types, only those that name something in it."""
    wanted = [
        *BASE_MANDATORY_POINTERS,
        *(
            p
            for credential_type in registered_types_of(document)
            for p in credential_type.claim_type_pointers
        ),
    ]
    present = [_whole_if_only_id(document, p) for p in wanted if names_something(document, p)]
    return list(dict.fromkeys(present))


def _whole_if_only_id(document: Any, pointer: str) -> str:
    """``/x/id`` of an object holding nothing but its id names the object itself: JSON-LD compacts
    such an object to its id, and selective disclosure reads the pointer that way (vc.dataintegrity.sd)."""
    parent, _, last = pointer.rpartition("/")
    if last != "id" or not parent:
        return pointer
    node = document
    for token in parent.split("/")[1:]:
        node = (
            node[int(token)] if isinstance(node, list) else node[token.replace("~1", "/").replace("~0", "~")]
        )
    return parent if isinstance(node, dict) and set(node) == {"id"} else pointer


def names_something(document: Any, pointer: str) -> bool:
    """Whether the JSON Pointer ``pointer`` (RFC 6901) names a value in ``document``."""
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


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
