"""Verifying a credential, one question at a time.

``verify_credential`` answers separately: is the proof valid (and the credential well formed,
signed by a key of its issuer)? Is the issuer accredited for the credential's types? Is it
within its validity period? Is it neither revoked nor suspended? It raises nothing for a bad
credential: the ``VerificationResult`` says which check failed and why. Callers that want a
hard failure use ``require_verified`` (or ``result.raise_first_error()``), which raise the first
failed check's domain error.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.utils import timezone

from credentials.selectors import TrustResult, is_accredited, is_trusted_credential, signs_for
from vc.dataintegrity import verify_proofs
from vc.dataintegrity.sd import derive_proof, split_base_proofs
from vc.datamodel import parse_datetime_stamp, validate_credential
from vc.errors import ProofInvalid, StatusEntryInvalid, VcError
from vc.presentations import verify_presentation
from vc.statuslist import StatusResult, parse_status_entries
from vc.types import types_of

from .dids import resolve_verification_method
from .errors import CredentialNotValidNow, CredentialRevoked, CredentialSuspended, IssuerNotTrusted
from .models import StatusPurpose
from .statuslist import check_status, status_list_url

CHECKS = ("proof", "issuer_trusted", "validity", "status")
UNTRUSTED_STATUS_DETAIL = "Not checked: the issuer is not trusted; its status lists are not fetched."


@dataclass(frozen=True)
class VerifiedCredential:
    issuer: str
    verification_method: str


def verify_issuer_proof(document: dict[str, Any], *, now: datetime | None = None) -> VerifiedCredential:
    """Verify a secured credential: its data model, every proof it carries (vc.dataintegrity),
    and that one of them was made with a key of the issuer (credentials.selectors.signs_for).

    Raises CredentialInvalid, ProofInvalid, UnresolvableKey or a JSON-LD error.
    """
    validate_credential(document)
    proofs = verify_proofs(
        document, expected_purpose="assertionMethod", now=now, resolve=resolve_verification_method
    )
    issuer = document["issuer"]
    issuer_id = issuer["id"] if isinstance(issuer, dict) else issuer
    by_issuer = next((proof for proof in proofs if signs_for(issuer_id, proof.controller)), None)
    if by_issuer is None:
        signers = ", ".join(sorted({proof.controller for proof in proofs}))
        raise ProofInvalid(f"The proof was made with a key of {signers}, not of the issuer {issuer_id}.")
    return VerifiedCredential(issuer=issuer_id, verification_method=by_issuer.verification_method)


def verify_held_credential(document: dict[str, Any], *, now: datetime | None = None) -> VerifiedCredential:
    """The holder's check of a credential it receives (a pod, on issuance): as verify_issuer_proof,
    with each ecdsa-sd-2023 base proof checked too, by deriving the disclosure of every statement
    from it and verifying that (a base proof is the holder's; verify_issuer_proof, a verifier's
    check, refuses it). Raises as verify_issuer_proof, and ProofInvalid for a credential with
    only base proofs: the holder could not hand it to anyone whole.
    """
    whole, bases = split_base_proofs(document)
    if "proof" not in whole:
        raise ProofInvalid(
            "The credential carries only ecdsa-sd-2023 base proofs: it can be disclosed in parts, "
            "never read whole. Issue it with a proof for whole reads as well."
        )
    verified = verify_issuer_proof(whole, now=now)
    unsecured = {key: value for key, value in whole.items() if key != "proof"}
    everything = [f"/{key.replace('~', '~0').replace('/', '~1')}" for key in unsecured if key != "@context"]
    for base in bases:
        verify_issuer_proof(derive_proof({**unsecured, "proof": base}, everything), now=now)
    return verified


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not-checked"  # an earlier check failed, so this one means nothing


@dataclass(frozen=True)
class Check:
    """One check's outcome; ``detail`` says it in English for API users and logs, ``code`` names
    it for a page that says it in the reader's language (vault.templatetags.credential_types
    .check_sentence): a failure's error code, or one of CHECK_CODES."""

    outcome: Outcome
    detail: str
    error: VcError | None = None
    code: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED

    @classmethod
    def ok(cls, detail: str, code: str) -> "Check":
        return cls(Outcome.PASSED, detail, code=code)

    @classmethod
    def failed(cls, error: VcError) -> "Check":
        return cls(Outcome.FAILED, error.detail, error, code=error.code)

    @classmethod
    def skipped(cls, detail: str, code: str) -> "Check":
        return cls(Outcome.NOT_CHECKED, detail, code=code)


