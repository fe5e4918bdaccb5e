from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.errors import NO_POD_FOR_CITIZEN, CitizenNotFound
from accounts.models import Organisation, User
from accounts.selectors import citizen_by_national_id
from credentials.selectors import status_reasons_of

from . import accesslog, sealing
from .errors import BatchNotFound, PodNotFound
from .models import (
    AccessEvent,
    Batch,
    BatchRowError,
    LogSigningKey,
    Pod,
    PodCredential,
    PodLog,
    SealedLogDetail,
)


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
    citizen = citizen_by_national_id(national_id)
    pod = Pod.objects.filter(owner=citizen).first()
    if pod is None:
        raise CitizenNotFound(NO_POD_FOR_CITIZEN)
    pod.owner = citizen  # already loaded: issuance reads its lookup-hash version
    return pod


def access_log(pod: Pod) -> QuerySet[AccessEvent]:
    """The pod's log, newest first; the sealed entries that are due are opened first (so no
    reader shows one sealed past its date, whether or not the beat task has run)."""
    sealing.open_due_in(pod)
    return AccessEvent.objects.filter(pod=pod).order_by("-seq")


def sealed_details(pod: Pod) -> dict[int, SealedLogDetail]:
    """The pod's sealed entries' details by seq (vault.sealing.opened_detail reads them)."""
    return sealing.details_of(pod)


def verify_access_log(pod: Pod) -> accesslog.ChainCheck:
    return accesslog.verify_chain(pod)


# The filter choices of a pod's log, kept per log head (the tree size of its checkpoint) and per
# pruning (accesslog.prune sets a new generation when it removed detail): an entry once appended
# never changes otherwise (the log is append-only), so they are exact; a day after the head moved
# on, the key is dropped.
LOG_CHOICES_TIMEOUT = 24 * 3600


def log_filter_choices(pod: Pod, *, size: int) -> tuple[dict[str, str], list[str]]:
    """The organisations (id -> name, by name) and the purposes the pod's log holds at ``size``
    entries (its latest checkpoint's size), for the log page's filter: one DISTINCT pass over the
    whole log the first time, then a cache read and the organisations' names (a rename shows)."""
    key = f"vault:log-choices:{pod.pk}:{size}"
    found = cache.get_many([key, accesslog.PRUNED_GENERATION_KEY])
    generation = found.get(accesslog.PRUNED_GENERATION_KEY)
    kept = found.get(key)
    if kept is not None and kept["generation"] == generation:
        organisation_ids, purposes = kept["organisations"], kept["purposes"]
    else:
        # Its distinct (organisation, purpose) pairs (a handful), not a value per entry (the
        # model's ordering dropped: with it, DISTINCT would be per seq too).
        pairs = list(
            AccessEvent.objects.filter(pod=pod)
            .order_by()
            .values_list("actor_organisation_id", "purpose")
            .distinct()
        )
        organisation_ids = sorted({str(org) for org, _purpose in pairs if org is not None})
        purposes = sorted({purpose for _org, purpose in pairs if purpose})
        cache.set(
            key,
            {"generation": generation, "organisations": organisation_ids, "purposes": purposes},
            LOG_CHOICES_TIMEOUT,
        )
    names = (
        dict(Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "name"))
        if organisation_ids
        else {}
    )
    organisations = {
        str(pk): name for pk, name in sorted(names.items(), key=lambda item: (item[1], str(item[0])))
    }
    return organisations, purposes


def latest_checkpoint(pod: Pod) -> accesslog.LatestCheckpoint | None:
    """The signed checkpoint of the pod's whole log (None before its first signed append)."""
    note = PodLog.objects.filter(pk=pod.pk).values_list("checkpoint", flat=True).first()
    return accesslog.LatestCheckpoint.of(note or "")


def log_inclusion_proof(pod: Pod, *, seq: int, tree_size: int | None) -> accesslog.Proof:
    return accesslog.inclusion_proof(pod, seq=seq, tree_size=tree_size)


def log_consistency_proof(pod: Pod, *, old_size: int, tree_size: int | None) -> accesslog.Proof:
    return accesslog.consistency_proof(pod, old_size=old_size, tree_size=tree_size)


def log_keys() -> list[LogSigningKey]:
    """Every checkpoint-signing key, oldest first, retired ones included."""
    return list(LogSigningKey.objects.order_by("created_at"))


def credentials_in(pod: Pod) -> QuerySet[PodCredential]:
    """Metadata of the pod's credentials (type, issuer, dates): nothing is decrypted."""
    return PodCredential.objects.filter(pod=pod).select_related("issuer").order_by("-created_at")


