"""Creating and verifying Data Integrity proofs: sets, chains, purposes, dates, challenge and domain.

A document's ``proof`` is one object or a list (a proof set). Each proof signs the document
without ``proof`` (VC Data Integrity 1.0 §2.1.2); a proof with ``previousProof`` (a chain) signs the
document whose ``proof`` is exactly the list of proofs it names, in the document's order, as the
spec's algorithm collects them from the proof set (§2.1.3, §4.2). Verification checks EVERY
proof: one bad proof fails the document, whatever the others say.

Each proof may cost a network fetch (a did:web key) and a canonicalization, so a document carries
at most MAX_PROOFS proofs, every proof passes the cheap checks before any is resolved, and proofs
are then resolved and verified one by one: the first failure stops the rest.
"""

import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..datamodel import parse_datetime_stamp
from ..dids import KeyResolver, resolve_key
from ..errors import JsonLdInvalid, ProofInvalid, ProofOptionsInvalid, VcError
from ..jsonld import is_absolute_iri
from ..multikey import PrivateKey
from .suites import SUITES, Cryptosuite, suite_for_signing, suite_of

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
AUTHENTICATION = "authentication"
# How far in the future a proof's `created` may be: clocks of issuers and holders drift.
CLOCK_SKEW = timedelta(minutes=5)
# The most proofs one document may carry. Real documents carry one or two (the W3C eddsa suite's
# sets and chains at most four); each proof may cost a key fetch and a canonicalization, so a
# document with hundreds of them would make us fetch and hash on an attacker's behalf.
MAX_PROOFS = 8


@dataclass(frozen=True)
class VerifiedProof:
    verification_method: str
    controller: str
    proof_purpose: str
    created: str | None
    cryptosuite: str
    proof_id: str | None = None


def utc_now_xsd() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """The 64 bytes an eddsa-rdfc-2022 signature covers (proof-config hash first)."""
    suite = SUITES[CRYPTOSUITE]
    return (
        hashlib.sha256(suite.canonicalize(proof_config)).digest()
        + hashlib.sha256(suite.canonicalize(document)).digest()
    )


# Creating.


