"""Interop of our ecdsa-sd-2023 (vc.dataintegrity.sd) with Digital Bazaar's, both ways, offline.

    cd scripts/interop/ecdsa-sd && npm ci          # once: the exact versions of package-lock.json
    cd ../../.. && .venv/bin/python scripts/interop/ecdsa-sd/interop.py [--write]

For each credential of CREDENTIALS:

- **theirs → ours**: their library makes a P-256 key, signs a base proof and derives; our verifier
  (vc.dataintegrity.verify_proof) verifies their derived credential; our derive_proof, from their
  base, gives the same bytes as theirs and verifies here and there.
- **ours → theirs**: we sign the base proof (vc.dataintegrity.sd.add_base_proof with a fresh
  P-256 key) and derive (derive_proof); their verifier verifies our derived credential; their
  derivation from our base gives the same bytes as ours and verifies here.
- **our issuer → theirs** (``--issuer``): a diploma issued into a pod by
  credentials.services.issue_credential, on a throwaway SQLite database, signed with the proof set
  of issue 15 (eddsa-rdfc-2022 and an ecdsa-sd-2023 base proof by the organisation's P-256 key,
  default mandatory pointers); its base proof goes through the same checks as ours above. Skipped,
  with a message, while issuance signs no base proof.

Every verdict is printed; any refusal or difference fails the run (exit status 1). With
``--write``, the credentials their library made and the verdicts it gave ours are written to
tests/vectors/interop/ecdsa-sd-2023/ (see its PROVENANCE.md), which
tests/vc/test_interop_ecdsa_sd.py checks on every test run without Node.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[2]
FIXTURES = REPOSITORY / "tests" / "vectors" / "interop" / "ecdsa-sd-2023"
sys.path.insert(0, str(REPOSITORY))

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from vc.dataintegrity import verify_proof  # noqa: E402
from vc.dataintegrity.sd import add_base_proof, derive_proof  # noqa: E402
from vc.multikey import did_key_for  # noqa: E402

CREATED = "2026-12-02T10:00:00Z"
ISSUER = "did:key:ISSUER"  # replaced by the signing key's DID

# name -> (credential, mandatory pointers, [selective pointers, ...])
CREDENTIALS: dict[str, tuple[dict[str, Any], list[str], list[list[str]]]] = {
    # A Citizen Vault diploma (VCDM 2.0, our education context): the degree is a blank node.
    "diploma": (
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://w3id.org/citizen-vault/education/v1",
            ],
            "id": "urn:uuid:1c8e1d6e-5a2b-4f0e-9a57-2f7c5d8e9b10",
            "type": ["VerifiableCredential", "DiplomaCredential"],
            "issuer": ISSUER,
            "validFrom": "2026-07-01T00:00:00Z",
            "validUntil": "2076-07-01T00:00:00Z",
            "credentialSubject": {
                "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "givenName": "Ana",
                "familyName": "Silva",
                "degree": {"type": "BachelorDegree", "name": "Bachelor of Laws"},
                "awardedOn": "2026-06-30",
                "fieldOfStudy": "Law",
                "grade": "First class honours",
            },
        },
        [
            "/issuer",
            "/type",
            "/validFrom",
            "/validUntil",
            "/credentialSubject/id",
            "/credentialSubject/degree/type",
        ],
        [
            ["/credentialSubject/degree/name", "/credentialSubject/fieldOfStudy"],
            ["/credentialSubject/givenName", "/credentialSubject/familyName"],
            [],
        ],
    ),
    # Arrays of blank nodes, an issuer object, nested pointers into array elements (examples
    # context: its @vocab defines every term).
    "sailing": (
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2",
            ],
            "type": ["VerifiableCredential", "ExampleSailingCredential"],
            "issuer": {"id": ISSUER, "name": "Example Sailing Federation"},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {
                "sailNumber": "Earth101",
                "sails": [
                    {"size": 5.5, "sailName": "Kihei", "year": 2023},
                    {"size": 6.1, "sailName": "Lahaina", "year": 2023},
                    {"size": 7.0, "sailName": "Lahaina", "year": 2020},
                ],
                "boards": [
                    {"boardName": "CompFoil170", "brand": "Wailea", "year": 2022},
                    {"boardName": "Kanaha Custom", "brand": "Wailea", "year": 2019},
                ],
            },
        },
        ["/issuer", "/type", "/validFrom", "/credentialSubject/sailNumber", "/credentialSubject/sails/1"],
        [
            ["/credentialSubject/boards/0", "/credentialSubject/sails/2/year"],
            ["/credentialSubject/boards/1/year"],
        ],
    ),
    # VCDM 1.1 (the W3C ECDSA suite issues and verifies these too).
    "vcdm11": (
        {
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "https://w3id.org/security/data-integrity/v2",
                "https://w3id.org/citizen-vault/education/v1",
            ],
            "id": "urn:uuid:5d1f0a7e-2b8c-4d3a-8e6f-9c0b1a2d3e4f",
            "type": ["VerifiableCredential", "DiplomaCredential"],
            "issuer": ISSUER,
            "issuanceDate": "2026-07-01T00:00:00Z",
            "credentialSubject": {
                "id": "did:example:graduate",
                "givenName": "Jo",
                "degree": {"type": "MasterDegree"},  # no `name`: the 1.1 context does not define it
                "fieldOfStudy": "Physics",
                "grade": "Distinction",
            },
        },
        ["/issuer", "/type", "/issuanceDate", "/credentialSubject/id"],
        [["/credentialSubject/degree"], ["/credentialSubject/grade", "/credentialSubject/fieldOfStudy"]],
    ),
}


def node(command: str, request: dict[str, Any] | None = None) -> Any:
    """Their library, through dbsd.mjs."""
    executable = shutil.which("node")
    if executable is None:
        raise RuntimeError("node is not on PATH (Node 18+ runs their library)")
    completed = subprocess.run(  # noqa: S603 (our own script, a fixed command)
        [executable, str(HERE / "dbsd.mjs"), command],
        input=json.dumps(request or {}),
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"node dbsd.mjs {command} failed:\n{completed.stderr}")
    return json.loads(completed.stdout)


def with_issuer(credential: dict[str, Any], did: str) -> dict[str, Any]:
    return json.loads(json.dumps(credential).replace(ISSUER, did))


class Run:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, label: str, ok: bool, detail: str = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {label}{': ' + detail if detail and not ok else ''}")
        if not ok:
            self.failures.append(label)
        return ok

    def ours_verifies(self, label: str, credential: dict[str, Any], did: str) -> None:
        try:
            controller = verify_proof(credential).controller
        except Exception as exc:  # report every refusal, then fail the run
            self.check(label, False, f"{type(exc).__name__}: {exc}")
            return
        self.check(label, controller == did, f"controller {controller}, expected {did}")

    def theirs_verifies(self, label: str, credential: dict[str, Any]) -> dict[str, Any]:
        result = node("verify", {"credential": credential})
        self.check(label, result["verified"] is True, "; ".join(result["errors"]))
        return result


def theirs_to_ours(run: Run, name: str, written: dict[str, Any]) -> None:
    credential, mandatory, selections = CREDENTIALS[name]
    key = node("keygen")
    did = f"did:key:{key['publicKeyMultibase']}"
    base = node(
        "sign",
        {
            "credential": with_issuer(credential, did),
            **key,
            "mandatoryPointers": mandatory,
            "created": CREATED,
        },
    )
    derived = []
    print(f"{name}: their base proof and derivations ({did})")
    for selective in selections:
        theirs = node("derive", {"credential": base, "selectivePointers": selective})
        run.ours_verifies(f"we verify their derivation {selective}", theirs, did)
        ours = derive_proof(copy.deepcopy(base), selective)
        run.check(
            f"our derivation {selective} of their base is byte for byte theirs",
            json.dumps(ours) == json.dumps(theirs),
        )
        run.ours_verifies(f"we verify our derivation {selective} of their base", ours, did)
        run.theirs_verifies(f"they verify our derivation {selective} of their base", ours)
        derived.append({"selectivePointers": selective, "credential": theirs})
    written[f"theirs/{name}.json"] = {
        "description": f"{name}: base proof and derivations made by @digitalbazaar/ecdsa-sd-2023-cryptosuite",
        "issuer": did,
        "mandatoryPointers": mandatory,
        "base": base,
        "derived": derived,
    }


def ours_to_theirs(
    run: Run, name: str, written: dict[str, Any], base: dict[str, Any], did: str, selections: list[list[str]]
) -> None:
    derived = []
    for selective in selections:
        ours = derive_proof(copy.deepcopy(base), selective)
        run.ours_verifies(f"we verify our derivation {selective}", ours, did)
        verdict = run.theirs_verifies(f"they verify our derivation {selective}", ours)
        theirs = node("derive", {"credential": base, "selectivePointers": selective})
        run.check(
            f"their derivation {selective} of our base is byte for byte ours",
            json.dumps(ours) == json.dumps(theirs),
        )
        run.ours_verifies(f"we verify their derivation {selective} of our base", theirs, did)
        run.theirs_verifies(f"they verify their derivation {selective} of our base", theirs)
        forged = copy.deepcopy(ours)
        forged["validFrom" if "validFrom" in forged else "issuanceDate"] = "2020-01-01T00:00:00Z"
        refused = node("verify", {"credential": forged})
        run.check(f"they refuse our derivation {selective} with a date changed", not refused["verified"])
        derived.append(
            {
                "selectivePointers": selective,
                "credential": ours,
                "theirVerdict": {"verified": verdict["verified"], "errors": verdict["errors"]},
                "theirDerivation": theirs,
            }
        )
    written[f"ours/{name}.json"] = {
        "description": f"{name}: our base proof and derivations, with the verdicts of "
        "@digitalbazaar/ecdsa-sd-2023-cryptosuite and its own derivations of our base",
        "issuer": did,
        "base": base,
        "derived": derived,
    }


def ours_vc(run: Run, name: str, written: dict[str, Any]) -> None:
    credential, mandatory, selections = CREDENTIALS[name]
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = did_key_for(key.public_key())
    print(f"{name}: our base proof (vc.dataintegrity.sd) and derivations ({issuer.did})")
    base = add_base_proof(
        with_issuer(credential, issuer.did),
        private_key=key,
        verification_method=issuer.verification_method,
        mandatory_pointers=mandatory,
        created=CREATED,
    )
    ours_to_theirs(run, name, written, base, issuer.did, selections)


ISSUED_SELECTIONS = [
    ["/credentialSubject/degree/name"],
    ["/credentialSubject/givenName", "/credentialSubject/familyName", "/credentialSubject/awardedOn"],
]


def ours_issued(run: Run, written: dict[str, Any]) -> None:
    """A diploma as the vault issues it (credentials.services.issue_credential), through both."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("DATABASE_URL", None)  # a throwaway SQLite test database, nobody's data
    import django

    django.setup()
    sys.path.insert(0, str(REPOSITORY / "bench"))
    from django.utils import timezone
    from harness import throwaway_database

    from accounts.models import Organisation
    from accounts.services import create_organisation
    from credentials.services import accredit_issuer, create_issuer_key, issue_credential

    credential = copy.deepcopy(CREDENTIALS["diploma"][0])
    for member in ("id", "issuer", "validFrom", "validUntil"):
        del credential[member]
    subject = credential["credentialSubject"].pop("id")
    with throwaway_database():
        university = create_organisation(name="Interop University", kind=Organisation.Kind.ISSUER)
        create_issuer_key(organisation=university)
        accredit_issuer(
            organisation=university, credential_type="DiplomaCredential", valid_from=timezone.now()
        )
        issued, _ = issue_credential(organisation=university, credential=credential, subject_id=subject)
    proofs = issued["proof"] if isinstance(issued["proof"], list) else [issued["proof"]]
    bases = [proof for proof in proofs if proof.get("cryptosuite") == "ecdsa-sd-2023"]
    suites = [proof.get("cryptosuite") for proof in proofs]
    print(f"diploma issued by credentials.services.issue_credential: proofs {suites}")
    if not bases:
        print("  skipped: issuance signs no ecdsa-sd-2023 base proof yet")
        return
    (base_proof,) = bases
    base = {**{k: v for k, v in issued.items() if k != "proof"}, "proof": base_proof}
    did = base_proof["verificationMethod"].split("#")[0]
    ours_to_theirs(run, "issued-diploma", written, base, did, ISSUED_SELECTIONS)
    entry = written.pop("ours/issued-diploma.json")
    entry["description"] = (
        "a diploma issued into a pod by credentials.services.issue_credential (proof set: "
        "eddsa-rdfc-2022 and ecdsa-sd-2023 base), its base proof derived by us and by "
        "@digitalbazaar/ecdsa-sd-2023-cryptosuite and verified by both"
    )
    entry["issued"] = issued
    written["ours/issued-diploma.json"] = entry


