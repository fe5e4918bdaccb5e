from django.db.models import QuerySet

from accounts.models import User

from . import accesslog
from .errors import PodNotFound
from .models import AccessEvent, Pod, PodCredential


def pod_of(user: User) -> Pod:
    pod = Pod.objects.filter(owner=user).first()
    if pod is None:
        raise PodNotFound("You have no pod.")
    return pod


def pod_by_id(pod_id) -> Pod:
    pod = Pod.objects.filter(pk=pod_id).first()
    if pod is None:
        raise PodNotFound("No such pod.")
    return pod


def access_log(pod: Pod) -> QuerySet[AccessEvent]:
    return AccessEvent.objects.filter(pod=pod).order_by("-seq")


def verify_access_log(pod: Pod) -> accesslog.ChainCheck:
    return accesslog.verify_chain(pod)


def credentials_in(pod: Pod) -> QuerySet[PodCredential]:
    """Metadata of the pod's credentials (type, issuer, dates): nothing is decrypted."""
    return PodCredential.objects.filter(pod=pod).select_related("issuer").order_by("-created_at")
