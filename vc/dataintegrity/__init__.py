"""Data Integrity proofs (VC Data Integrity 1.0, VC DI EdDSA 1.0, VC DI ECDSA 1.0): eddsa-rdfc-2022,
eddsa-jcs-2022, ecdsa-rdfc-2019 and ecdsa-jcs-2019 (P-256, P-384) to create and verify,
Ed25519Signature2020 to verify; proof sets and chains.

``suites`` holds what differs per cryptosuite (canonicalization, proof rules); ``proofs`` the
rules every proof follows (purpose, dates, challenge and domain, sets and chains).
"""

from .proofs import (
    CLOCK_SKEW,
    CRYPTOSUITE,
    PROOF_TYPE,
    VerifiedProof,
    add_proof,
    hash_data,
    utc_now_xsd,
    verify_proof,
    verify_proofs,
)
from .suites import SIGNING_CRYPTOSUITES, SUPPORTED_CRYPTOSUITES, VERIFIABLE_CRYPTOSUITES

__all__ = [
    "CLOCK_SKEW",
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "SIGNING_CRYPTOSUITES",
    "SUPPORTED_CRYPTOSUITES",
    "VERIFIABLE_CRYPTOSUITES",
    "VerifiedProof",
    "add_proof",
    "hash_data",
    "utc_now_xsd",
    "verify_proof",
    "verify_proofs",
]
