"""Writes for consent: requests, decisions, grants, and reads under a grant.

Every act that touches a pod is recorded in the pod's access log inside the act's transaction.
The lifecycle (models.AccessRequest.TRANSITIONS, models.Grant.TRANSITIONS) has one service per
transition: a request is approved, denied (citizen), withdrawn (requester) or expires unanswered
(expire_request, from the beat sweep); a grant is revoked (citizen), withdrawn (requester),
expires (expire_grant) or is exhausted by its last allowed read (read_under_grant, or a lowered
limit). Any other transition raises InvalidTransition (409).

An approval also signs the grant's access-grant credential (consent.grantcredentials); every end
of a grant sets that credential's revocation bit in the transaction that ends it.
"""

import functools
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.errors import NO_POD_FOR_CITIZEN, CitizenNotFound
from accounts.identity import (
    current_lookup_version,
    lookup_versions,
    national_id_digest,
    normalise_national_id,
)
from accounts.models import Organisation, User
from core import rows
from core.text import check_plain_text
from inbox import services as inbox
from inbox.models import Notification
from vault import disclosure, evidence
from vault import services as vault
from vault.access import AccessContext, LegalRead
from vault.errors import DocumentNotFound, NotDisclosable
from vault.models import AccessEvent, Pod, PodDocument
from vault.selectors import pod_for_national_id
from vc.errors import ProofOptionsInvalid, UnknownCredentialType
from vc.types import CREDENTIAL_TYPES, check_type_name

from . import grantcredentials, signing
from .decisions import Decision, decide, decide_legal_read
from .errors import (
    AccessDenied,
    GrantNotFound,
    InvalidCaseReference,
    InvalidMandate,
    InvalidNarrowing,
    InvalidRead,
    InvalidRequest,
    InvalidTransition,
    MandateNotFound,
    RequestNotFound,
    SignedRequestReplayed,
    UnknownPurpose,
)
from .models import EXPIRED, AccessRequest, Grant, Mandate, MandateEvent, Purpose
from .scopes import (
    DETAIL_TYPE,
    DOCUMENT_DETAIL_TYPE,
    Scope,
    ScopeErrors,
    narrowed,
    parse_authorization_details,
)
from .signing import SignedRequest

MAX_GRANT_PERIOD = timedelta(days=366)
MAX_READS = 10_000  # the highest read limit a request may ask for


def answer_window() -> timedelta:
    """How long a citizen has to answer a request that names no answer-by date."""
    return timedelta(days=settings.ACCESS_REQUEST_ANSWER_DAYS)


def _checked_scope(
    credential_types: Sequence[str],
    claims: Mapping[str, Sequence[str]] | None,
    error: type[InvalidRequest] | type[InvalidNarrowing] | type[InvalidMandate],
    document_types: Sequence[str] = (),
) -> Scope:
    """The scope of these types and claims, and of these document types, checked against the
    registries (consent.scopes); raises ``error`` with ``errors`` naming each problem."""
    unknown = sorted(set(claims or {}) - set(credential_types))
    if unknown:
        raise error(f"Claims are given for {', '.join(unknown)}, which is not among the credential types.")
    details: list[dict[str, Any]] = [
        {"type": DETAIL_TYPE, "credentialType": name}
        | ({"claims": list(claims[name])} if claims and name in claims else {})
        for name in sorted(set(credential_types))
    ] + [{"type": DOCUMENT_DETAIL_TYPE, "documentType": name} for name in sorted(set(document_types))]
    try:
        return parse_authorization_details(details)
    except ScopeErrors as exc:
        raise error(
            "Some claims may not be asked for: " + "; ".join(why for _, why in exc.errors),
            errors=[{"pointer": where, "detail": why} for where, why in exc.errors],
        ) from None


def _transition(obj: AccessRequest | Grant, to: str) -> None:
    """Move ``obj`` to state ``to`` if the state machine allows it; raises InvalidTransition.

    A request past its answer-by date or a grant past its end counts as expired already (the
    clock decides, not the sweep): only the expiry itself may still be recorded.
    """
    current = obj.status if to == EXPIRED else obj.effective_status
    if to not in obj.TRANSITIONS.get(current, set()):
        raise InvalidTransition(
            f"This {obj._meta.verbose_name} is {current}; it cannot become {to}.", state=current
        )
    obj.status = to


def file_access_request(
    *,
    requester: Organisation,
    national_id: str,
    credential_types: list[str],
    purpose: str,
    purpose_description: str,
    valid_until: datetime,
    claims: Mapping[str, Sequence[str]] | None = None,
    answer_by: datetime | None = None,
    max_reads: int | None = None,
    signed: SignedRequest | None = None,
    document_types: Sequence[str] = (),
    submitted_in_console: bool = False,
) -> AccessRequest:
    """A requester asks a citizen for credentials of some types, for a purpose, until a date;
    with ``claims``, only those claims (JSON pointers, consent.scopes) of the types it names;
    and for personal documents of ``document_types`` (vault.documents.DOCUMENT_TYPES), whole;
    optionally for at most ``max_reads`` reads, to be answered by ``answer_by`` (default: the
    answer window from now, never past ``valid_until``).

    ``signed`` is the request as the requester signed and sent it, whose fields are the
    arguments (the API parses them from it): its proof is checked (consent.signing) before
    anything is stored, and its bytes are kept, sealed in the pod, as the citizen's evidence.
    Without ``signed``, a request ``submitted_in_console`` (the web console's form) is always
    signed by the organisation's custodial key, as submitted; so is any other when
    ACCESS_REQUESTS_REQUIRE_SIGNATURE is on (the API refuses unsigned requests itself); an
    unsigned API request with the setting off is filed without evidence.

    A national identifier with no pod here is filed all the same, and answers the same (the
    requester cannot tell whether a person uses the service): the request is held, addressed
    to the identifier's keyed hash under the current lookup-hash version (never the
    identifier), its signed request wrapped by the KEK ring (vault.evidence.store); nothing is
    logged, nobody is told. If the citizen's pod opens while it is pending and not past its
    answer-by date, it is attached then (attach_held_requests), logged and put in their inbox.

    Raises InvalidNationalId, UnknownCredentialType, InvalidRequest (with ``errors`` naming
    each refused claim), HiddenCharacters (the description), SignatureRefused (a proof we do
    not accept: consent.signing) or SignedRequestReplayed (the organisation used the nonce
    before). Logged in the citizen's pod; the citizen's inbox gets a notification in the same
    transaction, and an e-mail after commit.
    """
    if not requester.is_requester:
        raise InvalidRequest("Only employers and agencies file access requests.")
    if not credential_types and not document_types:
        raise InvalidRequest("Ask for at least one credential type or document type.")
    for name in credential_types:
        check_type_name(name)
    scope = _checked_scope(credential_types, claims, InvalidRequest, document_types)
    if purpose not in Purpose.values:
        raise InvalidRequest(f"Unknown purpose {purpose!r}.", allowedPurposes=list(Purpose.values))
    check_plain_text(
        purpose_description, field="/purposeDescription", label="purposeDescription", multiline=True
    )
    now = timezone.now()
    if valid_until <= now:
        raise InvalidRequest("validUntil must be in the future.")
    if valid_until - now > MAX_GRANT_PERIOD:
        raise InvalidRequest(f"Access may be asked for at most {MAX_GRANT_PERIOD.days} days.")
    if answer_by is None:
        answer_by = min(now + answer_window(), valid_until)
    elif not now < answer_by <= valid_until:
        raise InvalidRequest("answerBy must be in the future and no later than validUntil.")
    if max_reads is not None and not 1 <= max_reads <= MAX_READS:
        raise InvalidRequest(f"maxReads must be from 1 to {MAX_READS}.")
    normalise_national_id(national_id)  # InvalidNationalId before anything else is done
    if signed is None and (submitted_in_console or settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE):
        signed = signing.sign_as_submitted(
            requester=requester,
            document=signing.unsigned_document(
                national_id=national_id,
                credential_types=list(scope.credential_types),
                claims=scope.claims_json(),
                purpose=purpose,
                purpose_description=purpose_description,
                valid_until=valid_until,
                answer_by=answer_by,
                max_reads=max_reads,
                document_types=list(scope.document_types),
            ),
        )
    checked = signing.check_signed_request(requester=requester, signed=signed) if signed else None
    with transaction.atomic():
        pod, digest, version = _addressee(national_id)
        request_id = uuid.uuid4()
        if checked is not None:
            _keep_evidence(pod, request_id=request_id, requester=requester, checked=checked)
        request = AccessRequest.objects.create(
            id=request_id,
            requester=requester,
            pod=pod,
            national_id_digest=digest,
            national_id_hash_version=version,
            credential_types=list(scope.credential_types),
            claims=scope.claims_json(),
            document_types=list(scope.document_types),
            purpose=purpose,
            purpose_description=purpose_description,
            requested_until=valid_until,
            answer_by=answer_by,
            max_reads=max_reads,
        )
        if pod is not None:
            _deliver(request, pod)
    return request


