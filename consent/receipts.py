"""The citizen's consent records in the fields of ISO/IEC TS 27560:2023 (consent records), as JSON.

One record per access request: who asked (the PII controller), for which purposes, which
personal data (credential types and the claims of each), under which legal basis, for how
long, how many reads, what the citizen's consent is now, and every change of its state, each
tied to the access-log entry that recorded it (sequence number and entry hash) and, where the
request was signed, to the signed request kept as evidence (the notice the citizen answered).
Field names follow the 27560 elements; each value that has one is a term of the W3C Data Privacy
Vocabulary (DPV), whose 27560 profile (https://w3id.org/dpv/schema/dpv-27560#record) the export
names. docs/api.md, "Consent records (ISO/IEC TS 27560)", documents every field.
"""

from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from vault.models import AccessEvent, Pod, RequestEvidence
from vault.selectors import pod_of

from .models import AccessRequest, Grant

FORMAT = "citizen-vault/consent-records/iso-27560/v1"
CONFORMS_TO = "https://w3id.org/dpv/schema/dpv-27560#record"
SCHEMA_VERSION = "ISO/IEC TS 27560:2023"

# What each lifecycle entry of the log makes of the consent (DPV consent statuses), and who acts.
EVENTS: dict[str, str] = {
    AccessEvent.Action.REQUEST_FILED: "dpv:ConsentRequested",
    AccessEvent.Action.REQUEST_APPROVED: "dpv:ConsentGiven",
    AccessEvent.Action.REQUEST_DENIED: "dpv:ConsentRefused",
    AccessEvent.Action.REQUEST_WITHDRAWN: "dpv:ConsentRevoked",
    AccessEvent.Action.REQUEST_EXPIRED: "dpv:ConsentExpired",
    AccessEvent.Action.GRANT_LIMIT_LOWERED: "dpv:ConsentGiven",
    AccessEvent.Action.GRANT_REVOKED: "dpv:ConsentWithdrawn",
    AccessEvent.Action.GRANT_WITHDRAWN: "dpv:ConsentRevoked",
    AccessEvent.Action.GRANT_EXPIRED: "dpv:ConsentExpired",
    AccessEvent.Action.GRANT_EXHAUSTED: "dpv:ConsentExpired",
}
_REQUEST_STATUS: dict[str, str] = {
    AccessRequest.Status.PENDING: "dpv:ConsentRequested",
    AccessRequest.Status.DENIED: "dpv:ConsentRefused",
    AccessRequest.Status.WITHDRAWN: "dpv:ConsentRevoked",
    AccessRequest.Status.EXPIRED: "dpv:ConsentExpired",
}
_GRANT_STATUS: dict[str, str] = {
    Grant.Status.ACTIVE: "dpv:ConsentGiven",
    Grant.Status.REVOKED: "dpv:ConsentWithdrawn",
    Grant.Status.WITHDRAWN: "dpv:ConsentRevoked",
    Grant.Status.EXPIRED: "dpv:ConsentExpired",
    Grant.Status.EXHAUSTED: "dpv:ConsentExpired",
}
_ACTOR = {"citizen": "pii-principal", "organisation": "pii-controller", "system": "citizen-vault"}


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _personal_data(scoped: AccessRequest | Grant) -> list[dict[str, Any]]:
    """Per credential type, its claims (or "whole"); per document type, the document, whole."""
    return [
        {"credentialType": name, "claims": list(scoped.claims[name]) if name in scoped.claims else "whole"}
        for name in scoped.credential_types
    ] + [{"documentType": name, "claims": "whole"} for name in scoped.document_types]


def _status(request: AccessRequest) -> str:
    grant = getattr(request, "grant", None) if request.status == AccessRequest.Status.APPROVED else None
    if grant is not None:
        return _GRANT_STATUS.get(grant.effective_status, "dpv:ConsentUnknown")
    return _REQUEST_STATUS.get(request.effective_status, "dpv:ConsentUnknown")


# Filing and approval log one entry per credential type, in one act; each happens once per request.
_ONCE = {AccessEvent.Action.REQUEST_FILED, AccessEvent.Action.REQUEST_APPROVED}


