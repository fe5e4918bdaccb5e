"""Field scopes in requests and grants: what may be asked for (the registry's claims, spelled as it
spells them), what the citizen may approve (as asked, or fewer), and what the API shows."""

import pytest

from consent import services
from consent.errors import InvalidNarrowing, InvalidRequest
from consent.models import AccessRequest
from tests.support import assert_problem, pointers

from .conftest import DIPLOMA, request_body
from .fields import AWARDED_ON, DEGREE_NAME, GRADE, details

DIPLOMA_CLAIMS = [DEGREE_NAME, AWARDED_ON]


def _file(employer, authorization_details):
    body = request_body(authorizationDetails=authorization_details)
    del body["credentialTypes"]
    return employer.post("/api/v1/access-requests", body)


def test_a_request_names_the_claims_it_needs(employer, citizen):
    response = _file(employer, details(claims=[AWARDED_ON, DEGREE_NAME]))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["credentialTypes"] == [DIPLOMA]
    # Stored and shown sorted, in the shape it was asked in.
    assert body["authorizationDetails"] == details(claims=sorted(DIPLOMA_CLAIMS))
    assert AccessRequest.objects.get(pk=body["id"]).claims == {DIPLOMA: sorted(DIPLOMA_CLAIMS)}


def test_an_entry_without_claims_asks_for_the_whole_credential(employer, citizen):
    response = _file(employer, details())
    assert response.status_code == 201, response.json()
    assert response.json()["authorizationDetails"] == details()
    assert AccessRequest.objects.get(pk=response.json()["id"]).claims == {}


def test_a_request_by_credential_types_is_shown_as_whole_credentials(employer, citizen):
    body = employer.post("/api/v1/access-requests", request_body()).json()
    assert body["authorizationDetails"] == details()


@pytest.mark.parametrize(
    ("claims", "where"),
    [
        (["/credentialSubject/studentNumber"], "/authorizationDetails/0/claims/0"),  # not in the registry
        (["/degree/name"], "/authorizationDetails/0/claims/0"),  # the registry's, but not into the credential
        (["/credentialSubject/degree~1name"], "/authorizationDetails/0/claims/0"),  # another spelling
        (["/credentialSubject/awardedOn/"], "/authorizationDetails/0/claims/0"),  # a trailing slash
        (["/credentialSubject/degree"], "/authorizationDetails/0/claims/0"),  # the object holding claims
        (["/credentialSubject"], "/authorizationDetails/0/claims/0"),  # the whole subject, by a pointer
        (["/credentialSubject/degree/name/0"], "/authorizationDetails/0/claims/0"),  # inside a claim
        ([DEGREE_NAME, AWARDED_ON, DEGREE_NAME], "/authorizationDetails/0/claims/2"),  # twice
        ([], "/authorizationDetails/0/claims"),  # no claims at all is not "the whole credential"
        ([7], "/authorizationDetails/0/claims/0"),
    ],
)
def test_a_claim_that_may_not_be_asked_for_is_a_400_naming_it(employer, citizen, claims, where):
    response = _file(employer, details(claims=claims))
    body = assert_problem(response, 400, "validation-error")
    assert pointers(body) == [where]
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize(
    ("entries", "where"),
    [
        (details("StudentCardCredential", [DEGREE_NAME]), "/authorizationDetails/0/credentialType"),
        (details() + details(claims=[GRADE]), "/authorizationDetails/1/credentialType"),  # a type twice
        ([{"type": "openid_credential", "credentialType": DIPLOMA}], "/authorizationDetails/0/type"),
        ([{**details()[0], "locations": ["https://x.example"]}], "/authorizationDetails/0/locations"),
        ([{**details()[0], "claims/0": 1}], "/authorizationDetails/0/claims~10"),  # escaped, not nested
        (["DiplomaCredential"], "/authorizationDetails/0"),
        ([], "/authorizationDetails"),
        ({"type": "credential", "credentialType": DIPLOMA}, "/authorizationDetails"),
    ],
)
def test_an_entry_that_is_not_understood_is_a_400_naming_it(employer, citizen, entries, where):
    body = assert_problem(_file(employer, entries), 400, "validation-error")
    assert pointers(body) == [where]
    assert not AccessRequest.objects.exists()