def _deliver(request: AccessRequest, pod: Pod, *, filed_before: bool = False) -> None:
    """The filing in the pod's log (one entry per type asked for; a request held before the pod
    opened says when it was filed, ``filed <time>``) and in the citizen's inbox, in the caller's
    transaction."""
    for name in [*request.credential_types, *request.document_types]:
        vault.record(
            pod,
            context=AccessContext.for_organisation(
                request.requester, purpose=request.purpose, request_id=request.pk
            ),
            action=AccessEvent.Action.REQUEST_FILED,
            credential_type=name,
            reason=f"filed {_utc(request.created_at)}" if filed_before else "",
        )
    inbox.notify(
        recipient_id=pod.owner_id,
        kind=Notification.Kind.REQUEST_NEW,
        actor_label=request.requester.name,
        request_id=request.pk,
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _lock_identifier(digest: str) -> None:
    """Until the transaction ends, hold a lock named by an identifier's keyed hash (PostgreSQL:
    a transaction-level advisory lock). A filing to an identifier with no pod and the opening
    of that identifier's pod both take it, so neither misses the other: a request held while
    the pod opens is attached by it, and a pod that opened while the filing waited is found."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(bytes.fromhex(digest[:16]), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _addressee(national_id: str) -> tuple[Pod | None, str, str]:
    """In the filing's transaction: the pod of the citizen with this identifier, or, when there
    is none (no such citizen, or no pod yet), None with the identifier's keyed hash under the
    current lookup-hash version and that version, to hold the request for."""
    try:
        return pod_for_national_id(national_id), "", ""
    except CitizenNotFound:
        pass
    digest = national_id_digest(national_id)
    _lock_identifier(digest)
    try:  # a pod opened while we waited for the lock
        return pod_for_national_id(national_id), "", ""
    except CitizenNotFound:
        return None, digest, current_lookup_version()


def attach_held_requests(pod: Pod, national_id: str | None = None) -> list[AccessRequest]:
    """Attach to a pod just opened the requests held for its owner's national identifier (under
    any lookup-hash version), still pending and before their answer-by date: each moves into
    the pod, its keyed hash erased, its signed request re-sealed under the pod's key, and is
    logged (the filing, with the time it was filed) and put in the citizen's inbox, as a
    filing to the pod would have been. In the transaction that opens the pod (vault.services
    .register_pod_opened); ``national_id`` None: only the owner's own keyed hash is matched.
    Nothing is written anywhere else."""
    owner = pod.owner
    if national_id is not None:
        addresses = [(v, national_id_digest(national_id, version=v)) for v in lookup_versions()]
    elif owner.national_id_digest:
        addresses = [(owner.national_id_hash_version, owner.national_id_digest)]
    else:
        return []
    current = dict(addresses).get(current_lookup_version())
    if current:
        _lock_identifier(current)
    addressed = Q()
    for version, digest in addresses:
        addressed |= Q(national_id_hash_version=version, national_id_digest=digest)
    held = list(
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("requester")
        .filter(addressed, pod__isnull=True, status=AccessRequest.Status.PENDING)
        .filter(answer_by__gt=timezone.now())
        .order_by("created_at", "pk")
    )
    for request in held:
        request.pod = pod
        request.national_id_digest = request.national_id_hash_version = ""
        request.save(update_fields=["pod", "national_id_digest", "national_id_hash_version"])
    evidence.attach_held(pod, request_ids=[request.pk for request in held])
    for request in held:
        _deliver(request, pod, filed_before=True)
    return held


def _let_go(request: AccessRequest) -> None:
    """A held request ended unattached (withdrawn, expired): its keyed hash and the bytes of its
    signed request are erased; what the requester sees of it stays. In the caller's transaction."""
    request.national_id_digest = request.national_id_hash_version = ""
    request.save(update_fields=["national_id_digest", "national_id_hash_version"])
    evidence.drop_held(request_ids=[request.pk])


def _keep_evidence(
    pod: Pod | None, *, request_id: uuid.UUID, requester: Organisation, checked: signing.CheckedSignature
) -> None:
    """Keep the signed request in the pod (or held, with no pod: vault.evidence.store); a nonce
    used before raises SignedRequestReplayed (a concurrent copy waits on the unique index entry
    of the first, then fails here)."""
    signed = evidence.SignedRequest(
        request_id=request_id,
        organisation=requester,
        raw=checked.raw,
        nonce=checked.nonce,
        verification_method=checked.key.verification_method,
        custodial=checked.key.custodial,
        signed_at=checked.signed_at,
    )
    try:
        with transaction.atomic():
            evidence.store(pod, signed)
    except IntegrityError:
        raise SignedRequestReplayed(
            "Your organisation sent a request with this nonce before; nothing was stored. Sign each "
            "request with a new nonce."
        ) from None


def _pending_request_of(citizen: User, request_id: Any) -> AccessRequest:
    # The request's row alone is locked (OF self): FOR UPDATE on its pod's and its requester's
    # rows too, as a bare select_for_update() with joins takes, blocked every log entry of that
    # pod and of that organisation (their foreign keys take FOR KEY SHARE), and deadlocked with a
    # sweep or a read that held the log's head while it appended (Pod.objects.locked).
    request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("requester", "pod")
        .filter(pk=request_id, pod__owner=citizen)
        .first()
    )
    if request is None or request.pod is None:  # a held request is nobody's yet
        raise RequestNotFound("You have no access request with that id.")
    return request


