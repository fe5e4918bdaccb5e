"""OAuth 2.0 client credentials on django-oauth-toolkit: the token endpoint (RFC 6749 §4.4), access
tokens and scopes, revocation (RFC 7009), introspection (RFC 7662) and RFC 8414 metadata."""

import base64
import hashlib
from datetime import timedelta
from io import StringIO
from urllib.parse import quote_plus, urlencode

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from oauth2_provider.models import get_access_token_model
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.api.oauth import OAuthError, error_description
from accounts.models import ApiToken, OAuthClient, Organisation
from accounts.oauth import (
    ISSUE_CREDENTIALS,
    READ_GRANTS,
    UPDATE_CREDENTIAL_STATUS,
    HasScope,
    InvalidClientScope,
    issue_access_token,
    register_oauth_client,
    revoke_oauth_client,
)
from accounts.oauth_provider import Validator
from tests.accounts.test_tokens import as_text, raw_rows
from tests.support import assert_problem

TOKEN = "/oauth2/token"
REVOKE = "/oauth2/revoke"
INTROSPECT = "/oauth2/introspect"
WHOAMI = "/api/v1/whoami"
INVALID_TOKEN_CHALLENGE = 'Bearer realm="citizen-vault", error="invalid_token"'
FORM = "application/x-www-form-urlencoded"

AccessToken = get_access_token_model()


@pytest.fixture
def client_and_secret(university):
    return register_oauth_client(
        organisation=university.organisation,
        scopes=[ISSUE_CREDENTIALS, UPDATE_CREDENTIAL_STATUS],
        name="issuing system",
    )


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(pair).decode()}


def token_request(params: dict[str, str] | list[tuple[str, str]], **headers):
    return APIClient().post(TOKEN, urlencode(params), content_type=FORM, **headers)


def get_token(client_and_secret, **params) -> dict:
    client, secret = client_and_secret
    response = token_request(
        {"grant_type": "client_credentials", **params}, **basic(client.client_id, secret)
    )
    assert response.status_code == 200, response.json()
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
DESCRIPTION_CHARS = frozenset(map(chr, [0x20, 0x21, *range(0x23, 0x5C), *range(0x5D, 0x7F)]))


