"""Signed access requests kept as evidence: sealed under the pod's data key, opened for its owner.

A request filed to a national identifier with no pod yet is held (consent.services): its signed
bytes are wrapped by the KEK ring (``store`` with no pod), bound to the evidence row and its
request, until the citizen's pod opens and takes them (``attach_held``: re-sealed under the pod's
data key in the transaction that opens it), or the request ends unattached (``drop_held``: the
bytes are erased; what the requester sees of its own request, the digest, key and times, stays).

consent.signing checks a request's proof; this module keeps the bytes as they arrived and gives
them back. The download (``evidence_document``) carries the request verbatim, its SHA-256, and
what the vault knew when it accepted it (the key, whether it was custodial); the request's proof
names a did:key, so anyone verifies it offline (python -m consent.verify_request, docs/api.md).
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from accounts.models import Organisation, User
from core.keyring import SealedColumn, WrappedSecret, keyring, seal, unseal

from . import crypto
from .models import Pod, RequestEvidence

FORMAT = "citizen-vault/signed-access-request/v1"


@dataclass(frozen=True)
class SignedRequest:
    """A signed access request as the vault keeps it: its bytes as received and what the
    filing checked of them (consent.signing)."""

    request_id: uuid.UUID
    organisation: Organisation
    raw: bytes
    nonce: str
    verification_method: str
    custodial: bool
    signed_at: datetime

    def evidence(self, **stored: Any) -> RequestEvidence:
        """The evidence row of this request, with how its bytes are stored (``stored``)."""
        return RequestEvidence(
            request_id=self.request_id,
            organisation=self.organisation,
            nonce=self.nonce,
            digest=hashlib.sha256(self.raw).hexdigest(),
            verification_method=self.verification_method,
            custodial=self.custodial,
            signed_at=self.signed_at,
            **stored,
        )


def store(pod: Pod | None, signed: SignedRequest) -> RequestEvidence:
    """Keep ``signed`` as evidence: sealed under ``pod``'s data key, or, for a request held with
    no pod (``pod`` None), wrapped by the KEK ring until a pod takes it (``attach_held``). Must
    run in the transaction that files the request (with a pod, it locks the pod row, as issuance
    does); a nonce the organisation used before raises the database's IntegrityError (the caller
    turns it into a refusal)."""
    evidence_id = uuid.uuid4()
    if pod is None:
        evidence = signed.evidence(id=evidence_id, pod=None, key_version=0)
        wrapped = keyring().wrap(signed.raw, aad=_held_aad(evidence))
        evidence.kek_id, evidence.sealed = wrapped.kek_id, wrapped.sealed
    else:
        # The pod's row lock first, as issuance takes it: a data-key rotation committing
        # meanwhile would leave these bytes sealed under a key the pod no longer has.
        pod = Pod.objects.locked().get(pk=pod.pk)
        version, key = crypto.PodKeys(pod).current
        sealed = seal(key, signed.raw, aad=_aad(pod.pk, evidence_id))
        evidence = signed.evidence(id=evidence_id, pod=pod, sealed=sealed, key_version=version)
    evidence.save(force_insert=True)
    return evidence


def _aad(pod_id: uuid.UUID, evidence_id: uuid.UUID) -> bytes:
    # Format 1's text associated data (vault.crypto.resource_aad), as the data-key rotation's
    # table of request evidence re-seals it (vault.keyrotation.pod_sealed_tables).
    return crypto.resource_aad(pod_id, crypto.REQUEST_EVIDENCE_KIND, evidence_id, 1)


def _held_aad(evidence: RequestEvidence) -> bytes:
    held = f"evidence:{evidence.pk}|request:{evidence.request_id}"
    return f"citizen-vault/held-request-evidence/v1|{held}".encode()


# Held evidence joins KEK rotation (vault.keyrotation.kek_sealed_columns); rows in a pod or
# dropped have no KEK and are not walked.
HELD_EVIDENCE = SealedColumn(
    label="signed requests held for no pod yet",
    model=RequestEvidence,
    kek_field="kek_id",
    sealed_field="sealed",
    aad=_held_aad,
)


def attach_held(pod: Pod, *, request_ids: list[uuid.UUID]) -> int:
    """Move the held evidence of these requests into ``pod``: each opened from the KEK ring and
    sealed under the pod's current data key, in the caller's transaction (the one that attaches
    the requests to the pod). Returns how many moved; evidence dropped already is not moved."""
    held = list(
        RequestEvidence.objects.select_for_update()
        .filter(request_id__in=request_ids, pod__isnull=True)
        .exclude(kek_id="")
    )
    if not held:
        return 0
    pod = Pod.objects.locked().get(pk=pod.pk)  # as keep: no data-key rotation between
    version, key = crypto.PodKeys(pod).current
    for evidence in held:
        wrapped = WrappedSecret(evidence.kek_id, bytes(evidence.sealed))
        raw = keyring().unwrap(wrapped, aad=_held_aad(evidence))
        evidence.pod = pod
        evidence.sealed = seal(key, raw, aad=_aad(pod.pk, evidence.pk))
        evidence.key_version = version
        evidence.kek_id = ""
    RequestEvidence.objects.bulk_update(held, ["pod", "sealed", "key_version", "kek_id"])
    return len(held)


def drop_held(*, request_ids: list[uuid.UUID]) -> int:
    """Erase the held bytes of these requests (they ended unattached: withdrawn, expired); the
    row stays, with no pod, no KEK and nothing sealed. Returns how many were dropped."""
    return (
        RequestEvidence.objects.filter(request_id__in=request_ids, pod__isnull=True)
        .exclude(kek_id="")
        .update(kek_id="", sealed=b"")
    )


def opened(evidence: RequestEvidence) -> bytes:
    """The bytes as received; raises DecryptionError (tampered) or PodErased."""
    if evidence.pod is None:
        raise ValueError("Held evidence is opened only to move it into a pod (attach_held).")
    key = crypto.PodKeys(evidence.pod)(evidence.key_version)
    return unseal(key, bytes(evidence.sealed), aad=_aad(evidence.pod.pk, evidence.pk))


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