def record_sums() -> None:
    """tests/vectors/SHA256SUMS: the fixtures' lines replaced by their new digests (sorted by name,
    as the file is), so tests/vc/test_vectors.py accepts them and catches any later edit."""
    vectors = FIXTURES.parents[1]
    prefix = FIXTURES.relative_to(vectors).as_posix() + "/"
    sums = vectors / "SHA256SUMS"
    lines = sums.read_text(encoding="ascii").splitlines()
    kept = {line.split("  ", 1)[1]: line for line in lines if not line.split("  ", 1)[1].startswith(prefix)}
    for path in sorted(FIXTURES.rglob("*.json")):
        name = path.relative_to(vectors).as_posix()
        kept[name] = f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}"
    sums.write_text("".join(kept[name] + "\n" for name in sorted(kept)), encoding="ascii")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help=f"write the fixtures to {FIXTURES}")
    parser.add_argument("--only", choices=sorted(CREDENTIALS), action="append", help="these credentials only")
    parser.add_argument(
        "--issuer",
        action="store_true",
        help="also a diploma issued by credentials.services.issue_credential (needs the project's .venv)",
    )
    arguments = parser.parse_args()
    run, written = Run(), {}
    for name in arguments.only or sorted(CREDENTIALS):
        theirs_to_ours(run, name, written)
        ours_vc(run, name, written)
    if arguments.issuer:
        ours_issued(run, written)
    versions = node("versions")
    print(f"their library: {versions}")
    if run.failures:
        print(f"{len(run.failures)} check(s) failed", file=sys.stderr)
        return 1
    if arguments.write:
        for relative, content in written.items():
            path = FIXTURES / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (FIXTURES / "versions.json").write_text(
            json.dumps(
                {
                    "generated": datetime.date.today().isoformat(),
                    "node": versions.pop("node"),
                    "npm": versions,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        record_sums()
        print(
            f"wrote {len(written) + 1} files under {FIXTURES.relative_to(REPOSITORY)}, and their SHA256SUMS"
        )
    print("all checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