def assert_oauth_error(response, status: int, error: str) -> dict:
    """An RFC 6749 §5.2 error: plain JSON with `error`, never cached, a description in §5.2's charset."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error, body
    assert body["error_description"]
    assert set(body["error_description"]) <= DESCRIPTION_CHARS, body["error_description"]
    return body


# --- the token endpoint --------------------------------------------------------------------------


def test_client_secret_basic_gets_a_bearer_token_with_all_its_scopes(client_and_secret):
    client, secret = client_and_secret
    response = token_request({"grant_type": "client_credentials"}, **basic(client.client_id, secret))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "issue:credentials update:credential-status"
    assert body["access_token"].startswith("cva_")
    row = AccessToken.objects.get()
    assert row.application == client
    assert row.scope == body["scope"]
    assert timedelta(seconds=590) < row.expires - timezone.now() <= timedelta(seconds=600)


def test_client_secret_post_gets_a_token(client_and_secret):
    client, secret = client_and_secret
    response = token_request(
        {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


def test_basic_may_also_name_the_client_in_the_body(client_and_secret):
    client, secret = client_and_secret
    response = token_request(
        {"grant_type": "client_credentials", "client_id": client.client_id}, **basic(client.client_id, secret)
    )
    assert response.status_code == 200


def test_unknown_parameters_such_as_audience_are_ignored(client_and_secret):
    # The W3C test suites' OAuth client sends an Auth0-style `audience`; §3.2 says ignore it.
    body = get_token(client_and_secret, audience="https://vault.example", color="x")
    assert body["access_token"]


def test_a_resource_indicator_must_be_an_absolute_uri(client_and_secret):
    # RFC 8707 §2 (django-oauth-toolkit implements it): `resource` is no unknown parameter.
    client, secret = client_and_secret
    params = {"grant_type": "client_credentials", "resource": "x"}
    assert_oauth_error(token_request(params, **basic(client.client_id, secret)), 400, "invalid_target")


def test_a_token_for_a_resource_works_there(client_and_secret, university):
    token = get_token(client_and_secret, resource="http://testserver/api/v1/whoami")["access_token"]
    assert APIClient().get(WHOAMI, **bearer(token)).status_code == 200
    elsewhere = get_token(client_and_secret, resource="https://elsewhere.example/")["access_token"]
    response = APIClient().get(WHOAMI, **bearer(elsewhere))
    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE


def test_the_lifetime_comes_from_the_setting(client_and_secret, settings):
    settings.OAUTH_ACCESS_TOKEN_SECONDS = 60
    assert get_token(client_and_secret)["expires_in"] == 60
    row = AccessToken.objects.get()
    assert row.expires - row.created <= timedelta(seconds=60)


@pytest.mark.parametrize("method", ["basic", "post"])
def test_a_wrong_secret_is_invalid_client_with_a_basic_challenge(client_and_secret, method):
    client, secret = client_and_secret
    wrong = secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")
    if method == "basic":
        response = token_request({"grant_type": "client_credentials"}, **basic(client.client_id, wrong))
    else:
        response = token_request(
            {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": wrong}
        )
    assert_oauth_error(response, 401, "invalid_client")
    assert response["WWW-Authenticate"].startswith('Basic realm="citizen-vault"')
    assert not AccessToken.objects.exists()


def test_an_unknown_client_is_invalid_client(client_and_secret):
    _, secret = client_and_secret
    response = token_request({"grant_type": "client_credentials"}, **basic("cvc_" + "0" * 32, secret))
    assert_oauth_error(response, 401, "invalid_client")


def test_no_client_authentication_is_invalid_client(db):
    assert_oauth_error(token_request({"grant_type": "client_credentials"}), 401, "invalid_client")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer cvt_x_y", "Basic not-base64!", "Basic " + base64.b64encode(b"no-colon").decode()],
)
def test_a_malformed_authorization_header_is_invalid_client(db, authorization):
    response = token_request({"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=authorization)
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.parametrize("client_id", ["cvc_\x00", "cvc_" + "0" * 5000, "cvc_" + "é" * 32])
def test_a_malformed_client_id_is_invalid_client(client_and_secret, client_id):
    _, secret = client_and_secret
    params = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert_oauth_error(token_request(params), 401, "invalid_client")


def test_a_body_that_is_not_utf8_gets_an_oauth_error(db):
    # oauthlib checks the grant type before the client: the mangled grant_type is refused first.
    response = APIClient().post(TOKEN, b"grant_type=\xff\xfe&client_id=%FF%00", content_type=FORM)
    assert_oauth_error(response, 400, "unsupported_grant_type")
    response = APIClient().post(
        TOKEN, b"grant_type=client_credentials&client_id=%FF%00\xff&client_secret=x", content_type=FORM
    )
    assert_oauth_error(response, 401, "invalid_client")


def test_a_body_over_the_size_limit_is_invalid_request(client_and_secret, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client, secret = client_and_secret
    params = {"grant_type": "client_credentials", "padding": "x" * 200}
    assert_oauth_error(token_request(params, **basic(client.client_id, secret)), 400, "invalid_request")


def test_a_revoked_client_gets_no_token(client_and_secret):
    client, secret = client_and_secret
    revoke_oauth_client(client=client)
    response = token_request({"grant_type": "client_credentials"}, **basic(client.client_id, secret))
    assert_oauth_error(response, 401, "invalid_client")


def test_using_both_authentication_methods_is_invalid_request(client_and_secret):
    client, secret = client_and_secret
    response = token_request(
        {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret},
        **basic(client.client_id, secret),
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_a_body_client_id_that_contradicts_basic_is_invalid_request(client_and_secret):
    client, secret = client_and_secret
    response = token_request(
        {"grant_type": "client_credentials", "client_id": "cvc_other"}, **basic(client.client_id, secret)
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "refresh_token", "urn:x"])
def test_another_grant_type_is_unsupported(client_and_secret, grant_type):
    client, secret = client_and_secret
    response = token_request({"grant_type": grant_type}, **basic(client.client_id, secret))
    body = assert_oauth_error(response, 400, "unsupported_grant_type")
    assert "client_credentials" in body["error_description"]


def test_a_missing_grant_type_is_invalid_request(client_and_secret):
    client, secret = client_and_secret
    response = token_request({"scope": ISSUE_CREDENTIALS}, **basic(client.client_id, secret))
    body = assert_oauth_error(response, 400, "invalid_request")
    assert "grant_type" in body["error_description"]


def test_a_repeated_parameter_is_invalid_request(client_and_secret):
    client, secret = client_and_secret
    response = token_request(
        [("grant_type", "client_credentials"), ("scope", ISSUE_CREDENTIALS), ("scope", READ_GRANTS)],
        **basic(client.client_id, secret),
    )
    body = assert_oauth_error(response, 400, "invalid_request")
    assert "'scope'" in body["error_description"]


def test_a_json_body_is_invalid_request(client_and_secret):
    client, secret = client_and_secret
    response = APIClient().post(
        TOKEN, {"grant_type": "client_credentials"}, format="json", **basic(client.client_id, secret)
    )
    body = assert_oauth_error(response, 400, "invalid_request")
    assert FORM in body["error_description"]


def test_get_is_refused_in_oauth_format(db):
    assert_oauth_error(APIClient().get(TOKEN), 405, "invalid_request")


def test_a_subset_of_the_clients_scopes_is_granted(client_and_secret):
    body = get_token(client_and_secret, scope=ISSUE_CREDENTIALS)
    assert body["scope"] == ISSUE_CREDENTIALS
    assert AccessToken.objects.get().scope == ISSUE_CREDENTIALS


@pytest.mark.parametrize(
    "scope",
    [
        f"{ISSUE_CREDENTIALS} {READ_GRANTS}",  # a superset: read:grants is not the client's
        "admin",  # unknown
        f"{ISSUE_CREDENTIALS}  {UPDATE_CREDENTIAL_STATUS}",  # two spaces: not §3.3 syntax
        'issue:"credentials"',  # '"' is not a scope-token character
    ],
)
def test_a_scope_beyond_the_clients_or_malformed_is_invalid_scope(client_and_secret, scope):
    client, secret = client_and_secret
    response = token_request(
        {"grant_type": "client_credentials", "scope": scope}, **basic(client.client_id, secret)
    )
    assert_oauth_error(response, 400, "invalid_scope")
    assert not AccessToken.objects.exists()


def test_a_client_of_a_suspended_organisation_is_unauthorized_client(client_and_secret):
    client, secret = client_and_secret
    Organisation.objects.filter(pk=client.organisation_id).update(is_active=False)
    response = token_request({"grant_type": "client_credentials"}, **basic(client.client_id, secret))
    assert_oauth_error(response, 400, "unauthorized_client")


def test_repeated_failures_are_throttled_even_for_the_right_secret(client_and_secret, settings):
    settings.LOGIN_MAX_FAILURES = 3
    client, secret = client_and_secret
    for _ in range(3):
        response = token_request({"grant_type": "client_credentials"}, **basic(client.client_id, "cvs_wrong"))
        assert_oauth_error(response, 401, "invalid_client")
    response = token_request({"grant_type": "client_credentials"}, **basic(client.client_id, secret))
    assert_oauth_error(response, 429, "temporarily_unavailable")
    assert int(response["Retry-After"]) == settings.LOGIN_FAILURE_WINDOW_SECONDS
    assert not AccessToken.objects.exists()


def test_a_success_forgives_the_clients_earlier_failures(client_and_secret, settings):
    settings.LOGIN_MAX_FAILURES = 3
    client, _ = client_and_secret
    for _ in range(2):
        token_request({"grant_type": "client_credentials"}, **basic(client.client_id, "cvs_wrong"))
    get_token(client_and_secret)
    for _ in range(2):
        token_request({"grant_type": "client_credentials"}, **basic(client.client_id, "cvs_wrong"))
    assert get_token(client_and_secret)["access_token"]


def test_issuing_a_token_clears_the_clients_expired_ones(client_and_secret):
    get_token(client_and_secret)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    get_token(client_and_secret)
    assert AccessToken.objects.count() == 1
    assert AccessToken.objects.get().expires > timezone.now()


# --- storage ---------------------------------------------------------------------------------------


def test_the_secret_and_access_tokens_are_stored_only_as_digests(client_and_secret):
    _, secret = client_and_secret
    access_token = get_token(client_and_secret)["access_token"]
    for table in ("accounts_oauthclient", "oauth2_provider_accesstoken"):
        rows = raw_rows(table)
        assert rows
        for row in rows:
            assert secret not in as_text(row)
            assert secret.split("_", 1)[1] not in as_text(row)
            assert access_token.split("_", 1)[1] not in as_text(row)
    assert check_password(secret, OAuthClient.objects.get().client_secret)  # a password hash, salted
    row = AccessToken.objects.get()
    assert row.token == ""  # RFC 9700 token storage: no usable token at rest
    assert row.token_checksum == hashlib.sha256(access_token.encode()).hexdigest()


def test_client_ids_secrets_and_tokens_are_random_and_long(university):
    first, first_secret = register_oauth_client(
        organisation=university.organisation, scopes=[ISSUE_CREDENTIALS]
    )
    second, second_secret = register_oauth_client(
        organisation=university.organisation, scopes=[ISSUE_CREDENTIALS]
    )
    assert first.client_id != second.client_id
    assert len(first.client_id) == len("cvc_") + 32  # 128 random bits
    assert first_secret != second_secret
    assert len(first_secret.split("_", 1)[1]) >= 43  # token_urlsafe(32): 256 random bits


# --- access tokens at work -------------------------------------------------------------------------


def test_an_access_token_authenticates_as_its_organisation(client_and_secret, university):
    token = get_token(client_and_secret)["access_token"]
    response = APIClient().get(WHOAMI, **bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "kind": "organisation",
        "id": str(university.organisation.pk),
        "name": "Ghent Demo University",
        "organisationKind": "issuer",
    }


def test_an_expired_access_token_is_refused(client_and_secret):
    token = get_token(client_and_secret)["access_token"]
    assert APIClient().get(WHOAMI, **bearer(token)).status_code == 200
    AccessToken.objects.update(expires=timezone.now())
    response = APIClient().get(WHOAMI, **bearer(token))
    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE


def test_revoking_the_client_stops_its_access_tokens_at_once(client_and_secret):
    client, _ = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    revoke_oauth_client(client=client)
    assert_problem(APIClient().get(WHOAMI, **bearer(token)), 401, "authentication-failed")


def test_access_tokens_of_a_suspended_organisation_are_refused(client_and_secret):
    client, _ = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    Organisation.objects.filter(pk=client.organisation_id).update(is_active=False)
    assert_problem(APIClient().get(WHOAMI, **bearer(token)), 401, "authentication-failed")


def test_an_unknown_access_token_is_refused(db):
    assert_problem(APIClient().get(WHOAMI, **bearer("cva_" + "x" * 43)), 401, "authentication-failed")


def test_an_endpoint_that_names_no_scope_refuses_access_tokens(employer):
    oauth_client, secret = register_oauth_client(organisation=employer.organisation, scopes=[READ_GRANTS])
    token = get_token((oauth_client, secret))["access_token"]
    assert employer.get("/api/v1/access-requests").status_code == 200  # the API token: full rights
    response = APIClient().get("/api/v1/access-requests", **bearer(token))
    assert_problem(response, 403, "forbidden")
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


class IssueLikeView(APIView):
    """A stand-in for a VC API view: issuers' tokens with issue:credentials only."""

    permission_classes = [HasScope.of(ISSUE_CREDENTIALS)]

    def post(self, request):
        return Response({"organisation": request.user.organisation.slug})


