"""Every write refuses what it does not understand: an unknown member is a 400 naming it.

A typo must never widen a grant: ``validUnitl`` ignored would approve the full period asked for.
"""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consent.models import AccessRequest, Grant
from tests.conftest import diploma
from tests.consent.conftest import request_body
from tests.support import assert_problem, pointers
from tests.vcapi.conftest import plain_credential
from vault.models import PodCredential

TOMORROW = (timezone.now() + timedelta(days=1)).isoformat()


def approve_url(pending) -> str:
    return f"/api/v1/pod/access-requests/{pending.pk}/approve"


def _nothing_decided(pending) -> None:
    pending.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING
    assert not Grant.objects.filter(request=pending).exists()


@pytest.mark.parametrize(
    ("body", "member"),
    [
        ({"validUnitl": TOMORROW}, "/validUnitl"),
        ({"purpose": "dpv:Marketing"}, "/purpose"),
        ({"credentialTypes": ["DiplomaCredential"], "scope": "all"}, "/scope"),
    ],
    ids=["misspelt-validUntil", "purpose-not-narrowable", "unknown-beside-known"],
)
def test_an_approval_with_an_unknown_member_is_refused_and_nothing_is_granted(citizen, pending, body, member):
    response = citizen.post(approve_url(pending), body)

    problem = assert_problem(response, 400, "validation-error")
    assert member in pointers(problem)
    assert member.lstrip("/") in problem["detail"]
    assert "accepted here: authorizationDetails, credentialTypes, maxReads, validUntil" in problem["detail"]
    _nothing_decided(pending)


def test_an_approval_without_a_body_is_refused(citizen, pending):
    response = citizen.client.post(approve_url(pending))

    problem = assert_problem(response, 400, "malformed-request")
    assert "no body" in problem["detail"]
    _nothing_decided(pending)


def test_an_approval_whose_body_has_no_content_type_is_refused(citizen, pending):
    response = citizen.client.generic("POST", approve_url(pending), b'{"validUnitl": "x"}', content_type="")

    assert_problem(response, 415, "unsupported-media-type")
    _nothing_decided(pending)


@pytest.mark.parametrize("raw", [b"[]", b'"approve"', b"null", b"42"])
def test_an_approval_whose_body_is_not_an_object_is_refused(citizen, pending, raw):
    response = citizen.client.generic("POST", approve_url(pending), raw, content_type="application/json")

    assert_problem(response, 400)
    _nothing_decided(pending)


def test_an_empty_object_approves_as_asked(citizen, pending):
    response = citizen.post(approve_url(pending), {})

    assert response.status_code == 201, response.json()
    grant = Grant.objects.get(request=pending)
    assert grant.valid_until == pending.requested_until
    assert grant.credential_types == pending.credential_types


def test_a_denial_with_an_unknown_member_is_refused(citizen, pending):
    response = citizen.post(f"/api/v1/pod/access-requests/{pending.pk}/deny", {"reasons": "no"})

    assert "/reasons" in pointers(assert_problem(response, 400, "validation-error"))
    _nothing_decided(pending)


def test_a_revocation_takes_no_members_but_may_have_no_body(citizen, pending):
    grant_id = citizen.post(approve_url(pending), {}).json()["id"]
    url = f"/api/v1/pod/grants/{grant_id}/revoke"

    refused = citizen.post(url, {"when": "now"})
    assert "/when" in pointers(assert_problem(refused, 400, "validation-error"))
    assert Grant.objects.get(pk=grant_id).status == Grant.Status.ACTIVE

    assert citizen.client.post(url).status_code == 200
    assert Grant.objects.get(pk=grant_id).status == Grant.Status.REVOKED


@pytest.mark.parametrize(
    ("overrides", "member"),
    [
        ({"validUnitl": TOMORROW}, "/validUnitl"),
        ({"citizen": {"nationalId": "BE:85073003328", "name": "An"}}, "/citizen/name"),
    ],
    ids=["top-level", "nested"],
)
def test_an_access_request_with_an_unknown_member_is_refused(employer, citizen, overrides, member):
    response = employer.post("/api/v1/access-requests", request_body(**overrides))

    assert member in pointers(assert_problem(response, 400, "validation-error"))
    assert not AccessRequest.objects.exists()


