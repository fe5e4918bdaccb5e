"""Who may call each consent endpoint: owner, other citizen, grantee, other organisation, issuer,
operator and anonymous. Someone else's object is a 404 (it does not exist for them), never a 403."""

import uuid

import pytest

from consent.models import AccessRequest, Grant
from tests.support import assert_problem, role_matrix

from .conftest import HR, approve, presented, read_url, request_body

ROLES = ["owner", "other_citizen", "grantee", "other_org", "issuer", "operator", "anonymous"]


@pytest.fixture
def clients(request, citizen, other_citizen, employer, other_employer, university, operator, anonymous):
    return {
        "owner": citizen.client,
        "other_citizen": other_citizen.client,
        "grantee": employer.client,  # the requester, and the grantee once approved
        "other_org": other_employer.client,
        "issuer": university.client,
        "operator": operator,
        "anonymous": anonymous,
    }


def matrix(**expected: int):
    return role_matrix(ROLES, **expected)


def check(response, status: int) -> None:
    if status >= 400:
        assert_problem(response, status)
    else:
        assert response.status_code == status, response.json()


# --- requester endpoints -----------------------------------------------------------------------


@matrix(owner=403, other_citizen=403, grantee=201, other_org=201, issuer=403, operator=403, anonymous=401)
def test_file_access_request(clients, role, status):
    check(clients[role].post("/api/v1/access-requests", request_body(), format="json"), status)


@matrix(owner=403, other_citizen=403, grantee=200, other_org=200, issuer=403, operator=403, anonymous=401)
def test_list_filed_requests(clients, pending_request, role, status):
    response = clients[role].get("/api/v1/access-requests")
    check(response, status)
    if status == 200:
        ids = [r["id"] for r in response.json()["results"]]
        assert ids == ([pending_request["id"]] if role == "grantee" else [])


@matrix(owner=403, other_citizen=403, grantee=200, other_org=404, issuer=403, operator=403, anonymous=401)
def test_read_filed_request(clients, pending_request, role, status):
    response = clients[role].get(f"/api/v1/access-requests/{pending_request['id']}")
    check(response, status)
    if status == 404:
        assert response.json()["type"].endswith("#access-request-not-found")


@matrix(owner=403, other_citizen=403, grantee=200, other_org=404, issuer=403, operator=403, anonymous=401)
def test_read_under_grant(clients, grant, role, status):
    response = clients[role].get(read_url(grant["id"]))
    check(response, status)
    if status == 404:
        assert response.json()["type"].endswith("#grant-not-found")


# --- citizen endpoints -------------------------------------------------------------------------


@matrix(owner=200, other_citizen=200, grantee=403, other_org=403, issuer=403, operator=403, anonymous=401)
def test_list_requests_to_my_pod(clients, pending_request, role, status):
    response = clients[role].get("/api/v1/pod/access-requests")
    check(response, status)
    if status == 200:
        ids = [r["id"] for r in response.json()["results"]]
        assert ids == ([pending_request["id"]] if role == "owner" else [])


@matrix(owner=201, other_citizen=404, grantee=403, other_org=403, issuer=403, operator=403, anonymous=401)
def test_approve_request(clients, pending_request, role, status):
    response = clients[role].post(
        f"/api/v1/pod/access-requests/{pending_request['id']}/approve", {}, format="json"
    )
    check(response, status)
    expected = AccessRequest.Status.APPROVED if status == 201 else AccessRequest.Status.PENDING
    assert AccessRequest.objects.get(pk=pending_request["id"]).status == expected
    assert Grant.objects.exists() is (status == 201)


@matrix(owner=200, other_citizen=404, grantee=403, other_org=403, issuer=403, operator=403, anonymous=401)
def test_deny_request(clients, pending_request, role, status):
    response = clients[role].post(
        f"/api/v1/pod/access-requests/{pending_request['id']}/deny", {}, format="json"
    )
    check(response, status)
    expected = AccessRequest.Status.DENIED if status == 200 else AccessRequest.Status.PENDING
    assert AccessRequest.objects.get(pk=pending_request["id"]).status == expected


@matrix(owner=200, other_citizen=200, grantee=403, other_org=403, issuer=403, operator=403, anonymous=401)
def test_list_my_grants(clients, grant, role, status):
    response = clients[role].get("/api/v1/pod/grants")
    check(response, status)
    if status == 200:
        ids = [g["id"] for g in response.json()["results"]]
        assert ids == ([grant["id"]] if role == "owner" else [])


@matrix(owner=200, other_citizen=404, grantee=403, other_org=403, issuer=403, operator=403, anonymous=401)
def test_revoke_grant(clients, grant, role, status):
    response = clients[role].post(f"/api/v1/pod/grants/{grant['id']}/revoke", format="json")
    check(response, status)
    expected = Grant.Status.REVOKED if status == 200 else Grant.Status.ACTIVE
    assert Grant.objects.get(pk=grant["id"]).status == expected


# --- someone else's object looks exactly like no object ----------------------------------------


def _same_problem(a, b) -> None:
    first, second = a.json(), b.json()
    first.pop("instance"), second.pop("instance")
    assert (a.status_code, first) == (b.status_code, second)


def test_someone_elses_request_is_indistinguishable_from_none(pending_request, other_employer, other_citizen):
    missing = uuid.uuid4()
    _same_problem(
        other_employer.get(f"/api/v1/access-requests/{pending_request['id']}"),
        other_employer.get(f"/api/v1/access-requests/{missing}"),
    )
    for action in ("approve", "deny"):
        _same_problem(
            other_citizen.post(f"/api/v1/pod/access-requests/{pending_request['id']}/{action}", {}),
            other_citizen.post(f"/api/v1/pod/access-requests/{missing}/{action}", {}),
        )


def test_someone_elses_grant_is_indistinguishable_from_none(grant, other_employer, other_citizen):
    missing = uuid.uuid4()
    _same_problem(other_employer.get(read_url(grant["id"])), other_employer.get(read_url(str(missing))))
    _same_problem(
        other_citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke"),
        other_citizen.post(f"/api/v1/pod/grants/{missing}/revoke"),
    )


def test_an_agency_may_file_and_read_like_an_employer(agency, citizen, issued):
    response = agency.post("/api/v1/access-requests", request_body(purpose="dpv:LegalCompliance"))
    assert response.status_code == 201, response.json()
    grant = approve(citizen, response.json()["id"])
    response = agency.get(read_url(grant["id"], purpose="dpv:LegalCompliance"))
    assert len(presented(response)) == 1


def test_an_issuer_cannot_read_what_it_issued_without_a_grant(university, grant):
    assert_problem(university.get(read_url(grant["id"], purpose=HR)), 403, "forbidden")
