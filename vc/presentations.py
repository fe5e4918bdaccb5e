"""Verifiable Presentations: a holder hands over credentials, bound to one verifier's request.

The presentation holds the credentials as they were issued (their own proofs untouched) and is
signed by the holder with proof purpose ``authentication``, over the verifier's ``challenge``
(a nonce, so it cannot be replayed) and ``domain`` (the verifier, so it cannot be redirected).

The holder's proof says who presented, not that the credentials are about them: anyone can wrap
someone else's diploma in a presentation signed with their own key. ``verify_presentation``
reports whether the holder is the subject of every credential (``holder_bound``), and refuses a
presentation where it is not when asked to (``require_holder_binding``).
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .dataintegrity import CRYPTOSUITE, VerifiedProof, add_proof, verify_proofs
from .datamodel import validate_presentation
from .dids import KeyResolver, resolve_key
from .errors import HolderNotSubject, PresentationInvalid, ProofInvalid, ProofOptionsInvalid, VcError
from .jsonld import CREDENTIALS_V2, is_absolute_iri
from .multikey import PrivateKey

PRESENTATION_TYPE = "VerifiablePresentation"
SECTION = "VCDM 2.0 §4.13 Verifiable Presentations"


@dataclass(frozen=True)
class CredentialResult:
    """The outcome of verifying one credential of a presentation: what the verifier returned, or
    the domain error it raised. A returned result whose ``verified`` (attribute or key) is False
    counts as failed. ``holder_is_subject``: the presentation names a holder and every
    ``credentialSubject`` of this credential has that holder as its ``id``."""

    index: int
    credential_id: str | None
    result: Any = None
    error: VcError | None = None
    holder_is_subject: bool = False

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
    about the credentials, and ``credentials_verified`` is False. ``holder_bound`` is whether a
    holder is named and is the subject of every credential (see ``holder_is_subject``); without
    it, the presenter may be showing someone else's credentials, and a relying party that needs
    "these are the presenter's own" must check it.
    """

    holder: str | None
    proofs: tuple[VerifiedProof, ...]
    credentials: tuple[dict[str, Any], ...]
    credential_results: tuple[CredentialResult, ...] = ()

    @property
    def holder_bound(self) -> bool:
        return self.holder is not None and all(
            holder_is_subject(credential, self.holder) for credential in self.credentials
        )

    @property
    def unbound_credentials(self) -> list[int]:
        """The indexes of the credentials whose subject is not the holder (all, without a holder)."""
        return [
            index
            for index, credential in enumerate(self.credentials)
            if not holder_is_subject(credential, self.holder)
        ]

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
    private_key: PrivateKey,
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
        # add_proof signs a deep copy of the presentation: the credentials are copied there, once.
        presentation["verifiableCredential"] = list(credentials)
    return add_proof(
        presentation,
        private_key=private_key,
        verification_method=verification_method,
        cryptosuite=cryptosuite,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )


def holder_is_subject(credential: Any, holder: str | None) -> bool:
    """Whether ``holder`` is given and is the ``id`` of every ``credentialSubject`` of ``credential``.

    A subject without an ``id`` (or a credential without subjects) is bound to nobody: False.
    """
    if holder is None or not isinstance(credential, dict):
        return False
    subjects = _as_list(credential.get("credentialSubject"))
    return bool(subjects) and all(
        isinstance(subject, dict) and subject.get("id") == holder for subject in subjects
    )


def verify_presentation(
    presentation: dict[str, Any],
    *,
    challenge: str | None,
    domain: str | None,
    verify_credential: Callable[[dict[str, Any]], Any] | None = None,
    require_holder_binding: bool = False,
    resolve: KeyResolver = resolve_key,
) -> VerifiedPresentation:
    """Verify a presentation: its shape, the holder's proof, then each credential it holds.

    The proof must have purpose ``authentication`` and carry exactly the ``challenge`` and
    ``domain`` the verifier issued (both required: without them a replayed or redirected
    presentation would pass), and be made with a key of the ``holder`` when there is one (keys
    resolved by ``resolve``, by default did:key only).
    ``verify_credential`` (the caller's full credential verifier) is called on each embedded
    credential; its domain errors are collected per credential, not raised. Whether the holder is
    the subject of each credential is reported (``holder_bound``, ``holder_is_subject``); with
    ``require_holder_binding`` a presentation without a holder, or holding a credential about
    someone else, is refused before its proof is checked. Raises HolderNotSubject (a
    PresentationInvalid naming each unbound credential), PresentationInvalid (every shape
    violation, by path), ProofInvalid, UnresolvableKey, or the canonicalization errors.
    """
    errors = _shape_errors(presentation)
    if errors:
        raise PresentationInvalid(_summary(errors), errors=errors)
    holder = _holder_id(presentation)
    credentials = tuple(_as_list(presentation.get("verifiableCredential", [])))
    if require_holder_binding:
        binding_errors = _binding_errors(credentials, holder)
        if binding_errors:
            raise HolderNotSubject(_summary(binding_errors), errors=binding_errors)
    proofs = verify_proofs(
        presentation, expected_purpose="authentication", challenge=challenge, domain=domain, resolve=resolve
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
    results: list[CredentialResult] = []
    if verify_credential is not None:
        for index, credential in enumerate(credentials):
            credential_id = credential.get("id") if isinstance(credential.get("id"), str) else None
            bound = holder_is_subject(credential, holder)
            try:
                outcome = verify_credential(credential)
            except VcError as exc:
                results.append(CredentialResult(index, credential_id, error=exc, holder_is_subject=bound))
                continue
            results.append(CredentialResult(index, credential_id, result=outcome, holder_is_subject=bound))
    return VerifiedPresentation(
        holder=holder, proofs=tuple(proofs), credentials=credentials, credential_results=tuple(results)
    )


# Shape (VCDM 2.0 §4.13): what the proof cannot tell.


def _shape_errors(presentation: Any) -> list[dict[str, str]]:
    """VCDM 2.0 §4.13 (vc.datamodel.validate_presentation, embedded credentials
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


def _binding_errors(credentials: tuple[Any, ...], holder: str | None) -> list[dict[str, str]]:
    if holder is None:
        return [
            _error(
                "/holder",
                "The presentation names no holder, so nothing binds its credentials to whoever "
                "presented them; a holder who is the subject of every credential is required.",
            )
        ]
    return [
        _error(
            f"/verifiableCredential/{index}/credentialSubject",
            f"The credential is about {_subject_ids(credential)}, not about the holder {holder} who "
            "presented it.",
        )
        for index, credential in enumerate(credentials)
        if not holder_is_subject(credential, holder)
    ]


def _subject_ids(credential: Any) -> str:
    subjects = _as_list(credential.get("credentialSubject")) if isinstance(credential, dict) else []
    ids = [subject.get("id") if isinstance(subject, dict) else None for subject in subjects]
    named = sorted({str(subject_id) for subject_id in ids if isinstance(subject_id, str)})
    unnamed = "a subject without an id" if any(not isinstance(i, str) for i in ids) or not ids else ""
    return ", ".join([*named, *([unnamed] if unnamed else [])])


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
