"""Access requests: what a requester may ask, and how the citizen approves (narrowing only) or denies."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from consent.models import AccessRequest, Grant
from consent.services import MAX_GRANT_PERIOD
from tests.support import assert_problem, pointers
from vault.models import AccessEvent
from vc.types import CREDENTIAL_TYPES

from .conftest import DIPLOMA, HR, approve, file_request, request_body

REQUESTS = "/api/v1/access-requests"


def decide_url(request_id: str, action: str) -> str:
    return f"/api/v1/pod/access-requests/{request_id}/{action}"


def log_of(citizen) -> list[tuple[str, str, str]]:
    events = AccessEvent.objects.filter(pod=citizen.pod).order_by("seq")
    return [(e.action, e.actor_label, e.credential_type) for e in events]


# --- filing ------------------------------------------------------------------------------------


def test_a_filed_request_is_pending_and_logged_in_the_pod(employer, citizen):
    filed = file_request(employer)
    assert filed["status"] == "pending"
    assert filed["requester"] == "Acme Recruiting"
    assert filed["credentialTypes"] == [DIPLOMA]
    assert filed["grantId"] is None and filed["decidedAt"] is None
    [entry] = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.REQUEST_FILED)
    assert (entry.actor_label, entry.purpose, str(entry.request_id)) == ("Acme Recruiting", HR, filed["id"])


def test_the_citizen_is_told_after_commit(employer, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        file_request(employer)
    assert len(callbacks) == 1
    [message] = mail.outbox
    assert message.to == ["an@example.org"]
    assert message.subject == "Citizen Vault: New access request"
    # That something happened and where to look; not who asked, nor for what (mail is read by others).
    assert "http://127.0.0.1:8000/portal/inbox" in message.body
    assert "Acme" not in message.body + message.subject
    assert DIPLOMA not in message.body + message.subject


def test_repeated_types_are_asked_once(employer, citizen):
    assert file_request(employer, credentialTypes=[DIPLOMA, DIPLOMA])["credentialTypes"] == [DIPLOMA]


def test_an_unknown_credential_type_is_a_422_listing_the_supported_ones(employer, citizen):
    response = employer.post(REQUESTS, request_body(credentialTypes=[DIPLOMA, "PassportCredential"]))
    problem = assert_problem(response, 422, "unknown-credential-type")
    assert problem["supportedTypes"] == sorted(CREDENTIAL_TYPES)
    assert "PassportCredential" in problem["detail"]


@pytest.mark.parametrize("purpose", ["dpv:Marketing", "Marketing", "", "dpv:humanresourcemanagement"])
def test_an_unknown_purpose_is_a_400(employer, citizen, purpose):
    problem = assert_problem(employer.post(REQUESTS, request_body(purpose=purpose)), 400, "validation-error")
    assert pointers(problem) == ["/purpose"]


@pytest.mark.parametrize(
    "until",
    [
        lambda now: now - timedelta(days=1),
        lambda now: now - timedelta(seconds=1),
        lambda now: now + MAX_GRANT_PERIOD + timedelta(minutes=1),
        lambda now: now + timedelta(days=3650),
    ],
    ids=["yesterday", "a-second-ago", "just-over-366-days", "ten-years"],
)
def test_a_period_in_the_past_or_longer_than_366_days_is_a_422(employer, citizen, until):
    valid_until = until(timezone.now()).isoformat()
    response = employer.post(REQUESTS, request_body(validUntil=valid_until))
    assert_problem(response, 422, "invalid-access-request")
    assert not AccessRequest.objects.exists()


def test_a_period_of_just_under_366_days_is_accepted(employer, citizen):
    valid_until = timezone.now() + MAX_GRANT_PERIOD - timedelta(minutes=1)
    assert file_request(employer, validUntil=valid_until.isoformat())["status"] == "pending"


@pytest.mark.parametrize("valid_until", ["tomorrow", "2026-13-01T00:00:00Z", ""])
def test_an_unreadable_date_is_a_400(employer, citizen, valid_until):
    response = employer.post(REQUESTS, request_body(validUntil=valid_until))
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/validUntil"]


def test_a_number_with_no_pod_is_filed_as_any_other_not_a_404(employer, citizen):
    """Since 2026-12-03: no answer says whether a person uses the service (test_held_requests)."""
    response = employer.post(REQUESTS, request_body(citizen={"nationalId": "BE:99999999964"}))
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"
    assert AccessRequest.objects.get(pk=response.json()["id"]).pod is None


def test_a_malformed_number_is_still_a_422(employer, citizen):
    response = employer.post(REQUESTS, request_body(citizen={"nationalId": "BE:12"}))
    assert_problem(response, 422, "invalid-national-id")
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"credentialTypes": []}, "/credentialTypes"),
        ({"credentialTypes": DIPLOMA}, "/credentialTypes"),
        ({"credentialTypes": [DIPLOMA] * 21}, "/credentialTypes"),
        ({"purposeDescription": ""}, "/purposeDescription"),
        ({"purposeDescription": "x" * 501}, "/purposeDescription"),
        ({"citizen": {}}, "/citizen/nationalId"),
    ],
)
def test_a_malformed_request_is_a_400_pointing_at_the_field(employer, citizen, overrides, pointer):
    problem = assert_problem(employer.post(REQUESTS, request_body(**overrides)), 400, "validation-error")
    assert pointers(problem) == [pointer]


def test_a_refused_request_leaves_no_trace_in_the_pod(employer, citizen):
    before = log_of(citizen)
    employer.post(REQUESTS, request_body(credentialTypes=["PassportCredential"]))
    employer.post(REQUESTS, request_body(validUntil=(timezone.now() - timedelta(1)).isoformat()))
    assert log_of(citizen) == before
    assert not AccessRequest.objects.exists()


def test_requests_can_be_filtered_by_status(employer, citizen):
    first, second = file_request(employer), file_request(employer)
    approve(citizen, first["id"])

    def listed(actor, path):
        return sorted(r["id"] for r in actor.get(path).json()["results"])

    assert listed(citizen, "/api/v1/pod/access-requests?status=pending") == [second["id"]]
    assert listed(citizen, "/api/v1/pod/access-requests?status=approved") == [first["id"]]
    assert listed(employer, f"{REQUESTS}?status=pending") == [second["id"]]
    assert listed(employer, REQUESTS) == sorted([first["id"], second["id"]])


@pytest.mark.parametrize("path", [REQUESTS, "/api/v1/pod/access-requests"])
def test_an_unknown_status_filter_is_a_400(employer, citizen, path):
    actor = employer if path == REQUESTS else citizen
    assert pointers(assert_problem(actor.get(f"{path}?status=nonsense"), 400, "validation-error")) == [
        "/status"
    ]


# --- approving ---------------------------------------------------------------------------------


def test_approving_as_asked_grants_what_was_asked(employer, citizen, pending_request):
    grant = approve(citizen, pending_request["id"])
    assert grant["status"] == "active"
    assert grant["credentialTypes"] == [DIPLOMA]
    assert grant["purpose"] == HR
    assert grant["grantee"] == "Acme Recruiting"
    assert grant["requestId"] == pending_request["id"]
    assert datetime.fromisoformat(grant["validUntil"]) == datetime.fromisoformat(
        pending_request["validUntil"]
    )
    seen = employer.get(f"{REQUESTS}/{pending_request['id']}").json()
    assert (seen["status"], seen["grantId"]) == ("approved", grant["id"])
    assert ("request.approved", "the pod owner", DIPLOMA) in log_of(citizen)


def test_approving_a_subset_of_the_types_narrows_the_grant(employer, citizen, identity_type):
    filed = file_request(employer, credentialTypes=[DIPLOMA, identity_type])
    assert filed["credentialTypes"] == [DIPLOMA, identity_type]
    grant = approve(citizen, filed["id"], credentialTypes=[DIPLOMA])
    assert grant["credentialTypes"] == [DIPLOMA]
    approvals = [e for e in log_of(citizen) if e[0] == "request.approved"]
    assert approvals == [("request.approved", "the pod owner", DIPLOMA)]


@pytest.mark.parametrize("types", [[DIPLOMA, "IdentityCardCredential"], ["IdentityCardCredential"]])
def test_approving_types_that_were_not_asked_is_a_422(employer, citizen, identity_type, types):
    filed = file_request(employer)
    response = citizen.post(decide_url(filed["id"], "approve"), {"credentialTypes": types})
    assert_problem(response, 422, "invalid-narrowing")
    assert AccessRequest.objects.get(pk=filed["id"]).status == "pending"
    assert not Grant.objects.exists()


def test_approving_no_types_is_a_400(citizen, pending_request):
    response = citizen.post(decide_url(pending_request["id"], "approve"), {"credentialTypes": []})
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/credentialTypes"]


def test_approving_for_a_shorter_period_ends_the_grant_earlier(citizen, pending_request):
    until = timezone.now() + timedelta(days=7)
    grant = approve(citizen, pending_request["id"], validUntil=until.isoformat())
    assert datetime.fromisoformat(grant["validUntil"]) == until


def test_approving_for_a_longer_period_than_asked_is_a_422(citizen, pending_request):
    asked = datetime.fromisoformat(pending_request["validUntil"])
    response = citizen.post(
        decide_url(pending_request["id"], "approve"),
        {"validUntil": (asked + timedelta(seconds=1)).isoformat()},
    )
    assert_problem(response, 422, "invalid-narrowing")
    assert AccessRequest.objects.get(pk=pending_request["id"]).status == "pending"


def test_approving_with_an_end_in_the_past_is_a_422(citizen, pending_request):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    response = citizen.post(decide_url(pending_request["id"], "approve"), {"validUntil": past})
    assert_problem(response, 422, "invalid-narrowing")


def test_a_request_past_its_answer_by_date_cannot_be_approved(citizen, pending_request):
    AccessRequest.objects.filter(pk=pending_request["id"]).update(
        answer_by=timezone.now() - timedelta(seconds=1)
    )
    assert_problem(citizen.post(decide_url(pending_request["id"], "approve"), {}), 409, "invalid-transition")
    # It shows as expired, not as something still waiting for an answer.
    assert citizen.get("/api/v1/pod/access-requests?status=pending").json()["results"] == []
    [expired] = citizen.get("/api/v1/pod/access-requests?status=expired").json()["results"]
    assert expired["id"] == pending_request["id"]
    assert expired["status"] == "expired"


# --- denying, and the state machine ------------------------------------------------------------


def test_denying_records_the_decision_and_grants_nothing(employer, citizen, pending_request):
    response = citizen.post(decide_url(pending_request["id"], "deny"), {"reason": "Not looking for a job."})
    assert response.status_code == 200
    assert response.json()["status"] == "denied"
    assert response.json()["decidedAt"] is not None
    stored = AccessRequest.objects.get(pk=pending_request["id"])
    assert stored.denial_reason == "Not looking for a job."
    assert not Grant.objects.exists()
    seen = employer.get(f"{REQUESTS}/{pending_request['id']}").json()
    assert (seen["status"], seen["grantId"]) == ("denied", None)
    [entry] = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.REQUEST_DENIED)
    assert (entry.actor_label, entry.reason) == ("the pod owner", "denied-by-citizen")
    # The citizen's words stay with the request, out of the log.
    assert "job" not in entry.reason


@pytest.mark.parametrize(
    ("first", "then"),
    [("approve", "approve"), ("approve", "deny"), ("deny", "deny"), ("deny", "approve")],
)
def test_a_decided_request_cannot_be_decided_again(citizen, pending_request, first, then):
    assert citizen.post(decide_url(pending_request["id"], first), {}).status_code in (200, 201)
    status_before = AccessRequest.objects.get(pk=pending_request["id"]).status
    events_before = AccessEvent.objects.filter(pod=citizen.pod).count()
    response = citizen.post(decide_url(pending_request["id"], then), {})
    assert_problem(response, 409, "invalid-transition")
    assert AccessRequest.objects.get(pk=pending_request["id"]).status == status_before
    assert Grant.objects.count() == (1 if first == "approve" else 0)
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == events_before
