"""The VC API takes OAuth 2.0 client-credentials tokens (VCALM's profile), scoped per endpoint."""

import base64

import pytest
from rest_framework.test import APIClient

from accounts.oauth import ISSUE_CREDENTIALS, UPDATE_CREDENTIAL_STATUS, register_oauth_client
from credentials.selectors import active_issuer_key
from tests.support import assert_problem
from tests.vcapi.conftest import plain_credential


def token_for(organisation, *scopes: str) -> str:
    """A bearer token obtained as a VC API client would: POST /oauth2/token, client_secret_basic."""
    client, secret = register_oauth_client(organisation=organisation, scopes=scopes)
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    response = APIClient().post(
        "/oauth2/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def issue(token: str, credential: dict):
    """POST /credentials/issue with ``token``; the credential names the token's organisation as issuer."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post("/credentials/issue", {"credential": credential}, format="json")


def test_a_token_with_the_issue_scope_issues(university):
    token = token_for(university.organisation, ISSUE_CREDENTIALS)
    response = issue(token, plain_credential(issuer=active_issuer_key(university.organisation).did))
    assert response.status_code == 201, response.content
    assert response.json()["verifiableCredential"]["proof"]["proofPurpose"] == "assertionMethod"


def test_a_token_without_the_issue_scope_is_refused_with_the_scope_named(university):
    token = token_for(university.organisation, UPDATE_CREDENTIAL_STATUS)
    response = issue(token, plain_credential())
    assert_problem(response, 403, "forbidden")
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert ISSUE_CREDENTIALS in response["WWW-Authenticate"]


@pytest.mark.parametrize(("scope", "status"), [(UPDATE_CREDENTIAL_STATUS, 200), (ISSUE_CREDENTIALS, 403)])
def test_status_updates_need_their_own_scope(university, scope, status):
    issuer = APIClient()
    issuer.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(university.organisation, ISSUE_CREDENTIALS)}")
    issued = issuer.post(
        "/credentials/issue",
        {
            "credential": plain_credential(
                id="urn:uuid:3f4e1c1e-0000-4000-8000-000000000001",
                issuer=active_issuer_key(university.organisation).did,
            ),
            "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}},
        },
        format="json",
    )
    assert issued.status_code == 201, issued.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(university.organisation, scope)}")
    response = client.post(
        "/credentials/status",
        {
            "credentialId": "urn:uuid:3f4e1c1e-0000-4000-8000-000000000001",
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}],
            "status": True,
        },
        format="json",
    )
    assert response.status_code == status, response.content