@transaction.atomic
def approve_request(
    *,
    citizen: User,
    request_id: Any,
    credential_types: list[str] | None = None,
    valid_until: datetime | None = None,
    claims: Mapping[str, Sequence[str]] | None = None,
    max_reads: int | None = None,
    document_types: list[str] | None = None,
) -> Grant:
    """The citizen approves a request, possibly narrowing the types, the claims, the document
    types, the period or the number of reads (never above what was asked; a request without a
    limit may be given one): a grant. ``credential_types`` or ``document_types`` None: as asked.

    Without ``claims`` each approved type keeps the claims asked for (or is whole, if it was
    asked for whole); with ``claims`` those are the claims allowed, and a type it does not name
    is whole. Raises RequestNotFound, InvalidTransition (not pending, or past its answer-by
    date) or InvalidNarrowing (widening: a type or claim not asked for, a whole credential where
    claims were asked for, more reads than asked). The grant's access-grant credential is signed
    in the same transaction (grant.credential).
    """
    request = _pending_request_of(citizen, request_id)
    if request.is_expired:
        raise InvalidTransition(
            f"This request had to be answered by {request.answer_by:%Y-%m-%d %H:%M} UTC; "
            "it can no longer be approved.",
            state=EXPIRED,
        )
    types = request.credential_types if credential_types is None else sorted(set(credential_types))
    documents = request.document_types if document_types is None else sorted(set(document_types))
    if not types and not documents:
        raise InvalidNarrowing("Approve at least one of the requested credential or document types.")
    if not set(types) <= set(request.credential_types):
        raise InvalidNarrowing(f"Approve some of the requested types {request.credential_types}, no others.")
    if extra := sorted(set(documents) - set(request.document_types)):
        raise InvalidNarrowing(
            f"{', '.join(extra)}: not asked for. Approve some of the requested document types "
            f"({', '.join(request.document_types) or 'none'}), no others."
        )
    asked = request.scope
    if claims is None:
        claims = {name: asked.claims[name] for name in types if name in asked.claims}
    scope = _checked_scope(types, claims, InvalidNarrowing, documents)
    if widened := narrowed(asked, scope):
        raise InvalidNarrowing("A grant may only narrow what was asked: " + " ".join(widened))
    now = timezone.now()
    until = valid_until or request.requested_until
    if until > request.requested_until:
        raise InvalidNarrowing("The grant may not last longer than was asked.")
    if until <= now:
        raise InvalidNarrowing("The grant must end in the future.")
    if max_reads is None:
        max_reads = request.max_reads
    elif max_reads < 1 or (request.max_reads is not None and max_reads > request.max_reads):
        raise InvalidNarrowing(f"Allow from 1 to {request.max_reads or MAX_READS} reads.")
    _transition(request, AccessRequest.Status.APPROVED)
    request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    assert request.pod is not None  # _pending_request_of: the citizen's pod
    grant = Grant.objects.create(
        request=request,
        pod=request.pod,
        grantee=request.requester,
        credential_types=list(scope.credential_types),
        claims=scope.claims_json(),
        document_types=list(scope.document_types),
        purpose=request.purpose,
        valid_from=now,
        valid_until=until,
        max_reads=max_reads,
    )
    for name in [*scope.credential_types, *scope.document_types]:
        vault.record(
            request.pod,
            context=AccessContext.for_citizen(
                citizen, purpose=grant.purpose, grant_id=grant.pk, request_id=request.pk
            ),
            action=AccessEvent.Action.REQUEST_APPROVED,
            credential_type=name,
        )
    grantcredentials.issue_for(grant)
    return grant


@transaction.atomic
def deny_request(*, citizen: User, request_id: Any, reason: str = "") -> AccessRequest:
    """The citizen denies a request, with an optional reason the requester is shown.

    Raises RequestNotFound, InvalidTransition or HiddenCharacters (the reason).
    """
    check_plain_text(reason, field="/reason", label="The reason", multiline=True)
    request = _pending_request_of(citizen, request_id)
    _transition(request, AccessRequest.Status.DENIED)
    request.decided_at = timezone.now()
    request.denial_reason = reason
    request.save(update_fields=["status", "decided_at", "denial_reason"])
    assert request.pod is not None  # _pending_request_of: the citizen's pod
    vault.record(
        request.pod,
        context=AccessContext.for_citizen(citizen, purpose=request.purpose, request_id=request.pk),
        action=AccessEvent.Action.REQUEST_DENIED,
        reason="denied-by-citizen",
    )
    return request


@transaction.atomic
def revoke_grant(*, citizen: User, grant_id: Any) -> Grant:
    """The citizen revokes a grant; the next read under it is denied.

    Raises GrantNotFound or InvalidTransition (already revoked).
    """
    grant = (  # the grant's row alone, as _pending_request_of: not its pod's
        Grant.objects.select_for_update(of=("self",))
        .select_related("pod")
        .filter(pk=grant_id, pod__owner=citizen)
        .first()
    )
    if grant is None:
        raise GrantNotFound("You have no grant with that id.")
    _transition(grant, Grant.Status.REVOKED)
    grant.revoked_at = grant.ended_at = timezone.now()
    grant.save(update_fields=["status", "revoked_at", "ended_at"])
    vault.record(
        grant.pod,
        context=AccessContext.for_citizen(
            citizen, purpose=grant.purpose, grant_id=grant.pk, request_id=grant.request_id
        ),
        action=AccessEvent.Action.GRANT_REVOKED,
    )
    grantcredentials.revoke_for(grant)
    return grant


@transaction.atomic
def withdraw_request(*, requester: Organisation, request_id: Any) -> AccessRequest:
    """The requester takes back a request the citizen has not answered yet (a held one is let
    go: its identifier's keyed hash and its signed request's bytes are erased).

    Raises RequestNotFound (not the requester's) or InvalidTransition (not pending, or expired).
    """
    request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("pod")
        .filter(pk=request_id, requester=requester)
        .first()
    )
    if request is None:
        raise RequestNotFound("Your organisation filed no access request with that id.")
    _transition(request, AccessRequest.Status.WITHDRAWN)
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    if request.pod is None:  # held: no pod to log in; nothing is kept for one any more
        _let_go(request)
        return request
    vault.record(
        request.pod,
        context=AccessContext.for_organisation(requester, purpose=request.purpose, request_id=request.pk),
        action=AccessEvent.Action.REQUEST_WITHDRAWN,
    )
    return request


@transaction.atomic
def expire_request(*, request_id: Any) -> AccessRequest:
    """Record that a request went unanswered past its answer-by date (the beat sweep calls it).
    A held request (no pod came) is pruned instead of logged: its identifier's keyed hash and its
    signed request's bytes are erased, and it shows expired to its requester as any other.

    Raises RequestNotFound, or InvalidTransition when it is not pending or not yet due.
    """
    request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("pod")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise RequestNotFound("No access request with that id.")
    now = timezone.now()
    if request.status == AccessRequest.Status.PENDING and request.answer_by > now:
        raise InvalidTransition("This request may still be answered.", state=request.status)
    _transition(request, AccessRequest.Status.EXPIRED)
    request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    if request.pod is None:  # held and never attached: pruned (its keyed hash and evidence erased)
        _let_go(request)
        return request
    vault.record(
        request.pod,
        context=AccessContext.system(purpose=request.purpose, request_id=request.pk),
        action=AccessEvent.Action.REQUEST_EXPIRED,
        reason="unanswered",
    )
    return request


@transaction.atomic
def withdraw_grant(*, requester: Organisation, grant_id: Any) -> Grant:
    """The grantee gives a grant up; no read under it is allowed from then on.

    Raises GrantNotFound (not the requester's) or InvalidTransition (no longer active).
    """
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("pod")
        .filter(pk=grant_id, grantee=requester)
        .first()
    )
    if grant is None:
        raise GrantNotFound("No grant with that id was given to your organisation.")
    _transition(grant, Grant.Status.WITHDRAWN)
    grant.ended_at = timezone.now()
    grant.save(update_fields=["status", "ended_at"])
    vault.record(
        grant.pod,
        context=AccessContext.for_organisation(
            requester, purpose=grant.purpose, grant_id=grant.pk, request_id=grant.request_id
        ),
        action=AccessEvent.Action.GRANT_WITHDRAWN,
    )
    grantcredentials.revoke_for(grant)
    return grant


