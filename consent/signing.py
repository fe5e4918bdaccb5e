"""Signed access requests: the requester's Data Integrity proof over the request as sent.

Wire format (docs/api.md, "Signed access requests"): the JSON body of ``POST
/api/v1/access-requests`` with three more members, ``@context`` (exactly
``[REQUEST_CONTEXT]``, which defines every member, so the body is strict JSON-LD), ``nonce``
(16 to 128 characters of ``[A-Za-z0-9._~-]``) and ``proof``: one ``eddsa-jcs-2022``
DataIntegrityProof, purpose ``assertionMethod``, by a did:key the organisation registered
(accounts.requestkeys). JCS signs every byte of the JSON, so any change after signing fails it.

We accept a signed request only if, before anything is stored: the key is one the filing
organisation registered and has not retired (a key of another organisation, or none, is
refused); ``created`` is at most ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS old and not in the
future beyond the clock skew; the signature verifies; and the nonce was never used by the
organisation (enforced by a unique constraint on the kept evidence, so two concurrent copies
make one request). Each refusal is a SignatureRefused with a stable ``reason``.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import Organisation, RequestSigningKey
from accounts.requestkeys import custodial_request_key, unseal_custodial_key
from vc.dataintegrity.proofs import CLOCK_SKEW, add_proof
from vc.datamodel import parse_datetime_stamp
from vc.errors import VcError

from .errors import SignatureRefused
from .requestformat import CRYPTOSUITE, PROOF_PURPOSE, REQUEST_CONTEXT, encode, new_nonce, verify_signed

SIGNATURE_MEMBERS = ("@context", "nonce", "proof")
NONCE = re.compile(r"[A-Za-z0-9._~-]{16,128}")


@dataclass(frozen=True)
class SignedRequest:
    """A signed request as received: its bytes, and the same bytes parsed."""

    raw: bytes
    document: dict[str, Any]


@dataclass(frozen=True)
class CheckedSignature:
    """A signed request whose proof we accepted, and by which key."""

    raw: bytes
    nonce: str
    key: RequestSigningKey
    signed_at: datetime


def _refuse(reason: str, detail: str) -> SignatureRefused:
    return SignatureRefused(detail, reason=reason)


def window() -> timedelta:
    return timedelta(seconds=settings.ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS)


def check_signed_request(*, requester: Organisation, signed: SignedRequest) -> CheckedSignature:
    """Accept ``signed`` as ``requester``'s, or raise SignatureRefused naming the reason:
    ``malformed`` (context, nonce or proof not as documented), ``unregistered-key`` (not a key of
    this organisation), ``retired-key``, ``stale`` (created outside the window) or
    ``bad-signature`` (the body was changed after signing, or another key signed it). The nonce's
    uniqueness is checked when the evidence is stored (consent.services.file_access_request)."""
    document = signed.document
    if document.get("@context") != [REQUEST_CONTEXT]:
        raise _refuse("malformed", f'A signed request\'s "@context" is exactly ["{REQUEST_CONTEXT}"].')
    nonce = document.get("nonce")
    if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
        raise _refuse("malformed", "The nonce is 16 to 128 characters of letters, digits and ._~-.")
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise _refuse("malformed", "A signed request carries exactly one proof, a JSON object.")
    if proof.get("cryptosuite") != CRYPTOSUITE or proof.get("proofPurpose") != PROOF_PURPOSE:
        raise _refuse("malformed", f"Sign with the {CRYPTOSUITE} cryptosuite, proof purpose {PROOF_PURPOSE}.")
    method = proof.get("verificationMethod")
    key = RequestSigningKey.objects.filter(organisation=requester, verification_method=method).first()
    if key is None:
        raise _refuse(
            "unregistered-key",
            "The proof's verification method is not a key your organisation registered "
            "(POST /api/v1/organisation/request-keys).",
        )
    if key.retired_at is not None:
        raise _refuse("retired-key", "The proof's key was retired; sign with an active key.")
    created = parse_datetime_stamp(proof.get("created"))
    if created is None:
        raise _refuse("malformed", "The proof's created is an XML Schema dateTime with a time zone.")
    now = timezone.now()
    if created < now - window() or created > now + CLOCK_SKEW:
        raise _refuse(
            "stale",
            f"The proof was created at {proof.get('created')}; sign each request when you send it "
            f"(accepted for {settings.ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS} seconds).",
        )
    try:
        verify_signed(document)
    except VcError as exc:
        raise _refuse(
            "bad-signature",
            f"The proof does not verify: the request was changed after it was signed, or another "
            f"key signed it ({exc}).",
        ) from None
    return CheckedSignature(raw=signed.raw, nonce=nonce, key=key, signed_at=created)


def unsigned_document(
    *,
    national_id: str,
    credential_types: list[str],
    claims: dict[str, list[str]] | None,
    purpose: str,
    purpose_description: str,
    valid_until: datetime,
    answer_by: datetime | None,
    max_reads: int | None,
    document_types: list[str] | None = None,
) -> dict[str, Any]:
    """A request in its API shape (docs/api.md), as the web console submits it for signing."""

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    document: dict[str, Any] = {"@context": [REQUEST_CONTEXT], "citizen": {"nationalId": national_id}}
    if claims or document_types:
        document["authorizationDetails"] = [
            {"type": "credential", "credentialType": name}
            | ({"claims": list(claims[name])} if claims and name in claims else {})
            for name in credential_types
        ] + [{"type": "document", "documentType": name} for name in document_types or ()]
    else:
        document["credentialTypes"] = list(credential_types)
    document |= {
        "purpose": purpose,
        "purposeDescription": purpose_description,
        "validUntil": stamp(valid_until),
    }
    if answer_by is not None:
        document["answerBy"] = stamp(answer_by)
    if max_reads is not None:
        document["maxReads"] = max_reads
    return document


def sign_as_submitted(*, requester: Organisation, document: dict[str, Any]) -> SignedRequest:
    """Sign ``document`` (without nonce or proof) with ``requester``'s custodial key, as submitted
    through the web console: the evidence says it was the custodial key, not one it holds."""
    key = custodial_request_key(requester)
    unsigned = {**document, "@context": [REQUEST_CONTEXT], "nonce": new_nonce()}
    signed = add_proof(
        unsigned,
        private_key=unseal_custodial_key(key),
        verification_method=key.verification_method,
        cryptosuite=CRYPTOSUITE,
    )
    return SignedRequest(raw=encode(signed), document=signed)