# The codes of the checks that did not fail (a failed one has its error's code).
SIGNED = "signed"  # proof: the issuer's proof verifies
PRESENTED = "presented"  # a presentation's proof: the holder's, over the challenge and domain
ACCREDITED = "accredited"  # issuer_trusted: accredited for the types, its key usable
VALID_OPEN_ENDED = "valid-open-ended"  # validity: started, no end date
VALID_UNTIL = "valid-until"  # validity: started, not ended
NO_STATUS = "no-status"  # status: no status entries (it cannot be revoked)
NOT_REVOKED = "not-revoked"  # status: neither revoked nor suspended
AFTER_FAILED_PROOF = "after-failed-proof"  # not checked: the proof failed first
ISSUER_NOT_TRUSTED = "issuer-not-trusted"  # status not checked: an untrusted issuer's lists are not fetched
CHECK_CODES = (
    SIGNED,
    PRESENTED,
    ACCREDITED,
    VALID_OPEN_ENDED,
    VALID_UNTIL,
    NO_STATUS,
    NOT_REVOKED,
    AFTER_FAILED_PROOF,
    ISSUER_NOT_TRUSTED,
)


@dataclass(frozen=True)
class VerificationResult:
    """Four separate answers; ``verified`` only when all four passed."""

    proof: Check
    issuer_trusted: Check
    validity: Check
    status: Check
    issuer: str | None = None
    verification_method: str | None = None
    statuses: tuple[StatusResult, ...] = field(default=())

    @property
    def checks(self) -> dict[str, Check]:
        return {name: getattr(self, name) for name in CHECKS}

    @property
    def verified(self) -> bool:
        return all(check.passed for check in self.checks.values())

    @property
    def errors(self) -> list[VcError]:
        """The failed checks' errors, in the order of CHECKS."""
        return [check.error for check in self.checks.values() if check.error is not None]

    def raise_first_error(self, *, checks: Iterable[str] = CHECKS) -> None:
        """Raise the error of the first failed check among ``checks``; nothing if they passed."""
        wanted = set(checks)
        if unknown := wanted - set(CHECKS):
            raise ValueError(f"Unknown checks {sorted(unknown)}; the checks are {CHECKS}.")
        for name, check in self.checks.items():
            if name not in wanted:
                continue
            if check.error is not None:
                raise check.error
            if check.outcome == Outcome.NOT_CHECKED:  # an unwanted earlier check failed
                raise next(error for error in self.errors)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: ``verified``, each check's outcome and detail, and the errors."""
        return {
            "verified": self.verified,
            "checks": {
                name: {"outcome": str(check.outcome), "detail": check.detail}
                for name, check in self.checks.items()
            },
            "errors": [
                {"check": name, "type": check.error.code, "title": check.error.title, "detail": check.detail}
                for name, check in self.checks.items()
                if check.error is not None
            ],
        }


def verify_credential(document: dict[str, Any], *, now: datetime | None = None) -> VerificationResult:
    """Verify a credential and report each check separately (see the module docstring).

    When the proof fails nothing else is checked: claims that are not signed by their issuer
    are not worth a trust-registry lookup, and we never fetch a status list they point to. A
    status entry that cannot be checked as written (StatusEntryInvalid) fails the status check
    whoever the issuer. When the issuer is not in the trust registry for the credential's types,
    its status lists are not fetched (status ``not-checked``; lists of ours, read from the
    database, are still read): anyone can sign a credential pointing at other servers, and we
    fetch only for issuers we would trust. Raises nothing for a bad credential.
    """
    now = now or timezone.now()
    try:
        verified = verify_issuer_proof(document, now=now)
    except VcError as exc:
        skipped = Check.skipped("Not checked: the proof did not verify.", AFTER_FAILED_PROOF)
        return VerificationResult(Check.failed(exc), skipped, skipped, skipped)
    proof = Check.ok(f"Signed by {verified.issuer} with {verified.verification_method}.", SIGNED)
    types = types_of(document)
    registry = is_accredited(verified.issuer, types, now)  # the registry alone: no network
    unusable = _unusable_status_entries(document)
    statuses: list[StatusResult]
    if unusable is not None:
        status, statuses = unusable, []
    elif registry.trusted or _only_our_status_lists(document):
        status, statuses = _status_check(document, now)
    else:
        status, statuses = Check.skipped(UNTRUSTED_STATUS_DETAIL, ISSUER_NOT_TRUSTED), []
    if registry.trusted:
        issuer_trusted = _trust_check(verified, types, now, statuses, registry)
    else:
        issuer_trusted = Check.failed(IssuerNotTrusted(registry.reason))
    return VerificationResult(
        proof=proof,
        issuer_trusted=issuer_trusted,
        validity=_validity_check(document, now),
        status=status,
        issuer=verified.issuer,
        verification_method=verified.verification_method,
        statuses=tuple(statuses),
    )


def require_verified(
    document: dict[str, Any], *, now: datetime | None = None, checks: Iterable[str] = CHECKS
) -> VerificationResult:
    """``verify_credential``, raising the first failed check's domain error among ``checks``."""
    result = verify_credential(document, now=now)
    result.raise_first_error(checks=checks)
    return result