def call_issue_like_view(token: str):
    request = APIRequestFactory().post("/test/issue", {}, format="json", **bearer(token))
    return IssueLikeView.as_view()(request)


def test_has_scope_lets_a_token_with_the_scope_through(client_and_secret, university):
    token = get_token(client_and_secret, scope=ISSUE_CREDENTIALS)["access_token"]
    response = call_issue_like_view(token)
    assert response.status_code == 200
    assert response.data == {"organisation": university.organisation.slug}


def test_has_scope_refuses_a_token_without_the_scope_and_names_it(client_and_secret):
    token = get_token(client_and_secret, scope=UPDATE_CREDENTIAL_STATUS)["access_token"]
    response = call_issue_like_view(token)
    response.render()
    assert response.status_code == 403
    assert response["WWW-Authenticate"] == (
        'Bearer realm="citizen-vault", error="insufficient_scope", scope="issue:credentials"'
    )
    assert ISSUE_CREDENTIALS in response.data["detail"]


def test_has_scope_leaves_api_tokens_their_full_rights(university):
    response = call_issue_like_view(university.token)
    assert response.status_code == 200


def test_has_scope_refuses_unknown_scope_names_at_definition():
    with pytest.raises(ValueError, match="issue:everything"):
        HasScope.of("issue:everything")


