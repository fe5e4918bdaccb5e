"""The lifecycle of requests and grants: one service per transition, every other one a 409, each
logged in the citizen's pod; read limits; expiry by the clock and by the sweep."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from consent import services
from consent.errors import InvalidTransition
from consent.models import AccessRequest, Grant
from inbox.models import Notification
from tests.support import assert_problem, pointers
from vault.models import AccessEvent

from .conftest import approve, file_request, read_url


def last_entry(citizen) -> AccessEvent:
    return AccessEvent.objects.filter(pod=citizen.pod).order_by("-seq").first()


def actions(citizen) -> list[str]:
    return list(AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").values_list("action", flat=True))


def withdraw_request(client, request_id: str, body=None):
    return client.post(f"/api/v1/access-requests/{request_id}/withdraw", body)


def withdraw_grant(client, grant_id: str, body=None):
    return client.post(f"/api/v1/grants/{grant_id}/withdraw", body)


def lower_limit(client, grant_id: str, max_reads):
    return client.post(f"/api/v1/pod/grants/{grant_id}/read-limit", {"maxReads": max_reads})


def limited_grant(employer, citizen, max_reads: int, asked: int | None = None) -> dict:
    filed = file_request(employer, maxReads=asked if asked is not None else max_reads)
    return approve(citizen, filed["id"], maxReads=max_reads)


# --- requests: answer-by dates -----------------------------------------------------------------


def test_a_request_must_be_answered_within_fourteen_days_by_default(employer, citizen):
    filed = file_request(employer, validUntil=(timezone.now() + timedelta(days=90)).isoformat())
    request = AccessRequest.objects.get(pk=filed["id"])
    assert timedelta(days=14) - (request.answer_by - request.created_at) < timedelta(seconds=5)
    assert filed["answerBy"] and filed["maxReads"] is None


def test_the_default_answer_by_date_never_passes_the_access_asked_for(employer, citizen):
    until = timezone.now() + timedelta(days=3)
    filed = file_request(employer, validUntil=until.isoformat())
    assert (
        AccessRequest.objects.get(pk=filed["id"]).answer_by
        == AccessRequest.objects.get(pk=filed["id"]).requested_until
    )


@pytest.mark.parametrize("days", [-1, 31])
def test_an_answer_by_date_in_the_past_or_after_the_end_is_refused(employer, citizen, days):
    from .conftest import request_body

    body = request_body(answerBy=(timezone.now() + timedelta(days=days)).isoformat())
    problem = assert_problem(employer.post("/api/v1/access-requests", body), 422, "invalid-access-request")
    assert "answerBy" in problem["detail"]
    assert AccessRequest.objects.count() == 0


@pytest.mark.parametrize("value", [0, -3, 10_001, "many"])
def test_a_read_limit_out_of_range_is_a_400(employer, citizen, value):
    from .conftest import request_body

    response = employer.post("/api/v1/access-requests", request_body(maxReads=value))
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/maxReads"]


# --- requests: withdrawn by the requester ------------------------------------------------------


def test_the_requester_withdraws_a_pending_request_and_it_is_logged(employer, citizen, pending_request):
    response = withdraw_request(employer, pending_request["id"])
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn" and response.json()["decidedAt"]
    entry = last_entry(citizen)
    assert (entry.action, entry.actor_organisation_id) == ("request.withdrawn", employer.organisation.pk)
    assert str(entry.request_id) == pending_request["id"]


def test_a_withdrawn_request_can_no_longer_be_approved_or_withdrawn(employer, citizen, pending_request):
    withdraw_request(employer, pending_request["id"])
    before = actions(citizen)
    problem = assert_problem(
        citizen.post(f"/api/v1/pod/access-requests/{pending_request['id']}/approve", {}),
        409,
        "invalid-transition",
    )
    assert problem["state"] == "withdrawn"
    assert_problem(withdraw_request(employer, pending_request["id"]), 409, "invalid-transition")
    assert actions(citizen) == before
    assert not Grant.objects.exists()


def test_an_approved_request_cannot_be_withdrawn_the_grant_can(employer, citizen, issued, grant):
    assert_problem(withdraw_request(employer, grant["requestId"]), 409, "invalid-transition")
    assert withdraw_grant(employer, grant["id"]).status_code == 200


@pytest.mark.parametrize("who", ["other_employer", "citizen", "anonymous"])
def test_only_the_requester_withdraws_its_request(request, pending_request, who):
    response = withdraw_request(request.getfixturevalue(who), pending_request["id"])
    assert response.status_code == {"other_employer": 404, "citizen": 403, "anonymous": 401}[who]
    assert AccessRequest.objects.get(pk=pending_request["id"]).status == "pending"


def test_a_withdrawal_with_a_body_that_says_anything_is_a_400(employer, citizen, pending_request):
    response = withdraw_request(employer, pending_request["id"], {"reason": "changed our mind"})
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/reason"]
    assert AccessRequest.objects.get(pk=pending_request["id"]).status == "pending"


# --- requests: expired unanswered --------------------------------------------------------------


def _past_answer_by(request_id: str) -> None:
    AccessRequest.objects.filter(pk=request_id).update(answer_by=timezone.now() - timedelta(seconds=1))


def test_the_sweep_expires_an_unanswered_request_once_and_logs_it(employer, citizen, pending_request):
    _past_answer_by(pending_request["id"])
    assert services.sweep_lifecycle()["requestsExpired"] == 1
    request = AccessRequest.objects.get(pk=pending_request["id"])
    assert request.status == "expired" and request.decided_at is not None
    entry = last_entry(citizen)
    assert (entry.action, entry.actor_kind, entry.reason) == ("request.expired", "system", "unanswered")
    before = actions(citizen)
    assert services.sweep_lifecycle()["requestsExpired"] == 0  # idempotent
    assert actions(citizen) == before
    assert_problem(withdraw_request(employer, pending_request["id"]), 409, "invalid-transition")


def test_an_expired_request_is_expired_before_the_sweep_records_it(employer, citizen, pending_request):
    _past_answer_by(pending_request["id"])
    listed = employer.get(f"/api/v1/access-requests/{pending_request['id']}").json()
    assert listed["status"] == "expired"
    assert_problem(withdraw_request(employer, pending_request["id"]), 409, "invalid-transition")


def test_a_request_not_yet_due_cannot_be_expired(pending_request):
    with pytest.raises(InvalidTransition):
        services.expire_request(request_id=pending_request["id"])
    assert services.sweep_lifecycle()["requestsExpired"] == 0


# --- grants: withdrawn by the grantee ----------------------------------------------------------


def test_the_grantee_withdraws_a_grant_and_the_next_read_is_denied_and_logged(
    employer, citizen, issued, grant
):
    response = withdraw_grant(employer, grant["id"])
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn" and response.json()["endedAt"]
    assert response.json()["revokedAt"] is None
    assert last_entry(citizen).action == "grant.withdrawn"
    assert assert_problem(employer.get(read_url(grant["id"])), 403, "grant-withdrawn")["reason"] == (
        "grant-withdrawn"
    )
    entry = last_entry(citizen)
    assert (entry.action, entry.outcome, entry.reason) == ("access.denied", "denied", "grant-withdrawn")


def test_a_withdrawn_grant_cannot_be_revoked_or_withdrawn_again(employer, citizen, issued, grant):
    withdraw_grant(employer, grant["id"])
    assert_problem(citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke"), 409, "invalid-transition")
    assert_problem(withdraw_grant(employer, grant["id"]), 409, "invalid-transition")
    assert_problem(lower_limit(citizen, grant["id"], 1), 409, "invalid-transition")


def test_a_revoked_grant_cannot_be_withdrawn(employer, citizen, issued, grant):
    citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke")
    assert_problem(withdraw_grant(employer, grant["id"]), 409, "invalid-transition")
    assert Grant.objects.get(pk=grant["id"]).status == "revoked"


@pytest.mark.parametrize("who", ["other_employer", "citizen", "anonymous"])
def test_only_the_grantee_withdraws_its_grant(request, grant, who):
    response = withdraw_grant(request.getfixturevalue(who), grant["id"])
    assert response.status_code == {"other_employer": 404, "citizen": 403, "anonymous": 401}[who]
    assert Grant.objects.get(pk=grant["id"]).status == "active"


# --- grants: read limits -----------------------------------------------------------------------


def test_a_grant_may_not_allow_more_reads_than_asked(employer, citizen, issued):
    filed = file_request(employer, maxReads=2)
    response = citizen.post(f"/api/v1/pod/access-requests/{filed['id']}/approve", {"maxReads": 3})
    assert_problem(response, 422, "invalid-narrowing")
    assert approve(citizen, filed["id"])["maxReads"] == 2  # as asked, by default


def test_the_citizen_may_limit_a_request_that_asked_for_no_limit(employer, citizen, issued, pending_request):
    assert approve(citizen, pending_request["id"], maxReads=1)["maxReads"] == 1


def test_the_read_that_takes_the_last_read_exhausts_the_grant(
    employer, citizen, issued, django_capture_on_commit_callbacks
):
    grant = limited_grant(employer, citizen, 2)
    assert employer.get(read_url(grant["id"])).status_code == 200
    assert Grant.objects.get(pk=grant["id"]).reads_used == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert employer.get(read_url(grant["id"])).status_code == 200
    stored = Grant.objects.get(pk=grant["id"])
    assert (stored.status, stored.reads_used) == ("exhausted", 2) and stored.ended_at
    assert actions(citizen)[-2:] == ["credential.read", "grant.exhausted"]
    # The citizen is told, in the inbox and by e-mail.
    [notice] = Notification.objects.filter(kind="grant.exhausted")
    assert str(notice.grant_id) == grant["id"] and notice.actor_label == "Acme Recruiting"
    assert mail.outbox[-1].subject == "Citizen Vault: A grant's reads are all used"


def test_a_read_past_the_limit_is_denied_and_logged(employer, citizen, issued):
    grant = limited_grant(employer, citizen, 1)
    assert employer.get(read_url(grant["id"])).status_code == 200
    problem = assert_problem(employer.get(read_url(grant["id"])), 403, "grant-exhausted")
    assert problem["reason"] == "grant-exhausted"
    entry = last_entry(citizen)
    assert (entry.action, entry.reason) == ("access.denied", "grant-exhausted")
    assert Grant.objects.get(pk=grant["id"]).reads_used == 1
    assert citizen.get("/api/v1/pod/grants").json()["results"][0]["status"] == "exhausted"


def test_a_denied_read_does_not_count(employer, citizen, issued):
    grant = limited_grant(employer, citizen, 1)
    assert employer.get(read_url(grant["id"], purpose="dpv:ResearchAndDevelopment")).status_code == 403
    assert employer.get(read_url(grant["id"], credential_type="PassportCredential")).status_code == 422
    assert Grant.objects.get(pk=grant["id"]).reads_used == 0
    assert employer.get(read_url(grant["id"])).status_code == 200


def test_the_citizen_lowers_the_limit_and_it_is_logged(employer, citizen, issued):
    grant = limited_grant(employer, citizen, 5)
    response = lower_limit(citizen, grant["id"], 3)
    assert response.status_code == 200, response.json()
    assert (response.json()["maxReads"], response.json()["readsUsed"]) == (3, 0)
    entry = last_entry(citizen)
    assert (entry.action, entry.actor_kind, entry.reason) == ("grant.limit_lowered", "citizen", "max-reads:3")


def test_the_citizen_may_limit_an_unlimited_grant(employer, citizen, issued, grant):
    assert lower_limit(citizen, grant["id"], 4).json()["maxReads"] == 4


def test_the_citizen_may_never_raise_the_limit(employer, citizen, issued):
    grant = limited_grant(employer, citizen, 2)
    before = actions(citizen)
    assert (
        "lowered" in assert_problem(lower_limit(citizen, grant["id"], 3), 422, "invalid-narrowing")["detail"]
    )
    assert Grant.objects.get(pk=grant["id"]).max_reads == 2
    assert actions(citizen) == before


def test_the_same_limit_again_changes_and_logs_nothing(employer, citizen, issued):
    grant = limited_grant(employer, citizen, 2)
    before = actions(citizen)
    assert lower_limit(citizen, grant["id"], 2).status_code == 200
    assert actions(citizen) == before


def test_lowering_the_limit_to_the_reads_made_ends_the_grant_without_telling_the_citizen(
    employer, citizen, issued
):
    grant = limited_grant(employer, citizen, 3)
    employer.get(read_url(grant["id"]))
    response = lower_limit(citizen, grant["id"], 1)
    assert response.json()["status"] == "exhausted"
    assert actions(citizen)[-2:] == ["grant.limit_lowered", "grant.exhausted"]
    assert not Notification.objects.filter(kind="grant.exhausted").exists()
    assert_problem(employer.get(read_url(grant["id"])), 403, "grant-exhausted")


def test_the_limit_cannot_go_below_the_reads_made(employer, citizen, issued):
    grant = limited_grant(employer, citizen, 3)
    employer.get(read_url(grant["id"]))
    employer.get(read_url(grant["id"]))
    assert_problem(lower_limit(citizen, grant["id"], 1), 422, "invalid-narrowing")
    assert Grant.objects.get(pk=grant["id"]).max_reads == 3


@pytest.mark.parametrize(
    ("body", "pointer"), [({}, "/maxReads"), ({"maxReads": 0}, "/maxReads"), ({"maxReads": 1, "x": 1}, "/x")]
)
def test_a_read_limit_body_is_strict(citizen, issued, grant, body, pointer):
    response = citizen.post(f"/api/v1/pod/grants/{grant['id']}/read-limit", body)
    assert pointers(assert_problem(response, 400, "validation-error")) == [pointer]


@pytest.mark.parametrize("who", ["other_citizen", "employer", "anonymous"])
def test_only_the_citizen_lowers_the_limit(request, grant, who):
    response = lower_limit(request.getfixturevalue(who), grant["id"], 1)
    assert response.status_code == {"other_citizen": 404, "employer": 403, "anonymous": 401}[who]
    assert Grant.objects.get(pk=grant["id"]).max_reads is None


def test_an_exhausted_grant_cannot_be_revoked_or_withdrawn(employer, citizen, issued):
    grant = limited_grant(employer, citizen, 1)
    employer.get(read_url(grant["id"]))
    assert_problem(citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke"), 409, "invalid-transition")
    assert_problem(withdraw_grant(employer, grant["id"]), 409, "invalid-transition")


# --- grants: expiry ----------------------------------------------------------------------------


def _ended(grant_id: str) -> None:
    Grant.objects.filter(pk=grant_id).update(
        valid_from=timezone.now() - timedelta(days=2), valid_until=timezone.now() - timedelta(seconds=1)
    )


def test_a_read_after_expiry_is_denied_without_the_sweep(employer, citizen, issued, grant):
    _ended(grant["id"])
    assert_problem(employer.get(read_url(grant["id"])), 403, "grant-expired")
    assert last_entry(citizen).reason == "grant-expired"
    assert Grant.objects.get(pk=grant["id"]).status == "active"  # nothing recorded it yet


def test_the_sweep_expires_a_grant_once_and_reads_stay_denied(employer, citizen, issued, grant):
    _ended(grant["id"])
    assert services.sweep_lifecycle()["grantsExpired"] == 1
    stored = Grant.objects.get(pk=grant["id"])
    assert stored.status == "expired" and stored.ended_at is not None
    entry = last_entry(citizen)
    assert (entry.action, entry.actor_kind) == ("grant.expired", "system")
    assert services.sweep_lifecycle()["grantsExpired"] == 0
    assert actions(citizen).count("grant.expired") == 1
    assert_problem(employer.get(read_url(grant["id"])), 403, "grant-expired")
    assert_problem(citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke"), 409, "invalid-transition")


def test_a_grant_not_yet_ended_cannot_be_expired(grant):
    with pytest.raises(InvalidTransition):
        services.expire_grant(grant_id=grant["id"])


def test_the_citizen_is_told_once_that_a_grant_ends_soon(
    employer, citizen, issued, grant, django_capture_on_commit_callbacks
):
    Grant.objects.filter(pk=grant["id"]).update(valid_until=timezone.now() + timedelta(days=2))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_lifecycle()["expiryNotices"] == 1
        assert services.sweep_lifecycle()["expiryNotices"] == 0
    [notice] = Notification.objects.filter(kind="grant.expiring")
    assert str(notice.grant_id) == grant["id"]
    [message] = mail.outbox
    assert message.subject == "Citizen Vault: A grant is about to expire"
    assert "Acme" not in message.body


def test_a_grant_ending_later_is_not_announced_yet(employer, citizen, issued, grant):
    assert services.sweep_lifecycle()["expiryNotices"] == 0


def test_the_sweep_task_runs_the_sweep(employer, citizen, pending_request):
    from consent.tasks import sweep_lifecycle

    _past_answer_by(pending_request["id"])
    assert sweep_lifecycle.delay().get()["requestsExpired"] == 1


def test_the_sweep_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["consent-lifecycle-sweep"]
    assert entry["task"] == "consent.tasks.sweep_lifecycle"
    assert entry["schedule"] == 300.0


# --- the state machine, written down once ------------------------------------------------------


def test_every_state_but_pending_and_active_is_final():
    assert set(AccessRequest.TRANSITIONS) == {"pending"}
    assert AccessRequest.TRANSITIONS["pending"] == {"approved", "denied", "withdrawn", "expired"}
    assert set(Grant.TRANSITIONS) == {"active"}
    assert Grant.TRANSITIONS["active"] == {"revoked", "withdrawn", "expired", "exhausted"}


def test_the_citizens_log_says_how_a_grant_ended(employer, citizen, issued):
    grant = limited_grant(employer, citizen, 1)
    employer.get(read_url(grant["id"]))
    other = approve(citizen, file_request(employer)["id"])
    withdraw_grant(employer, other["id"])
    shown = {
        entry.action: entry.shown_outcome
        for entry in AccessEvent.objects.filter(
            pod=citizen.pod, action__in=["grant.exhausted", "grant.withdrawn"]
        )
    }
    assert shown == {
        "grant.exhausted": ("denied", "All reads used"),
        "grant.withdrawn": ("denied", "Withdrawn"),
    }
