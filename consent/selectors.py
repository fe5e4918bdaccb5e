from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Organisation, User
from vault.evidence import evidence_of_citizen
from vault.models import RequestEvidence

from .errors import EvidenceNotFound, GrantNotFound, RequestNotFound
from .models import EXPIRED, AccessRequest, Grant

REQUEST_STATUS_FILTERS = list(AccessRequest.Status.values)


def _with_status(qs: QuerySet[AccessRequest], status: str | None) -> QuerySet[AccessRequest]:
    """Filter by effective status: 'pending' means still open; 'expired' includes the pending
    ones past their answer-by date that the sweep has not recorded yet."""
    now = timezone.now()
    if status == AccessRequest.Status.PENDING:
        return qs.filter(status=status, answer_by__gt=now)
    if status == EXPIRED:
        return qs.filter(Q(status=EXPIRED) | Q(status=AccessRequest.Status.PENDING, answer_by__lte=now))
    return qs.filter(status=status) if status else qs


def requests_to_citizen(citizen: User, *, status: str | None = None) -> QuerySet[AccessRequest]:
    return _with_status(
        AccessRequest.objects.filter(pod__owner=citizen).select_related("requester", "grant"), status
    )


def requests_by_organisation(
    organisation: Organisation, *, status: str | None = None
) -> QuerySet[AccessRequest]:
    return _with_status(
        AccessRequest.objects.filter(requester=organisation).select_related("requester", "grant"), status
    )


def request_of_organisation(organisation: Organisation, request_id) -> AccessRequest:
    request = requests_by_organisation(organisation).filter(pk=request_id).first()
    if request is None:
        raise RequestNotFound("Your organisation filed no access request with that id.")
    return request


def grants_of_citizen(citizen: User) -> QuerySet[Grant]:
    return Grant.objects.filter(pod__owner=citizen).select_related("grantee", "credential")


def grant_of_organisation(organisation: Organisation, grant_id) -> Grant:
    """A grant given to ``organisation``, with its access-grant credential; raises GrantNotFound
    (another organisation's grant is as unknown as none)."""
    grant = (
        Grant.objects.filter(pk=grant_id, grantee=organisation)
        .select_related("grantee", "credential")
        .first()
    )
    if grant is None:
        raise GrantNotFound("No grant with that id was given to your organisation.")
    return grant


def evidence_for_request(request_id: Any) -> RequestEvidence | None:
    return RequestEvidence.objects.filter(request_id=request_id).first()


def evidence_by_request(request_ids: Iterable[Any]) -> dict[Any, RequestEvidence]:
    """The evidence kept for each of these requests that has some (one query)."""
    return {e.request_id: e for e in RequestEvidence.objects.filter(request_id__in=list(request_ids))}


def evidence_of_citizen_request(citizen: User, request_id: Any) -> RequestEvidence:
    """The signed request kept for one of ``citizen``'s requests; raises EvidenceNotFound (another
    citizen's request, or one filed unsigned)."""
    found = evidence_of_citizen(citizen).filter(request_id=request_id).first()
    if found is None:
        raise EvidenceNotFound("No signed request is kept for an access request of yours with that id.")
    return found


def evidence_of_citizen_grant(citizen: User, grant_id: Any) -> RequestEvidence:
    """The signed request behind one of ``citizen``'s grants; raises EvidenceNotFound."""
    request_id = grants_of_citizen(citizen).filter(pk=grant_id).values_list("request_id", flat=True).first()
    if request_id is None:
        raise EvidenceNotFound("You have no grant with that id.")
    return evidence_of_citizen_request(citizen, request_id)