def test_an_access_request_without_a_body_is_refused(employer, citizen):
    assert_problem(employer.client.post("/api/v1/access-requests"), 400, "malformed-request")


@pytest.mark.parametrize(
    ("body", "member"),
    [
        ({"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma(), "holder": "x"}, "/holder"),
        (
            {"recipient": {"nationalId": "BE:85073003328", "email": "x"}, "credential": diploma()},
            "/recipient/email",
        ),
        (
            {
                "recipient": {"nationalId": "BE:85073003328"},
                "credential": diploma(),
                "options": {"suite": "x"},
            },
            "/options/suite",
        ),
        (
            {
                "recipient": {"nationalId": "BE:85073003328"},
                "credential": diploma(),
                "options": {"cryptosuite": "bbs-2023"},
            },
            "/options/cryptosuite",
        ),
    ],
    ids=["top-level", "recipient", "options", "unsupported-cryptosuite"],
)
def test_an_issuance_with_an_unknown_member_or_option_is_refused(university, citizen, body, member):
    response = university.post("/api/v1/issuer/credentials", body)

    assert member in pointers(assert_problem(response, 400, "validation-error"))
    assert not PodCredential.objects.exists()


@pytest.mark.parametrize("cryptosuite", ["eddsa-jcs-2022", "eddsa-rdfc-2022"])
def test_the_issuers_cryptosuite_option_is_honoured(university, citizen, cryptosuite):
    response = university.post(
        "/api/v1/issuer/credentials",
        {
            "recipient": {"nationalId": "BE:85073003328"},
            "credential": diploma(),
            "options": {"cryptosuite": cryptosuite},
        },
    )

    assert response.status_code == 201, response.json()
    whole, base = response.json()["credential"]["proof"]  # the base proof is always beside it
    assert (whole["cryptosuite"], base["cryptosuite"]) == (cryptosuite, "ecdsa-sd-2023")


def test_a_batch_upload_with_another_form_part_is_refused(university, citizen):
    part = SimpleUploadedFile("class.csv", b"national_id,given_name\n", content_type="text/csv")
    response = university.client.post(
        "/api/v1/issuer/batches", {"file": part, "dryRun": "true"}, format="multipart"
    )

    assert "/dryRun" in pointers(assert_problem(response, 400, "validation-error"))


@pytest.mark.parametrize(
    ("path", "body", "member"),
    [
        ("/credentials/issue", {"credential": plain_credential(), "option": {}}, "/option"),
        ("/credentials/verify", {"verifiableCredential": plain_credential(), "opts": {}}, "/opts"),
        ("/presentations/verify", {"verifiablePresentation": {}, "challenge": "x"}, "/challenge"),
        (
            "/credentials/status",
            {
                "credentialId": "urn:uuid:1",
                "credentialStatus": [
                    {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "x": 1}
                ],
                "status": True,
            },
            "/credentialStatus/0/x",
        ),
    ],
    ids=["issue", "verify", "verify-presentation", "status-entry"],
)
def test_vc_api_bodies_refuse_unknown_members(university, path, body, member):
    response = university.post(path, body)

    assert member in pointers(assert_problem(response, 400, "validation-error"))


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None])
def test_the_status_update_takes_only_json_booleans(university, value):
    response = university.post(
        "/credentials/status",
        {
            "credentialId": "urn:uuid:2f0c3a59-6f8e-4b0a-9d7e-0c7a1b2c3d4e",
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}],
            "status": value,
        },
    )

    assert "/status" in pointers(assert_problem(response, 400, "validation-error"))


@pytest.mark.parametrize("value", ["yes", 1])
def test_verify_options_take_only_json_booleans(value):
    from rest_framework.test import APIClient

    response = APIClient().post(
        "/credentials/verify",
        json.dumps({"verifiableCredential": plain_credential(), "options": {"returnCredential": value}}),
        content_type="application/json",
    )

    assert "/options/returnCredential" in pointers(assert_problem(response, 400, "validation-error"))
