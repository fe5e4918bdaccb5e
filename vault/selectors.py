from django.db.models import QuerySet

from accounts.errors import NO_POD_FOR_CITIZEN, CitizenNotFound
from accounts.models import User
from accounts.selectors import citizen_by_national_id

from . import accesslog
from .errors import PodNotFound
from .models import AccessEvent, Pod, PodCredential


def pod_of(user: User) -> Pod:
    pod = Pod.objects.filter(owner=user).first()
    if pod is None:
        raise PodNotFound("You have no pod.")
    return pod


def pod_for_national_id(national_id: str) -> Pod:
    """The pod of the citizen with this national identifier.

    Raises CitizenNotFound, with one answer whether there is no such citizen or no pod yet, so
    an organisation learns no more than it must.
    """
    pod = Pod.objects.filter(owner=citizen_by_national_id(national_id)).first()
    if pod is None:
        raise CitizenNotFound(NO_POD_FOR_CITIZEN)
    return pod


def access_log(pod: Pod) -> QuerySet[AccessEvent]:
    return AccessEvent.objects.filter(pod=pod).order_by("-seq")


def verify_access_log(pod: Pod) -> accesslog.ChainCheck:
    return accesslog.verify_chain(pod)


def credentials_in(pod: Pod) -> QuerySet[PodCredential]:
    """Metadata of the pod's credentials (type, issuer, dates): nothing is decrypted."""
    return PodCredential.objects.filter(pod=pod).select_related("issuer").order_by("-created_at")
