"""Verifiable Presentations: a holder hands over credentials, bound to one verifier's request.

The presentation holds the credentials as they were issued (their own proofs untouched) and is
signed by the holder with proof purpose ``authentication``, over the verifier's ``challenge``
(a nonce, so it cannot be replayed) and ``domain`` (the verifier, so it cannot be redirected).
"""

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.errors import DomainError

from .dataintegrity import CRYPTOSUITE, VerifiedProof, add_proof, verify_proofs
from .datamodel import validate_presentation
from .errors import PresentationInvalid, ProofInvalid, ProofOptionsInvalid
from .jsonld import CREDENTIALS_V2, is_absolute_iri

PRESENTATION_TYPE = "VerifiablePresentation"
SECTION = "VCDM 2.0 §4.13 Verifiable Presentations"


@dataclass(frozen=True)
class CredentialResult:
    """The outcome of verifying one credential of a presentation: what the verifier returned, or
    the domain error it raised. A returned result whose ``verified`` (attribute or key) is False
    counts as failed."""

    index: int
    credential_id: str | None
    result: Any = None
    error: DomainError | None = None

    @property
    def verified(self) -> bool:
        if self.error is not None:
            return False
        if isinstance(self.result, Mapping):
            return self.result.get("verified", True) is not False
        return getattr(self.result, "verified", True) is not False


@dataclass(frozen=True)
class VerifiedPresentation:
    """A presentation whose shape and holder proof verified, with each credential's outcome.

    ``credential_results`` is empty when no credential verifier was given: then nothing is known
    about the credentials, and ``credentials_verified`` is False.
    """

    holder: str | None
    proofs: tuple[VerifiedProof, ...]
    credentials: tuple[dict[str, Any], ...]
    credential_results: tuple[CredentialResult, ...] = ()

    @property
    def credentials_verified(self) -> bool:
        return len(self.credential_results) == len(self.credentials) and all(
            result.verified for result in self.credential_results
        )

    @property
    def credential_errors(self) -> list[CredentialResult]:
        return [result for result in self.credential_results if not result.verified]


def create_presentation(
    credentials: list[dict[str, Any]],
    *,
    holder: str,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    challenge: str,
    domain: str,
    cryptosuite: str = CRYPTOSUITE,
    presentation_id: str | None = None,
) -> dict[str, Any]:
    """A presentation of ``credentials`` (embedded unchanged) signed by ``holder`` for one verifier.

    The proof has purpose ``authentication`` and carries ``challenge`` and ``domain``. Raises
    ProofOptionsInvalid (no challenge or domain, a holder or id that is not a URL),
    PresentationInvalid (a credential that is not an object, or given twice), and what add_proof
    raises.
    """
    for name, value in (("challenge", challenge), ("domain", domain)):
        if not isinstance(value, str) or not value:
            raise ProofOptionsInvalid(f"A presentation is made for one verifier: its {name} is required.")
    if not is_absolute_iri(holder):
        raise ProofOptionsInvalid("The holder must be a URL (a DID).")
    if presentation_id is not None and not is_absolute_iri(presentation_id):
        raise ProofOptionsInvalid("The presentation id must be a URL.")
    if not isinstance(credentials, list):
        raise PresentationInvalid("The credentials to present must be a list.", errors=[])
    errors = _credential_errors(credentials)
    if errors:
        raise PresentationInvalid(_summary(errors), errors=errors)

    presentation: dict[str, Any] = {"@context": [CREDENTIALS_V2]}
    if presentation_id is not None:
        presentation["id"] = presentation_id
    presentation["type"] = [PRESENTATION_TYPE]
    presentation["holder"] = holder
    if credentials:
        presentation["verifiableCredential"] = copy.deepcopy(credentials)
    return add_proof(
        presentation,
        private_key=private_key,
        verification_method=verification_method,
        cryptosuite=cryptosuite,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )


def verify_presentation(
    presentation: dict[str, Any],
    *,
    challenge: str | None,
    domain: str | None,
    verify_credential: Callable[[dict[str, Any]], Any] | None = None,
) -> VerifiedPresentation:
    """Verify a presentation: its shape, the holder's proof, then each credential it holds.

    The proof must have purpose ``authentication`` and carry exactly the ``challenge`` and
    ``domain`` the verifier issued (both required: without them a replayed or redirected
    presentation would pass), and be made with a key of the ``holder`` when there is one.
    ``verify_credential`` (the caller's full credential verifier) is called on each embedded
    credential; its domain errors are collected per credential, not raised. Raises
    PresentationInvalid (every shape violation, by path), ProofInvalid, UnresolvableKey, or the
    canonicalization errors.
    """
    errors = _shape_errors(presentation)
    if errors:
        raise PresentationInvalid(_summary(errors), errors=errors)
    holder = _holder_id(presentation)
    proofs = verify_proofs(
        presentation, expected_purpose="authentication", challenge=challenge, domain=domain
    )
    if holder is not None:
        for index, proof in enumerate(proofs):
            if proof.controller != holder:
                raise ProofInvalid(
                    f"Proof {index}: the presentation was signed with a key of {proof.controller}, "
                    f"not of its holder {holder}.",
                    rule="holder",
                    proofIndex=index,
                )
    credentials = tuple(_as_list(presentation.get("verifiableCredential", [])))
    results: list[CredentialResult] = []
    if verify_credential is not None:
        for index, credential in enumerate(credentials):
            credential_id = credential.get("id") if isinstance(credential.get("id"), str) else None
            try:
                results.append(CredentialResult(index, credential_id, result=verify_credential(credential)))
            except DomainError as exc:
                results.append(CredentialResult(index, credential_id, error=exc))
    return VerifiedPresentation(
        holder=holder, proofs=tuple(proofs), credentials=credentials, credential_results=tuple(results)
    )


# Shape (VCDM 2.0 §4.13): what the proof cannot tell.


def _shape_errors(presentation: Any) -> list[dict[str, str]]:
    """VCDM 2.0 §4.13 (credentials.datamodel.validate_presentation, embedded credentials
    included), plus what only a presentation verifier cares about: the same credential twice."""
    try:
        validate_presentation(presentation)
    except PresentationInvalid as exc:
        return list(exc.extra.get("errors") or [_error("", str(exc.detail))])
    return _credential_errors(_as_list(presentation.get("verifiableCredential", [])))


def _credential_errors(credentials: list[Any]) -> list[dict[str, str]]:
    errors = []
    seen: dict[str, int] = {}
    for index, credential in enumerate(credentials):
        path = f"/verifiableCredential/{index}"
        if not isinstance(credential, dict):
            errors.append(_error(path, "Each verifiableCredential must be a credential object."))
            continue
        key = json.dumps(credential, sort_keys=True)
        if key in seen:
            errors.append(_error(path, f"The same credential as /verifiableCredential/{seen[key]}."))
        seen.setdefault(key, index)
    return errors


def _holder_id(presentation: dict[str, Any]) -> str | None:
    if "holder" not in presentation:
        return None
    holder = presentation["holder"]
    holder_id = holder.get("id") if isinstance(holder, dict) else holder
    return holder_id if is_absolute_iri(holder_id) else None


def _error(path: str, detail: str) -> dict[str, str]:
    return {"path": path, "rule": SECTION, "detail": detail}


def _summary(errors: list[dict[str, str]]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first['path'] or '/'}: {first['detail']}{more}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
