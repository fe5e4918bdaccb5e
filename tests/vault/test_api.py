"""Who may call the vault's endpoints: a pod is its owner's alone; issuing is for issuers alone."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.conftest import diploma
from tests.support import assert_problem, pointers, role_matrix
from vault.models import AccessEvent, PodCredential

VERIFY = "/api/v1/pod/log/verify"
ROLES = ["citizen", "other_citizen", "issuer", "employer", "operator", "anonymous"]


@pytest.fixture
def clients(citizen, other_citizen, university, employer, anonymous):
    operator = APIClient()
    operator.force_login(get_user_model().objects.create_superuser("operator", "op@example.org", None))
    return {
        "citizen": citizen.client,
        "other_citizen": other_citizen.client,
        "issuer": university.client,
        "employer": employer.client,
        "operator": operator,
        "anonymous": anonymous,
    }


def matrix(**expected: int):
    return role_matrix(ROLES, **expected)


@matrix(citizen=200, other_citizen=200, issuer=403, employer=403, operator=403, anonymous=401)
@pytest.mark.parametrize(
    "path", ["/api/v1/pod", "/api/v1/pod/credentials", "/api/v1/pod/log", "/api/v1/pod/log/verify"]
)
def test_pod_endpoints(clients, issued, path, role, status):
    response = clients[role].get(path)
    if status >= 400:
        assert_problem(response, status)
    else:
        assert response.status_code == status


def test_each_citizen_sees_only_their_own_pod(citizen, other_citizen, issued):
    mine, theirs = citizen.get("/api/v1/pod").json(), other_citizen.get("/api/v1/pod").json()
    assert (mine["id"], mine["credentialCount"]) == (str(citizen.pod.pk), 1)
    assert (theirs["id"], theirs["credentialCount"]) == (str(other_citizen.pod.pk), 0)
    assert other_citizen.get("/api/v1/pod/credentials").json() == []
    assert [e["action"] for e in other_citizen.get("/api/v1/pod/log").json()["results"]] == ["pod.opened"]


def test_the_owner_reads_the_credential_as_issued(citizen, issued):
    [held] = citizen.get("/api/v1/pod/credentials").json()
    assert held["credential"] == issued["credential"]
    assert held["credentialId"] == issued["credentialId"]


@pytest.mark.parametrize("query", ["format=json", "type=DiplomaCredential&limit=1"])
def test_the_owners_read_refuses_any_query_parameter_by_name_and_reads_nothing(citizen, issued, query):
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    problem = assert_problem(citizen.get(f"/api/v1/pod/credentials?{query}"), 400, "validation-error")
    names = sorted(pair.partition("=")[0] for pair in query.split("&"))
    assert pointers(problem) == [f"/{name}" for name in names]
    assert {error["detail"] for error in problem["errors"]} == {
        "Unknown query parameter (this endpoint takes none)."
    }
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before


def test_the_owners_read_reads_the_pod_and_its_credentials_in_one_statement_and_logs_each(
    citizen, issued, on_postgres
):
    """The citizen's own read reads the pod, every credential it holds (with its issuer) and the
    pod's log head in one statement, and logs one read per credential, in one log statement on
    PostgreSQL (the compare-and-set of the head read with them): with the token and the
    transaction, 5 statements (7 on SQLite, whose log takes three)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    citizen.get("/api/v1/pod/credentials")  # the token's last use is written once a minute at most
    before = AccessEvent.objects.filter(pod=citizen.pod, action="credential.read").count()
    with CaptureQueriesContext(connection) as statements:
        [held] = citizen.get("/api/v1/pod/credentials").json()
    assert held["credentialId"] == issued["credentialId"]
    assert held["issuer"] == "Ghent Demo University"  # read with it: no query of its own
    sql = [query["sql"] for query in statements.captured_queries]
    [read] = [s for s in sql if '"vault_podcredential"' in s]
    assert read.startswith("SELECT") and 'FROM "vault_pod" LEFT OUTER JOIN' in read
    assert not any('FROM "vault_pod"' in s for s in sql if s != read)
    assert not any("DISTINCT" in s for s in sql)
    assert '"vault_podlog"' in read  # the log head, read with them
    log = [s for s in sql if s != read and ('"vault_podlog"' in s or '"vault_accessevent"' in s)]
    assert len(log) == (1 if on_postgres else 3), log
    assert len(sql) == (5 if on_postgres else 7), [s[:80] for s in sql]
    assert AccessEvent.objects.filter(pod=citizen.pod, action="credential.read").count() == before + 1


def test_the_owners_read_shows_every_credential_oldest_first(citizen, university, issued):
    second = university.post(
        "/api/v1/issuer/credentials",
        {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma(awardedOn="2025-06-30")},
    )
    assert second.status_code == 201, second.json()
    held = citizen.get("/api/v1/pod/credentials").json()
    assert [item["credentialId"] for item in held] == [issued["credentialId"], second.json()["credentialId"]]
    assert [item["credential"] for item in held] == [issued["credential"], second.json()["credential"]]


@matrix(citizen=403, other_citizen=403, issuer=201, employer=403, operator=403, anonymous=401)
def test_issue_credential(clients, citizen, university, role, status):
    body = {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma()}
    response = clients[role].post("/api/v1/issuer/credentials", body, format="json")
    if status >= 400:
        assert_problem(response, status)
    else:
        assert response.status_code == status, response.json()
    assert PodCredential.objects.exists() is (status == 201)
    issued = AccessEvent.objects.filter(action=AccessEvent.Action.CREDENTIAL_ISSUED).exists()
    assert issued is (status == 201)


@pytest.mark.parametrize("role", ROLES)
def test_contexts_are_public(clients, role):
    response = clients[role].get("/contexts/citizen-vault-education-v1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