# --- registration: service, admin, command --------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "named"),
    [([], "at least one"), (["admin"], "admin"), ([READ_GRANTS], "read:grants")],
)
def test_registering_a_client_checks_its_scopes_fit_the_organisation(university, scopes, named):
    with pytest.raises(InvalidClientScope, match=named):
        register_oauth_client(organisation=university.organisation, scopes=scopes)
    assert not OAuthClient.objects.exists()


def test_the_metadata_names_the_token_endpoint_and_what_it_supports(db, settings):
    settings.OAUTH_ISSUER = "https://vault.example"
    response = APIClient().get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.json() == {
        "issuer": "https://vault.example",
        "token_endpoint": "https://vault.example/oauth2/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint": "https://vault.example/oauth2/revoke",
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint": "https://vault.example/oauth2/introspect",
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["issue:credentials", "update:credential-status", "read:grants"],
        "response_types_supported": [],
    }


@pytest.fixture
def operator(db, django_user_model):
    django_user_model.objects.create_superuser("operator", "operator@example.org", "operator password 123")
    client = Client()
    assert client.login(username="operator", password="operator password 123")
    return client


def test_operator_registers_a_client_and_sees_the_secret_once(operator, university):
    response = operator.post(
        "/admin/accounts/oauthclient/add/",
        {"name": "issuing system", "organisation": university.organisation.pk, "scopes": [ISSUE_CREDENTIALS]},
        follow=True,
    )
    assert response.status_code == 200
    client = OAuthClient.objects.get(name="issuing system")
    assert client.scope == ISSUE_CREDENTIALS
    shown = " ".join(str(m) for m in response.context["messages"])
    secret = shown.split("never shown again: ")[1].split()[0]
    assert client.client_id in shown
    assert check_password(secret, client.client_secret)
    page = operator.get(f"/admin/accounts/oauthclient/{client.pk}/change/")
    assert client.client_id.encode() in page.content
    assert secret.encode() not in page.content
    assert client.client_secret.encode() not in page.content


