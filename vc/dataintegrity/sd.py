"""ecdsa-sd-2023 (VC DI ECDSA 1.0 §3.4-3.5): the issuer's base proof, the holder's derived proof,
and verifying a derived proof.

An issuer's base proof signs, with its P-256 key, ``proofHash ‖ ephemeralPublicKey ‖
mandatoryHash`` and each non-mandatory statement with a one-time (ephemeral) P-256 key; blank nodes
are relabelled with an HMAC the holder keeps. The holder derives a proof that reveals a subset of
the non-mandatory statements: the base signature, the ephemeral key, the signatures of the revealed
statements, the label map from the canonical labels of the revealed document to the HMAC labels,
and which of the revealed statements are mandatory.

The verifier (here) canonicalizes the revealed document (RDFC-1.0, strict JSON-LD as everywhere),
relabels its blank nodes with the label map, sorts the statements, and checks the base signature
over the proof options, the ephemeral key and the mandatory statements, and one ephemeral
signature per other statement. A statement changed, added or dropped, or a label map changed,
fails one of these signatures.
"""

import base64
import binascii
import copy
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from pyld import jsonld

from ..errors import JsonLdInvalid, ProofInvalid, ProofOptionsInvalid, UnresolvableKey
from ..jsonld import (
    MAX_QUADS,
    RDF_DIRECTION,
    _BoundedURDNA2015,
    _CanonicalizationTooCostly,
    _options,
    _RdfFromExpanded,
    canonicalize,
    expand_strict,
)
from ..multikey import (
    P256_PUBLIC_PREFIX,
    PublicKey,
    curve_name,
    decode_multibase,
    encode_multibase,
    multikey_to_verification_key,
    public_key_to_multikey,
)

BASE_PROOF_HEADER = b"\xd9\x5d\x00"
DERIVED_PROOF_HEADER = b"\xd9\x5d\x01"
BASE64URL = "u"  # multibase prefix, base64url without padding
# A derived proofValue holds 64 bytes per revealed statement; vc.jsonld accepts at most 4096
# statements, so nothing honest is larger than this. Refused before decoding.
MAX_PROOF_VALUE_CHARACTERS = 400_000
_BASE64URL_ALPHABET = re.compile(r"^[A-Za-z0-9_-]*$")
_CANONICAL_LABEL = re.compile(r"^c14n(0|[1-9][0-9]*)$")
_HMAC_LABEL = re.compile(r"^u[A-Za-z0-9_-]{43}$")  # u + base64url of a 32-byte HMAC-SHA-256


@dataclass(frozen=True)
class DerivedProofValue:
    base_signature: bytes
    public_key: bytes  # the ephemeral P-256 Multikey bytes (0x8024 header, compressed point)
    signatures: tuple[bytes, ...]
    label_map: dict[str, str]  # c14nN -> uHMAC
    mandatory_indexes: tuple[int, ...]


@dataclass(frozen=True)
class VerifyData:
    base_signature: bytes
    proof_hash: bytes
    public_key: bytes
    signatures: tuple[bytes, ...]
    non_mandatory: tuple[str, ...]
    mandatory_hash: bytes


def _refuse(detail: str) -> ProofInvalid:
    return ProofInvalid(detail, rule="proofValue")


def decode_base64url_multibase(value: object) -> bytes:
    """The bytes of a ``u``-multibase (base64url, no padding) value; raises ProofInvalid."""
    if not isinstance(value, str) or not value.startswith(BASE64URL):
        raise _refuse("An ecdsa-sd-2023 proofValue is base64url multibase (starting with 'u').")
    if len(value) > MAX_PROOF_VALUE_CHARACTERS:
        raise _refuse(f"The proofValue is longer than {MAX_PROOF_VALUE_CHARACTERS} characters.")
    body = value[1:]
    if not _BASE64URL_ALPHABET.match(body) or len(body) % 4 == 1:
        raise _refuse("The proofValue is not base64url without padding.")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _refuse("The proofValue is not base64url without padding.") from exc
    if encode_base64url_multibase(raw) != value:  # one spelling per byte string
        raise _refuse("The proofValue is not canonical base64url.")
    return raw