def issuer_status_changes(pod: Pod, resource_ids: list[Any]) -> dict[Any, str]:
    """What the issuers last did to each of these credentials of the pod, from the pod's log:
    resource id -> ``credential.revoked`` (final), ``credential.suspended`` or ``credential.reinstated``.

    The log records each change in the issuer's transaction, so this is as fresh as the status
    lists; entries pruned after the retention window no longer name their credential.
    """
    actions = AccessEvent.Action
    changes: dict[Any, str] = {}
    rows = (
        AccessEvent.objects.filter(
            pod=pod,
            action__in=[
                actions.CREDENTIAL_REVOKED,
                actions.CREDENTIAL_SUSPENDED,
                actions.CREDENTIAL_REINSTATED,
            ],
            resource_id__in=resource_ids,
        )
        .order_by("seq")
        .values_list("resource_id", "action")
    )
    for resource_id, action in rows:
        if changes.get(resource_id) != actions.CREDENTIAL_REVOKED:
            changes[resource_id] = action
    return changes


@dataclass(frozen=True)
class StatusChange:
    """The issuer's last status change of a credential in a pod, as its log holds it, and the
    note the issuer kept with it (credentials' status entry), if any."""

    action: str  # credential.revoked, credential.suspended or credential.reinstated
    occurred_at: datetime
    issuer_name: str
    reason: str  # a credentials.models.StatusReason code, or ""
    note: str


def last_status_change(pod: Pod, resource: PodCredential) -> StatusChange | None:
    """The last revocation, suspension or reinstatement of ``resource`` (one of ``pod``'s) logged
    in the pod; None if there was none (or its entry has been pruned)."""
    actions = AccessEvent.Action
    event = (
        AccessEvent.objects.filter(
            pod=pod,
            resource_id=resource.pk,
            action__in=[
                actions.CREDENTIAL_REVOKED,
                actions.CREDENTIAL_SUSPENDED,
                actions.CREDENTIAL_REINSTATED,
            ],
        )
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    purpose = "revocation" if event.action == actions.CREDENTIAL_REVOKED else "suspension"
    said = status_reasons_of(resource.issuer, [resource.credential_id]).get(resource.credential_id, {})
    _reason, note = said.get(purpose, ("", ""))
    return StatusChange(event.action, event.occurred_at, event.actor_label, event.reason, note)


def batches_of(issuer: Organisation) -> QuerySet[Batch]:
    """The issuer's batches, newest first."""
    return Batch.objects.filter(issuer=issuer).order_by("-created_at")


def batch_of(issuer: Organisation, batch_id: Any) -> Batch:
    """One of the issuer's batches, with ``error_count`` and its first ``BATCH_ERRORS_SHOWN`` errors
    (``first_errors``); raises BatchNotFound for anyone else's."""
    batch = (
        batches_of(issuer)
        .annotate(error_count=Count("row_errors"))
        .prefetch_related(
            Prefetch(
                "row_errors",
                queryset=BatchRowError.objects.order_by("line", "id")[: settings.BATCH_ERRORS_SHOWN],
                to_attr="first_errors",
            )
        )
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise BatchNotFound("Your organisation has no batch with that id.")
    return batch


def batch_errors(issuer: Organisation, batch_id: Any) -> QuerySet[BatchRowError]:
    """All the per-line errors of one of the issuer's batches, by line; raises BatchNotFound."""
    if not batches_of(issuer).filter(pk=batch_id).exists():
        raise BatchNotFound("Your organisation has no batch with that id.")
    return BatchRowError.objects.filter(batch_id=batch_id).order_by("line", "id")


def stalled_batches(*, now: datetime, sent_before: datetime) -> QuerySet[Batch]:
    """Unfinished batches no run holds (no lease, or a lapsed one) whose task was last sent
    before ``sent_before``: lost messages, dead workers, a broker that was down at submission."""
    return Batch.objects.filter(
        Q(status__in=[Batch.Status.QUEUED, Batch.Status.RUNNING]),
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now),
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=sent_before),
    ).order_by("created_at")


def issued_by(issuer: Organisation) -> QuerySet[PodCredential]:
    """The credentials ``issuer`` issued into pods, newest first (their ids and types; no content)."""
    return (
        PodCredential.objects.filter(issuer=issuer)
        .only("id", "credential_id", "credential_type", "created_at", "issuer_id")
        .order_by("-created_at")
    )


def issued_credential_of(issuer: Organisation, resource_id: Any) -> PodCredential | None:
    return issued_by(issuer).filter(pk=resource_id).first()