def _trust_check(
    verified: VerifiedCredential,
    types: list[str],
    now: datetime,
    statuses: list[StatusResult],
    registry: TrustResult,
) -> Check:
    # The signing key counts as well as the issuer: a compromised or unrevocable retired key is refused.
    trust = is_trusted_credential(
        issuer_did=verified.issuer,
        verification_method=verified.verification_method,
        credential_types=types,
        at=now,
        statuses=statuses,
        registry=registry,
    )
    if not trust.trusted:
        return Check.failed(IssuerNotTrusted(trust.reason))
    return Check.ok(trust.reason, ACCREDITED)


def _validity_check(document: dict[str, Any], now: datetime) -> Check:
    # VCDM 1.1 credentials say issuanceDate / expirationDate for the same thing.
    start_key = "validFrom" if "validFrom" in document else "issuanceDate"
    end_key = "validUntil" if "validUntil" in document else "expirationDate"
    start = parse_datetime_stamp(document.get(start_key))
    end = parse_datetime_stamp(document.get(end_key))
    if start is not None and now < start:
        return Check.failed(
            CredentialNotValidNow(f"The credential is not valid before {document[start_key]}.")
        )
    if end is not None and now > end:
        return Check.failed(CredentialNotValidNow(f"The credential expired at {document[end_key]}."))
    if end is None:
        return Check.ok("Within its validity period (no end date).", VALID_OPEN_ENDED)
    return Check.ok(f"Within its validity period (until {document[end_key]}).", VALID_UNTIL)


def _unusable_status_entries(document: dict[str, Any]) -> Check | None:
    """A failed status check when an entry cannot be checked as written, whoever the issuer (no
    list is read for that): a status we cannot check is never passed over in silence."""
    try:
        parse_status_entries(document)
    except StatusEntryInvalid as exc:
        return Check.failed(exc)
    return None


def _only_our_status_lists(document: dict[str, Any]) -> bool:
    """Whether every status entry names a list we publish (read from the database, never fetched)."""
    declared = document.get("credentialStatus")
    entries = declared if isinstance(declared, list) else [] if declared is None else [declared]
    prefix = status_list_url("")
    for entry in entries:
        url = entry.get("statusListCredential") if isinstance(entry, dict) else None
        if not isinstance(url, str) or not url.startswith(prefix):
            return False
        try:
            uuid.UUID(url.removeprefix(prefix))
        except ValueError:
            return False
    return True


_SET_STATUS_ERRORS = {
    StatusPurpose.REVOCATION: CredentialRevoked,
    StatusPurpose.SUSPENSION: CredentialSuspended,
}


def _status_check(document: dict[str, Any], now: datetime) -> tuple[Check, list[StatusResult]]:
    try:
        statuses = check_status(document, now=now)
    except VcError as exc:
        return Check.failed(exc), []
    for result in statuses:
        if result.is_set:
            error = _SET_STATUS_ERRORS[StatusPurpose(result.purpose)]
            return Check.failed(
                error(
                    f"The credential is {'revoked' if error is CredentialRevoked else 'suspended'} "
                    f"(bit {result.index} of {result.status_list_credential}).",
                    statusListCredential=result.status_list_credential,
                    statusListIndex=str(result.index),
                )
            ), statuses
    if not statuses:
        return Check.ok("The credential has no status entries: it cannot be revoked.", NO_STATUS), statuses
    return Check.ok("Neither revoked nor suspended.", NOT_REVOKED), statuses


@dataclass(frozen=True)
class PresentationCheck:
    """A presentation checked as a verifier does: the holder's proof over the verifier's
    challenge and domain (``presentation``), and each credential it holds with its own result."""

    presentation: Check
    credentials: tuple[tuple[dict[str, Any], VerificationResult], ...]

    @property
    def verified(self) -> bool:
        return self.presentation.passed and all(result.verified for _, result in self.credentials)


def verify_presented(presentation: dict[str, Any], *, challenge: str, domain: str) -> PresentationCheck:
    """Verify a presentation and every credential in it (vc.presentations, then
    ``verify_credential`` for each); raises nothing for a bad presentation."""
    results: list[tuple[dict[str, Any], VerificationResult]] = []

    def verify_embedded(credential: dict[str, Any]) -> VerificationResult:
        result = verify_credential(credential)
        results.append((credential, result))
        return result

    try:
        verify_presentation(
            presentation,
            challenge=challenge,
            domain=domain,
            verify_credential=verify_embedded,
            resolve=resolve_verification_method,
        )
    except VcError as exc:
        return PresentationCheck(Check.failed(exc), tuple(results))
    return PresentationCheck(
        Check.ok("Signed by the holder for this challenge and domain.", PRESENTED), tuple(results)
    )
