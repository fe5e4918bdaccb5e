"""Signed access requests on the wire, without Django: what a requester signs, what a citizen's
evidence download holds, and how either is checked offline.

``python -m consent.sign_request`` (a requester signing a request body) and
``python -m consent.verify_request`` (anyone checking a citizen's download) use this module and
the ``vc`` library only: no server, no database.
"""

import hashlib
import json
import secrets
from typing import Any

from vc.dataintegrity.proofs import add_proof, verify_proof
from vc.errors import VcError
from vc.jsonld import ACCESS_REQUEST_V1
from vc.multikey import PrivateKey, did_key_for, resolve_did_key

REQUEST_CONTEXT = ACCESS_REQUEST_V1
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"
EVIDENCE_FORMAT = "citizen-vault/signed-access-request/v1"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def sign(
    body: dict[str, Any],
    private_key: PrivateKey,
    *,
    nonce: str | None = None,
    created: str | None = None,
    verification_method: str | None = None,
) -> dict[str, Any]:
    """``body`` (an access request as docs/api.md shows it) with @context, a nonce and an
    eddsa-jcs-2022 proof by ``private_key`` (its did:key, unless ``verification_method`` says)."""
    unsigned = {
        **{key: value for key, value in body.items() if key != "proof"},
        "@context": [REQUEST_CONTEXT],
        "nonce": nonce or new_nonce(),
    }
    return add_proof(
        unsigned,
        private_key=private_key,
        verification_method=verification_method or did_key_for(private_key.public_key()).verification_method,
        cryptosuite=CRYPTOSUITE,
        proof_purpose=PROOF_PURPOSE,
        created=created,
    )


def encode(document: dict[str, Any]) -> bytes:
    """The bytes to send (any JSON serialisation verifies: JCS signs the canonical form)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _did_key_only(verification_method: object, *, purpose: str | None = None) -> Any:
    return resolve_did_key(verification_method)


def verify_signed(document: dict[str, Any]) -> str:
    """Check a signed request's proof (its did:key resolves offline); returns the verification
    method. Raises VcError (vc.errors) if it does not verify. Whether that key was the
    organisation's is what the evidence download states and the service checked on receipt."""
    if document.get("@context") != [REQUEST_CONTEXT]:
        raise VcError(f'A signed request\'s "@context" is exactly ["{REQUEST_CONTEXT}"].')
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != CRYPTOSUITE:
        raise VcError(f"A signed request carries one {CRYPTOSUITE} proof.")
    return verify_proof(document, expected_purpose=PROOF_PURPOSE, resolve=_did_key_only).verification_method


def verify_evidence(download: dict[str, Any]) -> list[str]:
    """Check a citizen's evidence download; returns the problems found (none: it holds).

    The signed request must hash to the stated SHA-256, its proof must verify, and its key must
    be the one the download names.
    """
    if download.get("format") != EVIDENCE_FORMAT:
        return [f"Not a signed access request download ({EVIDENCE_FORMAT})."]
    text = download.get("signedRequest")
    if not isinstance(text, str):
        return ["The download holds no signedRequest."]
    raw = text.encode("utf-8")
    problems = []
    if hashlib.sha256(raw).hexdigest() != download.get("sha256"):
        problems.append("The signed request does not hash to the stated sha256 (altered).")
    try:
        document = json.loads(raw)
        method = verify_signed(document)
    except (ValueError, VcError) as exc:
        return [*problems, f"The signature does not verify: {exc}"]
    if method != download.get("verificationMethod"):
        problems.append("The request was signed by another key than the download names.")
    return problems
