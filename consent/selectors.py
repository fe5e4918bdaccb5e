from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Organisation, User

from .errors import GrantNotFound, RequestNotFound
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
