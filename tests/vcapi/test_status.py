"""POST /credentials/status: the issuer revokes, suspends and reinstates what it issued."""

import pytest

from credentials.statuslist import check_status
from tests.support import assert_problem, role_matrix

from .conftest import plain_credential

CREDENTIAL_ID = "urn:uuid:2f0c3a59-6f8e-4b0a-9d7e-0c7a1b2c3d4e"
ROLES = ["issuer", "other_issuer", "employer", "anonymous"]


@pytest.fixture
def with_status(issue):
    return issue(plain_credential(id=CREDENTIAL_ID), credentialStatus={"type": "BitstringStatusListEntry"})


def _update(actor, purpose, status, credential_id=CREDENTIAL_ID):
    return actor.post(
        "/credentials/status",
        {
            "credentialId": credential_id,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": purpose}],
            "status": status,
        },
    )


def _bits(credential):
    return {result.purpose: result.is_set for result in check_status(credential)}


def test_revoking_sets_the_revocation_bit_only(university, with_status):
    response = _update(university, "revocation", True)

    assert response.status_code == 200, response.json()
    assert response.json()["credentialId"] == CREDENTIAL_ID
    assert _bits(with_status) == {"revocation": True, "suspension": False}


def test_suspension_can_be_lifted(university, with_status):
    assert _update(university, "suspension", True).status_code == 200
    assert _bits(with_status)["suspension"] is True
    assert _update(university, "suspension", False).status_code == 200
    assert _bits(with_status)["suspension"] is False


def test_revocation_is_final(university, with_status):
    assert _update(university, "revocation", True).status_code == 200
    assert_problem(_update(university, "revocation", False), 409, "revocation-is-final")
    assert _bits(with_status)["revocation"] is True


def test_vcalm_single_object_form_is_accepted(university, with_status):
    response = university.post(
        "/credentials/status",
        {
            "credentialId": CREDENTIAL_ID,
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "suspension"},
            "status": True,
        },
    )
    assert response.status_code == 200, response.json()
    assert _bits(with_status)["suspension"] is True


def test_a_credential_issued_without_status_is_unknown(university, issue):
    issue(plain_credential(id="urn:uuid:11111111-2222-4333-8444-555555555555"))
    assert_problem(
        _update(university, "revocation", True, "urn:uuid:11111111-2222-4333-8444-555555555555"),
        404,
        "unknown-credential-status",
    )


@role_matrix(ROLES, issuer=200, other_issuer=404, employer=403, anonymous=401)
def test_only_the_issuing_organisation_changes_a_status(
    role, status, university, other_university, employer, anonymous, with_status
):
    actors = {"issuer": university, "other_issuer": other_university, "employer": employer}
    if role == "anonymous":
        response = anonymous.post(
            "/credentials/status",
            {"credentialId": CREDENTIAL_ID, "credentialStatus": [], "status": True},
            format="json",
        )
    else:
        response = _update(actors[role], "revocation", True)
    if status == 200:
        assert response.status_code == 200
    else:
        assert_problem(response, status)
    assert _bits(with_status)["revocation"] is (status == 200)


@pytest.mark.parametrize(
    "body",
    [
        {
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}],
            "status": True,
        },
        {"credentialId": CREDENTIAL_ID, "credentialStatus": [], "status": True},
        {
            "credentialId": CREDENTIAL_ID,
            "credentialStatus": [{"statusPurpose": "revocation"}],
            "status": True,
        },
        {
            "credentialId": CREDENTIAL_ID,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}],
        },
        {
            "credentialId": CREDENTIAL_ID,
            "credentialStatus": [{"type": "StatusList2021Entry", "statusPurpose": "revocation"}],
            "status": True,
        },
    ],
)
def test_malformed_status_update_is_a_400(university, with_status, body):
    assert_problem(university.post("/credentials/status", body), 400, "validation-error")


def test_unknown_purpose_is_refused(university, with_status):
    assert_problem(_update(university, "message", True), 422, "unsupported-status-purpose")
