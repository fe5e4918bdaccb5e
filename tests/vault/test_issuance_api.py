"""Issuance through the API: the refusals an issuer meets, each a clear 4xx that stores nothing."""

import pytest

from tests.conftest import diploma
from tests.support import assert_problem
from vault.models import AccessEvent, PodCredential

URL = "/api/v1/issuer/credentials"


def _issue(university, credential, national_id="BE:85073003328"):
    return university.post(URL, {"recipient": {"nationalId": national_id}, "credential": credential})


def test_the_same_credential_id_twice_is_a_conflict(university, citizen):
    credential = {**diploma(), "id": "urn:uuid:8d0c8a52-0f8e-4b6c-9d55-0b6d7b1a1e01"}
    assert _issue(university, credential).status_code == 201
    assert_problem(_issue(university, credential), 409, "duplicate-credential")
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda c: c.update(credentialSubject=[c["credentialSubject"]]), "/credentialSubject"),
        (lambda c: c.update(id="urn:uuid:" + "a" * 300), "/id"),
        (lambda c: c.update(proof={"type": "DataIntegrityProof"}), "/proof"),
    ],
    ids=["subject list", "overlong id", "proof present"],
)
def test_refused_credentials_store_and_log_nothing(university, citizen, mutate, pointer):
    credential = diploma()
    mutate(credential)
    body = assert_problem(_issue(university, credential), 422, "invalid-credential")
    assert body["errors"][0]["path"] == pointer
    assert not PodCredential.objects.filter(pod=citizen.pod).exists()
    assert not AccessEvent.objects.filter(pod=citizen.pod, action="credential.issued").exists()


def test_no_citizen_and_no_pod_get_the_same_answer(university, django_user_model, db):
    from accounts.services import create_citizen_user

    create_citizen_user(email="nopod@example.org", national_id="BE:70010100188")  # a citizen, no pod
    no_pod = assert_problem(_issue(university, diploma(), "BE:70010100188"), 404, "citizen-not-found")
    nobody = assert_problem(_issue(university, diploma(), "BE:70010100980"), 404, "citizen-not-found")
    assert no_pod["detail"] == nobody["detail"]
