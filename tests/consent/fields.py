"""What the field-scope tests share: a diploma with distinctive values (so a test can search a whole
response body for them), and the pointers of its claims."""

import json
from typing import Any

from tests.conftest import diploma
from vault import crypto
from vault.models import PodCredential
from vc.dataintegrity.sd import split_base_proofs

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


def as_issued_before_proof_sets(resource: PodCredential, signed: dict[str, Any]) -> dict[str, Any]:
    """Store ``signed`` back into its pod with its whole-read proof alone, as credentials issued
    before issuance signed with a proof set (issue 15) are held. Returns the stored document."""
    document = split_base_proofs(signed)[0]
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
    return document
