"""The cryptosuites: how each turns a document and a proof into the 64 bytes Ed25519 signs.

All three hash the same way (VC DI EdDSA 1.0 §3.2.4, §3.3.4, App. A):
``sha256(canonical proof config) ‖ sha256(canonical document)``, where the proof config is the
proof without ``proofValue`` and with the document's ``@context``. They differ in how they
canonicalize and in which proofs they accept:

- ``eddsa-rdfc-2022``: RDFC-1.0 N-Quads from strict JSON-LD (vc.jsonld), so a term that
  would not be signed is refused, never silently dropped.
- ``eddsa-jcs-2022``: RFC 8785 JSON (the ``rfc8785`` package); every byte of the JSON is signed,
  but the data model still requires every term to be defined: the document is held to the same
  strict JSON-LD expansion as for eddsa-rdfc-2022 (its verdict cached by the JCS bytes' digest).
- ``Ed25519Signature2020``: the legacy suite (App. A), verify-only: RDFC-1.0, its own proof
  ``type`` and no ``cryptosuite``, ``created`` required, and the ed25519-2020 context.
"""

import hashlib
import threading
from typing import Any, ClassVar

import rfc8785
from cachetools import LRUCache

from .. import jcs
from ..errors import JsonLdInvalid, NotCanonicalizable, ProofInvalid, ProofOptionsInvalid
from ..jsonld import canonicalize, check_contexts, check_property_names, expand_strict

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