@transaction.atomic
def expire_grant(*, grant_id: Any) -> Grant:
    """Record that a grant's period is over (the beat sweep calls it; reads check the clock anyway).

    Raises GrantNotFound, or InvalidTransition when it is not active or not yet due.
    """
    grant = Grant.objects.select_for_update(of=("self",)).select_related("pod").filter(pk=grant_id).first()
    if grant is None:
        raise GrantNotFound("No grant with that id.")
    now = timezone.now()
    if grant.status == Grant.Status.ACTIVE and grant.valid_until > now:
        raise InvalidTransition("This grant has not reached its end.", state=grant.status)
    _transition(grant, Grant.Status.EXPIRED)
    grant.ended_at = now
    grant.save(update_fields=["status", "ended_at"])
    vault.record(
        grant.pod,
        context=AccessContext.system(purpose=grant.purpose, grant_id=grant.pk, request_id=grant.request_id),
        action=AccessEvent.Action.GRANT_EXPIRED,
    )
    grantcredentials.revoke_for(grant)
    return grant


def _exhaust(grant: Grant, *, by_citizen: bool) -> None:
    """The grant's last allowed read is used: it ends, logged in the caller's transaction; the
    citizen is told unless they caused it by lowering the limit themselves."""
    _transition(grant, Grant.Status.EXHAUSTED)
    grant.ended_at = timezone.now()
    grant.save(update_fields=["status", "ended_at"])
    vault.record(
        grant.pod,
        context=AccessContext.system(purpose=grant.purpose, grant_id=grant.pk, request_id=grant.request_id),
        action=AccessEvent.Action.GRANT_EXHAUSTED,
    )
    grantcredentials.revoke_for(grant)
    if not by_citizen:
        inbox.notify(
            recipient_id=grant.pod.owner_id,
            kind=Notification.Kind.GRANT_EXHAUSTED,
            actor_label=grant.grantee.name,
            grant_id=grant.pk,
            once_key=f"grant.exhausted:{grant.pk}",  # a grant is exhausted once; told once
        )


@transaction.atomic
def lower_read_limit(*, citizen: User, grant_id: Any, max_reads: int) -> Grant:
    """The citizen lowers how many reads an active grant allows (or limits an unlimited one).

    Never raises it. A limit equal to the reads already made ends the grant (exhausted). The
    same limit again changes nothing and logs nothing. Raises GrantNotFound, InvalidTransition
    (not active) or InvalidNarrowing (higher than now, or below the reads already made).
    """
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("pod", "grantee")
        .filter(pk=grant_id, pod__owner=citizen)
        .first()
    )
    if grant is None:
        raise GrantNotFound("You have no grant with that id.")
    if grant.effective_status != Grant.Status.ACTIVE:
        raise InvalidTransition(
            f"This grant is {grant.effective_status}; its read limit can no longer change.",
            state=grant.effective_status,
        )
    if grant.max_reads is not None and max_reads > grant.max_reads:
        raise InvalidNarrowing(f"The limit is {grant.max_reads} reads; it may only be lowered.")
    if max_reads < max(grant.reads_used, 1):
        raise InvalidNarrowing(
            f"{grant.grantee.name} has already read {grant.reads_used} times; "
            f"the limit can be no lower than {max(grant.reads_used, 1)} (revoke the grant to stop all reads)."
        )
    if max_reads == grant.max_reads:
        return grant
    grant.max_reads = max_reads
    grant.save(update_fields=["max_reads"])
    vault.record(
        grant.pod,
        context=AccessContext.for_citizen(
            citizen, purpose=grant.purpose, grant_id=grant.pk, request_id=grant.request_id
        ),
        action=AccessEvent.Action.GRANT_LIMIT_LOWERED,
        reason=f"max-reads:{max_reads}",
    )
    if grant.reads_used == max_reads:
        _exhaust(grant, by_citizen=True)
    else:  # its credential said more reads: it is revoked, and one that says the new limit issued
        grantcredentials.reissue_for(grant)
    return grant


# What an employer's presentation request may carry: a challenge long enough to be a real nonce,
# and both as visible ASCII, so the bytes signed are the bytes the employer will compare.
CHALLENGE_MIN_LENGTH = 16
CHALLENGE_MAX_LENGTH = 256
DOMAIN_MAX_LENGTH = 256
PRESENTATION_OPTION_PATTERN = r"^[\x21-\x7e]+\Z"  # \Z: "$" would let a final newline through
# The holder key is Ed25519: its presentations are signed with the EdDSA suites, whatever else
# the service can sign or verify.
PRESENTATION_CRYPTOSUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
# A read's presentation is signed with eddsa-jcs-2022 unless the requester asks for rdfc: JCS
# signs the JSON without canonicalizing it as RDF, and the strict JSON-LD check of a pod's
# presentation document (the same until the pod's credentials change) is made once per worker
# (vc.dataintegrity.suites), so the holder's proof costs a fraction of RDFC-1.0's, which grows
# with every credential the presentation carries (docs/benchmarks.md).
PRESENTATION_CRYPTOSUITE = "eddsa-jcs-2022"


def _check_presentation_options(
    challenge: Any, domain: Any, cryptosuite: Any = PRESENTATION_CRYPTOSUITE
) -> None:
    """Raises ProofOptionsInvalid unless challenge, domain and suite are what a read may be made with."""
    if cryptosuite not in PRESENTATION_CRYPTOSUITES:
        raise ProofOptionsInvalid(
            f"{cryptosuite!r} is not a cryptosuite presentations are signed with.",
            path="/cryptosuite",
            supportedCryptosuites=list(PRESENTATION_CRYPTOSUITES),
        )
    for name, value, low, high in (
        ("challenge", challenge, CHALLENGE_MIN_LENGTH, CHALLENGE_MAX_LENGTH),
        ("domain", domain, 1, DOMAIN_MAX_LENGTH),
    ):
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise ProofOptionsInvalid(f"The {name} must be {low} to {high} characters.", path=f"/{name}")
        if not re.match(PRESENTATION_OPTION_PATTERN, value):
            raise ProofOptionsInvalid(
                f"The {name} must be visible ASCII characters, without spaces.", path=f"/{name}"
            )


# The grant with its pod and grantee: one row by primary key (no ORDER BY), written once per
# process instead of composed by the ORM on every read (docs/benchmarks.md). Each lock adds its
# clause; FOR SHARE asks only for a grant without a read limit.
_GRANT_SQL = (
    'SELECT {grant}, {pod}, {grantee} FROM "consent_grant" '
    'INNER JOIN "vault_pod" ON ("consent_grant"."pod_id" = "vault_pod"."id") '
    'INNER JOIN "accounts_organisation" ON ("consent_grant"."grantee_id" = "accounts_organisation"."id") '
    'WHERE "consent_grant"."id" = %s'
)
_GRANT_LOCKS = {
    "none": "",
    "share": ' AND "consent_grant"."max_reads" IS NULL FOR SHARE OF "consent_grant"',
    "exclusive": ' FOR NO KEY UPDATE OF "consent_grant"',
}


@functools.cache
def _grant_statement(lock: str) -> tuple[str, tuple[rows.Columns, rows.Columns, rows.Columns]]:
    parts = (rows.columns(Grant), rows.columns(Pod), rows.columns(Organisation))
    grant, pod, grantee = (part.sql for part in parts)
    return _GRANT_SQL.format(grant=grant, pod=pod, grantee=grantee) + _GRANT_LOCKS[lock], parts


