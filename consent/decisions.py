"""The decision point: may this organisation read this type under this grant, for this purpose, now?

Pure: it reads the grant it is given and the time it is handed, and decides. The rules, in the
order checked: the grant is the organisation's, still active (not revoked, withdrawn, expired or
exhausted), begun, not past its end, has reads left, is for the stated purpose, covers the
credential type asked for and, when the read names claims, each of them (spelled exactly as the
grant holds it: a pointer is compared as a string, never resolved), or covers the document type
of the document asked for. The first that fails is the reason given.
"""

from dataclasses import dataclass
from datetime import datetime

from accounts.models import Organisation
from vc.types import CREDENTIAL_TYPES

from .models import Grant, Mandate
from .scopes import Scope, claims_of


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    detail: str = ""


ALLOW = Decision(True)
ENDED: dict[str, Decision] = {
    Grant.Status.REVOKED: Decision(False, "grant-revoked", "The citizen revoked this grant."),
    Grant.Status.WITHDRAWN: Decision(False, "grant-withdrawn", "Your organisation withdrew this grant."),
    Grant.Status.EXPIRED: Decision(False, "grant-expired", "The grant has expired."),
    Grant.Status.EXHAUSTED: Decision(
        False, "grant-exhausted", "Every read this grant allowed has been used."
    ),
}


def _outside(
    scope: Scope,
    credential_type: str | None,
    claims: tuple[str, ...] | None,
    *,
    holder: str,
    type_reason: str,
    field_reason: str,
) -> Decision | None:
    """The denial when ``credential_type``, or one of ``claims`` of it, is outside ``scope`` (a
    grant's or a mandate's, named ``holder`` in the detail), under the two reason codes; None
    when both are within it. Claims are compared as strings, never resolved."""
    if credential_type is None:
        return None
    if credential_type not in scope.credential_types:
        covered = ", ".join(scope.credential_types) or "no credentials"
        return Decision(False, type_reason, f"The {holder} covers {covered}, not {credential_type}.")
    if claims is None:
        return None
    allowed = scope.pointers_for(credential_type)
    if allowed is None:  # the whole credential: any of its claims
        known = CREDENTIAL_TYPES.get(credential_type)
        allowed = tuple(claims_of(known)) if known else ()
    if outside := [pointer for pointer in claims if pointer not in allowed]:
        return Decision(
            False,
            field_reason,
            f"The {holder} allows {', '.join(allowed) or 'no claims'} of {credential_type}, "
            f"not {', '.join(repr(pointer) for pointer in outside)}.",
        )
    return None


def decide(
    grant: Grant,
    *,
    organisation: Organisation,
    purpose: str,
    credential_type: str | None,
    at: datetime,
    claims: tuple[str, ...] | None = None,
    document_type: str | None = None,
) -> Decision:
    """``credential_type`` None: every credential the grant covers (denied when it covers none);
    ``document_type`` (a document read, or "" for the list of the documents it covers): that
    type is covered (denied, for the list, when it covers no document type)."""
    if grant.grantee_id != organisation.pk:
        return Decision(False, "not-grantee", "This grant was not given to your organisation.")
    if grant.status != Grant.Status.ACTIVE:
        return ENDED.get(grant.status, Decision(False, "grant-ended", f"The grant is {grant.status}."))
    if at < grant.valid_from:
        return Decision(
            False, "grant-not-yet-valid", f"The grant is valid from {grant.valid_from.isoformat()}."
        )
    if at >= grant.valid_until:
        return Decision(False, "grant-expired", f"The grant expired at {grant.valid_until.isoformat()}.")
    if grant.max_reads is not None and grant.reads_used >= grant.max_reads:
        return ENDED[Grant.Status.EXHAUSTED]
    if purpose != grant.purpose:
        return Decision(
            False,
            "purpose-mismatch",
            f"The grant is for the purpose {grant.purpose}, not {purpose}.",
        )
    scope = grant.scope
    if document_type is not None:
        if not scope.document_types or (document_type and document_type not in scope.document_types):
            covered = ", ".join(scope.document_types) or "no documents"
            return Decision(
                False, "out-of-scope", f"The grant covers {covered}, not {document_type or 'documents'}."
            )
        return ALLOW
    if credential_type is None and not scope.credential_types:
        return Decision(False, "out-of-scope", "The grant covers no credentials, only documents.")
    outside = _outside(
        scope,
        credential_type,
        claims,
        holder="grant",
        type_reason="out-of-scope",
        field_reason="field-out-of-scope",
    )
    return outside or ALLOW


def decide_legal_read(
    mandate: Mandate | None,
    *,
    organisation: Organisation,
    case_reference_problem: str,
    credential_type: str | None,
    at: datetime,
    claims: tuple[str, ...] | None = None,
) -> Decision:
    """May this organisation read, without consent, under this mandate (None: it named none, or
    one that does not exist), now, for this case, this type and these claims? Claims are
    compared with the mandate's as strings, never resolved (as under a grant). The rules, in
    order: an agency; a mandate, of this agency; in force (not ended, begun, not past its end);
    a case reference (``case_reference_problem`` says what is wrong with it, if anything); the
    type and each claim within the mandate."""
    if organisation.kind != Organisation.Kind.AGENCY:
        return Decision(False, "not-an-agency", "Only a public agency reads under a mandate.")
    if mandate is None:
        return Decision(False, "no-mandate", "Your agency holds no mandate with that id.")
    if mandate.agency_id != organisation.pk:
        return Decision(False, "not-mandate-holder", "This mandate was not given to your agency.")
    if mandate.ended_at is not None:
        return Decision(False, "mandate-ended", f"The mandate ended at {mandate.ended_at.isoformat()}.")
    if at < mandate.valid_from:
        return Decision(
            False, "mandate-not-yet-valid", f"The mandate is in force from {mandate.valid_from.isoformat()}."
        )
    if at >= mandate.valid_until:
        return Decision(
            False, "mandate-expired", f"The mandate expired at {mandate.valid_until.isoformat()}."
        )
    if case_reference_problem:
        return Decision(False, "case-reference-missing", case_reference_problem)
    outside = _outside(
        mandate.scope,
        credential_type,
        claims,
        holder="mandate",
        type_reason="out-of-mandate",
        field_reason="field-out-of-mandate",
    )
    return outside or ALLOW