def test_operator_cannot_give_an_employer_an_issuing_scope(operator, employer):
    response = operator.post(
        "/admin/accounts/oauthclient/add/",
        {"name": "sneaky", "organisation": employer.organisation.pk, "scopes": [ISSUE_CREDENTIALS]},
    )
    assert response.status_code == 200  # the form comes back with the reason
    assert b"do not fit" in response.content
    assert not OAuthClient.objects.exists()


def test_operator_revokes_a_client(operator, client_and_secret):
    client, _ = client_and_secret
    response = operator.post(
        "/admin/accounts/oauthclient/", {"action": "revoke", "_selected_action": [client.pk]}, follow=True
    )
    assert response.status_code == 200
    client.refresh_from_db()
    assert client.revoked_at is not None


def test_the_command_prints_the_client_id_and_secret_once(university):
    out, err = StringIO(), StringIO()
    call_command(
        "create_oauth_client",
        university.organisation.slug,
        "--scope",
        f"{ISSUE_CREDENTIALS} {UPDATE_CREDENTIAL_STATUS}",
        stdout=out,
        stderr=err,
    )
    printed = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    client = OAuthClient.objects.get(client_id=printed["client_id"])
    assert client.scope == f"{ISSUE_CREDENTIALS} {UPDATE_CREDENTIAL_STATUS}"
    assert check_password(printed["client_secret"], client.client_secret)
    assert "only its hash" in err.getvalue()
    assert get_token((client, printed["client_secret"]))["scope"] == client.scope


@pytest.mark.parametrize(
    ("organisation", "scope", "message"),
    [("nobody", ISSUE_CREDENTIALS, "No organisation"), ("acme-recruiting", ISSUE_CREDENTIALS, "do not fit")],
)
def test_the_command_explains_what_is_wrong(employer, organisation, scope, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_oauth_client", organisation, "--scope", scope, stdout=StringIO())


# --- review findings: hostile input, RFC 6750 challenges, error descriptions -----------------------


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic \u00e9\u00e9\u00e9\u00e9",
        "Basic YWJj\u00ff",
        "Basic  \u00e9",
        "Basic \u00e9:\u00e9",
        "B\u00e4sic YWJj",
    ],
)
def test_non_ascii_basic_credentials_are_invalid_client_not_a_crash(db, authorization):
    # base64.b64decode(str) raises a plain ValueError for non-ASCII text, not binascii.Error.
    client = APIClient(raise_request_exception=False)
    response = client.post(
        TOKEN,
        urlencode({"grant_type": "client_credentials"}),
        content_type=FORM,
        HTTP_AUTHORIZATION=authorization,
    )
    body = assert_oauth_error(response, 401, "invalid_client")
    assert response["WWW-Authenticate"].startswith('Basic realm="citizen-vault"')
    assert "\u00e9" not in body["error_description"]


@given(st.text(max_size=80))
@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_authorization_header_is_refused_as_invalid_client_not_a_crash(db, authorization):
    # django-oauth-toolkit's Basic parsing raised ValueError (a 500) on non-ASCII credentials.
    request = OAuthlibRequest(
        "https://vault.example/oauth2/token", headers={"HTTP_AUTHORIZATION": authorization}
    )
    with pytest.raises(OAuth2Error) as refused:
        Validator().authenticate_client(request)
    assert refused.value.error == "invalid_client"
    assert refused.value.status_code == 401
    assert set(refused.value.description) <= DESCRIPTION_CHARS


@given(st.text())
def test_any_description_is_kept_within_the_rfc_6749_charset(text):
    assert set(OAuthError("invalid_request", text).description) <= DESCRIPTION_CHARS
    assert set(error_description(text)) <= DESCRIPTION_CHARS


def test_descriptions_keep_their_wording_but_not_quotes_or_backslashes():
    assert error_description('say "no" to C:\\x, \u00a7 4.4') == "say 'no' to C:?x, ? 4.4"


