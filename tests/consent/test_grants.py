"""Reading under a grant: every decision is logged, and revocation or expiry stops the very next read."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from consent.models import Grant
from tests.conftest import diploma
from tests.support import assert_problem, checked_log, pointers
from vault.models import AccessEvent
from vc.dataintegrity.sd import split_base_proofs
from vc.types import CREDENTIAL_TYPES

from .conftest import DIPLOMA, HR, approve, file_request, presented, read_url

RESEARCH = "dpv:ResearchAndDevelopment"


def revoke(citizen, grant_id: str):
    return citizen.post(f"/api/v1/pod/grants/{grant_id}/revoke")


def last_entry(citizen) -> AccessEvent:
    return AccessEvent.objects.filter(pod=citizen.pod).order_by("-seq").first()


def assert_denial_logged(citizen, organisation, grant_id: str, reason: str, purpose: str = HR) -> None:
    entry = last_entry(citizen)
    assert entry.action == AccessEvent.Action.ACCESS_DENIED
    assert entry.outcome == AccessEvent.Outcome.DENIED
    assert entry.reason == reason
    assert entry.actor_organisation_id == organisation.pk
    assert entry.actor_label == organisation.name
    assert str(entry.grant_id) == grant_id
    assert entry.purpose == purpose
    assert entry.resource_id is None and entry.credential_id == ""


# --- allowed reads -----------------------------------------------------------------------------


def test_the_grantee_reads_the_credentials_with_their_original_proofs(employer, citizen, issued, grant):
    response = employer.get(read_url(grant["id"]))
    [credential] = presented(response)
    # The issuer's proof for whole reads, untouched; the ecdsa-sd-2023 base proof stays in the pod.
    assert credential == split_base_proofs(issued["credential"])[0]
    assert credential["proof"] == issued["credential"]["proof"][0]
    assert response.json()["verifiablePresentation"]["holder"] == citizen.pod.holder_did


def test_each_credential_read_is_logged_with_grant_and_purpose(employer, citizen, university, issued, grant):
    second = university.post(
        "/api/v1/issuer/credentials",
        {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma(familyName="Janssens")},
    ).json()
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    assert len(presented(employer.get(read_url(grant["id"])))) == 2
    reads = list(AccessEvent.objects.filter(pod=citizen.pod).order_by("seq")[before:])
    assert [r.action for r in reads] == ["credential.read", "credential.read"]
    assert {r.credential_id for r in reads} == {issued["credentialId"], second["credentialId"]}
    for read in reads:
        assert (read.outcome, read.purpose, str(read.grant_id)) == ("allowed", HR, grant["id"])
        assert read.actor_organisation_id == employer.organisation.pk


def test_a_read_of_one_type_returns_only_that_type(employer, citizen, issued, grant):
    response = employer.get(read_url(grant["id"], credential_type=DIPLOMA))
    assert [c["type"] for c in presented(response)] == [["VerifiableCredential", DIPLOMA]]


def test_a_read_when_the_pod_holds_no_credential_of_that_type_is_logged_without_a_credential(
    employer, citizen
):
    grant = approve(citizen, file_request(employer)["id"])  # nothing has been issued
    response = employer.get(read_url(grant["id"]))
    assert presented(response) == []
    entry = last_entry(citizen)
    assert (entry.action, entry.outcome, entry.credential_type) == ("credential.read", "allowed", DIPLOMA)
    assert entry.resource_id is None
    assert entry.credential_id == ""
    assert str(entry.grant_id) == grant["id"]


# --- reads that are refused --------------------------------------------------------------------


def test_a_revoked_grant_denies_the_next_read_and_logs_it(employer, citizen, grant):
    assert employer.get(read_url(grant["id"])).status_code == 200
    response = revoke(citizen, grant["id"])
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["revokedAt"] is not None
    problem = assert_problem(employer.get(read_url(grant["id"])), 403, "grant-revoked")
    assert problem["reason"] == "grant-revoked"
    assert_denial_logged(citizen, employer.organisation, grant["id"], "grant-revoked")


def test_revoking_is_logged_by_the_owner(citizen, grant):
    revoke(citizen, grant["id"])
    entry = last_entry(citizen)
    assert (entry.action, entry.actor_label, str(entry.grant_id)) == (
        "grant.revoked",
        "the pod owner",
        grant["id"],
    )


def test_revoking_twice_is_a_409(citizen, grant):
    assert revoke(citizen, grant["id"]).status_code == 200
    revoked_at = Grant.objects.get(pk=grant["id"]).revoked_at
    events = AccessEvent.objects.filter(pod=citizen.pod).count()
    assert_problem(revoke(citizen, grant["id"]), 409, "invalid-transition")
    assert Grant.objects.get(pk=grant["id"]).revoked_at == revoked_at
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == events


def test_revoked_grants_are_listed_as_revoked(citizen, grant):
    revoke(citizen, grant["id"])
    [listed] = citizen.get("/api/v1/pod/grants").json()["results"]
    assert (listed["id"], listed["status"]) == (grant["id"], "revoked")


def test_an_expired_grant_denies_the_read_and_logs_it(employer, citizen, grant):
    now = timezone.now()
    Grant.objects.filter(pk=grant["id"]).update(
        valid_from=now - timedelta(days=10), valid_until=now - timedelta(seconds=1)
    )
    problem = assert_problem(employer.get(read_url(grant["id"])), 403, "grant-expired")
    assert problem["reason"] == "grant-expired"
    assert_denial_logged(citizen, employer.organisation, grant["id"], "grant-expired")
    [listed] = citizen.get("/api/v1/pod/grants").json()["results"]
    assert listed["status"] == "expired"


def test_a_grant_not_yet_valid_denies_the_read_and_logs_it(employer, citizen, grant):
    now = timezone.now()
    Grant.objects.filter(pk=grant["id"]).update(
        valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=2)
    )
    assert_problem(employer.get(read_url(grant["id"])), 403, "grant-not-yet-valid")
    assert_denial_logged(citizen, employer.organisation, grant["id"], "grant-not-yet-valid")


def test_a_read_for_another_purpose_is_denied_and_logged(employer, citizen, grant):
    problem = assert_problem(employer.get(read_url(grant["id"], purpose=RESEARCH)), 403, "purpose-mismatch")
    assert problem["reason"] == "purpose-mismatch"
    assert_denial_logged(citizen, employer.organisation, grant["id"], "purpose-mismatch", purpose=RESEARCH)


def test_a_type_outside_the_grant_is_denied_and_logged(employer, citizen, issued, identity_type):
    filed = file_request(employer, credentialTypes=[DIPLOMA, identity_type])
    grant = approve(citizen, filed["id"], credentialTypes=[DIPLOMA])
    response = employer.get(read_url(grant["id"], credential_type=identity_type))
    problem = assert_problem(response, 403, "out-of-scope")
    assert problem["reason"] == "out-of-scope"
    entry = last_entry(citizen)
    assert (entry.action, entry.reason, entry.credential_type) == (
        "access.denied",
        "out-of-scope",
        identity_type,
    )


def test_another_organisations_grant_is_a_404_and_the_attempt_is_logged_naming_it(
    other_employer, citizen, grant
):
    response = other_employer.get(read_url(grant["id"]))
    problem = assert_problem(response, 404, "grant-not-found")
    assert "reason" not in problem  # nothing that confirms the grant exists
    assert_denial_logged(citizen, other_employer.organisation, grant["id"], "not-grantee")
    log = citizen.get("/api/v1/pod/log").json()["results"]
    assert (log[0]["actor"]["name"], log[0]["reason"]) == ("Other Employer", "not-grantee")


def test_an_unknown_grant_id_is_a_404_and_touches_no_pod(employer, citizen, grant):
    before = AccessEvent.objects.count()
    assert_problem(employer.get(read_url(str(uuid.uuid4()))), 404, "grant-not-found")
    assert AccessEvent.objects.count() == before


def test_a_read_without_a_purpose_is_a_400(employer, citizen, grant):
    before = AccessEvent.objects.count()
    problem = assert_problem(employer.get(read_url(grant["id"], purpose=None)), 400, "validation-error")
    assert pointers(problem) == ["/purpose"]
    assert AccessEvent.objects.count() == before


def test_a_read_with_an_unknown_purpose_is_a_400_and_the_attempt_is_logged(employer, citizen, grant):
    response = employer.get(read_url(grant["id"], purpose="dpv:Marketing"))
    assert assert_problem(response, 400, "unknown-purpose")["allowedPurposes"][0] == HR
    # Logged without the unknown value: the log shows no text a requester made up.
    assert_denial_logged(citizen, employer.organisation, grant["id"], "unknown-purpose", purpose="")


def test_a_read_of_an_unknown_type_is_a_422_and_the_attempt_is_logged(employer, citizen, grant):
    response = employer.get(read_url(grant["id"], credential_type="PassportCredential"))
    assert assert_problem(response, 422, "unknown-credential-type")["supportedTypes"] == sorted(
        CREDENTIAL_TYPES
    )
    assert_denial_logged(citizen, employer.organisation, grant["id"], "unknown-credential-type")
    assert last_entry(citizen).credential_type == ""


def test_every_denial_keeps_the_log_chain_valid(employer, other_employer, citizen, grant):
    other_employer.get(read_url(grant["id"]))
    employer.get(read_url(grant["id"], purpose=RESEARCH))
    revoke(citizen, grant["id"])
    employer.get(read_url(grant["id"]))
    check = checked_log(citizen)
    assert check["valid"] is True
    assert check["entries"] == AccessEvent.objects.filter(pod=citizen.pod).count()


@pytest.mark.django_db(transaction=True)
def test_a_denied_read_is_committed_to_the_log_although_the_request_fails(employer, citizen, issued, grant):
    revoke(citizen, grant["id"])
    assert employer.get(read_url(grant["id"])).status_code == 403
    # With real transactions, the denial must have committed before the 403 was raised.
    assert AccessEvent.objects.filter(pod=citizen.pod, reason="grant-revoked").count() == 1
