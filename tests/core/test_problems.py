"""Every error the API returns is an RFC 9457 problem document; hostile bodies are refused, never a 500."""

import io
import json
from datetime import timedelta

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import issue_api_token, revoke_api_token
from core.parsers import MAX_DEPTH, BoundedJSONParser
from core.problems import PayloadTooLarge
from tests.conftest import diploma
from tests.support import assert_problem, pointers

REQUESTS = "/api/v1/access-requests"
ISSUE = "/api/v1/issuer/credentials"


def post_raw(actor, path: str, body: bytes | str, content_type: str = "application/json", **extra):
    return actor.client.generic("POST", path, body, content_type=content_type, **extra)


def valid_request_body() -> dict:
    return {
        "citizen": {"nationalId": "BE:85073003328"},
        "credentialTypes": ["DiplomaCredential"],
        "purpose": "dpv:HumanResourceManagement",
        "purposeDescription": "Checking the degree.",
        "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
    }


# --- malformed and doubtful JSON ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"purpose": ', "Malformed JSON"),
        (b"{'purpose': 'x'}", "Malformed JSON"),
        (b'{"a": 1} trailing', "Malformed JSON"),
        (b'\xff{"a": 1}', "not UTF-8"),
    ],
)
def test_malformed_json_is_a_400_problem_that_says_why(employer, body, reason):
    response = post_raw(employer, REQUESTS, body)
    problem = assert_problem(response, 400, "malformed-request")
    assert reason in problem["detail"]


def test_an_empty_body_is_refused_not_read_as_an_empty_object(employer):
    problem = assert_problem(post_raw(employer, REQUESTS, b""), 400, "malformed-request")
    assert "no body" in problem["detail"]


def test_duplicate_keys_are_refused_not_merged(employer):
    response = post_raw(employer, REQUESTS, b'{"purpose": "dpv:LegalCompliance", "purpose": "x"}')
    problem = assert_problem(response, 400, "malformed-request")
    assert "Duplicate key 'purpose'" in problem["detail"]


def test_duplicate_keys_in_a_nested_object_are_refused(university, citizen):
    body = (
        '{"recipient": {"nationalId": "BE:85073003328"}, '
        '"credential": {"credentialSubject": {"familyName": "A", "familyName": "B"}}}'
    )
    response = post_raw(university, ISSUE, body)
    assert "Duplicate key 'familyName'" in assert_problem(response, 400, "malformed-request")["detail"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_number_literals_are_refused(employer, constant):
    response = post_raw(employer, REQUESTS, f'{{"credentialTypes": {constant}}}')
    problem = assert_problem(response, 400, "malformed-request")
    assert constant in problem["detail"]


def test_a_number_too_large_for_a_double_is_refused(employer):
    response = post_raw(employer, REQUESTS, b'{"credentialTypes": 1e999}')
    assert_problem(response, 400, "malformed-request")


def test_an_integer_with_thousands_of_digits_is_refused(employer):
    response = post_raw(employer, REQUESTS, b'{"credentialTypes": ' + b"9" * 5000 + b"}")
    assert_problem(response, 400, "malformed-request")


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "a\\udc00b"])
def test_a_lone_surrogate_escape_in_a_credential_is_a_400_not_a_500(university, citizen, escape):
    body = json.dumps(
        {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma(givenName="@@")}
    ).replace("@@", escape)
    response = post_raw(university, ISSUE, body)
    assert "surrogate" in assert_problem(response, 400, "malformed-request")["detail"]


def test_a_lone_surrogate_escape_in_a_key_is_refused(employer):
    assert_problem(post_raw(employer, REQUESTS, '{"\\ud800": 1}'), 400, "malformed-request")


def test_a_surrogate_pair_escape_is_ordinary_text(university, citizen):
    body = json.dumps(
        {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma(givenName="@@")}
    ).replace("@@", "An \\ud83c\\udf93")
    response = post_raw(university, ISSUE, body)
    assert response.status_code == 201, response.json()
    assert response.json()["credential"]["credentialSubject"]["givenName"] == "An \U0001f393"


def test_json_nested_exactly_to_the_limit_is_parsed(employer):
    body = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    response = post_raw(employer, REQUESTS, '{"credentialTypes": ' + body + "}")
    # Parsed, so it reaches validation: a 400 about the fields, not about the nesting.
    assert_problem(response, 400, "validation-error")


def test_json_nested_deeper_than_the_limit_is_refused(employer):
    body = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    response = post_raw(employer, REQUESTS, '{"credentialTypes": ' + body + "}")
    problem = assert_problem(response, 400, "malformed-request")
    assert f"deeper than {MAX_DEPTH}" in problem["detail"]


