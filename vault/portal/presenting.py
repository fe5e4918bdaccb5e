"""Credentials in words for the citizen: names, claims, dates and a status badge.

Pure functions over what the vault already opened (vault.services) and what the log and the
trust registry say; nothing here reads pod data by itself.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from credentials.selectors import organisation_of_did
from credentials.verification import (
    Check,
    Outcome,
    PresentationCheck,
    VerificationResult,
    verify_credential,
)
from vault.documents import DOCUMENT_TYPES
from vault.models import AccessEvent, PodCredential
from vc.datamodel import parse_datetime_stamp
from vc.types import CHOICE_LABELS, CREDENTIAL_TYPES, CredentialType


class State:
    """The badge of a credential, from best to worst news."""

    VERIFIED = "verified"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    UNTRUSTED = "untrusted"  # the issuer is not (or no longer) in the trust registry for the type
    INVALID = "invalid"  # the proof does not verify (only the detail page verifies proofs)


@dataclass(frozen=True)
class Shown:
    """One credential as the portal lists it."""

    resource: PodCredential
    type_name: str
    title: str
    issuer_name: str
    valid_from: datetime | None
    valid_until: datetime | None
    state: str


@dataclass(frozen=True)
class ClaimRow:
    label: str
    value: str


def pointer_value(node: Any, pointer: str) -> Any:
    """The value at a JSON pointer ("/degree/name"), or None where the path does not lead."""
    for part in pointer.strip("/").split("/"):
        if not isinstance(node, dict):
            return None
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return node


def _subject(document: dict[str, Any]) -> dict[str, Any]:
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    return subject if isinstance(subject, dict) else {}


def type_name(name: str) -> str:
    """The type's display name in the active language: a credential type's, or a personal
    document type's (vault.documents.DOCUMENT_TYPES, named in a document's log entries); an
    unknown type as it is named."""
    registered = CREDENTIAL_TYPES.get(name)
    if registered:
        return _(registered.display_name)
    document = DOCUMENT_TYPES.get(name)
    return str(document.label) if document else name


def _choice(value: Any) -> str:
    return _(CHOICE_LABELS[value]) if isinstance(value, str) and value in CHOICE_LABELS else str(value)


def _shown_value(kind: str, value: Any) -> str:
    if kind == "date" and isinstance(value, str):
        try:
            return date_format(date.fromisoformat(value[:10]), "DATE_FORMAT")
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, bool):
        return _("Yes") if value else _("No")
    if kind == "list" and isinstance(value, list):
        return ", ".join(_choice(item) for item in value)
    if kind == "choice":
        return _choice(value)
    return str(value)


def title_of(registered: CredentialType | None, document: dict[str, Any]) -> str:
    """What tells this credential from others of its type ("Master of Laws", "Dutch C1")."""
    if registered is None:
        return ""
    subject = _subject(document)
    parts = [pointer_value(subject, pointer) for pointer in registered.title_claims]
    return " ".join(_choice(part) for part in parts if isinstance(part, str | int) and part != "")


def claim_rows(document: dict[str, Any]) -> list[ClaimRow]:
    """The subject's claims as label and value, in the registry's order; claims the registry does
    not name follow under their own key, so nothing the credential says is hidden."""
    registered = CREDENTIAL_TYPES.get(_type_of(document))
    subject = _subject(document)
    rows: list[ClaimRow] = []
    known: set[str] = {"id"}
    for claim in registered.claims if registered else ():
        top = claim.pointer.strip("/").split("/")[0]
        known.add(top)
        value = pointer_value(subject, claim.pointer)
        if value is not None:
            rows.append(ClaimRow(_(claim.label), _shown_value(claim.kind, value)))
    for key, value in subject.items():
        if key not in known:
            rows.append(ClaimRow(key, value if isinstance(value, str) else _compact(value)))
    return rows


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_compact(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_compact(item) for item in value)
    return str(value)


def type_of(document: dict[str, Any]) -> str:
    """The registered type a credential is of ("DiplomaCredential"), or "" if none."""
    return _type_of(document)


def _type_of(document: dict[str, Any]) -> str:
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    return next((t for t in types if isinstance(t, str) and t in CREDENTIAL_TYPES), "")


def validity(document: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """(valid from, valid until) as the credential states them (VCDM 2.0 or 1.1 names)."""
    start = document.get("validFrom", document.get("issuanceDate"))
    end = document.get("validUntil", document.get("expirationDate"))
    return parse_datetime_stamp(start), parse_datetime_stamp(end)


def listed_state(
    resource: PodCredential, valid_until: datetime | None, change: str | None, accredited: bool, now: datetime
) -> str:
    """The list's badge: what the issuer last did (from the pod's log), the validity period, and
    the trust registry. Proofs were verified when the credential arrived; the detail page
    verifies again, in full."""
    if change == AccessEvent.Action.CREDENTIAL_REVOKED:
        return State.REVOKED
    if change == AccessEvent.Action.CREDENTIAL_SUSPENDED:
        return State.SUSPENDED
    if valid_until is not None and valid_until < now:
        return State.EXPIRED
    if not accredited:
        return State.UNTRUSTED
    return State.VERIFIED


def summaries(
    pairs: Iterable[tuple[PodCredential, dict[str, Any]]],
    *,
    changes: dict[Any, str],
    accredited: set[tuple[Any, str]],
    now: datetime,
) -> list[Shown]:
    shown = []
    for resource, document in pairs:
        valid_from, valid_until = validity(document)
        registered = CREDENTIAL_TYPES.get(resource.credential_type)
        shown.append(
            Shown(
                resource=resource,
                type_name=type_name(resource.credential_type),
                title=title_of(registered, document),
                issuer_name=resource.issuer.name,
                valid_from=valid_from,
                valid_until=valid_until,
                state=listed_state(
                    resource,
                    valid_until,
                    changes.get(resource.pk),
                    (resource.issuer_id, resource.credential_type) in accredited,
                    now,
                ),
            )
        )
    return shown


def verified_state(result: VerificationResult) -> str:
    """The detail page's badge, from a full verification."""
    if result.proof.outcome != Outcome.PASSED:
        return State.INVALID
    if result.status.outcome == Outcome.FAILED:
        purposes = {status.purpose for status in result.statuses if status.is_set}
        return State.SUSPENDED if purposes == {"suspension"} else State.REVOKED
    if result.validity.outcome == Outcome.FAILED:
        return State.EXPIRED
    if result.issuer_trusted.outcome != Outcome.PASSED:
        return State.UNTRUSTED
    return State.VERIFIED


