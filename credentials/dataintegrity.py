"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (VC DI EdDSA 1.0, §3.2).

The bytes signed are ``sha256(canonical proof config) ‖ sha256(canonical document)``, where the
proof config is the proof without ``proofValue`` and with the document's ``@context``. The
canonical forms come from strict JSON-LD (credentials.jsonld), so a term that is not signed is
never accepted in the first place.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .datamodel import parse_datetime_stamp
from .dids import resolve_verification_method
from .errors import ProofInvalid, UnresolvableKey
from .jsonld import canonicalize
from .multikey import decode_multibase, encode_multibase

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


@dataclass(frozen=True)
class VerifiedProof:
    verification_method: str
    controller: str
    proof_purpose: str
    created: str | None


def utc_now_xsd() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """The 64 bytes an eddsa-rdfc-2022 signature covers (proof-config hash first)."""
    proof_hash = hashlib.sha256(canonicalize(proof_config).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonicalize(document).encode("utf-8")).digest()
    return proof_hash + document_hash


def _proof_config(document: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    config = {key: value for key, value in options.items() if key != "proofValue"}
    config["@context"] = document["@context"]
    return config


def add_proof(
    document: dict[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    proof_purpose: str = "assertionMethod",
    created: str | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` secured with an eddsa-rdfc-2022 DataIntegrityProof.

    Raises the strict JSON-LD errors (UnknownContext, UndefinedTerm, JsonLdInvalid).
    """
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created or utc_now_xsd(),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    signature = private_key.sign(hash_data(unsecured, _proof_config(unsecured, options)))
    return {**unsecured, "proof": {**options, "proofValue": encode_multibase(signature)}}


def verify_proof(document: dict[str, Any], *, expected_purpose: str = "assertionMethod") -> VerifiedProof:
    """Verify the single eddsa-rdfc-2022 proof of ``document``.

    Raises ProofInvalid (with a reason) or the strict JSON-LD errors. Issuer binding is the
    caller's policy (see credentials.verification).
    """
    proof = document.get("proof") if isinstance(document, dict) else None
    if not isinstance(proof, dict):
        raise ProofInvalid("The document carries no proof object.")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofInvalid(f"Unsupported proof: expected type {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}.")
    if proof.get("proofPurpose") != expected_purpose:
        raise ProofInvalid(
            f"The proof purpose is {proof.get('proofPurpose')!r}; {expected_purpose!r} is required."
        )
    created = proof.get("created")
    if created is not None and parse_datetime_stamp(created) is None:
        raise ProofInvalid("The proof's 'created' is not an XML Schema dateTime.")
    if "@context" not in document:
        raise ProofInvalid("The document has no @context.")
    try:
        signature = decode_multibase(proof.get("proofValue"))
    except UnresolvableKey as exc:
        raise ProofInvalid("The proofValue is not base58btc multibase.") from exc
    if len(signature) != 64:
        raise ProofInvalid("The proofValue is not a 64-byte Ed25519 signature.")
    controller, public_key = resolve_verification_method(proof.get("verificationMethod"))
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    try:
        public_key.verify(signature, hash_data(unsecured, _proof_config(unsecured, proof)))
    except InvalidSignature as exc:
        raise ProofInvalid("The signature does not match the document.") from exc
    return VerifiedProof(proof["verificationMethod"], controller, expected_purpose, created)
