"""Signed access requests kept as evidence: sealed under the pod's data key, opened for its owner.

consent.signing checks a request's proof; this module keeps the bytes as they arrived and gives
them back. The download (``evidence_document``) carries the request verbatim, its SHA-256, and
what the vault knew when it accepted it (the key, whether it was custodial); the request's proof
names a did:key, so anyone verifies it offline (python -m consent.verify_request, docs/api.md).
"""

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from accounts.models import Organisation, User
from core.keyring import seal, unseal

from . import crypto
from .models import Pod, RequestEvidence

FORMAT = "citizen-vault/signed-access-request/v1"


def keep(
    pod: Pod,
    *,
    request_id: uuid.UUID,
    organisation: Organisation,
    raw: bytes,
    nonce: str,
    verification_method: str,
    custodial: bool,
    signed_at: datetime,
) -> RequestEvidence:
    """Store ``raw`` (the signed request as received) sealed under ``pod``'s data key. Must run in
    the transaction that files the request (it locks the pod row, as issuance does); a nonce the
    organisation used before raises the database's IntegrityError (the caller turns it into a
    refusal)."""
    evidence_id = uuid.uuid4()
    # The pod's row lock first, as issuance takes it: a data-key rotation committing meanwhile
    # would leave these bytes sealed under a key the pod no longer has.
    pod = Pod.objects.select_for_update().get(pk=pod.pk)
    version, key = crypto.PodKeys(pod).current
    sealed = seal(key, raw, aad=_aad(pod.pk, evidence_id))
    return RequestEvidence.objects.create(
        id=evidence_id,
        pod=pod,
        request_id=request_id,
        organisation=organisation,
        nonce=nonce,
        digest=hashlib.sha256(raw).hexdigest(),
        sealed=sealed,
        verification_method=verification_method,
        custodial=custodial,
        signed_at=signed_at,
        key_version=version,
    )


def _aad(pod_id: uuid.UUID, evidence_id: uuid.UUID) -> bytes:
    # Format 1's text associated data (vault.crypto.resource_aad), as the data-key rotation's
    # table of request evidence re-seals it (vault.keyrotation.pod_sealed_tables).
    return crypto.resource_aad(pod_id, crypto.REQUEST_EVIDENCE_KIND, evidence_id, 1)


def opened(evidence: RequestEvidence) -> bytes:
    """The bytes as received; raises DecryptionError (tampered) or PodErased."""
    key = crypto.PodKeys(evidence.pod)(evidence.key_version)
    return unseal(key, bytes(evidence.sealed), aad=_aad(evidence.pod_id, evidence.pk))


def evidence_of_citizen(owner: User) -> QuerySet[RequestEvidence]:
    """The evidence of requests made to ``owner``'s pod (another citizen's is simply not there)."""
    return RequestEvidence.objects.filter(pod__owner=owner).select_related("pod", "organisation")


def requests_with_evidence(request_ids: set[Any]) -> set[uuid.UUID]:
    """Which of these request ids have a signed request kept (one query)."""
    ids = [request_id for request_id in request_ids if request_id]
    if not ids:
        return set()
    return set(RequestEvidence.objects.filter(request_id__in=ids).values_list("request_id", flat=True))


def evidence_document(evidence: RequestEvidence) -> dict[str, Any]:
    """The citizen's download: the signed request verbatim and what we checked when it came."""
    raw = opened(evidence)
    return {
        "format": FORMAT,
        "requestId": str(evidence.request_id),
        "signedRequest": raw.decode("utf-8"),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "organisation": {"id": str(evidence.organisation_id), "name": evidence.organisation.name},
        "verificationMethod": evidence.verification_method,
        "signer": "custodial" if evidence.custodial else "organisation",
        "signedAt": evidence.signed_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "receivedAt": evidence.received_at.astimezone(UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "howToVerify": "python -m consent.verify_request <this file>",
    }
