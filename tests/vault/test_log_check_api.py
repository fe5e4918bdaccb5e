"""The API's check of the whole log runs in the background, as the portal's does
(vault.logcheck): POST asks for one (202, a Location to follow; the same check again while one of
the same head is under way), GET gives the latest result with the head it checked and whether
the log has grown since, and never recomputes in the request."""

import pytest

from consent.services import approve_request
from tests.support import LOG_VERIFY, assert_problem, checked_log
from tests.vault.logtamper import as_dba
from vault import accesslog
from vault.models import AccessEvent, LogCheck, PodLog


def _head(citizen) -> tuple[int, str]:
    return PodLog.objects.filter(pk=citizen.pod.pk).values_list("size", "head_hash").get()


def test_before_any_check_the_latest_result_is_empty_and_says_the_log_now(citizen):
    response = citizen.get(LOG_VERIFY)
    assert response.status_code == 200
    body = response.json()
    assert body["checkId"] is None and body["valid"] is None and body["stale"] is None
    assert body["working"] is None
    assert body["logSize"] == _head(citizen)[0]
    assert body["checkpoint"]["treeSize"] == body["logSize"]


def test_asking_answers_202_with_where_to_follow_the_check(citizen):
    asked = citizen.post(LOG_VERIFY)  # the task waits for the commit, which this test never makes
    assert asked.status_code == 202
    body = asked.json()
    assert asked["Location"] == f"/api/v1/pod/log/checks/{body['id']}"
    size, head_hash = _head(citizen)
    assert (body["status"], body["valid"], body["checkedSize"], body["checkedHeadHash"]) == (
        "queued",
        None,
        size,
        head_hash,
    )
    assert body["stale"] is False
    followed = citizen.get(asked["Location"])
    assert followed.status_code == 200 and followed.json()["status"] == "queued"
    latest = citizen.get(LOG_VERIFY).json()
    assert latest["checkId"] is None and latest["working"]["id"] == body["id"]


def test_asking_again_while_a_check_of_the_same_head_waits_gives_the_same_check(citizen):
    first, second = citizen.post(LOG_VERIFY), citizen.post(LOG_VERIFY)
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["id"] == second.json()["id"] and first["Location"] == second["Location"]
    assert LogCheck.objects.filter(pod=citizen.pod).count() == 1


def test_the_check_runs_in_its_task_and_its_result_is_the_latest(
    citizen, issued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        asked = citizen.post(LOG_VERIFY)
    done = citizen.get(asked["Location"]).json()
    entries = AccessEvent.objects.filter(pod=citizen.pod).count()
    assert (done["status"], done["progress"], done["valid"], done["entries"], done["problem"]) == (
        "done",
        100,
        True,
        entries,
        "",
    )
    latest = citizen.get(LOG_VERIFY).json()
    assert latest["checkId"] == done["id"] and latest["valid"] is True and latest["stale"] is False
    assert latest["head"] == _head(citizen)[1] and latest["checkedAt"] == done["finishedAt"]


def test_the_latest_result_is_read_not_recomputed(citizen, monkeypatch):
    checked_log(citizen)

    def recompute(*args, **kwargs):
        raise AssertionError("GET recomputed the log")

    monkeypatch.setattr(accesslog, "verify_chain", recompute)
    assert citizen.get(LOG_VERIFY).json()["valid"] is True


def test_an_append_makes_the_result_stale_and_asking_again_checks_the_new_head(
    citizen, pending, django_capture_on_commit_callbacks
):
    first = checked_log(citizen)
    approve_request(citizen=citizen.user, request_id=pending.pk)  # appends to the log
    stale = citizen.get(LOG_VERIFY).json()
    assert stale["stale"] is True and stale["checkId"] == first["checkId"]
    assert stale["logSize"] == first["logSize"] + 1
    assert citizen.get(f"/api/v1/pod/log/checks/{first['checkId']}").json()["stale"] is True
    again = checked_log(citizen)
    assert again["checkId"] != first["checkId"] and again["entries"] == first["entries"] + 1


def test_tampering_after_an_intact_check_is_reported_by_the_next(citizen, issued):
    assert checked_log(citizen)["valid"] is True
    first = AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").first()
    with as_dba():
        AccessEvent.objects.filter(pk=first.pk).update(actor_label="Someone else")
    broken = checked_log(citizen)  # the head did not move: asking again recomputes all the same
    assert broken["valid"] is False and broken["firstBrokenSeq"] == first.seq
    assert citizen.get(LOG_VERIFY).json()["checkId"] == broken["checkId"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_query_parameter_is_refused_by_name(citizen, method):
    response = getattr(citizen, method)(f"{LOG_VERIFY}?full=1&since=3")
    body = assert_problem(response, 400)
    assert "full" in str(body) and "since" in str(body)
    assert LogCheck.objects.filter(pod=citizen.pod).count() == 0


def test_a_body_is_refused_by_its_fields_names(citizen):
    body = assert_problem(citizen.post(LOG_VERIFY, {"force": True}), 400)
    assert "force" in str(body)
    assert LogCheck.objects.filter(pod=citizen.pod).count() == 0


def test_a_check_is_its_owners_alone(citizen, other_citizen, employer, anonymous):
    asked = citizen.post(LOG_VERIFY)
    assert_problem(other_citizen.get(asked["Location"]), 404, "log-check-not-found")
    assert_problem(citizen.get("/api/v1/pod/log/checks/0b1d7a37-3d0e-4d5c-9a52-6ad4d4e8a9f1"), 404)
    assert_problem(employer.post(LOG_VERIFY), 403)
    assert_problem(anonymous.post(LOG_VERIFY), 401)
    assert_problem(anonymous.get(asked["Location"]), 401)
    assert other_citizen.get(LOG_VERIFY).json()["working"] is None  # not the other's check
