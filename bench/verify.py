"""Benchmark: credentials verified per second, per cryptosuite, next to raw Ed25519 and ECDSA.

All in one process, on the same machine, in the same run:
- ceiling: ``Ed25519PublicKey.verify`` of the `cryptography` package on a 64-byte message (what
  every suite ends in: the signature over ``sha256(proof config) ‖ sha256(document)``);
- eddsa-jcs-2022: verify_proofs on a typical diploma (RFC 8785 JCS, then the signature);
- eddsa-rdfc-2022: the same diploma (strict JSON-LD expansion, RDFC-1.0, then the signature);
- Ed25519Signature2020: the W3C vector credential (verify-only suite, RDFC-1.0 as well);
- full check: ``verify_credential`` on a diploma as the vault issues it (data model, rdfc proof,
  issuer binding, trust registry lookup, validity, revocation and suspension status lists), on a
  throwaway database (SQLite, or DATABASE_URL).
And for ECDSA (issue 15), the same diploma with a P-256 (and P-384) did:key issuer:
- ceilings: ``EllipticCurvePublicKey.verify`` (ECDSA with SHA-256 on P-256, SHA-384 on P-384) of
  the `cryptography` package on a 64-byte message;
- ecdsa-rdfc-2019 and ecdsa-jcs-2019: add_proof (sign) and verify_proofs (verify), P-256 and P-384;
- ecdsa-sd-2023: the issuer's base proof (vc.dataintegrity.sd.add_base_proof, issue 15's default
  mandatory pointers), the holder's derivation (derive_proof, disclosing the degree's name), and
  verify_proofs of the derived credential, which checks one base signature and one signature per
  disclosed statement that is not mandatory (``signatures`` on the line: P-256 verifies it makes).
Each line prints the rate, p50 and p99 latency, and the ratio to its curve's ceiling. Targets
(issue 4): eddsa-jcs-2022 >= 0.5 of the ceiling; eddsa-rdfc-2022 >= 500 per second on one core.

    make bench-verify        (or .venv/bin/python bench/verify.py --seconds 3 [--only ecdsa])

The first verification of each suite warms the caches (shipped contexts, resolved once per
process); the rates are for a warm worker, which is what serves traffic.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from vc.dataintegrity import add_proof, verify_proofs  # noqa: E402
from vc.dataintegrity.sd import add_base_proof, derive_proof, parse_derived_proof_value  # noqa: E402
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1  # noqa: E402
from vc.multikey import did_key_for  # noqa: E402

VECTORS = ROOT / "tests" / "vectors" / "vc-di-eddsa"


def diploma(issuer: str) -> dict:
    """What a university issues: the shape of consent.management.commands.seed_demo's diploma."""
    return {
        "@context": [CREDENTIALS_V2, EDUCATION_V1],
        "id": "urn:uuid:0b8e4a8e-5d0c-4a8f-9d7e-3f3c1c1b2a10",
        "type": ["VerifiableCredential", "DiplomaCredential"],
        "issuer": issuer,
        "validFrom": "2026-07-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "givenName": "An",
            "familyName": "Peeters",
            "degree": {"type": "MasterDegree", "name": "Master of Science in Computer Science"},
            "awardedOn": "2026-06-28",
        },
    }


# Issue 15's default: what the disclosed form can never hide (who issued it, what it is, when it
# holds, whether it was revoked, whom it is about, the claim's type).
SD_MANDATORY = ["/issuer", "/type", "/validFrom", "/credentialSubject/id", "/credentialSubject/degree/type"]
SD_SELECTIVE = ["/credentialSubject/degree/name"]
CREATED = "2026-07-01T00:00:00Z"


def _require(result) -> None:
    if not result.verified:
        raise SystemExit(f"the benchmark credential does not verify: {result}")


