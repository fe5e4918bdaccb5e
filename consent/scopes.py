"""Field scopes: which claims of which credential types a request asks for and a grant allows.

On the wire, a scope is a list in the shape of RFC 9396 ``authorization_details``::

    [{"type": "credential", "credentialType": "DiplomaCredential",
      "claims": ["/credentialSubject/degree/name", "/credentialSubject/awardedOn"]}]

one entry per credential type; ``claims`` are JSON pointers into the credential (so the same
strings a selectively disclosed credential is derived with), each one the registry
(vc.types) lists as requestable for that type, spelled exactly as it lists it. An entry without
``claims`` asks for the whole credential. Stored, a scope is the sorted list of types and a map
from each field-scoped type to its sorted pointers (``Scope``); a type absent from the map is whole.

Personal documents (vault.documents.DOCUMENT_TYPES) are named the same way, whole, one entry
per document type::

    [{"type": "document", "documentType": "cv"}]

A document entry holds no ``claims``: a document is shared whole or not at all. Stored, the
document types are a sorted list beside the credential types (``Scope.document_types``).

Anything else is refused by name: an unknown type, a pointer that is not requestable, another
spelling of one that is (``~1`` escapes, a trailing slash), an object that holds claims
(``/credentialSubject/degree``), the same pointer or type twice.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vault.documents import DOCUMENT_TYPES
from vc.types import CREDENTIAL_TYPES, Claim, CredentialType

DETAIL_TYPE = "credential"  # the authorization_details "type" of an entry (RFC 9396 §2)
DOCUMENT_DETAIL_TYPE = "document"  # an entry naming a type of personal document
DETAIL_TYPES = (DETAIL_TYPE, DOCUMENT_DETAIL_TYPE)
SUBJECT = "/credentialSubject"
MAX_DETAILS = 20


def claims_of(credential_type: CredentialType) -> dict[str, Claim]:
    """The pointers a requester may ask for in a credential of this type, each with its claim."""
    return {SUBJECT + claim.pointer: claim for claim in credential_type.claims}


@dataclass(frozen=True)
class Scope:
    """Credential types, and for those scoped to fields, the pointers of the claims (sorted);
    document types (sorted), each shared whole."""

    credential_types: tuple[str, ...]
    claims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    document_types: tuple[str, ...] = ()

    @classmethod
    def stored(
        cls,
        credential_types: list[str],
        claims: Mapping[str, list[str]] | None,
        document_types: list[str] | None = None,
    ) -> "Scope":
        return cls(
            tuple(credential_types),
            {name: tuple(p) for name, p in (claims or {}).items()},
            tuple(document_types or ()),
        )

    def claims_json(self) -> dict[str, list[str]]:
        return {name: list(pointers) for name, pointers in sorted(self.claims.items())}

    def pointers_for(self, credential_type: str) -> tuple[str, ...] | None:
        """The pointers allowed for this type, or None when the whole credential is."""
        return self.claims.get(credential_type)

    def authorization_details(self) -> list[dict[str, Any]]:
        details = []
        for name in self.credential_types:
            entry: dict[str, Any] = {"type": DETAIL_TYPE, "credentialType": name}
            if name in self.claims:
                entry["claims"] = list(self.claims[name])
            details.append(entry)
        details.extend({"type": DOCUMENT_DETAIL_TYPE, "documentType": name} for name in self.document_types)
        return details

    def in_words(self) -> list[tuple[str, list[str] | None]]:
        """Per type, its name for people and the labels of its claims (None: the whole credential)."""
        words: list[tuple[str, list[str] | None]] = []
        for name in self.credential_types:
            credential_type = CREDENTIAL_TYPES.get(name)
            display = credential_type.display_name if credential_type else name
            pointers = self.claims.get(name)
            if pointers is None:
                words.append((display, None))
                continue
            known = claims_of(credential_type) if credential_type else {}
            order = list(known)  # the registry's order, as people read a credential
            in_order = sorted(pointers, key=lambda p: order.index(p) if p in known else len(order))
            words.append((display, [known[p].label if p in known else p for p in in_order]))
        return words

    def documents_in_words(self) -> list[Any]:
        """The document types' names for people (lazily translated), in the scope's order."""
        return [
            DOCUMENT_TYPES[name].label if name in DOCUMENT_TYPES else name for name in self.document_types
        ]


def _token(step: str | int) -> str:
    """A JSON pointer reference token (RFC 6901: "~" and "/" escaped)."""
    return str(step).replace("~", "~0").replace("/", "~1")


class ScopeErrors(Exception):
    """What is wrong with a scope: (where, reason) pairs, ``where`` the steps into the list."""

    def __init__(self, prefix: str, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = problems
        self.errors = [(prefix + "".join(f"/{_token(s)}" for s in where), why) for where, why in problems]
        super().__init__("; ".join(f"{where}: {why}" for where, why in self.errors))

    def nested(self) -> dict[str, Any] | list[str]:
        """The errors as DRF nests them ({"0": {"claims": {"1": [reason]}}}), so a 400 names
        each by pointer; a list of reasons when they are about the whole list."""
        whole = [why for where, why in self.problems if not where]
        if whole:
            return whole
        tree: dict[str, Any] = {}
        for where, why in self.problems:
            node = tree
            for step in where[:-1]:
                child = node.setdefault(_token(step), {})
                if not isinstance(child, dict):  # a reason about a node that also has others inside
                    child = node[_token(step)] = {"": child}
                node = child
            leaf = node.setdefault(_token(where[-1]), [])
            (leaf if isinstance(leaf, list) else leaf.setdefault("", [])).append(why)
        return tree


Problems = list[tuple[tuple[str | int, ...], str]]


def _claim_problems(name: str, claims: Any, where: tuple[str | int, ...]) -> tuple[list[str], Problems]:
    requestable = claims_of(CREDENTIAL_TYPES[name])
    if not isinstance(claims, list) or not claims:
        return [], [(where, "Give at least one claim, or leave claims out to ask for the whole credential.")]
    if len(claims) > len(requestable):
        return [], [(where, f"A {name} has {len(requestable)} claims to ask for; this names more.")]
    problems: Problems = []
    seen: list[str] = []
    for index, pointer in enumerate(claims):
        at = (*where, index)
        if not isinstance(pointer, str):
            problems.append((at, "A claim is a JSON pointer, as a string."))
        elif pointer not in requestable:
            problems.append(
                (
                    at,
                    f"{pointer!r} is not a claim that may be asked for in a {name}; "
                    f"ask for some of: {', '.join(requestable)}.",
                )
            )
        elif pointer in seen:
            problems.append((at, f"{pointer} is named twice."))
        else:
            seen.append(pointer)
    return seen, problems


def _document_problems(entry: dict[str, Any], at: tuple[str | int, ...], documents: list[str]) -> Problems:
    """What is wrong with a document entry (its ``type`` already checked); adds its type to
    ``documents`` when nothing is."""
    problems: Problems = [
        ((*at, member), "Unknown member (a document entry has: documentType, type).")
        for member in sorted(set(entry) - {"type", "documentType"})
        if member != "claims"
    ]
    if "claims" in entry:
        problems.append(((*at, "claims"), "A document is shared whole: a document entry has no claims."))
    name = entry.get("documentType")
    if not isinstance(name, str) or name not in DOCUMENT_TYPES:
        problems.append(
            (
                (*at, "documentType"),
                f"{name!r} is not a document type this service knows "
                f"(supported: {', '.join(sorted(DOCUMENT_TYPES))}).",
            )
        )
    elif name in documents:
        problems.append(((*at, "documentType"), f"{name} has an entry already; give one per type."))
    elif not problems:
        documents.append(name)
    return problems


def parse_authorization_details(details: Any, where: str = "/authorizationDetails") -> Scope:
    """The scope an ``authorization_details`` list asks for; raises ScopeErrors naming every problem."""
    if not isinstance(details, list) or not details:
        raise ScopeErrors(where, [((), "Give a list of at least one credential or document entry.")])
    if len(details) > MAX_DETAILS:
        raise ScopeErrors(where, [((), f"At most {MAX_DETAILS} entries.")])
    problems: Problems = []
    types: list[str] = []
    documents: list[str] = []
    claims: dict[str, tuple[str, ...]] = {}
    for index, entry in enumerate(details):
        at: tuple[str | int, ...] = (index,)
        if not isinstance(entry, dict):
            problems.append((at, "Each entry is a JSON object."))
            continue
        if entry.get("type") == DOCUMENT_DETAIL_TYPE:
            problems.extend(_document_problems(entry, at, documents))
            continue
        for member in sorted(set(entry) - {"type", "credentialType", "claims"}):
            problems.append(((*at, member), "Unknown member (accepted: claims, credentialType, type)."))
        if entry.get("type") != DETAIL_TYPE:
            problems.append(
                ((*at, "type"), f"The type of an entry is {DETAIL_TYPE!r} or {DOCUMENT_DETAIL_TYPE!r}.")
            )
        name = entry.get("credentialType")
        if not isinstance(name, str) or name not in CREDENTIAL_TYPES:
            problems.append(
                (
                    (*at, "credentialType"),
                    f"{name!r} is not a credential type this service knows "
                    f"(supported: {', '.join(sorted(CREDENTIAL_TYPES))}).",
                )
            )
            continue
        if name in types:
            problems.append(((*at, "credentialType"), f"{name} has an entry already; give one per type."))
            continue
        types.append(name)
        if "claims" in entry:
            pointers, claim_problems = _claim_problems(name, entry["claims"], (*at, "claims"))
            problems.extend(claim_problems)
            claims[name] = tuple(sorted(pointers))
    if problems:
        raise ScopeErrors(where, problems)
    return Scope(tuple(sorted(types)), claims, tuple(sorted(documents)))


def whole(credential_types: list[str]) -> Scope:
    """A scope of whole credentials (types already checked against the registry)."""
    return Scope(tuple(sorted(set(credential_types))))


def narrowed(asked: Scope, approved: Scope) -> list[str]:
    """Why ``approved`` is not a narrowing of ``asked`` ([] when it is): no type that was not
    asked for, and per type no claim that was not (a whole credential asked for may be narrowed
    to any of its requestable claims; claims asked for may not be widened to the whole), and no
    document type that was not asked for."""
    problems = [
        f"{name} was not asked for." for name in approved.document_types if name not in asked.document_types
    ]
    for name in approved.credential_types:
        if name not in asked.credential_types:
            problems.append(f"{name} was not asked for.")
            continue
        wanted, given = asked.pointers_for(name), approved.pointers_for(name)
        if wanted is None:
            continue
        if given is None:
            problems.append(f"Only some claims of {name} were asked for, not the whole credential.")
        elif extra := sorted(set(given) - set(wanted)):
            problems.append(f"{', '.join(extra)} of {name}: not asked for.")
    return problems