def add_proof(
    document: dict[str, Any],
    *,
    private_key: PrivateKey,
    verification_method: str,
    cryptosuite: str = CRYPTOSUITE,
    proof_purpose: str = "assertionMethod",
    created: str | None = None,
    expires: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with one more proof.

    Without a proof the document gets one; with proofs, the new one is added beside them (a
    proof set); with ``previous_proof`` (ids of proofs the document carries) it is chained, signing
    the document with those proofs in place. Raises ProofOptionsInvalid (unknown or verify-only
    cryptosuite, malformed dates, a duplicate id, a dangling previous proof), ProofInvalid for a
    malformed existing ``proof``, and the canonicalization errors of the suite (UnknownContext,
    UndefinedTerm, JsonLdInvalid, NotCanonicalizable).
    """
    suite = suite_for_signing(cryptosuite)
    suite.check_key(private_key)
    if not isinstance(document, dict):
        raise ProofOptionsInvalid("Only a JSON object can be secured.")
    if "@context" not in document:
        raise JsonLdInvalid("The document has no @context.", path="/@context")
    if not isinstance(verification_method, str) or not verification_method:
        raise ProofOptionsInvalid("The verification method must be a URL.")
    if not isinstance(proof_purpose, str) or not proof_purpose:
        raise ProofOptionsInvalid("The proof purpose must be a name such as 'assertionMethod'.")
    for name, value in (("challenge", challenge), ("domain", domain)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ProofOptionsInvalid(f"The {name} must be a non-empty string.")
    existing = _proofs_of(document) if "proof" in document else []
    if len(existing) >= MAX_PROOFS:
        raise ProofOptionsInvalid(
            f"The document already carries {len(existing)} proofs; verifiers accept at most {MAX_PROOFS}."
        )
    created = created or utc_now_xsd()
    created_at = _option_datetime("created", created)
    if expires is not None and _option_datetime("expires", expires) <= created_at:
        raise ProofOptionsInvalid("The proof would expire before it was created.")
    by_id = {proof["id"]: proof for proof in existing if isinstance(proof.get("id"), str)}
    if proof_id is not None and (not is_absolute_iri(proof_id) or proof_id in by_id):
        raise ProofOptionsInvalid(
            f"The proof id {proof_id!r} must be a URL that no other proof of the document uses."
        )
    previous_ids = _as_id_list(previous_proof)
    dangling = [proof_ref for proof_ref in previous_ids if proof_ref not in by_id]
    if previous_proof is not None and (not previous_ids or dangling):
        raise ProofOptionsInvalid(
            f"previousProof must name proofs the document carries, by id; it does not carry {dangling}.",
            knownProofIds=sorted(by_id),
        )

    options: dict[str, Any] = {"type": suite.proof_type}
    if proof_id is not None:
        options["id"] = proof_id
    options["cryptosuite"] = suite.name
    options["created"] = created
    if expires is not None:
        options["expires"] = expires
    options["verificationMethod"] = verification_method
    options["proofPurpose"] = proof_purpose
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    if previous_proof is not None:
        options["previousProof"] = copy.deepcopy(previous_proof)
    if suite.proof_carries_context:
        options["@context"] = copy.deepcopy(document["@context"])

    unsecured = copy_json({key: value for key, value in document.items() if key != "proof"})
    canonical_document = suite.check_document(unsecured)  # the canonical form, if checking made it
    previous = _named_proofs(by_id, previous_ids)
    if canonical_document is None or previous:
        canonical_document = suite.canonicalize(_chained_document(unsecured, previous), private_key)
    canonical_config = suite.canonicalize(suite.proof_config(unsecured, options), private_key)
    data = suite.hash(canonical_config, canonical_document, private_key)
    proof = {**options, "proofValue": suite.encode_proof_value(suite.sign(private_key, data))}
    return {**unsecured, "proof": [*copy_json(existing), proof] if existing else proof}


def copy_json(value: Any) -> Any:
    """A deep copy of ``value``, as copy.deepcopy makes it, made faster for JSON: dicts and lists
    are rebuilt, strings, numbers, booleans and None are immutable and kept, anything else is
    left to copy.deepcopy. (The copy shares nothing mutable with ``value``.)"""
    kind = type(value)
    if kind is dict:
        return {key: copy_json(item) for key, item in value.items()}
    if kind is list:
        return [copy_json(item) for item in value]
    if kind in _IMMUTABLE_JSON:
        return value
    return copy.deepcopy(value)


_IMMUTABLE_JSON = frozenset({str, int, float, bool, type(None)})


def _option_datetime(name: str, value: Any) -> datetime:
    parsed = parse_datetime_stamp(value)
    if parsed is None:
        raise ProofOptionsInvalid(
            f"'{name}' must be an XML Schema dateTime with a timezone, e.g. 2025-01-01T00:00:00Z."
        )
    return parsed


# Verifying.


@dataclass(frozen=True)
class _CheckedProof:
    """A proof whose members passed the cheap checks; its key and signature are still to be checked."""

    index: int
    proof: dict[str, Any]
    suite: Cryptosuite
    previous_ids: tuple[str, ...]
    signature: bytes


def verify_proofs(
    document: dict[str, Any],
    *,
    expected_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
    now: datetime | None = None,
    resolve: KeyResolver = resolve_key,
) -> list[VerifiedProof]:
    """Verify every proof of ``document`` (one, a set, or chains; at most MAX_PROOFS) and return
    them in order.

    Each proof must: be of a suite we verify, have ``expected_purpose``, not be expired at ``now``
    nor created after it (beyond CLOCK_SKEW), match ``challenge``/``domain`` when given (for
    ``authentication`` both are required, from the verifier and in the proof), name only proofs
    the document carries in ``previousProof``, resolve its verification method with ``resolve``
    (by default did:key only: vc.dids.resolve_key), and carry a signature over the document.
    Raises ProofInvalid naming the proof (index and id) and the rule,
    UnresolvableKey, or the canonicalization errors (UnknownContext, UndefinedTerm, JsonLdInvalid,
    NotCanonicalizable). Whether the signer is the one the caller trusts is the caller's policy.
    """
    if not isinstance(document, dict):
        raise ProofInvalid("The secured document must be a JSON object.")
    proofs = _proofs_of(document)
    if "@context" not in document:
        raise ProofInvalid("The document has no @context.", rule="@context")
    now = now or datetime.now(UTC)
    by_id = _proofs_by_id(proofs)
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    # Every cheap check on every proof first (the document's contexts included): nothing is
    # canonicalized or resolved for a document that one malformed proof already condemns.
    checked_suites: set[str] = set()
    checked_canonical: dict[tuple[str, tuple[str, ...]], bytes] = {}
    checked = []
    for index, proof in enumerate(proofs):
        with _naming(index, proof):
            suite = suite_of(proof)
            suite.check_proof(proof)
            _check_members(proof, document)
            _check_purpose(proof, expected_purpose, challenge, domain)
            _check_dates(proof, now)
            previous_ids = _previous_ids(proof, by_id, len(proofs))
            signature = _signature(proof, suite)
            if suite.name not in checked_suites:
                made = suite.check_document(unsecured)
                checked_suites.add(suite.name)
                if made is not None:  # checking canonicalized it (JCS): not made again below
                    checked_canonical.setdefault((suite.canonicalization, ()), made)
        checked.append(_CheckedProof(index, proof, suite, previous_ids, signature))

    # One canonical form per (canonicalization, proofs in place): a proof set of N proofs of one
    # canonicalization costs one document canonicalization, not N.
    canonical_documents: dict[tuple[str, tuple[str, ...]], bytes] = checked_canonical
    verified = []
    # Proof by proof, in order: a proof that fails stops the rest, so a forged proof costs us at
    # most one key resolution (a did:web fetch) and one canonicalization before it is refused.
    for item in checked:
        suite = item.suite
        with _naming(item.index, item.proof):
            # The key must be listed under the proof's purpose in its DID document: a key a
            # university keeps only for logging in must not sign diplomas.
            controller, public_key = resolve(
                item.proof["verificationMethod"], purpose=item.proof["proofPurpose"]
            )
        if suite.selective:
            with _naming(item.index, item.proof):
                previous = _named_proofs(by_id, item.previous_ids)
                canonical_config = suite.canonicalize(suite.proof_config(unsecured, item.proof), public_key)
                suite.verify_document(
                    _chained_document(unsecured, previous), item.proof, public_key, canonical_config
                )
            verified.append(_verified(item, controller))
            continue
        with _naming(item.index, item.proof):
            key = (suite.canonicalization_for(public_key), item.previous_ids)
        if key not in canonical_documents:
            previous = _named_proofs(by_id, item.previous_ids)
            canonical_documents[key] = suite.canonicalize(_chained_document(unsecured, previous), public_key)
        with _naming(item.index, item.proof):
            canonical_config = suite.canonicalize(suite.proof_config(unsecured, item.proof), public_key)
            data = suite.hash(canonical_config, canonical_documents[key], public_key)
            suite.verify(public_key, item.signature, data)
        verified.append(_verified(item, controller))
    return verified


def _verified(item: "_CheckedProof", controller: str) -> VerifiedProof:
    return VerifiedProof(
        verification_method=item.proof["verificationMethod"],
        controller=controller,
        proof_purpose=item.proof["proofPurpose"],
        created=item.proof.get("created"),
        cryptosuite=item.suite.name,
        proof_id=item.proof.get("id"),
    )


def verify_proof(
    document: dict[str, Any], *, expected_purpose: str = "assertionMethod", resolve: KeyResolver = resolve_key
) -> VerifiedProof:
    """Verify a document secured with exactly one proof (see verify_proofs for the rules).

    Raises ProofInvalid also when the document carries several proofs: use verify_proofs then.
    """
    if isinstance(document, dict) and isinstance(document.get("proof"), list) and len(document["proof"]) > 1:
        raise ProofInvalid(
            f"The document carries {len(document['proof'])} proofs; verify them all with verify_proofs.",
            rule="proof",
        )
    return verify_proofs(document, expected_purpose=expected_purpose, resolve=resolve)[0]


# The rules, one function each.


class _naming:
    """Re-raise a domain error from inside the block with the proof it concerns named first."""

    def __init__(self, index: int, proof: dict[str, Any]) -> None:
        self.index = index
        self.proof_id = proof.get("id") if isinstance(proof.get("id"), str) else None

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        if isinstance(exc, VcError) and "proofIndex" not in exc.extra:
            label = f"Proof {self.index}" + (f" ({self.proof_id})" if self.proof_id else "")
            where: dict[str, Any] = {"proofIndex": self.index}
            if self.proof_id:
                where["proofId"] = self.proof_id
            try:
                named = type(exc)(f"{label}: {exc.detail}", **{**exc.extra, **where})
            except TypeError:  # an error class with its own constructor: keep it as it is
                return
            raise named from exc


def _proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    proof = document.get("proof")
    if proof is None:
        raise ProofInvalid("The document carries no proof.", rule="proof")
    proofs = proof if isinstance(proof, list) else [proof]
    if len(proofs) > MAX_PROOFS:
        raise ProofInvalid(
            f"The document carries {len(proofs)} proofs; at most {MAX_PROOFS} are verified.",
            rule="proof",
            maxProofs=MAX_PROOFS,
        )
    if not proofs or not all(isinstance(item, dict) for item in proofs):
        raise ProofInvalid("'proof' must be a proof object or a non-empty list of them.", rule="proof")
    return proofs


def _proofs_by_id(proofs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for index, proof in enumerate(proofs):
        proof_id = proof.get("id")
        if proof_id is None:
            continue
        with _naming(index, proof):
            if not is_absolute_iri(proof_id):
                raise ProofInvalid("The proof's 'id' must be a URL.", rule="id")
            if proof_id in by_id:
                raise ProofInvalid("Another proof of the document has the same 'id'.", rule="id")
        by_id[proof_id] = proof
    return by_id


def _as_id_list(value: Any) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_members(proof: dict[str, Any], document: dict[str, Any]) -> None:
    for member in ("verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(member), str) or not proof[member]:
            raise ProofInvalid(f"The proof's '{member}' is missing or not a string.", rule=member)
    for member in ("created", "expires"):
        if member in proof and parse_datetime_stamp(proof[member]) is None:
            raise ProofInvalid(f"The proof's '{member}' is not an XML Schema dateTime.", rule=member)
    if "challenge" in proof and not isinstance(proof["challenge"], str):
        raise ProofInvalid("The proof's 'challenge' must be a string.", rule="challenge")
    if "domain" in proof and not _is_string_or_strings(proof["domain"]):
        raise ProofInvalid("The proof's 'domain' must be a string or a list of strings.", rule="domain")
    if "previousProof" in proof and not _is_string_or_strings(proof["previousProof"]):
        raise ProofInvalid("'previousProof' must be a proof id or a list of them.", rule="previousProof")
    # The spec lets a proof's @context be a prefix of the document's and verifies against it; a
    # verifier reading the document would then see contexts the signature never covered. We
    # accept only the document's own @context.
    if "@context" in proof and proof["@context"] != document["@context"]:
        raise ProofInvalid("The proof's @context differs from the document's.", rule="@context")


def _is_string_or_strings(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _check_purpose(proof: dict[str, Any], expected: str, challenge: str | None, domain: str | None) -> None:
    if proof["proofPurpose"] != expected:
        raise ProofInvalid(
            f"The proof purpose is {proof['proofPurpose']!r}; {expected!r} is required.", rule="proofPurpose"
        )
    if expected == AUTHENTICATION:
        # Without both, a presentation made for one verifier could be replayed to, or redirected at, another.
        if challenge is None or domain is None:
            raise ProofInvalid(
                "An authentication proof is only accepted against the challenge and domain the verifier "
                "issued; none was given.",
                rule="challenge" if challenge is None else "domain",
            )
        for member in ("challenge", "domain"):
            if member not in proof:
                raise ProofInvalid(f"The authentication proof carries no '{member}'.", rule=member)
    if challenge is not None and proof.get("challenge") != challenge:
        raise ProofInvalid("The proof's challenge is not the one expected.", rule="challenge")
    if domain is not None:
        proof_domains = proof.get("domain")
        if domain not in (proof_domains if isinstance(proof_domains, list) else [proof_domains]):
            raise ProofInvalid("The proof's domain is not the one expected.", rule="domain")


def _check_dates(proof: dict[str, Any], now: datetime) -> None:
    created = parse_datetime_stamp(proof.get("created"))
    expires = parse_datetime_stamp(proof.get("expires"))
    if created is not None and created > now + CLOCK_SKEW:
        raise ProofInvalid(f"The proof was created in the future ({proof['created']}).", rule="created")
    if expires is not None and expires < now:
        raise ProofInvalid(f"The proof expired at {proof['expires']}.", rule="expires")
    if created is not None and expires is not None and expires <= created:
        raise ProofInvalid("The proof expires before it was created.", rule="expires")


def _previous_ids(
    proof: dict[str, Any], by_id: dict[str, dict[str, Any]], proof_count: int
) -> tuple[str, ...]:
    previous = _as_id_list(proof.get("previousProof"))
    if len(previous) > proof_count:  # refused before each name is looked up
        raise ProofInvalid(
            f"'previousProof' names {len(previous)} proofs; the document carries only {proof_count}.",
            rule="previousProof",
        )
    for proof_ref in previous:
        if proof_ref == proof.get("id"):
            raise ProofInvalid("The proof names itself in 'previousProof'.", rule="previousProof")
        if proof_ref not in by_id:
            raise ProofInvalid(
                f"'previousProof' names {proof_ref}, which the document does not carry.", rule="previousProof"
            )
    if len(set(previous)) != len(previous):
        raise ProofInvalid("'previousProof' names the same proof twice.", rule="previousProof")
    return tuple(proof_id for proof_id in by_id if proof_id in previous)  # the document's order


def _named_proofs(by_id: dict[str, dict[str, Any]], names: Any) -> list[dict[str, Any]]:
    """The proofs ``names`` refers to, in the document's order (the order of ``by_id``)."""
    wanted = set(names)
    return [proof for proof_id, proof in by_id.items() if proof_id in wanted]


def _signature(proof: dict[str, Any], suite: Cryptosuite) -> bytes:
    return suite.decode_proof_value(proof["proofValue"])


def _chained_document(unsecured: dict[str, Any], previous: list[dict[str, Any]]) -> dict[str, Any]:
    """The document a proof signs: without proofs, or with exactly the proofs its chain names."""
    return {**unsecured, "proof": previous} if previous else unsecured
