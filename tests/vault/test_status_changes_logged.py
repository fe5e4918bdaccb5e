"""An issuer revoking, suspending or reinstating a credential is written to the holder's log, in
the same transaction as the change: the citizen sees who changed what about their diploma."""

import pytest
from django.db import transaction

from credentials.models import StatusEntry
from credentials.signals import credential_status_changed
from credentials.statuslist import set_status
from tests.support import checked_log
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
