from django.db.models import QuerySet

from accounts.models import Organisation, User

from .errors import RequestNotFound
from .models import AccessRequest, Grant


def requests_to_citizen(citizen: User, *, status: str | None = None) -> QuerySet[AccessRequest]:
    qs = AccessRequest.objects.filter(pod__owner=citizen).select_related("requester", "grant")
    return qs.filter(status=status) if status else qs


def requests_by_organisation(
    organisation: Organisation, *, status: str | None = None
) -> QuerySet[AccessRequest]:
    qs = AccessRequest.objects.filter(requester=organisation).select_related("requester", "grant")
    return qs.filter(status=status) if status else qs


def request_of_organisation(organisation: Organisation, request_id) -> AccessRequest:
    request = requests_by_organisation(organisation).filter(pk=request_id).first()
    if request is None:
        raise RequestNotFound("Your organisation filed no access request with that id.")
    return request


def grants_of_citizen(citizen: User) -> QuerySet[Grant]:
    return Grant.objects.filter(pod__owner=citizen).select_related("grantee")