@pytest.mark.parametrize("grant_type", ['x"\\y', "password\u00e9", "<script>"])
def test_an_unsupported_grant_type_is_not_echoed(client_and_secret, grant_type):
    client, secret = client_and_secret
    response = token_request({"grant_type": grant_type}, **basic(client.client_id, secret))
    body = assert_oauth_error(response, 400, "unsupported_grant_type")
    assert grant_type not in body["error_description"]
    assert "client_credentials" in body["error_description"]


def test_an_unsupported_authentication_scheme_is_not_echoed(db):
    response = token_request({"grant_type": "client_credentials"}, HTTP_AUTHORIZATION='Digest"\\ x')
    body = assert_oauth_error(response, 401, "invalid_client")
    assert "Digest" not in body["error_description"]


def test_unknown_scopes_are_counted_not_echoed_and_known_ones_named(client_and_secret):
    client, secret = client_and_secret
    scope = f"{ISSUE_CREDENTIALS} {READ_GRANTS} <made-up> admin"
    response = token_request(
        {"grant_type": "client_credentials", "scope": scope}, **basic(client.client_id, secret)
    )
    body = assert_oauth_error(response, 400, "invalid_scope")
    assert READ_GRANTS in body["error_description"]  # ours, so named
    assert "2 unknown scope(s)" in body["error_description"]
    assert "made-up" not in body["error_description"]
    assert "admin" not in body["error_description"]


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_are_refused_without_quoting_them(db, method):
    for path in (TOKEN, REVOKE):
        response = getattr(APIClient(), method)(path)
        body = assert_oauth_error(response, 405, "invalid_request")
        assert method.upper() not in body["error_description"]
        assert "POST" in body["error_description"]


def test_the_anonymous_rate_limit_is_an_oauth_error(client_and_secret, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    client, secret = client_and_secret
    for _ in range(2):
        get_token(client_and_secret)
    response = token_request({"grant_type": "client_credentials"}, **basic(client.client_id, secret))
    assert_oauth_error(response, 429, "temporarily_unavailable")
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer cva_" + "x" * 43,  # unknown access token
        "Bearer cvt_0123456789ab_" + "x" * 43,  # unknown API token
        "Bearer not-a-token-at-all",
        "Bearer two words",  # malformed
        "Bearer ",  # nothing after the scheme
        "bearer cva_\u00e9\u00e9",
    ],
)
def test_a_refused_bearer_token_gets_an_invalid_token_challenge_and_a_problem(db, authorization):
    response = APIClient().get(WHOAMI, HTTP_AUTHORIZATION=authorization)
    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE


def test_a_revoked_api_token_gets_an_invalid_token_challenge(university):
    ApiToken.objects.filter(organisation=university.organisation).update(revoked_at=timezone.now())
    response = APIClient().get(WHOAMI, **bearer(university.token))
    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}])
def test_without_a_bearer_token_the_challenge_names_no_error(db, headers):
    # RFC 6750 §3.1: no error code when the request carries no bearer credential at all.
    response = APIClient().get(WHOAMI, **headers)
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="citizen-vault"'


# --- live tokens per client --------------------------------------------------------------------------


def test_a_client_holds_at_most_the_cap_of_live_tokens_and_the_oldest_go(client_and_secret, settings):
    settings.OAUTH_MAX_LIVE_TOKENS_PER_CLIENT = 3
    tokens = [get_token(client_and_secret)["access_token"] for _ in range(5)]
    assert AccessToken.objects.count() == 3
    for old in tokens[:2]:
        response = APIClient().get(WHOAMI, **bearer(old))
        assert_problem(response, 401, "authentication-failed")
        assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE
    for live in tokens[2:]:
        assert APIClient().get(WHOAMI, **bearer(live)).status_code == 200


def test_the_default_cap_is_twenty_live_tokens_per_client(client_and_secret, settings):
    assert settings.OAUTH_MAX_LIVE_TOKENS_PER_CLIENT == 20
    client, _ = client_and_secret
    for _ in range(30):
        issue_access_token(client=client, scopes=[ISSUE_CREDENTIALS])
    assert AccessToken.objects.filter(application=client).count() == 20


def test_the_cap_counts_each_client_apart(client_and_secret, university, settings):
    settings.OAUTH_MAX_LIVE_TOKENS_PER_CLIENT = 2
    client, _ = client_and_secret
    other, _ = register_oauth_client(organisation=university.organisation, scopes=[ISSUE_CREDENTIALS])
    _, others_token = issue_access_token(client=other, scopes=[ISSUE_CREDENTIALS])
    for _ in range(4):
        issue_access_token(client=client, scopes=[ISSUE_CREDENTIALS])
    assert AccessToken.objects.filter(application=client).count() == 2
    assert APIClient().get(WHOAMI, **bearer(others_token)).status_code == 200


