"""The cryptosuites: how each turns a document and a proof into the bytes its key signs.

All hash the same way (VC DI EdDSA 1.0 §3.2.4, §3.3.4, App. A; VC DI ECDSA 1.0 §3.2.4, §3.3.4):
``hash(canonical proof config) ‖ hash(canonical document)``, where the proof config is the
proof without ``proofValue`` and with the document's ``@context``, and the hash is SHA-256, or
SHA-384 for an ECDSA P-384 key. They differ in how they canonicalize, how they sign and in which
proofs they accept:

- ``eddsa-rdfc-2022``: RDFC-1.0 N-Quads from strict JSON-LD (vc.jsonld), so a term that
  would not be signed is refused, never silently dropped.
- ``eddsa-jcs-2022``: RFC 8785 JSON (the ``rfc8785`` package); every byte of the JSON is signed,
  but the data model still requires every term to be defined: the document is held to the same
  strict JSON-LD expansion as for eddsa-rdfc-2022 (its verdict cached by the JCS bytes' digest).
- ``Ed25519Signature2020``: the legacy suite (App. A), verify-only: RDFC-1.0, its own proof
  ``type`` and no ``cryptosuite``, ``created`` required, and the ed25519-2020 context.
- ``ecdsa-rdfc-2019`` and ``ecdsa-jcs-2019``: as the two eddsa suites (RDFC-1.0 from strict
  JSON-LD; RFC 8785 JSON held to the same strict expansion), signed with ECDSA over a P-256
  (SHA-256) or P-384 (SHA-384) key. The signature is IEEE P1363 ``r ‖ s`` (64 or 96 bytes), not
  DER. ECDSA signatures are randomised: two signatures of one document differ, both verify.
"""

import hashlib
import threading
from typing import Any, ClassVar

import rfc8785
from cachetools import LRUCache
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from .. import jcs
from ..errors import JsonLdInvalid, NotCanonicalizable, ProofInvalid, ProofOptionsInvalid, UnresolvableKey
from ..jsonld import canonicalize, check_contexts, check_property_names, expand_strict
from ..multikey import PrivateKey, PublicKey, curve_name, decode_multibase, encode_multibase
from . import sd

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