def test_types_and_authorization_details_are_not_given_together(employer, citizen):
    response = employer.post("/api/v1/access-requests", request_body(authorizationDetails=details()))
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/authorizationDetails"]


def test_a_request_asks_for_types_or_authorization_details(employer, citizen):
    body = request_body()
    del body["credentialTypes"]
    response = employer.post("/api/v1/access-requests", body)
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/credentialTypes"]


def test_the_service_refuses_a_claim_the_registry_does_not_list(employer, citizen):
    with pytest.raises(InvalidRequest) as refused:
        services.file_access_request(
            requester=employer.organisation,
            national_id="BE:85073003328",
            credential_types=[DIPLOMA],
            claims={DIPLOMA: ["/credentialSubject/degree"]},
            purpose="dpv:HumanResourceManagement",
            purpose_description="Degree check",
            valid_until=request_body()["validUntil"],
        )
    assert refused.value.extra["errors"][0]["pointer"] == "/authorizationDetails/0/claims/0"
    assert not AccessRequest.objects.exists()


# --- the citizen's decision: as asked, or fewer ------------------------------------------------


@pytest.fixture
def field_request(employer, citizen) -> dict:
    response = _file(employer, details(claims=DIPLOMA_CLAIMS))
    assert response.status_code == 201, response.json()
    return response.json()


def _approve(citizen, request_id, **body):
    return citizen.post(f"/api/v1/pod/access-requests/{request_id}/approve", body)


def test_approved_as_asked_the_grant_holds_the_claims_asked_for(citizen, field_request):
    response = _approve(citizen, field_request["id"])
    assert response.status_code == 201, response.json()
    assert response.json()["authorizationDetails"] == details(claims=sorted(DIPLOMA_CLAIMS))
    [listed] = citizen.get("/api/v1/pod/grants").json()["results"]
    assert listed["authorizationDetails"] == details(claims=sorted(DIPLOMA_CLAIMS))


def test_narrowing_the_types_keeps_the_claims_asked_for(citizen, field_request):
    response = _approve(citizen, field_request["id"], credentialTypes=[DIPLOMA])
    assert response.json()["authorizationDetails"] == details(claims=sorted(DIPLOMA_CLAIMS))


def test_the_citizen_narrows_to_fewer_claims(citizen, field_request):
    response = _approve(citizen, field_request["id"], authorizationDetails=details(claims=[DEGREE_NAME]))
    assert response.status_code == 201, response.json()
    assert response.json()["authorizationDetails"] == details(claims=[DEGREE_NAME])


def test_a_whole_credential_asked_for_may_be_narrowed_to_some_claims(employer, citizen):
    asked = _file(employer, details()).json()
    response = _approve(citizen, asked["id"], authorizationDetails=details(claims=[AWARDED_ON]))
    assert response.status_code == 201, response.json()
    assert response.json()["authorizationDetails"] == details(claims=[AWARDED_ON])


@pytest.mark.parametrize(
    "approved",
    [
        details(claims=[DEGREE_NAME, GRADE]),  # a claim not asked for
        details(),  # the whole credential, where only claims were asked for
    ],
)
def test_a_grant_never_exceeds_its_request(citizen, field_request, approved):
    response = _approve(citizen, field_request["id"], authorizationDetails=approved)
    assert_problem(response, 422, "invalid-narrowing")
    assert AccessRequest.objects.get(pk=field_request["id"]).status == AccessRequest.Status.PENDING


def test_the_service_refuses_a_widening_too(citizen, field_request):
    with pytest.raises(InvalidNarrowing):
        services.approve_request(
            citizen=citizen.user, request_id=field_request["id"], claims={DIPLOMA: [DEGREE_NAME, GRADE]}
        )


def test_an_approval_naming_a_claim_the_registry_does_not_list_is_a_400(citizen, field_request):
    response = _approve(
        citizen, field_request["id"], authorizationDetails=details(claims=["/credentialSubject/degree"])
    )
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/authorizationDetails/0/claims/0"]