# --- revocation (RFC 7009) ---------------------------------------------------------------------------


def revoke_request(params: dict[str, str], **headers):
    return APIClient().post(REVOKE, urlencode(params), content_type=FORM, **headers)


def test_a_client_revokes_its_access_token_which_stops_at_once(client_and_secret):
    client, secret = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    kept = get_token(client_and_secret)["access_token"]
    response = revoke_request(
        {"token": token, "token_type_hint": "access_token"}, **basic(client.client_id, secret)
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"
    response = APIClient().get(WHOAMI, **bearer(token))
    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE
    assert APIClient().get(WHOAMI, **bearer(kept)).status_code == 200


def test_revocation_accepts_client_secret_post(client_and_secret):
    client, secret = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    response = revoke_request({"token": token, "client_id": client.client_id, "client_secret": secret})
    assert response.status_code == 200
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("token", ["cva_" + "x" * 43, "whatever", 'cva_"\\'])
def test_revoking_an_unknown_token_succeeds_quietly(client_and_secret, token):
    client, secret = client_and_secret
    live = get_token(client_and_secret)["access_token"]
    response = revoke_request({"token": token}, **basic(client.client_id, secret))
    assert response.status_code == 200
    assert APIClient().get(WHOAMI, **bearer(live)).status_code == 200


def test_revoking_an_expired_token_succeeds(client_and_secret):
    client, secret = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert revoke_request({"token": token}, **basic(client.client_id, secret)).status_code == 200


def test_a_client_cannot_revoke_another_clients_token(client_and_secret, university):
    other, other_secret = register_oauth_client(
        organisation=university.organisation, scopes=[ISSUE_CREDENTIALS]
    )
    token = get_token(client_and_secret)["access_token"]
    response = revoke_request({"token": token}, **basic(other.client_id, other_secret))
    assert_oauth_error(response, 400, "unauthorized_client")
    assert APIClient().get(WHOAMI, **bearer(token)).status_code == 200


def test_revocation_needs_the_clients_own_credentials(client_and_secret):
    client, _ = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    response = revoke_request({"token": token}, **basic(client.client_id, "cvs_wrong"))
    assert_oauth_error(response, 401, "invalid_client")
    assert_oauth_error(revoke_request({"token": token}), 401, "invalid_client")
    assert APIClient().get(WHOAMI, **bearer(token)).status_code == 200


def test_revocation_failures_share_the_clients_failure_budget(client_and_secret, settings):
    settings.LOGIN_MAX_FAILURES = 2
    client, secret = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    for _ in range(2):
        revoke_request({"token": token}, **basic(client.client_id, "cvs_wrong"))
    response = token_request({"grant_type": "client_credentials"}, **basic(client.client_id, secret))
    assert_oauth_error(response, 429, "temporarily_unavailable")
    assert_oauth_error(
        revoke_request({"token": token}, **basic(client.client_id, secret)), 429, "temporarily_unavailable"
    )


def test_revocation_without_a_token_is_invalid_request(client_and_secret):
    client, secret = client_and_secret
    body = assert_oauth_error(revoke_request({}, **basic(client.client_id, secret)), 400, "invalid_request")
    assert "token" in body["error_description"]


def test_an_api_token_is_not_revoked_here(client_and_secret, university):
    client, secret = client_and_secret
    response = revoke_request({"token": university.token}, **basic(client.client_id, secret))
    assert_oauth_error(response, 400, "unsupported_token_type")
    assert university.get(WHOAMI).status_code == 200


# --- the split: old imports keep working -------------------------------------------------------------


def test_other_apps_imports_from_accounts_oauth_still_resolve():
    from accounts import oauth, permissions, scopes

    assert oauth.HasScope is permissions.HasScope
    assert (oauth.ISSUE_CREDENTIALS, oauth.UPDATE_CREDENTIAL_STATUS, oauth.READ_GRANTS) == (
        scopes.ISSUE_CREDENTIALS,
        scopes.UPDATE_CREDENTIAL_STATUS,
        scopes.READ_GRANTS,
    )


# --- introspection (RFC 7662) ------------------------------------------------------------------------


def introspect_request(params: dict[str, str], **headers):
    return APIClient().post(INTROSPECT, urlencode(params), content_type=FORM, **headers)


def test_a_client_introspects_its_own_live_token(client_and_secret, settings):
    settings.OAUTH_ISSUER = "https://vault.example"
    client, secret = client_and_secret
    token = get_token(client_and_secret, scope=ISSUE_CREDENTIALS)["access_token"]
    response = introspect_request({"token": token}, **basic(client.client_id, secret))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    row = AccessToken.objects.get()
    assert body == {
        "active": True,
        "scope": ISSUE_CREDENTIALS,
        "client_id": client.client_id,
        "token_type": "Bearer",
        "exp": int(row.expires.timestamp()),
        "iat": int(row.created.timestamp()),
        "iss": "https://vault.example",
    }


def test_introspection_accepts_client_secret_post(client_and_secret):
    client, secret = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    response = introspect_request({"token": token, "client_id": client.client_id, "client_secret": secret})
    assert response.json()["active"] is True


def test_another_clients_token_is_inactive_to_a_client(client_and_secret, university):
    other, other_secret = register_oauth_client(
        organisation=university.organisation, scopes=[ISSUE_CREDENTIALS]
    )
    token = get_token(client_and_secret)["access_token"]
    response = introspect_request({"token": token}, **basic(other.client_id, other_secret))
    assert response.status_code == 200
    assert response.json() == {"active": False}
    assert APIClient().get(WHOAMI, **bearer(token)).status_code == 200


@pytest.mark.parametrize("state", ["expired", "revoked", "client revoked", "organisation suspended"])
def test_a_token_that_no_longer_works_is_inactive(client_and_secret, state):
    client, secret = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    if state == "expired":
        AccessToken.objects.update(expires=timezone.now())
    elif state == "revoked":
        assert revoke_request({"token": token}, **basic(client.client_id, secret)).status_code == 200
    elif state == "client revoked":
        other, other_secret = register_oauth_client(
            organisation=client.organisation, scopes=[ISSUE_CREDENTIALS]
        )
        revoke_oauth_client(client=client)
        client, secret = other, other_secret  # the revoked client can no longer ask
    else:
        Organisation.objects.filter(pk=client.organisation_id).update(is_active=False)
    response = introspect_request({"token": token}, **basic(client.client_id, secret))
    assert response.status_code == 200
    assert response.json() == {"active": False}


@pytest.mark.parametrize("token", ["cva_" + "x" * 43, "whatever", 'cva_"\\'])
def test_an_unknown_token_is_inactive(client_and_secret, token):
    client, secret = client_and_secret
    response = introspect_request({"token": token}, **basic(client.client_id, secret))
    assert response.json() == {"active": False}


def test_an_api_token_is_inactive_to_introspection(client_and_secret, university):
    client, secret = client_and_secret
    response = introspect_request({"token": university.token}, **basic(client.client_id, secret))
    assert response.json() == {"active": False}


def test_introspection_needs_the_clients_own_credentials(client_and_secret):
    client, _ = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    response = introspect_request({"token": token}, **basic(client.client_id, "cvs_wrong"))
    assert_oauth_error(response, 401, "invalid_client")
    assert response["WWW-Authenticate"].startswith('Basic realm="citizen-vault"')
    assert_oauth_error(introspect_request({"token": token}), 401, "invalid_client")
    # RFC 7662 §2.1 allows a bearer token instead; we do not: a token cannot introspect tokens.
    assert_oauth_error(introspect_request({"token": token}, **bearer(token)), 401, "invalid_client")


def test_introspection_failures_share_the_clients_failure_budget(client_and_secret, settings):
    settings.LOGIN_MAX_FAILURES = 2
    client, secret = client_and_secret
    token = get_token(client_and_secret)["access_token"]
    for _ in range(2):
        introspect_request({"token": token}, **basic(client.client_id, "cvs_wrong"))
    response = introspect_request({"token": token}, **basic(client.client_id, secret))
    assert_oauth_error(response, 429, "temporarily_unavailable")
    assert int(response["Retry-After"]) == settings.LOGIN_FAILURE_WINDOW_SECONDS


def test_introspection_without_a_token_is_invalid_request(client_and_secret):
    client, secret = client_and_secret
    assert_oauth_error(introspect_request({}, **basic(client.client_id, secret)), 400, "invalid_request")


def test_introspection_refuses_other_methods_and_bodies_in_oauth_format(db):
    assert_oauth_error(APIClient().get(INTROSPECT), 405, "invalid_request")
    response = APIClient().post(INTROSPECT, {"token": "x"}, format="json")
    assert_oauth_error(response, 400, "invalid_request")


def test_revoking_a_client_deletes_its_access_tokens(client_and_secret):
    client, _ = client_and_secret
    get_token(client_and_secret)
    revoke_oauth_client(client=client)
    assert not AccessToken.objects.filter(application=client).exists()