class Cryptosuite:
    """One way of securing a document. ``name`` is the cryptosuite (or the legacy proof type);
    ``canonicalization`` names the document transformation, so a document canonicalized once
    serves every proof of a set that uses the same one."""

    name: ClassVar[str]
    proof_type: ClassVar[str] = DATA_INTEGRITY_PROOF
    canonicalization: ClassVar[str] = "RDFC-1.0"
    can_sign: ClassVar[bool] = True
    # The key types the suite signs and verifies with (vc.multikey.curve_name).
    key_types: ClassVar[tuple[str, ...]] = ("Ed25519",)
    # eddsa-jcs-2022 puts the document's @context into the proof it creates (§3.3.1).
    proof_carries_context: ClassVar[bool] = False
    # ecdsa-sd-2023: the proof is checked statement by statement (verify_document), not as one
    # signature over hash(proof config) ‖ hash(document).
    selective: ClassVar[bool] = False

    def check_proof(self, proof: dict[str, Any]) -> None:
        """The suite's own rules on a proof's type, cryptosuite and required members.

        Raises ProofInvalid.
        """
        if proof.get("type") != self.proof_type:
            raise ProofInvalid(f"A {self.name} proof must have type {self.proof_type!r}.", rule="type")
        if proof.get("cryptosuite") != self.name:
            raise ProofInvalid(f"The proof's cryptosuite must be {self.name!r}.", rule="cryptosuite")

    def check_document(self, document: dict[str, Any]) -> bytes | None:
        """Rules on the secured document beyond what its canonicalization refuses. Returns the
        document's canonical form when checking it made it (so it is not made twice), else None."""
        return None

    def verify_document(
        self, document: dict[str, Any], proof: dict[str, Any], public_key: PublicKey, canonical_config: bytes
    ) -> None:
        """A selective suite's whole check of ``proof`` over ``document``; raises ProofInvalid."""
        raise NotImplementedError(f"{self.name} is verified as one signature, not statement by statement.")

    def canonicalize(self, data: dict[str, Any], key: PublicKey | PrivateKey | None = None) -> bytes:
        """RDFC-1.0 N-Quads from strict JSON-LD; raises UnknownContext, UndefinedTerm, JsonLdInvalid.

        ``key`` is the signing or verifying key, for suites whose canonicalization depends on it.
        """
        return canonicalize(data).encode("utf-8")

    def canonicalization_for(self, key: PublicKey | PrivateKey) -> str:
        """The name of the transformation used with ``key``: proofs of a set that share it share one
        canonical document."""
        return self.canonicalization

    def proof_config(self, document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
        """The proof options as signed: without ``proofValue``, with the document's ``@context``."""
        config = {key: value for key, value in proof.items() if key != "proofValue"}
        config["@context"] = document["@context"]
        return config

    def hash(
        self, canonical_config: bytes, canonical_document: bytes, key: PublicKey | PrivateKey | None = None
    ) -> bytes:
        """The bytes signed: the proof-config hash FIRST, then the document hash (SHA-256 here)."""
        return hashlib.sha256(canonical_config).digest() + hashlib.sha256(canonical_document).digest()

    def check_key(self, key: PublicKey | PrivateKey) -> None:
        """The key must be one this suite signs with; raises ProofOptionsInvalid naming both."""
        if not isinstance(key, Ed25519PublicKey | Ed25519PrivateKey):
            raise ProofOptionsInvalid(
                f"{self.name} signs with an Ed25519 key; this key is {curve_name(key)}.",
                cryptosuite=self.name,
            )

    def sign(self, private_key: PrivateKey, data: bytes) -> bytes:
        """The signature over ``data`` (check_key first)."""
        self.check_key(private_key)
        assert isinstance(private_key, Ed25519PrivateKey)
        return private_key.sign(data)

    def encode_proof_value(self, signature: bytes) -> str:
        return encode_multibase(signature)

    def decode_proof_value(self, proof_value: str) -> bytes:
        """The signature in ``proofValue`` (base58btc multibase); raises ProofInvalid."""
        try:
            signature = decode_multibase(proof_value)
        except UnresolvableKey as exc:
            raise ProofInvalid("The proofValue is not base58btc multibase.", rule="proofValue") from exc
        self.check_signature_value(signature)
        return signature

    def check_signature_value(self, signature: bytes) -> None:
        """The decoded proofValue's own rules; raises ProofInvalid."""
        if len(signature) != 64:
            raise ProofInvalid("The proofValue is not a 64-byte Ed25519 signature.", rule="proofValue")

    def verify(self, public_key: PublicKey, signature: bytes, data: bytes) -> None:
        """Raises ProofInvalid when ``signature`` is not the key's over ``data``, or the key is
        not of the suite's type."""
        if not isinstance(public_key, Ed25519PublicKey):
            raise ProofInvalid(
                f"A {self.name} proof is verified with an Ed25519 key; "
                f"its verification method's key is {curve_name(public_key)}.",
                rule="verificationMethod",
            )
        try:
            public_key.verify(signature, data)
        except InvalidSignature as exc:
            raise ProofInvalid("The signature does not match the document.", rule="signature") from exc


class EddsaRdfc2022(Cryptosuite):
    """eddsa-rdfc-2022 (VC DI EdDSA 1.0 §3.2)."""

    name = "eddsa-rdfc-2022"


# Documents that passed strict expansion, by the SHA-256 of their JCS bytes. The verdict depends
# on the JSON alone (the contexts are shipped and pinned, nothing is fetched), and JCS bytes name
# one JSON value (1 and 1.0 print alike, and no rule of expand_strict tells them apart); only
# passes are kept, so a refused document is expanded, and refused, every time.
_STRICTLY_EXPANDED: LRUCache = LRUCache(maxsize=4096)
_STRICTLY_EXPANDED_LOCK = threading.Lock()


class _JcsCryptosuite(Cryptosuite):
    """RFC 8785 JSON, every term defined all the same (eddsa-jcs-2022, ecdsa-jcs-2019)."""

    canonicalization = "JCS"
    proof_carries_context = True

    def check_document(self, document: dict[str, Any]) -> bytes:
        """Contexts first (cheap), then strict JSON-LD expansion, as eddsa-rdfc-2022 does when it
        canonicalizes: an undefined term is refused, signing or verifying. Raises UnknownContext,
        UndefinedTerm, JsonLdInvalid or NotCanonicalizable. Returns the document's JCS bytes.

        A document that passed both before (the same JCS bytes) is not walked again: its
        verdict is remembered, and only passes are."""
        try:
            canonical = self.canonicalize(document)
        except NotCanonicalizable:
            check_shipped_contexts(document)  # a context refused is said first, as always
            raise
        digest = hashlib.sha256(canonical).digest()
        with _STRICTLY_EXPANDED_LOCK:
            if digest in _STRICTLY_EXPANDED:
                return canonical
        check_shipped_contexts(document)
        expand_strict(document)
        with _STRICTLY_EXPANDED_LOCK:
            _STRICTLY_EXPANDED[digest] = True
        return canonical

    def canonicalize(self, data: dict[str, Any], key: PublicKey | PrivateKey | None = None) -> bytes:
        """RFC 8785 bytes; raises NotCanonicalizable (e.g. an integer beyond IEEE 754 precision)."""
        try:
            return jcs.canonicalize(data)
        except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
            raise NotCanonicalizable(f"The JSON cannot be canonicalized with RFC 8785: {exc}") from exc


class EddsaJcs2022(_JcsCryptosuite):
    """eddsa-jcs-2022 (VC DI EdDSA 1.0 §3.3): RFC 8785 JSON, every term defined all the same."""

    name = "eddsa-jcs-2022"


# The hash per ECDSA curve (VC DI ECDSA 1.0 §3.2.4: SHA-256 for P-256, SHA-384 for P-384), and
# the length of r and of s in an IEEE P1363 signature.
_ECDSA_HASHES: dict[str, tuple[Any, type[hashes.HashAlgorithm], int]] = {
    "P-256": (hashlib.sha256, hashes.SHA256, 32),
    "P-384": (hashlib.sha384, hashes.SHA384, 48),
}


class _EcdsaCryptosuite(Cryptosuite):
    """ECDSA over P-256 or P-384 (VC DI ECDSA 1.0 §3): the key's curve picks the hash."""

    key_types = ("P-256", "P-384")

    def _curve(
        self, key: PublicKey | PrivateKey | None, error: type[ProofInvalid | ProofOptionsInvalid]
    ) -> str:
        if key is None:
            raise ProofOptionsInvalid(f"{self.name} hashes with its key's curve; no key was given.")
        curve = curve_name(key)
        if curve not in self.key_types:
            if error is ProofInvalid:
                raise ProofInvalid(
                    f"A {self.name} proof is verified with a P-256 or P-384 key; "
                    f"its verification method's key is {curve}.",
                    rule="verificationMethod",
                )
            raise ProofOptionsInvalid(
                f"{self.name} signs with a P-256 or P-384 key; this key is {curve}.", cryptosuite=self.name
            )
        return curve

    def hash(
        self, canonical_config: bytes, canonical_document: bytes, key: PublicKey | PrivateKey | None = None
    ) -> bytes:
        """``hash(proof config) ‖ hash(document)`` with SHA-256 (P-256) or SHA-384 (P-384)."""
        digest = _ECDSA_HASHES[self._curve(key, ProofInvalid)][0]
        return digest(canonical_config).digest() + digest(canonical_document).digest()

    def check_key(self, key: PublicKey | PrivateKey) -> None:
        self._curve(key, ProofOptionsInvalid)

    def sign(self, private_key: PrivateKey, data: bytes) -> bytes:
        """ECDSA with the curve's hash, as r ‖ s (IEEE P1363)."""
        _, algorithm, size = _ECDSA_HASHES[self._curve(private_key, ProofOptionsInvalid)]
        assert isinstance(private_key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(algorithm())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def check_signature_value(self, signature: bytes) -> None:
        if len(signature) not in (64, 96):
            raise ProofInvalid(
                "The proofValue is not an ECDSA signature (r ‖ s: 64 bytes for P-256, 96 for P-384).",
                rule="proofValue",
            )

    def verify(self, public_key: PublicKey, signature: bytes, data: bytes) -> None:
        curve = self._curve(public_key, ProofInvalid)
        _, algorithm, size = _ECDSA_HASHES[curve]
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        if len(signature) != 2 * size:
            raise ProofInvalid(
                f"A {curve} signature is {2 * size} bytes (r ‖ s); this one is {len(signature)}.",
                rule="proofValue",
            )
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        try:
            public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(algorithm()))
        except InvalidSignature as exc:
            raise ProofInvalid("The signature does not match the document.", rule="signature") from exc


class EcdsaRdfc2019(_EcdsaCryptosuite):
    """ecdsa-rdfc-2019 (VC DI ECDSA 1.0 §3.2): RDFC-1.0 from strict JSON-LD, whose own hash
    function matches the curve (§3.2.3, "canon-and-hash"): SHA-256 for P-256, SHA-384 for P-384,
    as the specification's P-384 vectors are made."""

    name = "ecdsa-rdfc-2019"

    def canonicalize(self, data: dict[str, Any], key: PublicKey | PrivateKey | None = None) -> bytes:
        return canonicalize(data, hash_algorithm=self._rdfc_hash(key)).encode("utf-8")

    def canonicalization_for(self, key: PublicKey | PrivateKey) -> str:
        return f"RDFC-1.0/{self._rdfc_hash(key)}"

    def _rdfc_hash(self, key: PublicKey | PrivateKey | None) -> str:
        return "sha384" if self._curve(key, ProofInvalid) == "P-384" else "sha256"


class EcdsaJcs2019(_EcdsaCryptosuite, _JcsCryptosuite):
    """ecdsa-jcs-2019 (VC DI ECDSA 1.0 §3.3): RFC 8785 JSON, held to strict JSON-LD expansion."""

    name = "ecdsa-jcs-2019"


class EcdsaSd2023(Cryptosuite):
    """ecdsa-sd-2023 (VC DI ECDSA 1.0 §3.4-3.5): derived proofs are verified here (vc.dataintegrity.sd);
    a base proof is the holder's and is refused."""

    name = "ecdsa-sd-2023"
    can_sign = False  # base proofs and derived proofs have their own functions (sd)
    key_types = ("P-256",)
    selective = True

    def decode_proof_value(self, proof_value: str) -> bytes:
        sd.parse_derived_proof_value(proof_value)  # the cheap checks, before any key is resolved
        return sd.decode_base64url_multibase(proof_value)

    def verify_document(
        self, document: dict[str, Any], proof: dict[str, Any], public_key: PublicKey, canonical_config: bytes
    ) -> None:
        """Raises ProofInvalid unless the derived proof discloses exactly ``document``'s statements."""
        sd.verify_derived(sd.create_verify_data(document, proof, canonical_config), public_key)


class Ed25519Signature2020Suite(Cryptosuite):
    """The legacy Ed25519Signature2020 (VC DI EdDSA 1.0 App. A): verify-only, for credentials
    still in circulation. Its proof has its own type, no cryptosuite, and must be dated."""

    name = "Ed25519Signature2020"
    proof_type = "Ed25519Signature2020"
    can_sign = False

    def check_proof(self, proof: dict[str, Any]) -> None:
        if proof.get("type") != self.proof_type:
            raise ProofInvalid(f"A {self.name} proof must have type {self.proof_type!r}.", rule="type")
        if "cryptosuite" in proof:
            raise ProofInvalid(
                "An Ed25519Signature2020 proof has no 'cryptosuite'; it is not a DataIntegrityProof.",
                rule="cryptosuite",
            )
        if "created" not in proof:
            raise ProofInvalid("An Ed25519Signature2020 proof must carry 'created'.", rule="created")

    def check_document(self, document: dict[str, Any]) -> None:
        contexts = document.get("@context")
        if ED25519_2020_CONTEXT not in (contexts if isinstance(contexts, list) else [contexts]):
            raise ProofInvalid(
                f"A document secured with Ed25519Signature2020 must use the context {ED25519_2020_CONTEXT}.",
                rule="@context",
            )
        return None


SUITES: dict[str, Cryptosuite] = {
    suite.name: suite
    for suite in (
        EddsaRdfc2022(),
        EddsaJcs2022(),
        Ed25519Signature2020Suite(),
        EcdsaRdfc2019(),
        EcdsaJcs2019(),
        EcdsaSd2023(),
    )
}
# Every suite this library creates proofs with, given a key of the suite's type.
SIGNING_CRYPTOSUITES: tuple[str, ...] = tuple(name for name, suite in SUITES.items() if suite.can_sign)
# The suites the service's own keys sign with: issuer and holder keys are Ed25519 today, so the
# ECDSA suites are verified but not offered for issuance until issuers hold P-256 keys.
SUPPORTED_CRYPTOSUITES: tuple[str, ...] = tuple(
    name for name in SIGNING_CRYPTOSUITES if "Ed25519" in SUITES[name].key_types
)
VERIFIABLE_CRYPTOSUITES: tuple[str, ...] = tuple(SUITES)


def suite_for_signing(name: Any) -> Cryptosuite:
    """The suite to create a proof with; raises ProofOptionsInvalid for unknown or verify-only ones."""
    suite = SUITES.get(name) if isinstance(name, str) else None
    if suite is None or not suite.can_sign:
        raise ProofOptionsInvalid(
            f"{name!r} is not a cryptosuite this service signs with.",
            supportedCryptosuites=list(SIGNING_CRYPTOSUITES),
        )
    return suite


def suite_of(proof: dict[str, Any]) -> Cryptosuite:
    """The suite a proof declares: its ``cryptosuite`` for a DataIntegrityProof, else its ``type``.

    Raises ProofInvalid when that names no suite this service verifies.
    """
    proof_type = proof.get("type")
    if proof_type == DATA_INTEGRITY_PROOF:
        name = proof.get("cryptosuite")
        suite = SUITES.get(name) if isinstance(name, str) else None
        if suite is None or suite.proof_type != DATA_INTEGRITY_PROOF:
            raise ProofInvalid(
                f"The cryptosuite {name!r} is not one this service verifies.",
                rule="cryptosuite",
                supportedCryptosuites=[n for n, s in SUITES.items() if s.proof_type == DATA_INTEGRITY_PROOF],
            )
        return suite
    legacy = SUITES.get(proof_type) if isinstance(proof_type, str) else None
    if legacy is None or legacy.proof_type != proof_type:
        raise ProofInvalid(
            f"The proof type {proof_type!r} is not one this service verifies.",
            rule="type",
            supportedTypes=sorted({s.proof_type for s in SUITES.values()}),
        )
    return legacy


def check_shipped_contexts(document: dict[str, Any]) -> None:
    """Every ``@context`` entry, at any depth, is a context we ship or a safe inline context.

    The cheap half of strict JSON-LD, for eddsa-jcs-2022: JCS signs every JSON byte, so no
    expansion is needed, but a document naming an unknown context, or an inline context that
    changes how other terms are read, is refused as it is for eddsa-rdfc-2022
    (vc.jsonld.check_contexts). Raises UnknownContext or JsonLdInvalid.
    """
    if "@context" not in document:
        raise JsonLdInvalid("The document has no @context.", path="/@context")
    check_contexts(document)
    check_property_names(document)