def test_json_nested_deep_enough_to_exhaust_the_recursion_limit_is_a_400(employer):
    response = post_raw(employer, REQUESTS, "[" * 50_000 + "]" * 50_000)
    assert f"deeper than {MAX_DEPTH}" in assert_problem(response, 400, "malformed-request")["detail"]


# --- bodies of the wrong shape -----------------------------------------------------------------


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"a string"', "42", "true", "null"])
@pytest.mark.parametrize("path", [REQUESTS, ISSUE])
def test_a_body_that_is_not_an_object_is_a_400_not_a_500(university, employer, path, body):
    actor = university if path == ISSUE else employer
    assert_problem(post_raw(actor, path, body), 400, "validation-error")


@pytest.mark.parametrize("body", ["[]", '"deny"', "null"])
def test_a_decision_body_that_is_not_an_object_is_a_400(citizen, employer, body):
    request_id = employer.post(REQUESTS, valid_request_body()).json()["id"]
    for action in ("approve", "deny"):
        response = post_raw(citizen, f"/api/v1/pod/access-requests/{request_id}/{action}", body)
        assert_problem(response, 400, "validation-error")


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"recipient": "BE:85073003328", "credential": {}}, "/recipient"),
        ({"recipient": [], "credential": {}}, "/recipient"),
        ({"recipient": {"nationalId": ["BE:85073003328"]}, "credential": {}}, "/recipient/nationalId"),
        ({"recipient": {"nationalId": "BE:85073003328"}, "credential": []}, "/credential"),
        ({"recipient": {"nationalId": "BE:85073003328"}, "credential": "VC"}, "/credential"),
        ({"recipient": {"nationalId": "BE:85073003328"}}, "/credential"),
    ],
)
def test_members_of_the_wrong_shape_are_reported_by_json_pointer(university, citizen, payload, pointer):
    problem = assert_problem(university.post(ISSUE, payload), 400, "validation-error")
    assert pointer in pointers(problem)
    assert all(error["detail"] for error in problem["errors"])


def test_validation_problem_lists_every_invalid_field(employer):
    problem = assert_problem(employer.post(REQUESTS, {"credentialTypes": []}), 400, "validation-error")
    assert set(pointers(problem)) == {
        "/citizen",
        "/credentialTypes",
        "/purpose",
        "/purposeDescription",
        "/validUntil",
    }


# --- content types and sizes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_json_is_a_415(employer, content_type):
    response = post_raw(employer, REQUESTS, "purpose=dpv:LegalCompliance", content_type=content_type)
    assert_problem(response, 415, "unsupported-media-type")


def test_a_form_post_is_a_415(employer):
    response = employer.client.post(REQUESTS, {"purpose": "dpv:LegalCompliance"})  # multipart by default
    assert_problem(response, 415, "unsupported-media-type")


