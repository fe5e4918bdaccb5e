"""Writes for consent: requests, decisions, grants, and reads under a grant.

Every act that touches a pod is recorded in the pod's access log inside the act's transaction.
"""

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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
from vault.errors import NotDisclosable
from vault.models import AccessEvent
from vault.selectors import pod_for_national_id
from vc.errors import ProofOptionsInvalid
from vc.types import check_type_name

from .decisions import Decision, decide
from .errors import (
    AccessDenied,
    GrantNotFound,
    InvalidNarrowing,
    InvalidRead,
    InvalidRequest,
    InvalidTransition,
    RequestNotFound,
)
from .models import AccessRequest, Grant, Purpose
from .scopes import DETAIL_TYPE, Scope, ScopeErrors, narrowed, parse_authorization_details
from .tasks import notify_access_request

MAX_GRANT_PERIOD = timedelta(days=366)


def _checked_scope(
    credential_types: Sequence[str],
    claims: Mapping[str, Sequence[str]] | None,
    error: type[InvalidRequest] | type[InvalidNarrowing],
) -> Scope:
    """The scope of these types and claims, checked against the registry (consent.scopes);
    raises ``error`` with ``errors`` naming each problem."""
    unknown = sorted(set(claims or {}) - set(credential_types))
    if unknown:
        raise error(f"Claims are given for {', '.join(unknown)}, which is not among the credential types.")
    details: list[dict[str, Any]] = [
        {"type": DETAIL_TYPE, "credentialType": name}
        | ({"claims": list(claims[name])} if claims and name in claims else {})
        for name in sorted(set(credential_types))
    ]
    try:
        return parse_authorization_details(details)
    except ScopeErrors as exc:
        raise error(
            "Some claims may not be asked for: " + "; ".join(why for _, why in exc.errors),
            errors=[{"pointer": where, "detail": why} for where, why in exc.errors],
        ) from None


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
    claims: Mapping[str, Sequence[str]] | None = None,
) -> AccessRequest:
    """A requester asks a citizen for credentials of some types, for a purpose, until a date;
    with ``claims``, only those claims (JSON pointers, consent.scopes) of the types it names.

    Raises CitizenNotFound, UnknownCredentialType, InvalidRequest (with ``errors`` naming each
    refused claim) or HiddenCharacters (the description). Logged in the citizen's pod; the
    citizen is notified after commit.
    """
    if not requester.is_requester:
        raise InvalidRequest("Only employers and agencies file access requests.")
    if not credential_types:
        raise InvalidRequest("Ask for at least one credential type.")
    for name in credential_types:
        check_type_name(name)
    scope = _checked_scope(credential_types, claims, InvalidRequest)
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
            credential_types=list(scope.credential_types),
            claims=scope.claims_json(),
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
    claims: Mapping[str, Sequence[str]] | None = None,
) -> Grant:
    """The citizen approves a request, possibly narrowing the types, the claims or the period: a grant.

    Without ``claims`` each approved type keeps the claims asked for (or is whole, if it was
    asked for whole); with ``claims`` those are the claims allowed, and a type it does not name
    is whole. Raises RequestNotFound, InvalidTransition (not pending) or InvalidNarrowing
    (widening: a type or claim not asked for, a whole credential where claims were asked for).
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
    asked = request.scope
    if claims is None:
        claims = {name: asked.claims[name] for name in types if name in asked.claims}
    scope = _checked_scope(types, claims, InvalidNarrowing)
    if widened := narrowed(asked, scope):
        raise InvalidNarrowing("A grant may only narrow what was asked: " + " ".join(widened))
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
        credential_types=list(scope.credential_types),
        claims=scope.claims_json(),
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


@contextmanager
def _for_update_as_for_share() -> Iterator[None]:
    """Queries compiled on this thread's connection inside the block lock FOR SHARE where they
    ask select_for_update() (Django has no FOR SHARE of its own); PostgreSQL only."""
    operations = connection.ops
    for_update_sql = operations.for_update_sql

    def for_share_sql(nowait=False, skip_locked=False, of=(), no_key=False):
        clause = for_update_sql(nowait=nowait, skip_locked=skip_locked, of=of, no_key=no_key)
        assert clause.startswith("FOR UPDATE"), clause
        return "FOR SHARE" + clause.removeprefix("FOR UPDATE")

    operations.for_update_sql = for_share_sql  # type: ignore[method-assign] # this connection's only
    try:
        yield
    finally:
        del operations.for_update_sql


def _share_locked_grant(grant_id: Any) -> Grant | None:
    """The grant with its pod, its row locked FOR SHARE until the transaction ends (PostgreSQL),
    in one statement; None if there is no such grant.

    A revocation takes the row FOR UPDATE, so it waits for the reads in flight, and a read that
    comes after it waits for it to commit. Reads of one grant share the lock: they do not queue
    behind each other here. A read that waited for a revocation gets the row as the revocation
    committed it: under READ COMMITTED, PostgreSQL returns the newest version of a row a
    locking SELECT waited for (and checks it against the WHERE clause again), so the decision
    sees the revocation. SQLite serialises writing transactions anyway (and a read writes the
    log), and has no row locks: there the statement is a plain SELECT.
    """
    try:
        grant_uuid = uuid.UUID(str(grant_id))
    except ValueError:
        raise GrantNotFound("No grant with that id was given to your organisation.") from None
    grants = Grant.objects.select_related("pod").filter(pk=grant_uuid)
    if connection.vendor != "postgresql":
        return grants.first()
    with _for_update_as_for_share():
        return grants.select_for_update(of=("self",)).first()


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
    shown to another domain. The decision, the read, the signature and the log entries are one
    transaction; a denial is logged and committed before AccessDenied / GrantNotFound is raised.
    Raises ProofOptionsInvalid (challenge, domain or cryptosuite unusable),
    UnknownCredentialType and InvalidRead (``claims`` without ``credential_type``) first,
    logging nothing.

    A type the grant scopes to fields, or a read naming ``claims`` (of ``credential_type``; each
    must be one the grant allows, spelled as it holds it), releases derived credentials: only
    those claims and the issuer's mandatory ones, under the issuer's ecdsa-sd-2023 proof. A
    credential issued without that proof cannot be narrowed: such a read is denied
    ("fields-not-disclosable") and logged.
    """
    _check_presentation_options(challenge, domain, cryptosuite)
    if credential_type is not None:
        check_type_name(credential_type)
    asked_claims = _checked_read_claims(claims, credential_type)
    with transaction.atomic():
        grant = _share_locked_grant(grant_id)
        if grant is None:
            raise GrantNotFound("No grant with that id was given to your organisation.")
        decision = decide(
            grant,
            organisation=organisation,
            purpose=purpose,
            credential_type=credential_type,
            at=timezone.now(),
            claims=asked_claims,
        )
        context = AccessContext.for_organisation(organisation, purpose=purpose, grant_id=grant.pk)
        if decision.allowed:
            types = (credential_type,) if credential_type else tuple(grant.credential_types)
            if credential_type and asked_claims is not None:
                fields = {credential_type: asked_claims}
            else:
                fields = {name: grant.scope.claims[name] for name in types if name in grant.scope.claims}
            permit = disclosure.Permit(pod=grant.pod, context=context, credential_types=types, claims=fields)
            try:
                return grant, disclosure.present(
                    permit, challenge=challenge, domain=domain, cryptosuite=cryptosuite
                )
            except NotDisclosable as refusal:
                decision = Decision(False, "fields-not-disclosable", refusal.detail)
        vault.record(
            grant.pod,
            context=context,
            action=AccessEvent.Action.ACCESS_DENIED,
            outcome=AccessEvent.Outcome.DENIED,
            credential_type=credential_type or "",
            reason=decision.reason,
            fields=asked_claims or (),
        )
    # Outside the block: the denial's log entry has committed; now refuse.
    if decision.reason == "not-grantee":
        raise GrantNotFound("No grant with that id was given to your organisation.")
    raise AccessDenied(decision.reason, decision.detail)