def encode_base64url_multibase(data: bytes) -> str:
    return BASE64URL + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def parse_derived_proof_value(proof_value: object) -> DerivedProofValue:
    """parseDerivedProofValue (§3.5.8): the five components, each checked for type and size.

    Raises ProofInvalid; a base proof (header 0xd95d00) is refused: it is the holder's, to derive
    from, not a verifier's.
    """
    raw = decode_base64url_multibase(proof_value)
    if raw[:3] == BASE_PROOF_HEADER:
        raise _refuse(
            "This is an ecdsa-sd-2023 base proof, which only the holder uses; a verifier accepts "
            "a derived proof (made with the disclosed statements)."
        )
    components = _components(raw, DERIVED_PROOF_HEADER, "derived")
    base_signature, public_key, signatures, compressed_label_map, mandatory_indexes = components
    _check_base_signature_and_key(base_signature, public_key)
    if not isinstance(signatures, list) or not all(isinstance(s, bytes) and len(s) == 64 for s in signatures):
        raise _refuse("The statement signatures must be a list of 64-byte P-256 signatures.")
    if not isinstance(compressed_label_map, dict):
        raise _refuse("The label map must be a CBOR map.")
    label_map = {}
    for key, value in compressed_label_map.items():
        if isinstance(key, bool) or not isinstance(key, int) or key < 0:
            raise _refuse("The label map's keys must be canonical blank node numbers.")
        if not isinstance(value, bytes) or len(value) != 32:
            raise _refuse("The label map's values must be 32-byte HMAC labels.")
        label_map[f"c14n{key}"] = encode_base64url_multibase(value)
    if (
        not isinstance(mandatory_indexes, list)
        or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in mandatory_indexes)
        or mandatory_indexes != sorted(set(mandatory_indexes))
    ):
        raise _refuse("The mandatory indexes must be increasing statement numbers.")
    return DerivedProofValue(
        base_signature=base_signature,
        public_key=public_key,
        signatures=tuple(signatures),
        label_map=label_map,
        mandatory_indexes=tuple(mandatory_indexes),
    )


def relabelled_statements(document: dict[str, Any], label_map: dict[str, str]) -> list[str]:
    """labelReplacementCanonicalizeJsonLd (§3.4.x, VC DI ECDSA "DI-SD primitives"): the document's
    RDFC-1.0 statements with every canonical blank node label replaced through ``label_map``,
    sorted. Raises ProofInvalid for a label the map does not hold, and the strict-expansion errors.
    """
    canonical = canonicalize(document)
    try:
        dataset = jsonld.JsonLdProcessor.parse_nquads(canonical)
    except jsonld.JsonLdError as exc:
        # An IRI holding a character RDF forbids in IRIs (<, >, ", {, }, |, ^, `, \, a space)
        # is written into the N-Quads as it is, which then cannot be read back.
        raise JsonLdInvalid(
            "The document names an IRI that RDF cannot write (it holds <, >, a quote, a brace, |, ^, "
            "`, a backslash or a space)."
        ) from exc
    if set(dataset) - {"@default"}:
        raise ProofInvalid("A selectively disclosed credential has no named graphs.", rule="proofValue")
    statements = []
    for quad in dataset.get("@default", []):
        for position in ("subject", "object"):
            term = quad[position]
            if term["type"] != "blank node":
                continue
            label = term["value"].removeprefix("_:")
            if label not in label_map:
                raise ProofInvalid(
                    f"The label map names no label for the blank node _:{label}.", rule="proofValue"
                )
            term["value"] = f"_:{label_map[label]}"
        statements.append(jsonld.JsonLdProcessor.to_nquad(quad))
    return sorted(statements)


def create_verify_data(
    unsecured: dict[str, Any], proof: dict[str, Any], canonical_proof_config: bytes
) -> VerifyData:
    """createVerifyData (§3.5.7) for a derived proof over ``unsecured``; raises ProofInvalid."""
    parsed = parse_derived_proof_value(proof.get("proofValue"))
    if any(not _CANONICAL_LABEL.match(k) or not _HMAC_LABEL.match(v) for k, v in parsed.label_map.items()):
        raise _refuse("The label map is malformed.")
    if len(set(parsed.label_map.values())) != len(parsed.label_map):
        # Two blank nodes of the disclosed document under one issuer label: refused, not merged.
        raise _refuse("The label map gives two blank nodes the same label.")
    statements = relabelled_statements(unsecured, parsed.label_map)
    if parsed.mandatory_indexes and parsed.mandatory_indexes[-1] >= len(statements):
        raise _refuse("A mandatory index names a statement the document does not hold.")
    mandatory_set = set(parsed.mandatory_indexes)
    mandatory = [s for index, s in enumerate(statements) if index in mandatory_set]
    non_mandatory = tuple(s for index, s in enumerate(statements) if index not in mandatory_set)
    return VerifyData(
        base_signature=parsed.base_signature,
        proof_hash=hashlib.sha256(canonical_proof_config).digest(),
        public_key=parsed.public_key,
        signatures=parsed.signatures,
        non_mandatory=non_mandatory,
        mandatory_hash=hashlib.sha256("".join(mandatory).encode("utf-8")).digest(),
    )


