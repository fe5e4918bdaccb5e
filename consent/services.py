"""Writes for consent: requests, decisions, grants, and reads under a grant.

Every act that touches a pod is recorded in the pod's access log inside the act's transaction.
"""

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organisation, User
from core.tasks import enqueue_on_commit
from core.text import check_plain_text
from vault import disclosure
from vault import services as vault
from vault.access import AccessContext
from vault.models import AccessEvent
from vault.selectors import pod_for_national_id
from vc.dataintegrity import CRYPTOSUITE
from vc.errors import ProofOptionsInvalid
from vc.types import check_type_name

from .decisions import decide
from .errors import (
    AccessDenied,
    GrantNotFound,
    InvalidNarrowing,
    InvalidRequest,
    InvalidTransition,
    RequestNotFound,
)
from .models import AccessRequest, Grant, Purpose
from .tasks import notify_access_request

MAX_GRANT_PERIOD = timedelta(days=366)


def _transition(obj: AccessRequest | Grant, to: str) -> None:
    if to not in obj.TRANSITIONS.get(obj.status, set()):
        raise InvalidTransition(f"This {obj._meta.verbose_name} is {obj.status}; it cannot become {to}.")
    obj.status = to


def file_access_request(
    *,
    requester: Organisation,
    national_id: str,
    credential_types: list[str],
    purpose: str,
    purpose_description: str,
    valid_until: datetime,
) -> AccessRequest:
    """A requester asks a citizen for credentials of some types, for a purpose, until a date.

    Raises CitizenNotFound, UnknownCredentialType, InvalidRequest or HiddenCharacters (the
    description). Logged in the citizen's pod; the citizen is notified after commit.
    """
    if not requester.is_requester:
        raise InvalidRequest("Only employers and agencies file access requests.")
    if not credential_types:
        raise InvalidRequest("Ask for at least one credential type.")
    for name in credential_types:
        check_type_name(name)
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
    pod = pod_for_national_id(national_id)
    with transaction.atomic():
        request = AccessRequest.objects.create(
            requester=requester,
            pod=pod,
            credential_types=sorted(set(credential_types)),
            purpose=purpose,
            purpose_description=purpose_description,
            requested_until=valid_until,
        )
        for name in request.credential_types:
            vault.record(
                pod,
                context=AccessContext.for_organisation(requester, purpose=purpose, request_id=request.pk),
                action=AccessEvent.Action.REQUEST_FILED,
                credential_type=name,
            )
        enqueue_on_commit(notify_access_request, str(request.pk))
    return request


def _pending_request_of(citizen: User, request_id: Any) -> AccessRequest:
    request = (
        AccessRequest.objects.select_for_update()
        .select_related("requester", "pod")
        .filter(pk=request_id, pod__owner=citizen)
        .first()
    )
    if request is None:
        raise RequestNotFound("You have no access request with that id.")
    return request


@transaction.atomic
def approve_request(
    *,
    citizen: User,
    request_id: Any,
    credential_types: list[str] | None = None,
    valid_until: datetime | None = None,
) -> Grant:
    """The citizen approves a request, possibly narrowing the types or the period: a grant.

    Raises RequestNotFound, InvalidTransition (not pending) or InvalidNarrowing (widening).
    """
    request = _pending_request_of(citizen, request_id)
    if request.is_expired:
        raise InvalidTransition(
            f"This request ended on {request.requested_until:%Y-%m-%d %H:%M} UTC; "
            "it can no longer be approved."
        )
    types = request.credential_types if credential_types is None else sorted(set(credential_types))
    if not types or not set(types) <= set(request.credential_types):
        raise InvalidNarrowing(f"Approve some of the requested types {request.credential_types}, no others.")
    now = timezone.now()
    until = valid_until or request.requested_until
    if until > request.requested_until:
        raise InvalidNarrowing("The grant may not last longer than was asked.")
    if until <= now:
        raise InvalidNarrowing("The grant must end in the future.")
    _transition(request, AccessRequest.Status.APPROVED)
    request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    grant = Grant.objects.create(
        request=request,
        pod=request.pod,
        grantee=request.requester,
        credential_types=types,
        purpose=request.purpose,
        valid_from=now,
        valid_until=until,
    )
    for name in types:
        vault.record(
            request.pod,
            context=AccessContext.for_citizen(
                citizen, purpose=grant.purpose, grant_id=grant.pk, request_id=request.pk
            ),
            action=AccessEvent.Action.REQUEST_APPROVED,
            credential_type=name,
        )
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
    grant = Grant.objects.select_for_update().filter(pk=grant_id, pod__owner=citizen).first()
    if grant is None:
        raise GrantNotFound("You have no grant with that id.")
    _transition(grant, Grant.Status.REVOKED)
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["status", "revoked_at"])
    vault.record(
        grant.pod,
        context=AccessContext.for_citizen(citizen, purpose=grant.purpose, grant_id=grant.pk),
        action=AccessEvent.Action.GRANT_REVOKED,
    )
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


