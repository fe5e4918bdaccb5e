"""DID documents (DID Core 1.0, Controlled Identifiers 1.0): the part we resolve keys from: Ed25519,
P-256 and P-384 Multikeys (z6Mk…, zDn…, z82…) and Ed25519VerificationKey2020.

A document is checked as a whole (its id is the DID, method ids are unique and belong to the DID,
every relationship reference points at a method it defines); a single method we cannot use (an
X25519 key agreement key, a JsonWebKey, a key controlled by someone else) does not spoil the rest,
but asking for it gives the reason.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import DidDocumentInvalid, UnresolvableKey
from .multikey import PublicKey, multikey_to_public_key, multikey_to_verification_key

VERIFICATION_RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)
# Both carry a multicodec-prefixed base58btc publicKeyMultibase: a Multikey an Ed25519 (z6Mk…),
# P-256 (zDn…) or P-384 (z82…) key, an Ed25519VerificationKey2020 an Ed25519 key only.
MULTIKEY = "Multikey"
ED25519_2020 = "Ed25519VerificationKey2020"
METHOD_TYPES = frozenset({MULTIKEY, ED25519_2020})


@dataclass(frozen=True)
class VerificationMethod:
    id: str
    type: str
    controller: str
    public_key: PublicKey | None
    unusable_because: str = ""


@dataclass(frozen=True)
class DidDocument:
    id: str
    methods: Mapping[str, VerificationMethod]
    relationships: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def public_key(self, method_id: str, *, purpose: str | None = None) -> PublicKey:
        """The key of ``method_id`` (Ed25519, P-256 or P-384), which must be listed under ``purpose``
        when one is given.

        Raises UnresolvableKey naming the method and what is wrong with it.
        """
        check_purpose(purpose)
        method = self.methods.get(method_id)
        if method is None:
            raise UnresolvableKey(
                f"The DID document of {self.id} has no verification method {method_id}.",
                verificationMethod=method_id,
            )
        if purpose is not None and method_id not in self.relationships.get(purpose, frozenset()):
            raise UnresolvableKey(
                f"{method_id} is not listed under {purpose} in the DID document of {self.id}.",
                verificationMethod=method_id,
            )
        if method.public_key is None:
            raise UnresolvableKey(f"{method_id}: {method.unusable_because}", verificationMethod=method_id)
        return method.public_key


def check_purpose(purpose: str | None) -> None:
    if purpose is not None and purpose not in VERIFICATION_RELATIONSHIPS:
        raise UnresolvableKey(
            f"{purpose!r} is not a verification relationship; expected one of "
            f"{', '.join(VERIFICATION_RELATIONSHIPS)}."
        )


def parse_did_document(did: str, document: object) -> DidDocument:
    """Check ``document`` as the DID document of ``did`` and index its methods and relationships.

    Raises DidDocumentInvalid naming the first thing that is wrong.
    """
    if not isinstance(document, dict):
        raise DidDocumentInvalid(f"The DID document of {did} is not a JSON object.", did=did)
    if document.get("id") != did:
        raise DidDocumentInvalid(
            f"The DID document's id is {document.get('id')!r}, not the DID {did} it was resolved for.",
            did=did,
        )
    controller = document.get("controller", did)
    if not (isinstance(controller, str) or _is_list_of(controller, str)):
        raise DidDocumentInvalid(f"The DID document of {did} has a controller that is not a DID or a list.")
    methods: dict[str, VerificationMethod] = {}

    def add(entry: object, where: str) -> str:
        method = _parse_method(did, entry, where)
        if method.id in methods:
            raise DidDocumentInvalid(f"The DID document of {did} defines {method.id} twice.", did=did)
        methods[method.id] = method
        return method.id

    entries = document.get("verificationMethod", [])
    if not isinstance(entries, list):
        raise DidDocumentInvalid(f"The DID document of {did} has a verificationMethod that is not a list.")
    for index, entry in enumerate(entries):
        add(entry, f"verificationMethod[{index}]")

    relationships: dict[str, frozenset[str]] = {}
    references: list[tuple[str, str]] = []
    for name in VERIFICATION_RELATIONSHIPS:
        items = document.get(name, [])
        if not isinstance(items, list):
            raise DidDocumentInvalid(f"The DID document of {did} has a {name} that is not a list.", did=did)
        ids = set()
        for index, item in enumerate(items):
            where = f"{name}[{index}]"
            if isinstance(item, str):
                method_id = _absolute(did, item)
                if method_id.startswith(did + "#"):  # a key of another DID is never resolved from here
                    references.append((method_id, where))
                    ids.add(method_id)
            elif isinstance(item, dict):
                ids.add(add(item, where))
            else:
                raise DidDocumentInvalid(
                    f"{where} in the DID document of {did} is neither a reference nor a method.", did=did
                )
        relationships[name] = frozenset(ids)
    for method_id, where in references:
        if method_id not in methods:
            raise DidDocumentInvalid(
                f"{where} in the DID document of {did} refers to {method_id}, which it does not define.",
                did=did,
            )
    return DidDocument(id=did, methods=methods, relationships=relationships)


def _is_list_of(value: object, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


def _absolute(did: str, reference: str) -> str:
    return did + reference if reference.startswith("#") else reference


def _parse_method(did: str, entry: object, where: str) -> VerificationMethod:
    if not isinstance(entry, dict):
        raise DidDocumentInvalid(f"{where} in the DID document of {did} is not an object.", did=did)
    raw_id, kind, controller = entry.get("id"), entry.get("type"), entry.get("controller")
    if not isinstance(raw_id, str) or not raw_id:
        raise DidDocumentInvalid(f"{where} in the DID document of {did} has no id.", did=did)
    method_id = _absolute(did, raw_id)
    if not method_id.startswith(did + "#") or method_id == did + "#":
        raise DidDocumentInvalid(
            f"{where} in the DID document of {did} has the id {raw_id!r}, not a fragment of the DID.",
            did=did,
        )
    if not isinstance(kind, str) or not isinstance(controller, str):
        raise DidDocumentInvalid(f"{method_id} needs a type and a controller, both strings.", did=did)
    return VerificationMethod(
        method_id, kind, controller, *_method_key(did, method_id, kind, controller, entry)
    )


def _method_key(
    did: str, method_id: str, kind: str, controller: str, entry: Mapping[str, Any]
) -> tuple[PublicKey | None, str]:
    if kind not in METHOD_TYPES:
        return None, f"type {kind} is not supported (only {', '.join(sorted(METHOD_TYPES))})."
    if controller != did:
        # Honouring a key controlled by another DID would need that DID's document too.
        return None, f"the key is controlled by {controller}, not by {did}."
    multibase = entry.get("publicKeyMultibase")
    if not isinstance(multibase, str):
        raise DidDocumentInvalid(f"{method_id} ({kind}) has no publicKeyMultibase.", did=did)
    try:
        if kind == MULTIKEY:
            return multikey_to_verification_key(multibase), ""
        return multikey_to_public_key(multibase), ""
    except UnresolvableKey as exc:
        wanted = "an Ed25519, P-256 or P-384" if kind == MULTIKEY else "an Ed25519"
        return None, f"publicKeyMultibase is not {wanted} public key ({exc.detail})"