def _p256_verify(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def verify_derived(data: VerifyData, issuer_key: PublicKey) -> None:
    """The derived proof's signatures (§3.5.x "Verify Derived Proof"): the base signature by the
    issuer's key over ``proofHash ‖ publicKey ‖ mandatoryHash``, and one ephemeral signature per
    non-mandatory statement, in order. Raises ProofInvalid naming which one fails."""
    if not isinstance(issuer_key, ec.EllipticCurvePublicKey) or curve_name(issuer_key) != "P-256":
        raise ProofInvalid(
            f"An ecdsa-sd-2023 proof is verified with a P-256 key; its verification method's key is "
            f"{curve_name(issuer_key)}.",
            rule="verificationMethod",
        )
    if len(data.signatures) != len(data.non_mandatory):
        raise ProofInvalid(
            f"The derived proof signs {len(data.signatures)} statements but the document discloses "
            f"{len(data.non_mandatory)} that are not mandatory.",
            rule="signature",
        )
    if not _p256_verify(
        issuer_key, data.base_signature, data.proof_hash + data.public_key + data.mandatory_hash
    ):
        raise ProofInvalid(
            "The issuer's base signature does not match the proof options, the mandatory statements "
            "and the ephemeral key.",
            rule="signature",
        )
    try:
        ephemeral = multikey_to_verification_key(encode_multibase(data.public_key))
    except UnresolvableKey as exc:
        raise _refuse(f"The ephemeral key is not a P-256 key: {exc.detail}") from exc
    assert isinstance(ephemeral, ec.EllipticCurvePublicKey)
    for index, (signature, statement) in enumerate(zip(data.signatures, data.non_mandatory, strict=True)):
        if not _p256_verify(ephemeral, signature, statement.encode("utf-8")):
            raise ProofInvalid(
                f"The signature of disclosed statement {index} does not match it.", rule="signature"
            )


# Creating a base proof (issuer) — VC DI ECDSA 1.0 §3.5.1-3.5.5 and the DI-SD primitives (§3.4).

SKOLEM_PREFIX = "urn:citizen-vault-sd:"


def _skolemize(expanded: list[Any], counter: list[int]) -> list[Any]:
    """skolemizeExpandedJsonLd: every node gets an IRI id (its blank node label, or a new one)."""
    skolemized: list[Any] = []
    for element in expanded:
        if not isinstance(element, dict) or "@value" in element:
            skolemized.append(element)
            continue
        node = {
            key: _skolemize(value, counter) if isinstance(value, list) else _skolemize([value], counter)[0]
            for key, value in element.items()
        }
        if "@list" not in node and "@set" not in node:
            node_id = node.get("@id")
            if node_id is None:
                node["@id"] = f"{SKOLEM_PREFIX}_{counter[0]}"
                counter[0] += 1
            elif isinstance(node_id, str) and node_id.startswith("_:"):
                node["@id"] = f"{SKOLEM_PREFIX}{node_id[2:]}"
        skolemized.append(node)
    return skolemized


def _deskolemized_dataset(expanded: list[Any]) -> dict[str, Any]:
    """toDeskolemizedNQuads, as a dataset: the skolem IRIs become blank nodes again."""
    dataset = _RdfFromExpanded().to_rdf(
        expanded, _options(produceGeneralizedRdf=False, rdfDirection=RDF_DIRECTION)
    )
    if set(dataset) - {"@default"}:
        raise JsonLdInvalid("A selectively disclosable credential has no named graphs.")
    for quad in dataset.get("@default", []):
        for position in ("subject", "object"):
            term = quad[position]
            if term["type"] == "IRI" and term["value"].startswith(SKOLEM_PREFIX):
                quad[position] = {"type": "blank node", "value": "_:" + term["value"][len(SKOLEM_PREFIX) :]}
    return dataset


def _relabelled(dataset: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The dataset's statements with blank node ``labels`` (input label -> new label), sorted."""
    statements = set()
    for quad in dataset.get("@default", []):
        quad = copy.deepcopy(quad)
        for position in ("subject", "object"):
            term = quad[position]
            if term["type"] == "blank node":
                if term["value"] not in labels:
                    raise JsonLdInvalid("A selected statement names a blank node the document does not hold.")
                term["value"] = "_:" + labels[term["value"]]
        statements.add(jsonld.JsonLdProcessor.to_nquad(quad))
    return sorted(statements)


def _canonical_labels(dataset: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """RDFC-1.0 (bounded) of ``dataset``: the canonical N-Quads and input label -> c14nN."""
    quads = sum(len(graph) for graph in dataset.values())
    if quads > MAX_QUADS:
        raise JsonLdInvalid(f"The document makes {quads} RDF statements; at most {MAX_QUADS} are accepted.")
    algorithm = _BoundedURDNA2015("sha256")
    try:
        canonical = algorithm.main(copy.deepcopy(dataset), {"format": "application/n-quads"})
    except _CanonicalizationTooCostly as exc:
        raise JsonLdInvalid("The document's anonymous nodes are too alike to be canonicalized.") from exc
    mapping = {old: new.removeprefix("_:") for old, new in algorithm.canonical_issuer.existing.items()}
    return canonical, mapping


def hmac_label(hmac_key: bytes, canonical_label: str) -> str:
    """createHmacIdLabelMapFunction: u + base64url(HMAC-SHA-256(key, "c14nN"))."""
    return encode_base64url_multibase(
        hmac.new(hmac_key, canonical_label.encode("utf-8"), hashlib.sha256).digest()
    )


def parse_pointer(pointer: object) -> list[str]:
    """A JSON Pointer (RFC 6901) as its reference tokens; raises ProofOptionsInvalid."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise ProofOptionsInvalid(f"{pointer!r} is not a JSON Pointer (it starts with '/').")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _initial_selection(source: Any) -> dict[str, Any]:
    selection = {}
    if isinstance(source, dict):
        for key in ("id", "type"):
            if key in source:
                selection[key] = copy.deepcopy(source[key])
    return selection


def select_json_ld(pointers: list[str], document: dict[str, Any]) -> dict[str, Any] | None:
    """selectJsonLd (§3.4.x): the part of ``document`` that ``pointers`` name, with the @context and
    the id and type of every object on the way. Raises ProofOptionsInvalid for a pointer that
    names nothing."""
    if not pointers:
        return None
    selection: dict[str, Any] = {
        "@context": copy.deepcopy(document["@context"]),
        **_initial_selection(document),
    }
    for pointer in pointers:
        steps = parse_pointer(pointer)  # at least one step: "/" names the member ""
        value: Any = document
        selected_parent: Any = None
        selected: Any = selection
        key: str | int = ""
        for step in steps:
            selected_parent = selected
            key = step
            if isinstance(value, list):
                if not step.isdigit() or int(step) >= len(value) or (step != "0" and step.startswith("0")):
                    raise ProofOptionsInvalid(f"The JSON Pointer {pointer} names nothing in the credential.")
                key = int(step)
            elif isinstance(value, str) and step == "id":
                # JSON-LD compaction writes an object holding nothing but its id as the id itself
                # (a term of @type @id, as credentialSubject and issuer are): select it whole.
                raise ProofOptionsInvalid(
                    f"The JSON Pointer {pointer} names the id of an object that holds nothing else, "
                    f"which selective disclosure reads as the id itself: point at "
                    f"{pointer.rsplit('/', 1)[0]} instead."
                )
            elif not isinstance(value, dict) or step not in value:
                raise ProofOptionsInvalid(f"The JSON Pointer {pointer} names nothing in the credential.")
            value = value[key]
            child = selected_parent.get(key)
            if child is None:
                # An array is built as {index: value} (only the selected items), made a list at the end.
                child = {} if isinstance(value, list) else _initial_selection(value)
                selected_parent[key] = child
            selected = child
        selected_parent[key] = (
            {**selected, **copy.deepcopy(value)} if isinstance(value, dict) else copy.deepcopy(value)
        )
    return _compact_sparse(selection)


def _compact_sparse(node: Any) -> Any:
    """The selection's arrays, built as {index: value}, back to lists in index order."""
    if isinstance(node, dict):
        if node and all(isinstance(key, int) for key in node):
            return [_compact_sparse(node[index]) for index in sorted(node)]
        return {key: _compact_sparse(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_compact_sparse(item) for item in node]
    return node


@dataclass(frozen=True)
class Grouped:
    statements: list[str]  # HMAC-relabelled, sorted
    label_map: dict[str, str]  # input blank node label -> HMAC label
    canonical: str  # RDFC-1.0 N-Quads with c14n labels
    matching: dict[str, dict[int, str]]
    non_matching: dict[str, dict[int, str]]
    selections: dict[str, dict[str, Any]]  # each group's statements, deskolemized, input labels


def canonicalize_and_group(
    document: dict[str, Any], hmac_key: bytes, groups: dict[str, list[str]]
) -> Grouped:
    """canonicalizeAndGroup (§3.4.x): the document's statements with HMAC blank node labels, and
    for each group of JSON pointers the statements it selects (by index) and the others."""
    expanded = expand_strict(document)
    skolemized = _skolemize(expanded, [0])
    try:
        compact = jsonld.compact(skolemized, {"@context": document["@context"]}, _options())
    except jsonld.JsonLdError as exc:
        raise JsonLdInvalid(f"The credential cannot be prepared for selective disclosure: {exc}") from exc
    dataset = _deskolemized_dataset(skolemized)
    canonical, c14n = _canonical_labels(dataset)
    labels = {old: hmac_label(hmac_key, new) for old, new in c14n.items()}
    statements = _relabelled(dataset, labels)
    matching: dict[str, dict[int, str]] = {}
    non_matching: dict[str, dict[int, str]] = {}
    selections: dict[str, dict[str, Any]] = {}
    for name, pointers in groups.items():
        selection = select_json_ld(pointers, compact)
        selected: set[str] = set()
        selections[name] = {}
        if selection is not None:
            selections[name] = _deskolemized_dataset(jsonld.expand(selection, _options()))
            selected = set(_relabelled(selections[name], labels))
        matching[name] = {i: s for i, s in enumerate(statements) if s in selected}
        non_matching[name] = {i: s for i, s in enumerate(statements) if s not in selected}
    return Grouped(statements, labels, canonical, matching, non_matching, selections)


def _p256_sign(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def serialize_base_proof_value(
    base_signature: bytes,
    public_key: bytes,
    hmac_key: bytes,
    signatures: list[bytes],
    mandatory_pointers: list[str],
) -> str:
    """serializeBaseProofValue (§3.5.2): u + base64url(0xd95d00 ‖ CBOR[...])."""
    components = [base_signature, public_key, hmac_key, signatures, mandatory_pointers]
    return encode_base64url_multibase(BASE_PROOF_HEADER + cbor2.dumps(components))


@dataclass(frozen=True)
class BaseProofValue:
    base_signature: bytes
    public_key: bytes
    hmac_key: bytes
    signatures: tuple[bytes, ...]
    mandatory_pointers: tuple[str, ...]


def _components(raw: bytes, header: bytes, kind: str) -> list[Any]:
    """The five CBOR components of a base or derived proofValue (after its 3-byte header)."""
    if raw[:3] != header:
        raise _refuse(
            f"The proofValue does not start with the ecdsa-sd-2023 {kind}-proof header 0x{header.hex()}."
        )
    body = io.BytesIO(raw[3:])
    try:
        components = cbor2.CBORDecoder(body).decode()
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        raise _refuse(f"The {kind} proofValue is not valid CBOR.") from exc
    if body.tell() != len(raw) - 3:  # cbor2.loads would ignore them: one proofValue, one spelling
        raise _refuse(f"The {kind} proofValue has bytes after its CBOR array.")
    if not isinstance(components, list) or len(components) != 5:
        raise _refuse(f"The {kind} proofValue must be a CBOR array of five components.")
    return components


def _check_base_signature_and_key(base_signature: object, public_key: object) -> None:
    if not isinstance(base_signature, bytes) or len(base_signature) != 64:
        raise _refuse("The base signature must be 64 bytes (P-256, r ‖ s).")
    if not isinstance(public_key, bytes) or len(public_key) != 35 or public_key[:2] != P256_PUBLIC_PREFIX:
        raise _refuse("The ephemeral public key must be a P-256 Multikey (35 bytes).")


def parse_base_proof_value(proof_value: object) -> BaseProofValue:
    """parseBaseProofValue (§3.5.3); raises ProofInvalid."""
    raw = decode_base64url_multibase(proof_value)
    components = _components(raw, BASE_PROOF_HEADER, "base")
    base_signature, public_key, hmac_key, signatures, pointers = components
    _check_base_signature_and_key(base_signature, public_key)
    if not isinstance(hmac_key, bytes) or len(hmac_key) != 32:
        raise _refuse("The HMAC key must be 32 bytes.")
    if not isinstance(signatures, list) or not all(isinstance(s, bytes) and len(s) == 64 for s in signatures):
        raise _refuse("The statement signatures must be a list of 64-byte P-256 signatures.")
    if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
        raise _refuse("The mandatory pointers must be a list of JSON Pointers.")
    return BaseProofValue(base_signature, public_key, hmac_key, tuple(signatures), tuple(pointers))


def add_base_proof(
    document: dict[str, Any],
    *,
    private_key: ec.EllipticCurvePrivateKey,
    verification_method: str,
    mandatory_pointers: list[str],
    created: str,
    proof_purpose: str = "assertionMethod",
    hmac_key: bytes | None = None,
    ephemeral_key: ec.EllipticCurvePrivateKey | None = None,
) -> dict[str, Any]:
    """An ecdsa-sd-2023 base proof (§3.5.1 "Add Base Proof"), by the issuer's P-256 key: blank nodes
    relabelled by a fresh HMAC key, the statements ``mandatory_pointers`` select signed together,
    every other statement signed alone by a fresh ephemeral P-256 key.

    ``hmac_key`` and ``ephemeral_key`` are for reproducing the specification's vectors only.
    Raises ProofOptionsInvalid (key, pointers) and the strict-expansion errors.
    """
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or curve_name(private_key) != "P-256":
        raise ProofOptionsInvalid("ecdsa-sd-2023 signs with a P-256 key.")
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "ecdsa-sd-2023",
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    proof_hash = hashlib.sha256(
        canonicalize({**options, "@context": unsecured["@context"]}).encode("utf-8")
    ).digest()
    hmac_key = hmac_key if hmac_key is not None else secrets.token_bytes(32)
    grouped = canonicalize_and_group(unsecured, hmac_key, {"mandatory": list(mandatory_pointers)})
    mandatory = grouped.matching["mandatory"]
    non_mandatory = grouped.non_matching["mandatory"]
    mandatory_hash = hashlib.sha256("".join(mandatory.values()).encode("utf-8")).digest()
    ephemeral_key = ephemeral_key or ec.generate_private_key(ec.SECP256R1())
    public_key = decode_multibase(public_key_to_multikey(ephemeral_key.public_key()))
    signatures = [
        _p256_sign(ephemeral_key, statement.encode("utf-8")) for statement in non_mandatory.values()
    ]
    base_signature = _p256_sign(private_key, proof_hash + public_key + mandatory_hash)
    proof_value = serialize_base_proof_value(
        base_signature, public_key, hmac_key, signatures, list(mandatory_pointers)
    )
    return {**copy.deepcopy(unsecured), "proof": {**options, "proofValue": proof_value}}


def serialize_derived_proof_value(
    base_signature: bytes,
    public_key: bytes,
    signatures: list[bytes],
    label_map: dict[str, str],
    mandatory_indexes: list[int],
) -> str:
    """serializeDerivedProofValue (§3.5.7): u + base64url(0xd95d01 ‖ CBOR[...]), the label map
    compressed to {N: HMAC bytes} for each c14nN, in label order."""
    compressed = {
        int(label.removeprefix("c14n")): decode_base64url_multibase(value)
        for label, value in sorted(label_map.items(), key=lambda item: int(item[0].removeprefix("c14n")))
    }
    components = [base_signature, public_key, signatures, compressed, mandatory_indexes]
    return encode_base64url_multibase(DERIVED_PROOF_HEADER + cbor2.dumps(components))


@dataclass(frozen=True)
class DisclosureData:
    base_signature: bytes
    public_key: bytes
    signatures: list[bytes]
    label_map: dict[str, str]  # the reveal document's c14nN -> HMAC label
    mandatory_indexes: list[int]
    reveal_document: dict[str, Any]


def create_disclosure_data(document: dict[str, Any], selective_pointers: list[str]) -> DisclosureData:
    """createDisclosureData (§3.5.6): what the holder reveals of ``document`` (which carries an
    ecdsa-sd-2023 base proof) for ``selective_pointers``, besides its mandatory statements.

    Raises ProofInvalid for a malformed base proof, ProofOptionsInvalid for a pointer that names
    nothing, and the strict-expansion errors."""
    base = parse_base_proof_value(document.get("proof", {}).get("proofValue"))
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    mandatory_pointers = list(base.mandatory_pointers)
    combined_pointers = mandatory_pointers + list(selective_pointers)
    grouped = canonicalize_and_group(
        unsecured,
        base.hmac_key,
        {
            "mandatory": mandatory_pointers,
            "selective": list(selective_pointers),
            "combined": combined_pointers,
        },
    )
    mandatory, selective = grouped.matching["mandatory"], grouped.matching["selective"]
    mandatory_indexes = [
        relative for relative, absolute in enumerate(grouped.matching["combined"]) if absolute in mandatory
    ]
    non_mandatory_indexes = [index for index in range(len(grouped.statements)) if index not in mandatory]
    if len(non_mandatory_indexes) != len(base.signatures):
        raise ProofInvalid(
            "The base proof signs a different number of statements than the credential holds.",
            rule="proofValue",
        )
    signatures = [
        signature
        for index, signature in zip(non_mandatory_indexes, base.signatures, strict=True)
        if index in selective
    ]
    reveal_document = select_json_ld(combined_pointers, unsecured)
    if reveal_document is None:
        raise ProofOptionsInvalid("Nothing would be disclosed: give mandatory or selective pointers.")
    _, reveal_labels = _canonical_labels(grouped.selections["combined"])
    label_map = {c14n: grouped.label_map[old] for old, c14n in reveal_labels.items()}
    return DisclosureData(
        base.base_signature, base.public_key, signatures, label_map, mandatory_indexes, reveal_document
    )


def derive_proof(document: dict[str, Any], selective_pointers: list[str]) -> dict[str, Any]:
    """The holder's derived credential (§3.5.5 "Add Derived Proof"): what ``selective_pointers``
    and the base proof's mandatory pointers select, with a derived ecdsa-sd-2023 proof that a
    verifier checks without the undisclosed statements. Raises as create_disclosure_data."""
    data = create_disclosure_data(document, selective_pointers)
    proof = {key: value for key, value in document["proof"].items() if key != "proofValue"}
    proof["proofValue"] = serialize_derived_proof_value(
        data.base_signature, data.public_key, data.signatures, data.label_map, data.mandatory_indexes
    )
    return {**data.reveal_document, "proof": proof}


def is_base_proof(proof: object) -> bool:
    """Whether ``proof`` is an ecdsa-sd-2023 base proof (its proofValue has the base header): the
    holder's, to derive from, never a verifier's."""
    if not isinstance(proof, dict) or proof.get("cryptosuite") != "ecdsa-sd-2023":
        return False
    try:
        return decode_base64url_multibase(proof.get("proofValue"))[:3] == BASE_PROOF_HEADER
    except ProofInvalid:
        return False


def split_base_proofs(document: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``document`` without its ecdsa-sd-2023 base proofs (its other proofs kept as they were: a
    proof of a set signs the document without the others), and those base proofs.

    What a holder hands a verifier who reads the credential whole; the base proofs stay with the
    holder. A document left with no proof has no ``proof`` member.
    """
    proof = document.get("proof")
    proofs = proof if isinstance(proof, list) else [] if proof is None else [proof]
    bases = [item for item in proofs if is_base_proof(item)]
    if not bases:
        return document, []
    others = [item for item in proofs if not is_base_proof(item)]
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    if not others:
        return unsecured, bases
    return {**unsecured, "proof": others[0] if len(others) == 1 else others}, bases
