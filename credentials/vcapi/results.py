"""Verification results in the shape VCALM gives them: ``{verified, checks, warnings, errors}``.

VCALM (§ "Verification Errors vs. Warnings") splits problems in two: errors concern the
cryptography, the data model and the contexts, and make ``verified`` false; warnings concern
status and validity periods (and, for us, the trust registry), are reported, and leave the
decision to the caller. A status entry that cannot be checked as written (malformed, or of a
method or purpose we do not check) is the credential's data failing: an error, not a warning.
``credentials.verification`` answers each check; this module only sorts its answers into that
shape. A result with errors is raised as NotVerified (422 problem+json
carrying the same members), so a failed verification is never a 2xx.

A presentation whose holder is missing or is not the subject of a credential it holds gets a
``holder-not-subject`` warning, not an error: the proofs are sound, but nothing says the
credentials are the presenter's own, and a relying party that needs that must check it.
"""

from typing import Any

from core.problems import PROBLEM_BASE
from vc.dataintegrity import verify_proofs
from vc.errors import HolderNotSubject, StatusEntryInvalid, VcError
from vc.presentations import VerifiedPresentation, verify_presentation

from ..dids import resolve_verification_method
from ..errors import NotVerified
from ..verification import Check, Outcome, VerificationResult, verify_credential

# The checks whose failure is an error; the others' failures are warnings (VCALM).
ERROR_CHECKS = frozenset({"proof"})
# Failures of other checks that are errors all the same: a status entry that cannot be checked as
# written is the credential's data failing (VCALM's "data model" errors), not a status to weigh.
ERROR_TYPES: tuple[type[VcError], ...] = (StatusEntryInvalid,)


def _is_error(name: str, check: Check) -> bool:
    return name in ERROR_CHECKS or isinstance(check.error, ERROR_TYPES)


def problem_details(error: VcError, **extra: Any) -> dict[str, Any]:
    """A VCALM ProblemDetails object for one domain error."""
    return {"type": PROBLEM_BASE + error.code, "title": error.title, "detail": error.detail, **extra}


def _sorted(result: VerificationResult) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    checks: list[str] = []
    warnings: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for name, check in result.checks.items():
        if check.outcome == Outcome.NOT_CHECKED:
            continue
        checks.append(name)
        if check.error is not None:
            (errors if _is_error(name, check) else warnings).append(problem_details(check.error, check=name))
    return checks, warnings, errors


def credential_result(
    credential: dict[str, Any], *, challenge: str | None = None, domain: str | None = None
) -> dict[str, Any]:
    """The VCALM result for one credential (never raises for a bad credential)."""
    checks, warnings, errors = _sorted(verify_credential(credential))
    if not errors and (challenge is not None or domain is not None):
        # The caller bound its request to a challenge/domain: every proof must carry them.
        checks.append("challenge_domain")
        try:
            verify_proofs(
                credential,
                expected_purpose="assertionMethod",
                challenge=challenge,
                domain=domain,
                resolve=resolve_verification_method,
            )
        except VcError as exc:
            errors.append(problem_details(exc, check="challenge_domain"))
    return {"verified": not errors, "checks": checks, "warnings": warnings, "errors": errors}


def _respond(body: dict[str, Any], *, detail: str, return_problem_details: bool) -> dict[str, Any]:
    if return_problem_details:
        body["problemDetails"] = body["errors"] + body["warnings"]
    if body["errors"]:
        raise NotVerified(f"{detail} {body['errors'][0]['detail']}", **body)
    return body


def credential_response(
    credential: dict[str, Any],
    *,
    challenge: str | None = None,
    domain: str | None = None,
    return_credential: bool = False,
    return_problem_details: bool = False,
) -> dict[str, Any]:
    """The response body of POST /credentials/verify; raises NotVerified when there are errors."""
    body = credential_result(credential, challenge=challenge, domain=domain)
    if return_credential:
        body["credential"] = credential
    return _respond(
        body, detail="The credential did not verify:", return_problem_details=return_problem_details
    )


def presentation_response(
    presentation: dict[str, Any],
    *,
    challenge: str | None = None,
    domain: str | None = None,
    return_presentation: bool = False,
    return_problem_details: bool = False,
) -> dict[str, Any]:
    """The response body of POST /presentations/verify; raises NotVerified when there are errors.

    The presentation's own proof (authentication, bound to ``challenge`` and ``domain``) and its
    shape are checked by vc.presentations; each credential inside gets its own result
    in ``credentialResults``, and an error in any of them is an error of the whole. A holder that
    is missing, or is not the subject of a credential, is a ``holder-not-subject`` warning
    (``check: holder_binding``; one per credential, or one for the whole without a holder).
    """
    credential_results: list[dict[str, Any]] = []

    def verify_embedded(credential: dict[str, Any]) -> dict[str, Any]:
        result = credential_result(credential)
        credential_results.append(result)
        return result

    checks = ["presentation"]
    warnings: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    try:
        verified = verify_presentation(
            presentation,
            challenge=challenge,
            domain=domain,
            verify_credential=verify_embedded,
            resolve=resolve_verification_method,
        )
    except VcError as exc:
        errors.append(problem_details(exc, check="presentation"))
    else:
        checks.append("holder_binding")
        warnings.extend(_holder_binding_warnings(verified))
    for index, result in enumerate(credential_results):
        errors.extend({**error, "credential": index} for error in result["errors"])
        warnings.extend({**warning, "credential": index} for warning in result["warnings"])
    body: dict[str, Any] = {
        "verified": not errors,
        "checks": checks + (["credentials"] if credential_results else []),
        "warnings": warnings,
        "errors": errors,
        "credentialResults": credential_results,
    }
    if return_presentation:
        body["verifiablePresentation"] = presentation
    return _respond(
        body, detail="The presentation did not verify:", return_problem_details=return_problem_details
    )


def _holder_binding_warnings(verified: VerifiedPresentation) -> list[dict[str, Any]]:
    """``holder-not-subject`` warnings for a verified presentation (see presentation_response)."""
    if not verified.credentials:
        return []
    if verified.holder is None:
        error = HolderNotSubject(
            "The presentation names no holder: nothing binds its credentials to whoever presented them."
        )
        return [problem_details(error, check="holder_binding")]
    return [
        problem_details(
            HolderNotSubject(
                f"The holder {verified.holder} is not the subject of this credential: it may be "
                "someone else's."
            ),
            check="holder_binding",
            credential=index,
        )
        for index in verified.unbound_credentials
    ]