def _events(entries: list[AccessEvent]) -> list[dict[str, Any]]:
    """One event per lifecycle act, oldest first (an act logged per credential type counts once)."""
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.action not in EVENTS or entry.action in seen:
            continue
        if entry.action in _ONCE:
            seen.add(entry.action)
        events.append(
            {
                "eventType": entry.action,
                "eventTime": _stamp(entry.occurred_at),
                "eventBy": _ACTOR.get(entry.actor_kind, entry.actor_kind),
                "consentStatus": EVENTS[entry.action],
                "reason": entry.reason or None,
                "logEntry": {"seq": entry.seq, "hash": entry.entry_hash},
            }
        )
    return events


def _record(
    pod: Pod, request: AccessRequest, entries: list[AccessEvent], evidence: RequestEvidence | None
) -> dict[str, Any]:
    grant: Grant | None = getattr(request, "grant", None)
    controller = {
        "id": str(request.requester_id),
        "name": request.requester.name,
        "kind": request.requester.kind,
    }
    return {
        "schemaVersion": SCHEMA_VERSION,
        "recordId": f"urn:uuid:{request.pk}",
        "piiPrincipalId": pod.holder_did,
        "piiControllers": [controller],
        "recipients": [controller],
        "legalBasis": "dpv:Consent",
        "purposes": [{"purpose": request.purpose, "description": request.purpose_description}],
        "piiCategoriesRequested": _personal_data(request),
        "piiCategoriesGranted": _personal_data(grant) if grant else [],
        "collectionMethod": "cv:ReadUnderGrant",
        "consentStatus": _status(request),
        "validity": {
            "requestedUntil": _stamp(request.requested_until),
            "answerBy": _stamp(request.answer_by),
            "from": _stamp(grant.valid_from) if grant else None,
            "until": _stamp(grant.valid_until) if grant else None,
        },
        "processingLimits": {
            "maxReadsRequested": request.max_reads,
            "maxReadsGranted": grant.max_reads if grant else None,
            "readsUsed": grant.reads_used if grant else 0,
        },
        "notice": {
            "noticeId": f"urn:uuid:{request.pk}",
            "signedRequest": (
                {
                    "download": reverse("request-evidence", kwargs={"request_id": request.pk}),
                    "sha256": evidence.digest,
                    "verificationMethod": evidence.verification_method,
                    "signer": "custodial" if evidence.custodial else "organisation",
                }
                if evidence
                else None
            ),
        },
        "grantId": str(grant.pk) if grant else None,
        "createdAt": _stamp(request.created_at),
        "events": _events(entries),
    }


def consent_records(owner: User) -> dict[str, Any]:
    """Every consent record of ``owner``'s pod with its full state history (a read; raises
    PodNotFound without a pod). Events come from the access log, oldest first."""
    pod = pod_of(owner)
    requests = list(
        AccessRequest.objects.filter(pod=pod).select_related("requester", "grant").order_by("created_at")
    )
    grant_to_request: dict[Any, Any] = {
        r.grant.pk: r.pk for r in requests if getattr(r, "grant", None) is not None
    }
    by_request: dict[Any, list[AccessEvent]] = {r.pk: [] for r in requests}
    lifecycle = AccessEvent.objects.filter(pod_id=pod.pk, action__in=list(EVENTS)).filter(
        Q(request_id__isnull=False) | Q(grant_id__isnull=False)
    )
    for entry in lifecycle.order_by("seq"):
        request_id = entry.request_id or grant_to_request.get(entry.grant_id)
        if request_id in by_request:
            by_request[request_id].append(entry)
    kept = {e.request_id: e for e in RequestEvidence.objects.filter(pod=pod)}
    return {
        "format": FORMAT,
        "conformsTo": CONFORMS_TO,
        "generatedAt": _stamp(timezone.now()),
        "piiPrincipalId": pod.holder_did,
        "records": [_record(pod, r, by_request[r.pk], kept.get(r.pk)) for r in requests],
    }
