"""Verifying a credential as a whole: data model, proof, and the issuer's control of the key."""

from dataclasses import dataclass
from typing import Any

from .dataintegrity import verify_proof
from .datamodel import validate_credential
from .errors import ProofInvalid


@dataclass(frozen=True)
class VerifiedCredential:
    issuer: str
    verification_method: str


def verify_credential(document: dict[str, Any]) -> VerifiedCredential:
    """Verify a secured credential: VCDM 2.0 shape, the eddsa-rdfc-2022 proof, and that the
    signing key belongs to the issuer. Raises CredentialInvalid, ProofInvalid or a JSON-LD error.
    """
    validate_credential(document)
    proof = verify_proof(document, expected_purpose="assertionMethod")
    issuer = document["issuer"]
    issuer_id = issuer["id"] if isinstance(issuer, dict) else issuer
    if proof.controller != issuer_id:
        raise ProofInvalid(
            f"The proof was made with a key of {proof.controller}, not of the issuer {issuer_id}."
        )
    return VerifiedCredential(issuer=issuer_id, verification_method=proof.verification_method)
