"""What the field-scope tests share: a diploma with distinctive values (so a test can search a whole
response body for them), and the pointers of its claims."""

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import diploma
from vault import crypto
from vault.models import PodCredential
from vc.dataintegrity import utc_now_xsd
from vc.dataintegrity.sd import add_base_proof
from vc.multikey import did_key_for

DEGREE_NAME = "/credentialSubject/degree/name"
AWARDED_ON = "/credentialSubject/awardedOn"
GRADE = "/credentialSubject/grade"
GIVEN_NAME = "/credentialSubject/givenName"
# Values no other part of a response contains: each must be absent when its claim is withheld.
WITHHELD = {
    GIVEN_NAME: "Wendelientje",
    "/credentialSubject/familyName": "Vandersteene-Oosterlinck",
    GRADE: "summa cum laude with distinction",
    "/credentialSubject/fieldOfStudy": "Quantum Horticulture",
}
SHARED = {DEGREE_NAME: "Master of Laws in Obscure Maritime Jurisprudence", AWARDED_ON: "2019-06-28"}


def distinctive_diploma() -> dict[str, Any]:
    return diploma(
        givenName=WITHHELD[GIVEN_NAME],
        familyName=WITHHELD["/credentialSubject/familyName"],
        degree={"type": "MasterDegree", "name": SHARED[DEGREE_NAME]},
        awardedOn=SHARED[AWARDED_ON],
        grade=WITHHELD[GRADE],
        fieldOfStudy=WITHHELD["/credentialSubject/fieldOfStudy"],
    )


def details(credential_type: str = "DiplomaCredential", claims: list[str] | None = None) -> list[dict]:
    entry: dict[str, Any] = {"type": "credential", "credentialType": credential_type}
    if claims is not None:
        entry["claims"] = claims
    return [entry]


# Until issuance signs with a proof set (issue 15, "Issuance"), the tests add the ecdsa-sd-2023
# base proof themselves, with a P-256 did:key of their own, to the credential the issuer signed.
MANDATORY = ["/issuer", "/type", "/validFrom", "/credentialSubject/id", "/credentialStatus"]


def with_base_proof(resource: PodCredential, signed: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Store ``signed`` back into its pod with a proof set: its own proof and an ecdsa-sd-2023 base
    proof by a fresh P-256 key. Returns the stored document and the base proofValue."""
    key = ec.generate_private_key(ec.SECP256R1())
    unsecured = {name: value for name, value in signed.items() if name != "proof"}
    based = add_base_proof(
        unsecured,
        private_key=key,
        verification_method=did_key_for(key.public_key()).verification_method,
        mandatory_pointers=[pointer for pointer in MANDATORY if pointer.split("/")[1] in unsecured],
        created=utc_now_xsd(),
    )
    document = {**unsecured, "proof": [signed["proof"], based["proof"]]}
    pod = resource.pod
    resource.ciphertext = crypto.seal_for_pod(
        crypto.data_key(pod),
        pod.id,
        crypto.CREDENTIAL_KIND,
        resource.pk,
        resource.version,
        json.dumps(document).encode(),
    )
    resource.save(update_fields=["ciphertext"])
    return document, based["proof"]["proofValue"]
