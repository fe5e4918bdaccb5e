"""Erasure: asked for, cancellable during its grace period, then the key destroyed, rows deleted,
a tombstone kept; resumable when the run stops half-way."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts import timezones
from accounts.models import User
from tests.support import assert_problem
from vault import accesslog, crypto, erasure, logformat, logkeys
from vault.errors import PodErased
from vault.models import (
    AccessEvent,
    DocumentChunk,
    Pod,
    PodCredential,
    PodDocument,
    PodErasure,
    PodLog,
    PodTombstone,
)
from vault.tasks import perform_due_erasures

from .documentfiles import pdf

URL = "/api/v1/pod/erasure"


@pytest.fixture
def full_pod(citizen, issued, pending):
    """A pod with a credential, a document and an access request."""
    response = citizen.client.post(
        "/api/v1/pod/documents?type=cv", pdf("CANARY-erase"), content_type="application/pdf"
    )
    assert response.status_code == 201
    citizen.pending_id = pending.pk
    return citizen


def ask(citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = citizen.post(URL)
    assert response.status_code == 202, response.content
    return response.json()


def test_asking_sets_the_grace_period_logs_and_mails_after_commit(
    full_pod, django_capture_on_commit_callbacks, settings
):
    settings.POD_ERASURE_GRACE_DAYS = 7
    body = ask(full_pod, django_capture_on_commit_callbacks)
    pending = PodErasure.objects.get(pod=full_pod.pod)
    assert pending.due_at - pending.requested_at == timedelta(days=7)
    assert full_pod.get(URL).json()["dueAt"] == body["dueAt"]
    last = AccessEvent.objects.filter(pod=full_pod.pod).order_by("-seq").first()
    assert last.action == "erasure.requested" and last.reason.startswith("due ")
    assert [m.subject for m in mail.outbox] == ["Your Citizen Vault pod will be erased"]
    # When, in the portal's zone and saying so (the citizen never used the portal: English).
    assert f"for good on {timezones.in_words(pending.due_at)}: every credential" in mail.outbox[0].body
    assert "Brussels time" in mail.outbox[0].body and "UTC" not in mail.outbox[0].body
    assert_problem(full_pod.post(URL), 409, "erasure-pending")


def test_nothing_is_erased_before_the_grace_period_ends(full_pod, django_capture_on_commit_callbacks):
    ask(full_pod, django_capture_on_commit_callbacks)
    assert perform_due_erasures() == 0
    assert full_pod.get("/api/v1/pod/credentials").status_code == 200


def test_cancelling_keeps_everything_and_is_logged_and_mailed(full_pod, django_capture_on_commit_callbacks):
    ask(full_pod, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert full_pod.client.delete(URL).status_code == 204
    PodErasure.objects.all().update(due_at=timezone.now() - timedelta(days=1))  # nothing left to age
    assert perform_due_erasures() == 0
    assert PodCredential.objects.filter(pod=full_pod.pod).count() == 1
    assert AccessEvent.objects.filter(pod=full_pod.pod).order_by("-seq").first().action == "erasure.cancelled"
    assert mail.outbox[-1].subject == "The erasure of your Citizen Vault pod is cancelled"
    assert_problem(full_pod.client.delete(URL), 409, "erasure-not-pending")
    assert_problem(full_pod.get(URL), 409, "erasure-not-pending")


def due_now(citizen):
    PodErasure.objects.filter(pod=citizen.pod).update(due_at=timezone.now() - timedelta(seconds=1))


def test_a_due_erasure_destroys_the_key_deletes_every_row_and_keeps_a_tombstone(
    full_pod, django_capture_on_commit_callbacks
):
    pod_id, owner_id = full_pod.pod.pk, full_pod.user.pk
    ask(full_pod, django_capture_on_commit_callbacks)
    due_now(full_pod)
    assert perform_due_erasures() == 1

    tombstone = PodTombstone.objects.get(pod_id=pod_id)
    assert tombstone.completed_at is not None
    for model in (Pod, PodCredential, PodDocument, DocumentChunk, PodErasure, PodLog):
        field = (
            "pk" if model in (Pod, PodLog) else ("document__pod_id" if model is DocumentChunk else "pod_id")
        )
        assert not model.objects.filter(**{field: pod_id}).exists(), model
    assert not AccessEvent.objects.filter(pod_id=pod_id).exists()
    assert not User.objects.filter(pk=owner_id).exists()
    assert not full_pod.pod.access_requests.exists()
    # The final checkpoint is signed, of the whole log, whose last entry was the erasure itself.
    note = logformat.open_checkpoint(tombstone.final_checkpoint, logkeys.verifier_keys())
    assert note.checkpoint.size == tombstone.log_size
    assert note.checkpoint.origin == accesslog.origin_of(pod_id)
    assert perform_due_erasures() == 0  # idempotent


def test_the_key_is_destroyed_in_the_first_phase(full_pod, django_capture_on_commit_callbacks):
    """A run stopped after phase 1: nothing of the pod opens any more, and the next run finishes."""
    ask(full_pod, django_capture_on_commit_callbacks)
    due_now(full_pod)
    resource = PodCredential.objects.get(pod=full_pod.pod)
    ciphertext = bytes(resource.ciphertext)
    assert erasure.destroy_key(full_pod.pod.pk) is not None

    pod = Pod.objects.get(pk=full_pod.pod.pk)
    with pytest.raises(PodErased):
        crypto.data_key(pod)
    assert bytes(pod.data_key_sealed) == b"" and bytes(pod.holder_key_sealed) == b""
    assert AccessEvent.objects.filter(pod=pod).order_by("-seq").first().action == "pod.erased"
    assert ciphertext  # the rows are still there, unreadable
    assert erasure.due() == [pod.pk]
    assert perform_due_erasures() == 1
    assert PodTombstone.objects.get(pod_id=pod.pk).completed_at is not None


def test_between_the_two_phases_reads_are_a_410_not_an_integrity_failure(
    full_pod, employer, django_capture_on_commit_callbacks
):
    """After the key is destroyed and before the rows are gone, the owner's read and a grant read
    say the pod was erased (410), log nothing more, and are not reported as corrupted data (500)."""
    from consent.services import approve_request

    grant = approve_request(citizen=full_pod.user, request_id=full_pod.pending_id)
    ask(full_pod, django_capture_on_commit_callbacks)
    due_now(full_pod)
    assert erasure.destroy_key(full_pod.pod.pk) is not None
    entries = AccessEvent.objects.filter(pod=full_pod.pod).count()

    assert_problem(full_pod.get("/api/v1/pod/credentials"), 410, "pod-erased")
    read = employer.get(
        f"/api/v1/grants/{grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
        "&challenge=9f2c1e7a-erasure-nonce-01&domain=https://hr.example"
    )
    assert_problem(read, 410, "pod-erased")
    assert AccessEvent.objects.filter(pod=full_pod.pod).count() == entries


def test_a_run_stopped_during_deletion_is_finished_by_the_next(
    full_pod, django_capture_on_commit_callbacks, monkeypatch
):
    ask(full_pod, django_capture_on_commit_callbacks)
    due_now(full_pod)
    original = erasure._delete_in_batches
    calls = []

    def dies_on_the_fifth(queryset):
        calls.append(queryset.model)
        if len(calls) == 5:  # the credentials
            raise SystemExit("killed")
        return original(queryset)

    monkeypatch.setattr(erasure, "_delete_in_batches", dies_on_the_fifth)
    with pytest.raises(SystemExit):
        perform_due_erasures()
    assert not PodDocument.objects.filter(pod=full_pod.pod).exists()  # the batches before it went
    assert PodCredential.objects.filter(pod=full_pod.pod).exists()
    monkeypatch.undo()
    assert perform_due_erasures() == 1
    assert not Pod.objects.filter(pk=full_pod.pod.pk).exists()


def test_the_database_refuses_deleting_log_entries_of_a_pod_not_erased(full_pod, on_postgres):
    if not on_postgres:
        pytest.skip("the append-only trigger is PostgreSQL's")
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM vault_accessevent WHERE pod_id = %s", [full_pod.pod.pk])


def test_roles_on_the_erasure_endpoint(citizen, employer, anonymous):
    assert employer.post(URL).status_code == 403
    assert anonymous.post(URL).status_code == 401
    assert citizen.post(URL, {"now": True}).status_code == 400


def test_a_pod_a_restored_backup_brings_back_is_erased_again_from_the_kept_tombstones(
    full_pod, django_capture_on_commit_callbacks, tmp_path
):
    """Export the tombstones, 'restore' the pod (its rows come back), reapply: gone again."""
    from io import StringIO

    from django.core.management import call_command

    pod_id = full_pod.pod.pk
    kept = {"pod": Pod.objects.get(pk=pod_id)}
    ask(full_pod, django_capture_on_commit_callbacks)
    due_now(full_pod)
    assert perform_due_erasures() == 1
    out = StringIO()
    call_command("tombstones", "export", stdout=out)
    (tmp_path / "tombstones.jsonl").write_text(out.getvalue())

    # The restore: the pod row comes back with its wrapped data key (and its tombstone is gone).
    PodTombstone.objects.all().delete()
    restored = kept["pod"]
    User.objects.create(pk=restored.owner_id, username="restored", email="restored@example.org")
    Pod.objects.bulk_create([restored])
    assert crypto.data_key(Pod.objects.get(pk=pod_id))  # readable again, while the KEK lives

    out = StringIO()
    call_command("tombstones", "reapply", str(tmp_path / "tombstones.jsonl"), stdout=out)
    assert "1 pods the backup brought back were erased again" in out.getvalue()
    assert not Pod.objects.filter(pk=pod_id).exists()
    assert PodTombstone.objects.get(pod_id=pod_id).completed_at is not None