def measure(label: str, operation: Callable[[], object], seconds: float, ceiling: str = "Ed25519") -> dict:
    operation()  # warm
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        operation()
        latencies.append(time.perf_counter() - started)
    total = sum(latencies)
    latencies.sort()
    return {
        "label": label,
        "ceiling": ceiling,
        "count": len(latencies),
        "rate": len(latencies) / total,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement (default 3)")
    parser.add_argument(
        "--only",
        choices=["eddsa", "ecdsa"],
        help="only the EdDSA lines (issue 4) or the ECDSA ones (issue 15)",
    )
    args = parser.parse_args()
    if args.only == "ecdsa":
        print_table(args, run_ecdsa(args))
        return

    key = Ed25519PrivateKey.generate()
    did = did_key_for(key.public_key())
    credential = diploma(did.did)
    signed = {
        suite: add_proof(
            credential,
            private_key=key,
            verification_method=did.verification_method,
            cryptosuite=suite,
            created="2026-07-01T00:00:00Z",
        )
        for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022")
    }
    legacy = json.loads((VECTORS / "Ed25519Signature2020" / "signedEdSig.json").read_text())

    from harness import throwaway_database

    with throwaway_database():
        full = issued_by_the_vault()
        results = run(args, key, signed, legacy, full)
    if args.only != "eddsa":
        results += run_ecdsa(args)
    print_table(args, results)


def issued_by_the_vault() -> dict:
    from django.utils import timezone

    from accounts.models import Organisation
    from accounts.services import create_organisation
    from credentials.services import accredit_issuer, create_issuer_key, issue_credential

    university = create_organisation(name="Bench University", kind=Organisation.Kind.ISSUER)
    create_issuer_key(organisation=university)
    accredit_issuer(organisation=university, credential_type="DiplomaCredential", valid_from=timezone.now())
    unsigned = diploma("")
    del unsigned["issuer"], unsigned["id"]
    subject = unsigned["credentialSubject"].pop("id")
    signed, _ = issue_credential(organisation=university, credential=unsigned, subject_id=subject)
    from vc.dataintegrity.sd import split_base_proofs

    return split_base_proofs(signed)[0]  # as a verifier receives it read whole: the eddsa proof


def run(args, key, signed: dict, legacy: dict, full: dict) -> list[dict]:
    message = os.urandom(64)
    signature = key.sign(message)
    public_key = key.public_key()

    from credentials.verification import verify_credential

    results = [
        measure(
            "raw Ed25519 verify (ceiling)",
            lambda: public_key.verify(signature, message),
            args.seconds,
            "Ed25519",
        ),
        measure("eddsa-jcs-2022 proof", lambda: verify_proofs(signed["eddsa-jcs-2022"]), args.seconds),
        measure("eddsa-rdfc-2022 proof", lambda: verify_proofs(signed["eddsa-rdfc-2022"]), args.seconds),
        measure("Ed25519Signature2020 proof (vector)", lambda: verify_proofs(legacy), args.seconds),
        measure(
            "eddsa-rdfc-2022 full verify_credential",
            lambda: _require(verify_credential(full)),
            args.seconds,
        ),
    ]
    return results


def _raw_ecdsa(curve: ec.EllipticCurve, digest: hashes.HashAlgorithm) -> Callable[[], None]:
    key = ec.generate_private_key(curve)
    message = os.urandom(64)
    signature = key.sign(message, ec.ECDSA(digest))
    public_key = key.public_key()
    return lambda: public_key.verify(signature, message, ec.ECDSA(digest))


def run_ecdsa(args) -> list[dict]:
    """The ECDSA lines (issue 15): each next to the raw verify of its curve, measured here."""
    keys = {
        "P-256": ec.generate_private_key(ec.SECP256R1()),
        "P-384": ec.generate_private_key(ec.SECP384R1()),
    }
    dids = {curve: did_key_for(key.public_key()) for curve, key in keys.items()}
    results = [
        measure(
            "raw P-256 ECDSA verify (ceiling)",
            _raw_ecdsa(ec.SECP256R1(), hashes.SHA256()),
            args.seconds,
            "P-256",
        ),
        measure(
            "raw P-384 ECDSA verify (ceiling)",
            _raw_ecdsa(ec.SECP384R1(), hashes.SHA384()),
            args.seconds,
            "P-384",
        ),
    ]
    for suite in ("ecdsa-jcs-2019", "ecdsa-rdfc-2019"):
        for curve, key in keys.items():
            did = dids[curve]
            credential = diploma(did.did)

            def sign(credential=credential, key=key, did=did, suite=suite) -> dict:
                return add_proof(
                    credential,
                    private_key=key,
                    verification_method=did.verification_method,
                    cryptosuite=suite,
                    created=CREATED,
                )

            signed = sign()
            results.append(measure(f"{suite} {curve} sign", sign, args.seconds, curve))
            results.append(
                measure(
                    f"{suite} {curve} verify",
                    lambda signed=signed: verify_proofs(signed),
                    args.seconds,
                    curve,
                )
            )
    did = dids["P-256"]
    credential = diploma(did.did)

    def base_proof() -> dict:
        return add_base_proof(
            credential,
            private_key=keys["P-256"],
            verification_method=did.verification_method,
            mandatory_pointers=SD_MANDATORY,
            created=CREATED,
        )

    base = base_proof()
    derived = derive_proof(base, SD_SELECTIVE)
    signatures = 1 + len(parse_derived_proof_value(derived["proof"]["proofValue"]).signatures)
    results += [
        measure("ecdsa-sd-2023 base proof (issue)", base_proof, args.seconds, "P-256"),
        measure(
            "ecdsa-sd-2023 derive (holder)", lambda: derive_proof(base, SD_SELECTIVE), args.seconds, "P-256"
        ),
        measure(
            f"ecdsa-sd-2023 verify derived ({signatures} signatures)",
            lambda: verify_proofs(derived),
            args.seconds,
            "P-256",
        ),
    ]
    return results


def print_table(args, results: list[dict]) -> None:
    ceilings = {row["ceiling"]: row["rate"] for row in results if row["label"].endswith("(ceiling)")}
    print(
        f"one core, {args.seconds:g} s each (Python {sys.version.split()[0]}); x ceiling: of the line's curve"
    )
    print(f"{'what':<44} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x ceiling':>10}")
    for row in results:
        print(
            f"{row['label']:<44} {row['rate']:>9.0f} {row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f} "
            f"{row['rate'] / ceilings[row['ceiling']]:>10.4f}"
        )
    by_label = {row["label"]: row["rate"] for row in results}
    if "eddsa-jcs-2022 proof" in by_label:
        jcs, rdfc, ceiling = (
            by_label["eddsa-jcs-2022 proof"],
            by_label["eddsa-rdfc-2022 proof"],
            ceilings["Ed25519"],
        )
        jcs_met = "met" if jcs >= 0.5 * ceiling else "NOT met"
        print(f"target eddsa-jcs-2022 >= 0.5 x ceiling: {jcs / ceiling:.3f} -> {jcs_met}")
        print(f"target eddsa-rdfc-2022 >= 500/s: {rdfc:.0f}/s -> {'met' if rdfc >= 500 else 'NOT met'}")


if __name__ == "__main__":
    main()