class Cryptosuite:
    """One way of securing a document. ``name`` is the cryptosuite (or the legacy proof type);
    ``canonicalization`` names the document transformation, so a document canonicalized once
    serves every proof of a set that uses the same one."""

    name: ClassVar[str]
    proof_type: ClassVar[str] = DATA_INTEGRITY_PROOF
    canonicalization: ClassVar[str] = "RDFC-1.0"
    can_sign: ClassVar[bool] = True
    # eddsa-jcs-2022 puts the document's @context into the proof it creates (§3.3.1).
    proof_carries_context: ClassVar[bool] = False

    def check_proof(self, proof: dict[str, Any]) -> None:
        """The suite's own rules on a proof's type, cryptosuite and required members.

        Raises ProofInvalid.
        """
        if proof.get("type") != self.proof_type:
            raise ProofInvalid(f"A {self.name} proof must have type {self.proof_type!r}.", rule="type")
        if proof.get("cryptosuite") != self.name:
            raise ProofInvalid(f"The proof's cryptosuite must be {self.name!r}.", rule="cryptosuite")

    def check_document(self, document: dict[str, Any]) -> None:
        """Rules on the secured document beyond what its canonicalization refuses."""

    def canonicalize(self, data: dict[str, Any]) -> bytes:
        """RDFC-1.0 N-Quads from strict JSON-LD; raises UnknownContext, UndefinedTerm, JsonLdInvalid."""
        return canonicalize(data).encode("utf-8")

    def proof_config(self, document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
        """The proof options as signed: without ``proofValue``, with the document's ``@context``."""
        config = {key: value for key, value in proof.items() if key != "proofValue"}
        config["@context"] = document["@context"]
        return config

    def hash(self, canonical_config: bytes, canonical_document: bytes) -> bytes:
        """The 64 bytes signed: the proof-config hash FIRST, then the document hash."""
        return hashlib.sha256(canonical_config).digest() + hashlib.sha256(canonical_document).digest()


class EddsaRdfc2022(Cryptosuite):
    """eddsa-rdfc-2022 (VC DI EdDSA 1.0 §3.2)."""

    name = "eddsa-rdfc-2022"


# Documents that passed strict expansion, by the SHA-256 of their JCS bytes. The verdict depends
# on the JSON alone (the contexts are shipped and pinned, nothing is fetched), and JCS bytes name
# one JSON value (1 and 1.0 print alike, and no rule of expand_strict tells them apart); only
# passes are kept, so a refused document is expanded, and refused, every time.
_STRICTLY_EXPANDED: LRUCache = LRUCache(maxsize=4096)
_STRICTLY_EXPANDED_LOCK = threading.Lock()


class EddsaJcs2022(Cryptosuite):
    """eddsa-jcs-2022 (VC DI EdDSA 1.0 §3.3): RFC 8785 JSON, every term defined all the same."""

    name = "eddsa-jcs-2022"
    canonicalization = "JCS"
    proof_carries_context = True

    def check_document(self, document: dict[str, Any]) -> None:
        """Contexts first (cheap), then strict JSON-LD expansion, as eddsa-rdfc-2022 does when it
        canonicalizes: an undefined term is refused, signing or verifying. Raises UnknownContext,
        UndefinedTerm, JsonLdInvalid or NotCanonicalizable."""
        check_shipped_contexts(document)
        digest = hashlib.sha256(self.canonicalize(document)).digest()
        with _STRICTLY_EXPANDED_LOCK:
            if digest in _STRICTLY_EXPANDED:
                return
        expand_strict(document)
        with _STRICTLY_EXPANDED_LOCK:
            _STRICTLY_EXPANDED[digest] = True

    def canonicalize(self, data: dict[str, Any]) -> bytes:
        """RFC 8785 bytes; raises NotCanonicalizable (e.g. an integer beyond IEEE 754 precision)."""
        try:
            return jcs.canonicalize(data)
        except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
            raise NotCanonicalizable(f"The JSON cannot be canonicalized with RFC 8785: {exc}") from exc


class Ed25519Signature2020Suite(Cryptosuite):
    """The legacy Ed25519Signature2020 (VC DI EdDSA 1.0 App. A): verify-only, for credentials
    still in circulation. Its proof has its own type, no cryptosuite, and must be dated."""

    name = "Ed25519Signature2020"
    proof_type = "Ed25519Signature2020"
    can_sign = False

    def check_proof(self, proof: dict[str, Any]) -> None:
        if proof.get("type") != self.proof_type:
            raise ProofInvalid(f"A {self.name} proof must have type {self.proof_type!r}.", rule="type")
        if "cryptosuite" in proof:
            raise ProofInvalid(
                "An Ed25519Signature2020 proof has no 'cryptosuite'; it is not a DataIntegrityProof.",
                rule="cryptosuite",
            )
        if "created" not in proof:
            raise ProofInvalid("An Ed25519Signature2020 proof must carry 'created'.", rule="created")

    def check_document(self, document: dict[str, Any]) -> None:
        contexts = document.get("@context")
        if ED25519_2020_CONTEXT not in (contexts if isinstance(contexts, list) else [contexts]):
            raise ProofInvalid(
                f"A document secured with Ed25519Signature2020 must use the context {ED25519_2020_CONTEXT}.",
                rule="@context",
            )


SUITES: dict[str, Cryptosuite] = {
    suite.name: suite for suite in (EddsaRdfc2022(), EddsaJcs2022(), Ed25519Signature2020Suite())
}
SUPPORTED_CRYPTOSUITES: tuple[str, ...] = tuple(name for name, suite in SUITES.items() if suite.can_sign)
VERIFIABLE_CRYPTOSUITES: tuple[str, ...] = tuple(SUITES)


def suite_for_signing(name: Any) -> Cryptosuite:
    """The suite to create a proof with; raises ProofOptionsInvalid for unknown or verify-only ones."""
    suite = SUITES.get(name) if isinstance(name, str) else None
    if suite is None or not suite.can_sign:
        raise ProofOptionsInvalid(
            f"{name!r} is not a cryptosuite this service signs with.",
            supportedCryptosuites=list(SUPPORTED_CRYPTOSUITES),
        )
    return suite


def suite_of(proof: dict[str, Any]) -> Cryptosuite:
    """The suite a proof declares: its ``cryptosuite`` for a DataIntegrityProof, else its ``type``.

    Raises ProofInvalid when that names no suite this service verifies.
    """
    proof_type = proof.get("type")
    if proof_type == DATA_INTEGRITY_PROOF:
        name = proof.get("cryptosuite")
        suite = SUITES.get(name) if isinstance(name, str) else None
        if suite is None or suite.proof_type != DATA_INTEGRITY_PROOF:
            raise ProofInvalid(
                f"The cryptosuite {name!r} is not one this service verifies.",
                rule="cryptosuite",
                supportedCryptosuites=list(SUPPORTED_CRYPTOSUITES),
            )
        return suite
    legacy = SUITES.get(proof_type) if isinstance(proof_type, str) else None
    if legacy is None or legacy.proof_type != proof_type:
        raise ProofInvalid(
            f"The proof type {proof_type!r} is not one this service verifies.",
            rule="type",
            supportedTypes=sorted({s.proof_type for s in SUITES.values()}),
        )
    return legacy


def check_shipped_contexts(document: dict[str, Any]) -> None:
    """Every ``@context`` entry, at any depth, is a context we ship or a safe inline context.

    The cheap half of strict JSON-LD, for eddsa-jcs-2022: JCS signs every JSON byte, so no
    expansion is needed, but a document naming an unknown context, or an inline context that
    changes how other terms are read, is refused as it is for eddsa-rdfc-2022
    (vc.jsonld.check_contexts). Raises UnknownContext or JsonLdInvalid.
    """
    if "@context" not in document:
        raise JsonLdInvalid("The document has no @context.", path="/@context")
    check_contexts(document)
    check_property_names(document)