def _check_presentation_options(challenge: Any, domain: Any, cryptosuite: Any = CRYPTOSUITE) -> None:
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


def _share_lock_grant(grant_id: Any) -> None:
    """Lock the grant row FOR SHARE until the transaction ends (PostgreSQL).

    A revocation takes the row FOR UPDATE, so it waits for the reads in flight, and a read that
    comes after it waits for it to commit. Reads of one grant share the lock: they do not queue
    behind each other here. This is a statement of its own, before the grant is read, so that
    the read (a new snapshot, READ COMMITTED) sees a revocation this lock waited for. SQLite
    serialises writing transactions anyway (and a read writes the log), and has no row locks.
    """
    try:
        grant_uuid = uuid.UUID(str(grant_id))
    except ValueError:
        raise GrantNotFound("No grant with that id was given to your organisation.") from None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1 FROM "consent_grant" WHERE "id" = %s FOR SHARE', [grant_uuid])


def read_under_grant(
    *,
    organisation: Organisation,
    grant_id: Any,
    purpose: str,
    challenge: str,
    domain: str,
    credential_type: str | None = None,
    cryptosuite: str = CRYPTOSUITE,
) -> tuple[Grant, dict[str, Any]]:
    """A requester reads credentials under a grant, as a verifiable presentation made for it.

    The presentation holds the credentials with their original proofs and is signed with the
    pod's holder key (proof purpose authentication, with ``cryptosuite``) over the requester's
    ``challenge`` and ``domain``, so it fails verification if replayed with another challenge or
    shown to another domain. The decision, the read, the signature and the log entries are one
    transaction; a denial is logged and committed before AccessDenied / GrantNotFound is raised.
    Raises ProofOptionsInvalid (challenge, domain or cryptosuite unusable) and
    UnknownCredentialType first, logging nothing.
    """
    _check_presentation_options(challenge, domain, cryptosuite)
    if credential_type is not None:
        check_type_name(credential_type)
    with transaction.atomic():
        _share_lock_grant(grant_id)
        grant = Grant.objects.select_related("pod").filter(pk=grant_id).first()
        if grant is None:
            raise GrantNotFound("No grant with that id was given to your organisation.")
        decision = decide(
            grant,
            organisation=organisation,
            purpose=purpose,
            credential_type=credential_type,
            at=timezone.now(),
        )
        context = AccessContext.for_organisation(organisation, purpose=purpose, grant_id=grant.pk)
        if decision.allowed:
            types = (credential_type,) if credential_type else tuple(grant.credential_types)
            permit = disclosure.Permit(pod=grant.pod, context=context, credential_types=types)
            return grant, disclosure.present(
                permit, challenge=challenge, domain=domain, cryptosuite=cryptosuite
            )
        vault.record(
            grant.pod,
            context=context,
            action=AccessEvent.Action.ACCESS_DENIED,
            outcome=AccessEvent.Outcome.DENIED,
            credential_type=credential_type or "",
            reason=decision.reason,
        )
    # Outside the block: the denial's log entry has committed; now refuse.
    if decision.reason == "not-grantee":
        raise GrantNotFound("No grant with that id was given to your organisation.")
    raise AccessDenied(decision.reason, decision.detail)