@dataclass(frozen=True)
class Checked:
    """A credential an organisation read, as its console shows it: in words, verified just now."""

    type_name: str
    title: str
    claims: list[ClaimRow]
    issuer: str
    valid_from: datetime | None
    valid_until: datetime | None
    state: str
    checks: tuple[tuple[str, Check], ...]


def issuer_name(did: str | None) -> str:
    """The issuing organisation's name when the DID is one we know, else the DID itself."""
    if not did:
        return ""
    issuer = organisation_of_did(did)
    return issuer.name if issuer is not None else did


def checked_credentials(presentation: dict[str, Any], checked: PresentationCheck) -> list[Checked]:
    """Each credential of a presentation an organisation read, in words, with the badge the
    citizen's credential page gives (``verified_state`` over a full verification: proof, trust
    registry, validity, status list). ``checked`` is the presentation's verification
    (credentials.verification.verify_presented); a credential it did not reach (the holder's
    proof failed first) is verified here, so none goes unchecked or unshown."""
    results = {id(document): result for document, result in checked.credentials}
    embedded = presentation.get("verifiableCredential") or []
    shown = []
    for document in embedded if isinstance(embedded, list) else [embedded]:
        if not isinstance(document, dict):
            continue
        result = results.get(id(document)) or verify_credential(document)
        valid_from, valid_until = validity(document)
        issuer = document.get("issuer")
        claimed = issuer.get("id") if isinstance(issuer, dict) else issuer
        shown.append(
            Checked(
                type_name=type_name(_type_of(document))
                if _type_of(document)
                else _("Credential of an unknown type"),
                title=title_of(CREDENTIAL_TYPES.get(_type_of(document)), document),
                claims=claim_rows(document),
                issuer=issuer_name(result.issuer or (claimed if isinstance(claimed, str) else None)),
                valid_from=valid_from,
                valid_until=valid_until,
                state=verified_state(result),
                checks=tuple(result.checks.items()),
            )
        )
    return shown


@dataclass(frozen=True)
class LegalShown:
    """A legal read in the citizen's log, as the page shows it: sealed (until a date), or with
    the law (a link), the agency's case reference and, once a sealed entry opened, what was read."""

    sealed_until: datetime | None
    opened: bool
    reference: str
    title: str
    case: str
    credential_type: str
    fields: list[str]

    @property
    def hidden(self) -> bool:
        return self.sealed_until is not None and not self.opened


def legal_of(event: AccessEvent, details: dict[int, Any]) -> LegalShown | None:
    """How the page shows ``event`` as a legal read (None: it is not one). ``details`` are the
    pod's sealed details by seq (vault.selectors.sealed_details); a sealed one shows nothing
    of its detail until it opened."""
    from vault import sealing

    if not event.legal:
        return None
    until = sealing.sealed_until(event)
    if until is None:
        legal, credential_type, fields = event.legal, event.credential_type, list(event.fields)
    else:
        opened = sealing.opened_detail(event, details)
        if opened is None:
            return LegalShown(until, False, "", "", "", "", [])
        legal = opened.get("legal") or {}
        credential_type, fields = opened.get("credentialType") or "", list(opened.get("fields") or [])
    return LegalShown(
        until,
        until is not None,
        legal.get("reference") or "",
        legal.get("title") or "",
        legal.get("case") or "",
        credential_type,
        fields,
    )
