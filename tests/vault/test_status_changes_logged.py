"""An issuer revoking, suspending or reinstating a credential is written to the holder's log, in
the same transaction as the change: the citizen sees who changed what about their diploma."""

import pytest
from django.db import transaction

from credentials.models import StatusEntry
from credentials.signals import credential_status_changed
from credentials.statuslist import set_status
from tests.support import assert_problem, checked_log
from vault.models import AccessEvent
from vc.statuslist import bit_is_set


def status(university, credential_id, purpose, value):
    return university.post(
        "/credentials/status",
        {
            "credentialId": credential_id,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": purpose}],
            "status": value,
        },
        format="json",
    )


def last_entries(citizen, count):
    return list(AccessEvent.objects.filter(pod=citizen.pod).order_by("-seq")[:count])[::-1]


def test_each_status_change_by_the_issuer_is_in_the_holders_log(university, citizen, issued):
    credential_id = issued["credentialId"]
    assert status(university, credential_id, "suspension", True).status_code == 200
    assert status(university, credential_id, "suspension", False).status_code == 200
    assert status(university, credential_id, "revocation", True).status_code == 200

    suspended, reinstated, revoked = last_entries(citizen, 3)
    assert [suspended.action, reinstated.action, revoked.action] == [
        "credential.suspended",
        "credential.reinstated",
        "credential.revoked",
    ]
    for entry in (suspended, reinstated, revoked):
        assert entry.actor_label == university.organisation.name
        assert entry.credential_type == "DiplomaCredential"
        assert entry.outcome == AccessEvent.Outcome.ALLOWED
    verdict = checked_log(citizen)
    assert verdict["valid"] is True


def test_a_change_that_changes_nothing_is_not_logged(university, citizen, issued):
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    assert status(university, issued["credentialId"], "suspension", False).status_code == 200
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before


def test_another_pods_log_is_untouched(university, citizen, other_citizen, issued):
    before = AccessEvent.objects.filter(pod=other_citizen.pod).count()
    assert status(university, issued["credentialId"], "revocation", True).status_code == 200
    assert AccessEvent.objects.filter(pod=other_citizen.pod).count() == before


def test_the_change_and_its_record_commit_together(university, citizen, issued):
    """A record that cannot be written takes the status change with it."""

    def failing_receiver(**kwargs):
        raise RuntimeError("the log is unavailable")

    credential_status_changed.connect(failing_receiver, dispatch_uid="test-failing")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            set_status(
                issuer=university.organisation,
                credential_id=issued["credentialId"],
                purpose="revocation",
                value=True,
            )
    finally:
        credential_status_changed.disconnect(dispatch_uid="test-failing")
    entry = StatusEntry.objects.select_related("status_list").get(
        credential_id=issued["credentialId"], status_purpose="revocation"
    )
    assert not bit_is_set(bytes(entry.status_list.bitstring), entry.index)
    assert not AccessEvent.objects.filter(pod=citizen.pod, action="credential.revoked").exists()


# Why: the issuer may say, with a reason from a short list and a note.


def test_the_reason_an_issuer_gives_is_kept_and_logged_in_the_holders_log(university, citizen, issued):
    response = university.post(
        "/credentials/status",
        {
            "credentialId": issued["credentialId"],
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}],
            "status": True,
            "reason": "under-review",
            "note": "  The exam board is looking at the grade.  ",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["reason"] == "under-review"
    entry = StatusEntry.objects.get(credential_id=issued["credentialId"], status_purpose="suspension")
    assert (entry.change_reason, entry.change_note) == (
        "under-review",
        "The exam board is looking at the grade.",
    )
    (logged,) = last_entries(citizen, 1)
    assert (logged.action, logged.reason) == ("credential.suspended", "under-review")
    assert checked_log(citizen)["valid"] is True
    # Reinstated without a word: the entry keeps nothing of the earlier reason.
    assert status(university, issued["credentialId"], "suspension", False).status_code == 200
    entry.refresh_from_db()
    assert (entry.change_reason, entry.change_note) == ("", "")
    assert last_entries(citizen, 1)[0].reason == ""


@pytest.mark.parametrize(
    ("extra", "http_status", "code", "named"),
    [
        ({"reason": "because"}, 400, "validation-error", "reason"),
        ({"note": "x" * 201}, 400, "validation-error", "note"),
        ({"why": "a typo"}, 400, "validation-error", "why"),
        ({"note": "hidden\u202etext"}, 422, "hidden-characters", None),
    ],
)
def test_a_reason_that_is_not_acceptable_changes_nothing(
    university, citizen, issued, extra, http_status, code, named
):
    body = {
        "credentialId": issued["credentialId"],
        "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}],
        "status": True,
        **extra,
    }
    problem = assert_problem(university.post("/credentials/status", body, format="json"), http_status, code)
    if named:
        assert named in problem["detail"] or named in str(problem.get("errors"))
    entry = StatusEntry.objects.select_related("status_list").get(
        credential_id=issued["credentialId"], status_purpose="revocation"
    )
    assert not bit_is_set(bytes(entry.status_list.bitstring), entry.index)
    assert not AccessEvent.objects.filter(pod=citizen.pod, action="credential.revoked").exists()