def _grant_row(grant_uuid: uuid.UUID, lock: str) -> Grant | None:
    """The grant with its pod and grantee, read by ``lock``'s statement, as select_related()
    would have made them; None if the statement finds no row."""
    sql, (grant_columns, pod_columns, grantee_columns) = _grant_statement(lock)
    with connection.cursor() as cursor:
        cursor.execute(sql, [Grant._meta.pk.get_db_prep_value(grant_uuid, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    pod_at = grant_columns.count
    grantee_at = pod_at + pod_columns.count
    grant = grant_columns.make(row[:pod_at])
    Grant.pod.field.set_cached_value(grant, pod_columns.make(row[pod_at:grantee_at]))
    Grant.grantee.field.set_cached_value(grant, grantee_columns.make(row[grantee_at:]))
    return grant


def _locked_grant(grant_id: Any) -> Grant | None:
    """The grant with its pod and grantee, its row locked until the transaction ends
    (PostgreSQL): FOR SHARE, or, when the grant has a read limit, FOR NO KEY UPDATE. None if
    there is no such grant.

    A revocation takes the row FOR UPDATE, so it waits for the reads in flight, and a read that
    comes after it waits for it to commit. Reads of a grant without a limit share the lock: they
    do not queue behind each other here. Reads of a grant with a limit count, and so write the
    row: they take it exclusively from the start (two share locks upgraded by their holders
    would deadlock), so they run one at a time, each sees the count the one before committed,
    and exactly one read takes the last.

    The lock and the read are one statement: a read that waited for a revocation (or a limit
    set meanwhile) still gets the row as that transaction committed it, because under READ
    COMMITTED PostgreSQL returns the newest version of a row a locking SELECT waited for and
    checks it against the WHERE clause again. The first statement asks only for a grant without
    a limit (FOR SHARE); a grant with one (or given one while the read waited) no longer
    matches it, and the second statement takes it FOR NO KEY UPDATE. SQLite serialises writing
    transactions anyway (and a read writes the log), and has no row locks: there it is a plain
    SELECT.
    """
    try:
        grant_uuid = uuid.UUID(str(grant_id))
    except ValueError:
        raise GrantNotFound("No grant with that id was given to your organisation.") from None
    if connection.vendor != "postgresql":
        return _grant_row(grant_uuid, "none")
    return _grant_row(grant_uuid, "share") or _grant_row(grant_uuid, "exclusive")


# A pod's log takes at most one entry per hour from each organisation that tries a grant it was
# not given (a guessed or leaked id): the citizen learns someone tried, and nobody can fill a
# citizen's log by repeating the attempt (docs/api.md, "Denied attempts").
FOREIGN_ATTEMPT_WINDOW_SECONDS = 3600


def _first_foreign_attempt(organisation: Organisation, grant: Grant) -> bool:
    key = f"consent:foreign-attempt:{grant.pod_id}:{organisation.pk}"
    return bool(cache.add(key, 1, timeout=FOREIGN_ATTEMPT_WINDOW_SECONDS))


def _grant_for_attempt(
    organisation: Organisation, grant_id: Any, purpose: str
) -> tuple[Grant, AccessContext, str | None]:
    """In the caller's transaction, the grant locked as its limit asks (``_locked_grant``) and
    the log context of this attempt on it; GrantNotFound when there is no such grant. The third
    member is None when ``organisation`` is its grantee; for another organisation, the reason to
    log the attempt with ("not-grantee" the first time in the window, "" after), the caller then
    refusing with a GrantNotFound (``_not_given``) like a missing grant's."""
    grant = _locked_grant(grant_id)
    if grant is None:
        raise _not_given()
    known_purpose = purpose if purpose in Purpose.values else ""
    context = AccessContext.for_organisation(
        organisation, purpose=known_purpose, grant_id=grant.pk, request_id=grant.request_id
    )
    if grant.grantee_id == organisation.pk:
        return grant, context, None
    return grant, context, "not-grantee" if _first_foreign_attempt(organisation, grant) else ""


def _not_given() -> GrantNotFound:
    return GrantNotFound("No grant with that id was given to your organisation.")


def _check_read_arguments(purpose: str, credential_type: str | None) -> None:
    """Raises UnknownCredentialType or UnknownPurpose for a type or purpose this service does not know."""
    if credential_type is not None:
        check_type_name(credential_type)
    if purpose not in Purpose.values:
        raise UnknownPurpose(
            f"{purpose!r} is not a purpose this service knows.", allowedPurposes=list(Purpose.values)
        )


def _count_read(grant: Grant) -> None:
    """Count one read under a grant with a limit, in the read's transaction; the read that takes
    the last one exhausts the grant. The UPDATE's own condition refuses a read past the limit
    even where no row lock held the count (SQLite)."""
    counted = Grant.objects.filter(
        pk=grant.pk, status=Grant.Status.ACTIVE, reads_used__lt=F("max_reads")
    ).update(reads_used=F("reads_used") + 1)
    if counted != 1:
        raise RuntimeError(f"Grant {grant.pk}: a read was allowed past its limit.")
    grant.reads_used += 1
    if grant.reads_used == grant.max_reads:
        _exhaust(grant, by_citizen=False)


MAX_READ_CLAIMS = 20
MAX_POINTER_LENGTH = 200


def _checked_read_claims(claims: Sequence[str] | None, credential_type: str | None) -> tuple[str, ...] | None:
    """The claims a read names, as given (compared with the grant's as strings, never resolved),
    without repeats; raises InvalidRead for claims without a type, or beyond the limits."""
    if claims is None:
        return None
    if credential_type is None:
        raise InvalidRead("Name the credential type (type) the claims are of.", path="/type")
    if isinstance(claims, str) or not 1 <= len(claims) <= MAX_READ_CLAIMS:
        raise InvalidRead(f"Name 1 to {MAX_READ_CLAIMS} claims.", path="/claim")
    for pointer in claims:
        if not isinstance(pointer, str) or not 1 <= len(pointer) <= MAX_POINTER_LENGTH:
            raise InvalidRead(
                f"A claim is a JSON pointer of 1 to {MAX_POINTER_LENGTH} characters.", path="/claim"
            )
    return tuple(sorted(set(claims)))


def read_under_grant(
    *,
    organisation: Organisation,
    grant_id: Any,
    purpose: str,
    challenge: str,
    domain: str,
    credential_type: str | None = None,
    cryptosuite: str = PRESENTATION_CRYPTOSUITE,
    claims: Sequence[str] | None = None,
) -> tuple[Grant, dict[str, Any]]:
    """A requester reads credentials under a grant, as a verifiable presentation made for it.

    The presentation holds the credentials with their original proofs and is signed with the
    pod's holder key (proof purpose authentication, with ``cryptosuite``) over the requester's
    ``challenge`` and ``domain``, so it fails verification if replayed with another challenge or
    shown to another domain. The decision, the read, the signature, the read's count (a grant
    with a limit) and the log entries are one transaction; a denial is logged and committed
    before the error is raised: AccessDenied, UnknownCredentialType or UnknownPurpose (the
    grantee asked for a type or purpose this service does not know: logged without the value),
    or GrantNotFound (no such grant, or another organisation's: logged at most once an hour per
    organisation and pod). Raises ProofOptionsInvalid (challenge, domain or cryptosuite
    unusable) and InvalidRead (``claims`` without ``credential_type``, or malformed) first,
    logging nothing.

    A type the grant scopes to fields, or a read naming ``claims`` (of ``credential_type``; each
    must be one the grant allows, spelled as it holds it), releases derived credentials: only
    those claims and the issuer's mandatory ones, under the issuer's ecdsa-sd-2023 proof. A
    credential issued without that proof cannot be narrowed: such a read is denied
    ("fields-not-disclosable") and logged.
    """
    _check_presentation_options(challenge, domain, cryptosuite)
    asked_claims = _checked_read_claims(claims, credential_type)
    refusal: Exception
    with transaction.atomic():
        grant, context, foreign = _grant_for_attempt(organisation, grant_id, purpose)
        reason = ""
        if foreign is not None:
            refusal, reason = _not_given(), foreign
        else:
            try:
                _check_read_arguments(purpose, credential_type)
            except (UnknownCredentialType, UnknownPurpose) as exc:
                refusal, reason = exc, exc.code
            else:
                decision = decide(
                    grant,
                    organisation=organisation,
                    purpose=purpose,
                    credential_type=credential_type,
                    at=timezone.now(),
                    claims=asked_claims,
                )
                if decision.allowed:
                    types = (credential_type,) if credential_type else tuple(grant.credential_types)
                    if credential_type and asked_claims is not None:
                        fields = {credential_type: asked_claims}
                    else:
                        fields = {
                            name: grant.scope.claims[name] for name in types if name in grant.scope.claims
                        }
                    permit = disclosure.Permit(
                        pod=grant.pod, context=context, credential_types=types, claims=fields
                    )
                    try:
                        presentation = disclosure.present(
                            permit, challenge=challenge, domain=domain, cryptosuite=cryptosuite
                        )
                    except NotDisclosable as not_disclosable:
                        decision = Decision(False, "fields-not-disclosable", not_disclosable.detail)
                    else:
                        if grant.max_reads is not None:  # counted with the read: both commit, or neither
                            _count_read(grant)
                        return grant, presentation
                refusal, reason = AccessDenied(decision.reason, decision.detail), decision.reason
        if reason:
            vault.record(
                grant.pod,
                context=context,
                action=AccessEvent.Action.ACCESS_DENIED,
                outcome=AccessEvent.Outcome.DENIED,
                # Only a type this service knows: the log never shows text a requester made up.
                credential_type=credential_type if credential_type in CREDENTIAL_TYPES else "",
                reason=reason,
                # The grantee's claims (bounded pointers), as asked: never another organisation's.
                fields=(asked_claims or ()) if grant.grantee_id == organisation.pk else (),
            )
    # Outside the block: the denial's log entry has committed; now refuse.
    raise refusal


@dataclass(frozen=True)
class DocumentRead:
    """A document a grantee downloads: its metadata, name, and content as an iterator of
    plaintext chunks (each read and opened when taken, after the read committed)."""

    document: PodDocument
    name: str
    content: Iterator[bytes]


def _under_grant_for_documents(
    *, organisation: Organisation, grant_id: Any, purpose: str, document_id: Any | None, act: Any
) -> Any:
    """The decision for the documents of a grant (``document_id`` None: their list), then
    ``act(grant, permit, document)`` in its transaction; a denial is logged and committed
    before the error is raised, as in read_under_grant. A document of the pod that the grant
    does not cover (another type), or none with that id, is a 404 that does not say which;
    the log says which (``out-of-scope`` or ``document-not-found``)."""
    refusal: Exception
    with transaction.atomic():
        grant, context, foreign = _grant_for_attempt(organisation, grant_id, purpose)
        reason, document_type = "", ""
        if foreign is not None:
            refusal, reason = _not_given(), foreign
        else:
            try:
                _check_read_arguments(purpose, None)
            except UnknownPurpose as exc:
                refusal, reason = exc, exc.code
            else:
                document = None
                if document_id is not None:
                    document = disclosure.document_in(grant.pod, document_id)
                    document_type = document.document_type if document is not None else ""
                decision = decide(
                    grant,
                    organisation=organisation,
                    purpose=purpose,
                    credential_type=None,
                    at=timezone.now(),
                    document_type=document_type,
                )
                if decision.allowed and document_id is not None and document is None:
                    decision = Decision(False, "document-not-found", "")
                if decision.allowed:
                    permit = disclosure.DocumentPermit(
                        pod=grant.pod, context=context, document_types=tuple(grant.document_types)
                    )
                    result = act(grant, permit, document)
                    if document is not None and grant.max_reads is not None:
                        _count_read(grant)  # a download counts, with its log entry: both or neither
                    return result
                if document_id is not None and decision.reason in {"out-of-scope", "document-not-found"}:
                    refusal = DocumentNotFound("The grant covers no document with that id.")
                else:
                    refusal = AccessDenied(decision.reason, decision.detail)
                reason = decision.reason
        if reason:
            vault.record(
                grant.pod,
                context=context,
                action=AccessEvent.Action.ACCESS_DENIED,
                outcome=AccessEvent.Outcome.DENIED,
                credential_type=document_type,  # a registered document type, or ""
                reason=reason,
            )
    raise refusal


def documents_under_grant(*, organisation: Organisation, grant_id: Any, purpose: str) -> list[PodDocument]:
    """The documents of the types a grant covers (metadata: no name, nothing decrypted), for
    its grantee, for the grant's purpose. Listing is not a read: it uses none of the grant's
    reads and is not logged; a denied attempt is (AccessDenied, GrantNotFound, UnknownPurpose,
    as for read_under_grant; a grant covering no document type is ``out-of-scope``)."""
    return _under_grant_for_documents(
        organisation=organisation,
        grant_id=grant_id,
        purpose=purpose,
        document_id=None,
        act=lambda grant, permit, document: disclosure.permitted_documents(permit),
    )


def read_document_under_grant(
    *, organisation: Organisation, grant_id: Any, purpose: str, document_id: Any
) -> DocumentRead:
    """A grantee downloads one document the grant covers: a read, decided as any other (the
    grant active, begun, not ended, reads left, the purpose), counted against the grant's read
    limit and logged ``document.read`` in the pod, with the grant, in one transaction; the
    content is then streamed a chunk at a time. Raises DocumentNotFound (no such document in
    the pod, or one of a type the grant does not cover: logged as a denied attempt),
    AccessDenied, GrantNotFound or UnknownPurpose as read_under_grant does."""

    def act(grant: Grant, permit: Any, document: PodDocument) -> DocumentRead:
        name, content = disclosure.open_permitted(permit, document)
        return DocumentRead(document, name, content)

    return _under_grant_for_documents(
        organisation=organisation, grant_id=grant_id, purpose=purpose, document_id=document_id, act=act
    )


SWEEP_BATCH = 1000  # per kind and run: a backlog is worked through over the next runs


def _each(ids: Any, act: Any) -> int:
    """Run ``act`` on each id, counting those it changed; one another sweep or a person got to
    first (InvalidTransition) or that is gone (NotFound) is skipped."""
    done = 0
    for item_id in ids:
        try:
            act(item_id)
        except (InvalidTransition, RequestNotFound, GrantNotFound):
            continue
        done += 1
    return done


def sweep_lifecycle() -> dict[str, int]:
    """Store and log what the clock already decided: pending requests past their answer-by date
    expire (held ones, to which no pod came, are pruned: expire_request), active grants past
    their end expire; and tell each citizen once (inbox and e-mail)
    of a grant ending within GRANT_EXPIRY_NOTICE_DAYS.

    Each item is its own transaction (expire_request, expire_grant, one notice), so a crash
    loses nothing done; running it twice, or two at once, changes and logs each item once.
    Reads never wait for it: they check the clock themselves. Returns what it did.
    """
    now = timezone.now()
    due_requests = AccessRequest.objects.filter(
        status=AccessRequest.Status.PENDING, answer_by__lte=now
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    due_grants = Grant.objects.filter(status=Grant.Status.ACTIVE, valid_until__lte=now).values_list(
        "pk", flat=True
    )[:SWEEP_BATCH]
    done = {
        "requestsExpired": _each(list(due_requests), lambda pk: expire_request(request_id=pk)),
        "grantsExpired": _each(list(due_grants), lambda pk: expire_grant(grant_id=pk)),
        "expiryNotices": 0,
    }
    ending = (
        Grant.objects.filter(
            status=Grant.Status.ACTIVE,
            valid_until__gt=now,
            valid_until__lte=now + timedelta(days=settings.GRANT_EXPIRY_NOTICE_DAYS),
        )
        .exclude(
            Exists(
                Notification.objects.filter(kind=Notification.Kind.GRANT_EXPIRING, grant_id=OuterRef("pk"))
            )
        )
        .select_related("pod", "grantee")[:SWEEP_BATCH]
    )
    for grant in ending:
        with transaction.atomic():
            notice = inbox.notify(
                recipient_id=grant.pod.owner_id,
                kind=Notification.Kind.GRANT_EXPIRING,
                actor_label=grant.grantee.name,
                grant_id=grant.pk,
                once_key=f"grant.expiring:{grant.pk}",
            )
        done["expiryNotices"] += notice is not None
    return done


# --- agencies under law: mandates and legal reads -----------------------------------------------

MAX_MANDATE_DELAY_DAYS = 3650
MAX_LEGAL_READ_CITIZENS = 100  # a bulk read names at most this many citizens
CASE_REFERENCE_MAX_LENGTH = 64
# A case reference as agencies number files: letters, digits and . / _ : # ( ) - and spaces inside.
CASE_REFERENCE_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9 ./_:#()-]*[A-Za-z0-9./_:#()-])?\Z"


def _mandate_snapshot(mandate: Mandate) -> dict[str, Any]:
    return {
        "agency": str(mandate.agency_id),
        "referenceUrl": mandate.reference_url,
        "referenceTitle": mandate.reference_title,
        "authorizationDetails": mandate.scope.authorization_details(),
        "purpose": mandate.purpose,
        "disclosureDelayDays": mandate.disclosure_delay_days,
        "validFrom": mandate.valid_from.isoformat(),
        "validUntil": mandate.valid_until.isoformat(),
        "endedAt": mandate.ended_at.isoformat() if mandate.ended_at else None,
        "endReason": mandate.end_reason,
    }


def _operator_label(operator: User | None, label: str) -> str:
    return label or (operator.get_username() if operator is not None else "") or "manage.py"


@transaction.atomic
def register_mandate(
    *,
    agency: Organisation,
    reference_url: str,
    reference_title: str,
    credential_types: Sequence[str],
    purpose: str,
    valid_until: datetime,
    claims: Mapping[str, Sequence[str]] | None = None,
    valid_from: datetime | None = None,
    disclosure_delay_days: int = 0,
    operator: User | None = None,
    operator_label: str = "",
) -> Mandate:
    """An operator records what the law lets an agency read without consent: the legal
    reference (a URL and a title), credential types and, per type, the claims (checked against
    the registry as requests are, consent.scopes), the purpose, an optional disclosure delay in
    days, and the period. Audited (MandateEvent, in the same transaction).

    Raises InvalidMandate naming what is wrong (not an agency, a bad URL or title, a type or
    claim the registry refuses, an unknown purpose, a delay or period out of bounds).
    """
    if agency.kind != Organisation.Kind.AGENCY or not agency.is_active:
        raise InvalidMandate(f"{agency.name} is not an active public agency; only agencies hold mandates.")
    try:
        URLValidator(schemes=["https", "http"])(reference_url)
    except DjangoValidationError:
        raise InvalidMandate(f"{reference_url!r} is not an http(s) URL of the law.") from None
    if len(reference_url) > 500:
        raise InvalidMandate("The legal reference URL has at most 500 characters.")
    if not reference_title.strip() or len(reference_title) > 200:
        raise InvalidMandate("Give the law's title (1 to 200 characters).")
    check_plain_text(reference_title, field="/referenceTitle", label="The legal reference's title")
    if not credential_types:
        raise InvalidMandate("A mandate covers at least one credential type.")
    for name in credential_types:
        if name not in CREDENTIAL_TYPES:
            raise InvalidMandate(
                f"{name!r} is not a credential type this service knows "
                f"(supported: {', '.join(sorted(CREDENTIAL_TYPES))})."
            )
    scope = _checked_scope(credential_types, claims, InvalidMandate)
    if purpose not in Purpose.values:
        raise InvalidMandate(f"Unknown purpose {purpose!r}.", allowedPurposes=list(Purpose.values))
    if not 0 <= disclosure_delay_days <= MAX_MANDATE_DELAY_DAYS:
        raise InvalidMandate(f"The disclosure delay is 0 to {MAX_MANDATE_DELAY_DAYS} days.")
    now = timezone.now()
    valid_from = valid_from or now
    if valid_until <= max(valid_from, now):
        raise InvalidMandate("A mandate ends in the future, after it begins.")
    mandate = Mandate.objects.create(
        agency=agency,
        reference_url=reference_url,
        reference_title=reference_title,
        credential_types=list(scope.credential_types),
        claims=scope.claims_json(),
        purpose=purpose,
        disclosure_delay_days=disclosure_delay_days,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    MandateEvent.objects.create(
        mandate=mandate,
        action=MandateEvent.Action.REGISTERED,
        operator=operator,
        operator_label=_operator_label(operator, operator_label),
        snapshot=_mandate_snapshot(mandate),
    )
    return mandate


@transaction.atomic
def end_mandate(
    *, mandate_id: Any, reason: str = "", operator: User | None = None, operator_label: str = ""
) -> Mandate:
    """An operator ends a mandate now: reads under it are refused from then on (a read in flight
    holds the mandate's row, so it completes first, or is refused). Audited.

    Raises MandateNotFound, InvalidTransition (ended already) or HiddenCharacters (the reason).
    """
    check_plain_text(reason, field="/reason", label="The reason", multiline=True)
    try:
        mandate = Mandate.objects.select_for_update().filter(pk=uuid.UUID(str(mandate_id))).first()
    except ValueError:
        mandate = None
    if mandate is None:
        raise MandateNotFound("No mandate with that id.")
    if mandate.ended_at is not None:
        raise InvalidTransition("This mandate has ended already.", state="ended")
    mandate.ended_at = timezone.now()
    mandate.end_reason = reason[:500]
    mandate.save(update_fields=["ended_at", "end_reason"])
    MandateEvent.objects.create(
        mandate=mandate,
        action=MandateEvent.Action.ENDED,
        operator=operator,
        operator_label=_operator_label(operator, operator_label),
        snapshot=_mandate_snapshot(mandate),
    )
    return mandate


def case_reference_problem(case_reference: Any) -> str:
    """What is wrong with a case reference ('' when nothing is)."""
    if not isinstance(case_reference, str) or not case_reference:
        return "State the case reference of the file this read is for (caseReference)."
    if len(case_reference) > CASE_REFERENCE_MAX_LENGTH or not re.match(
        CASE_REFERENCE_PATTERN, case_reference
    ):
        return (
            f"A case reference is 1 to {CASE_REFERENCE_MAX_LENGTH} letters, digits, spaces and "
            "./_:#()- , beginning with a letter or digit and not ending in a space."
        )
    return ""


def _share_lock_mandate(mandate_id: uuid.UUID) -> None:
    """Lock the mandate row FOR SHARE until the read's transaction ends (PostgreSQL): ending it
    (FOR UPDATE) waits for the reads in flight, and a read after it sees it ended."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1 FROM "consent_mandate" WHERE "id" = %s FOR SHARE', [mandate_id])


@dataclass(frozen=True)
class LegalReadResult:
    """What a legal read did in one citizen's pod: the presentation, or why it was refused."""

    national_id: str
    presentation: dict[str, Any] | None = None
    reason: str = ""
    detail: str = ""
    sealed_until: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.presentation is not None


def _checked_citizens(national_ids: Sequence[str], *, unknown_per_citizen: bool) -> list[Any]:
    """Each citizen's pod, in order; an unknown citizen raises CitizenNotFound, or is None when
    ``unknown_per_citizen``."""
    if isinstance(national_ids, str) or not 1 <= len(national_ids) <= MAX_LEGAL_READ_CITIZENS:
        raise InvalidRead(f"Name 1 to {MAX_LEGAL_READ_CITIZENS} citizens.", path="/citizens")
    if len(set(national_ids)) != len(national_ids):
        raise InvalidRead("A citizen is named twice.", path="/citizens")
    pods: list[Any] = []
    for national_id in national_ids:
        try:
            pods.append(pod_for_national_id(national_id))
        except CitizenNotFound:
            if not unknown_per_citizen:
                raise
            pods.append(None)
    return pods


def read_under_mandate(
    *,
    organisation: Organisation,
    mandate_id: Any,
    case_reference: Any,
    national_ids: Sequence[str],
    challenge: str,
    domain: str,
    credential_type: str | None = None,
    claims: Sequence[str] | None = None,
    cryptosuite: str = PRESENTATION_CRYPTOSUITE,
    unknown_per_citizen: bool = False,
) -> list[LegalReadResult]:
    """An agency reads, without the citizens' consent, under a mandate the law gives it, for a
    case: one citizen or many (a bulk read). Every citizen's read is logged in that citizen's
    own pod as a legal read (the mandate, its legal reference, the case reference), sealed until
    a date where the mandate has a disclosure delay; the citizen is told at once of a read that
    is not sealed.

    Per citizen atomic: each citizen's decision, read, signature, log entries and notification
    are one transaction (a crash mid-way leaves every citizen either read and logged, or not
    read). The mandate is re-checked in each, under a share lock of its row, so ending it stops
    the rest of a bulk read in flight.

    A refusal is logged as a denied attempt in each citizen's pod, then raised once all are
    logged when every citizen was refused: AccessDenied (no such mandate, another agency's, not
    an agency, ended, expired, a type or claim outside the mandate, compared as strings),
    InvalidCaseReference (missing or malformed), UnknownCredentialType. Raised first, logging
    nothing: ProofOptionsInvalid, InvalidRead (claims without a type, a citizen named twice, too
    many), CitizenNotFound (all citizens are resolved before anything is read).

    With ``unknown_per_citizen`` (the agency console, which names each line's outcome) a
    citizen without a pod is not a refusal of the whole read but that citizen's result
    (reason ``citizen-not-found``); there is no pod to log it in. The API keeps the 404.
    """
    _check_presentation_options(challenge, domain, cryptosuite)
    asked_claims = _checked_read_claims(claims, credential_type)
    pods = _checked_citizens(national_ids, unknown_per_citizen=unknown_per_citizen)
    case_problem = case_reference_problem(case_reference)
    case_logged = case_reference if not case_problem else ""
    try:
        mandate_uuid: uuid.UUID | None = uuid.UUID(str(mandate_id))
    except ValueError:
        mandate_uuid = None
    unknown_type: UnknownCredentialType | None = None
    if credential_type is not None:
        try:
            check_type_name(credential_type)
        except UnknownCredentialType as exc:
            unknown_type = exc
    read_id = uuid.uuid4()
    results: list[LegalReadResult] = []
    first_refusal: Exception | None = None
    for pod, national_id in zip(pods, national_ids, strict=True):
        if pod is None:
            results.append(
                LegalReadResult(national_id, reason=CitizenNotFound.code, detail=NO_POD_FOR_CITIZEN)
            )
            continue
        with transaction.atomic():
            mandate = None
            if mandate_uuid is not None:
                _share_lock_mandate(mandate_uuid)
                mandate = Mandate.objects.filter(pk=mandate_uuid).first()
            own = mandate is not None and mandate.agency_id == organisation.pk
            now = timezone.now()
            decision = decide_legal_read(
                mandate,
                organisation=organisation,
                case_reference_problem=case_problem,
                credential_type=credential_type,
                at=now,
                claims=asked_claims,
            )
            if decision.allowed and unknown_type is not None:
                decision = Decision(False, unknown_type.code, unknown_type.detail)
            delay = mandate.disclosure_delay_days if mandate is not None and own else 0
            # To the second, as the entry states it (vault.sealing).
            sealed_until = (
                (now + timedelta(days=delay)).replace(microsecond=0) if decision.allowed and delay else None
            )
            legal = LegalRead(
                mandate_id=mandate_uuid if mandate is not None else None,
                # Another agency's mandate: its id only (the attempt is the asker's, not the holder's).
                reference_url=mandate.reference_url if own and mandate else "",
                reference_title=mandate.reference_title if own and mandate else "",
                case_reference=case_logged,
                sealed_until=sealed_until,
            )
            context = AccessContext.for_organisation(
                organisation,
                purpose=mandate.purpose if own and mandate else "",
                legal_basis=f"mandate:{mandate.pk}" if own and mandate else "",
                legal=legal,
            )
            if decision.allowed:
                assert mandate is not None
                types = (credential_type,) if credential_type else tuple(mandate.credential_types)
                if credential_type and asked_claims is not None:
                    fields = {credential_type: asked_claims}
                else:
                    fields = {
                        name: mandate.scope.claims[name] for name in types if name in mandate.scope.claims
                    }
                permit = disclosure.Permit(pod=pod, context=context, credential_types=types, claims=fields)
                try:
                    presentation = disclosure.present(
                        permit, challenge=challenge, domain=domain, cryptosuite=cryptosuite
                    )
                except NotDisclosable as not_disclosable:
                    decision = Decision(False, "fields-not-disclosable", not_disclosable.detail)
                    context = replace(context, legal=replace(legal, sealed_until=None))
                else:
                    if sealed_until is None:
                        inbox.notify(
                            recipient_id=pod.owner_id,
                            kind=Notification.Kind.LEGAL_READ,
                            actor_label=organisation.name,
                            once_key=f"legal.read:{read_id}:{pod.pk}",
                        )
                    results.append(LegalReadResult(national_id, presentation, sealed_until=sealed_until))
                    continue
            vault.record(
                pod,
                context=context,
                action=AccessEvent.Action.ACCESS_DENIED,
                outcome=AccessEvent.Outcome.DENIED,
                credential_type=credential_type if credential_type in CREDENTIAL_TYPES else "",
                reason=decision.reason,
                fields=asked_claims or (),
            )
            results.append(LegalReadResult(national_id, reason=decision.reason, detail=decision.detail))
            if first_refusal is None:
                first_refusal = _legal_refusal(decision, unknown_type)
    if first_refusal is not None and not any(result.allowed for result in results):
        raise first_refusal
    return results


def _legal_refusal(decision: Decision, unknown_type: UnknownCredentialType | None) -> Exception:
    if decision.reason == "case-reference-missing":
        return InvalidCaseReference(decision.detail, path="/caseReference")
    if unknown_type is not None and decision.reason == unknown_type.code:
        return unknown_type
    return AccessDenied(decision.reason, decision.detail)