def test_json_ld_is_accepted_as_json(university, citizen):
    body = json.dumps({"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma()})
    response = post_raw(university, ISSUE, body, content_type="application/ld+json")
    assert response.status_code == 201, response.json()


@override_settings(API_MAX_BODY_BYTES=64)
def test_a_body_declared_larger_than_the_limit_is_a_413(employer):
    response = post_raw(employer, REQUESTS, json.dumps({"purposeDescription": "x" * 100}))
    problem = assert_problem(response, 413, "payload-too-large")
    assert "limit is 64 bytes" in problem["detail"]


@override_settings(API_MAX_BODY_BYTES=64)
def test_a_body_exactly_at_the_limit_is_read(employer):
    body = '{"purposeDescription": "' + "x" * (64 - len('{"purposeDescription": ""}')) + '"}'
    assert len(body) == 64
    assert_problem(post_raw(employer, REQUESTS, body), 400, "validation-error")


@override_settings(API_MAX_BODY_BYTES=64)
def test_a_body_with_an_unreadable_content_length_is_still_cut_at_the_limit(employer):
    body = json.dumps({"purposeDescription": "x" * 100}).encode()
    # "+130" is a length Django and DRF accept but the declared-length check cannot read:
    # the bounded read must stop it anyway.
    response = post_raw(employer, REQUESTS, body, CONTENT_LENGTH=f"+{len(body)}")
    problem = assert_problem(response, 413, "payload-too-large")
    assert "larger than the limit of 64 bytes" in problem["detail"]


@override_settings(API_MAX_BODY_BYTES=64)
def test_a_streamed_body_without_content_length_is_cut_at_the_limit():
    request = RequestFactory().post("/", b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    stream = io.BytesIO(b'{"a": "' + b"x" * 1000 + b'"}')  # as a chunked upload arrives
    with pytest.raises(PayloadTooLarge):
        BoundedJSONParser().parse(stream, parser_context={"request": request})
    assert stream.tell() == 65  # read one byte past the limit, not the whole body


def test_the_configured_limit_applies_without_an_override(employer, settings):
    body = json.dumps({"purposeDescription": "x" * settings.API_MAX_BODY_BYTES})
    response = post_raw(employer, REQUESTS, body)
    assert_problem(response, 413, "payload-too-large")


# --- routing and methods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v2/pod", "/api/v1/grants/not-a-uuid/credentials"]
)
def test_an_unknown_api_url_is_a_404_problem(employer, path):
    problem = assert_problem(employer.get(path), 404, "not-found")
    assert path in problem["detail"]


def test_an_unknown_url_is_a_404_problem_even_anonymously(anonymous):
    assert_problem(anonymous.get("/api/v1/nothing-here"), 404, "not-found")


def test_an_unknown_context_is_a_404_problem(anonymous):
    assert_problem(anonymous.get("/contexts/no-such-context"), 404, "not-found")


@pytest.mark.parametrize(
    "path",
    [
        "/credentials/nothing",
        "/presentations/nothing",
        "/status-lists/",
        "/oauth2/nothing",
        "/.well-known/nothing",
    ],
)
def test_unknown_urls_under_the_machine_facing_prefixes_are_404_problems(anonymous, path):
    assert_problem(anonymous.get(path), 404, "not-found")


def test_a_portal_url_that_does_not_exist_is_a_page_not_a_problem(anonymous):
    response = anonymous.get("/portal/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_405_problem(citizen):
    response = citizen.client.delete("/api/v1/pod/log")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response["Allow"]


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/whoami"),
        ("get", "/api/v1/pod"),
        ("get", "/api/v1/pod/log"),
        ("post", ISSUE),
        ("post", REQUESTS),
        ("get", "/api/v1/pod/grants"),
    ],
)
def test_an_unauthenticated_request_is_a_401_with_a_bearer_challenge(anonymous, method, path):
    response = getattr(anonymous, method)(path, format="json")
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="citizen-vault"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cvt_000000000000_not-a-real-token",
        "Bearer cvt_",
        "Bearer not-even-our-format",
        "Bearer",
        "Bearer two words",
    ],
)
def test_a_bad_token_is_a_401_with_a_bearer_challenge(db, anonymous, header):
    response = anonymous.get("/api/v1/whoami", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="citizen-vault", error="invalid_token"'


def test_a_token_with_the_right_prefix_but_a_wrong_secret_is_a_401(employer, anonymous):
    scheme, prefix, _ = employer.token.split("_", 2)
    forged = f"{scheme}_{prefix}_{'A' * 43}"
    response = anonymous.get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_problem(response, 401, "authentication-failed")


def test_a_revoked_token_is_a_401(employer):
    revoke_api_token(token=ApiToken.objects.get(organisation=employer.organisation))
    response = employer.get("/api/v1/whoami")
    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="citizen-vault", error="invalid_token"'


def test_an_expired_token_is_a_401(employer, anonymous):
    _, token = issue_api_token(
        organisation=employer.organisation, expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = anonymous.get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_problem(response, 401, "authentication-failed")


def test_another_authorization_scheme_is_not_authenticated(employer, anonymous):
    response = anonymous.get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Token {employer.token}")
    assert_problem(response, 401, "not-authenticated")


def test_a_citizen_asking_for_an_organisation_endpoint_is_a_403_problem(citizen):
    problem = assert_problem(citizen.post(ISSUE, {}), 403, "forbidden")
    assert "issuing organisation" in problem["detail"]


def test_a_domain_error_keeps_its_extension_members(employer, citizen):
    body = valid_request_body() | {"credentialTypes": ["PassportCredential"]}
    problem = assert_problem(employer.post(REQUESTS, body), 422, "unknown-credential-type")
    assert problem["supportedTypes"] == ["DiplomaCredential", "GoodConductCertificate", "LanguageCertificate"]


def test_a_host_header_we_do_not_answer_to_is_a_400_problem_under_the_api_and_a_page_elsewhere(db):
    from django.test import Client

    client = Client(HTTP_HOST="evil.example")
    response = client.get("/api/v1/whoami")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("bad-request")
    page = client.get("/portal/")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
