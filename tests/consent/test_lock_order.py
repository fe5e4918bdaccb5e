"""What a consent act or a pod's writer locks must not stop another transaction from appending to
a pod's access log, because an append holds the log's head while it inserts its entries, and each
insert takes FOR KEY SHARE on the rows its foreign keys name (the pod, the acting organisation).

Before the fix an approval locked its request with a bare ``select_for_update()`` joined to the
pod and the requester, which PostgreSQL turns into FOR UPDATE on all three rows; the lifecycle
sweep, expiring another request of the same pod, took the head and then waited for the pod's row,
while the approval waited for the head: PostgreSQL broke the deadlock by failing the approval
(a 500, seen in CI beside beat's sweep). Each test pauses one act in its own thread and
connection right after it took its locks, and runs the other transaction to its end from the
test's connection under a lock timeout: before the fix it timed out. PostgreSQL only.
"""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from consent import services
from consent.models import AccessRequest, Grant
from tests.conftest import diploma
from tests.paused import WAIT, Paused
from vault import crypto, erasure
from vault.models import AccessEvent, Pod, PodErasure
from vault.selectors import verify_access_log
from vault.services import issue_into_pod

from .conftest import approve, file_request

pytestmark = pytest.mark.django_db(transaction=True)

LOCK_TIMEOUT = "5s"  # far above an uncontended append; a lock wait that would never end fails here


@pytest.fixture(autouse=True)
def postgres_only(on_postgres):
    if not on_postgres:
        pytest.skip("two connections and row locks: PostgreSQL")


@pytest.fixture
def bounded_waits():
    """The test's own connection gives up on a row lock after LOCK_TIMEOUT instead of hanging."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def _due_request(employer) -> str:
    """A pending request of the citizen's pod whose answer-by date has passed (the sweep's work)."""
    request_id = file_request(employer)["id"]
    AccessRequest.objects.filter(pk=request_id).update(answer_by=timezone.now() - timedelta(seconds=1))
    return request_id


def _paused_at_transition(monkeypatch, work) -> Paused:
    """``work`` in its own thread, paused when it changes a request's or grant's state: after it
    took its row locks, before it appends to the log."""
    act = Paused(work)
    transition = services._transition

    def paused(*args, **kwargs):
        act.pause()
        return transition(*args, **kwargs)

    monkeypatch.setattr(services, "_transition", paused)
    act.start()
    assert act.reached.wait(WAIT)
    return act


def _assert_log_whole(pod) -> None:
    assert verify_access_log(pod).valid


@pytest.mark.parametrize("act", ["approve", "deny", "revoke"])
def test_the_sweep_appends_to_a_pod_while_its_citizen_answers(
    act, employer, citizen, issued, bounded_waits, monkeypatch
):
    pending = file_request(employer)["id"]
    grant_id = approve(citizen, file_request(employer)["id"])["id"] if act == "revoke" else None
    due = _due_request(employer)
    work = {
        "approve": lambda: services.approve_request(citizen=citizen.user, request_id=pending),
        "deny": lambda: services.deny_request(citizen=citizen.user, request_id=pending),
        "revoke": lambda: services.revoke_grant(citizen=citizen.user, grant_id=grant_id),
    }[act]
    answering = _paused_at_transition(monkeypatch, work)

    services.expire_request(request_id=due)  # the sweep's act: head, then the entry (pod's key share)

    answering.finish()
    assert AccessRequest.objects.get(pk=due).status == AccessRequest.Status.EXPIRED
    if act == "revoke":
        assert Grant.objects.get(pk=grant_id).status == Grant.Status.REVOKED
    else:
        assert AccessRequest.objects.get(pk=pending).status == {"approve": "approved", "deny": "denied"}[act]
    entries = AccessEvent.objects.filter(pod=citizen.pod)
    assert entries.filter(action="request.expired", request_id=due).count() == 1
    _assert_log_whole(citizen.pod)


def test_an_organisation_files_elsewhere_while_a_citizen_approves_its_request(
    employer, citizen, other_citizen, issued, bounded_waits, monkeypatch
):
    """The approval does not lock the requester's row: the same employer's entry in another pod's
    log (its actor_organisation takes FOR KEY SHARE on that row) goes in meanwhile."""
    pending = file_request(employer)["id"]
    answering = _paused_at_transition(
        monkeypatch, lambda: services.approve_request(citizen=citizen.user, request_id=pending)
    )

    elsewhere = file_request(employer, citizen={"nationalId": "BE:90020199902"})

    answering.finish()
    assert AccessEvent.objects.filter(pod=other_citizen.pod, request_id=elsewhere["id"]).exists()
    assert AccessRequest.objects.get(pk=pending).status == AccessRequest.Status.APPROVED


def test_a_pods_writer_lets_the_sweep_append_but_still_excludes_the_next_writer(
    university, employer, citizen, issued, bounded_waits, monkeypatch
):
    """Issuance holds the pod's row lock (Pod.objects.locked) while it seals: another writer of
    the pod still waits for it, but an append to the pod's log does not."""
    due = _due_request(employer)
    issuing = Paused(
        lambda: issue_into_pod(
            issuer=university.organisation,
            national_id="BE:85073003328",
            credential=diploma(degree={"type": "MasterDegree", "name": "Master of Laws"}),
        )
    )
    seal = crypto.seal_for_pod

    def paused(*args, **kwargs):
        issuing.pause()
        return seal(*args, **kwargs)

    monkeypatch.setattr(crypto, "seal_for_pod", paused)
    issuing.start()
    assert issuing.reached.wait(WAIT)

    with pytest.raises(DatabaseError), transaction.atomic():  # the next writer waits (NOWAIT: refused)
        Pod.objects.locked().select_for_update(no_key=True, nowait=True).get(pk=citizen.pod.pk)
    services.expire_request(request_id=due)  # the append goes through

    issuing.finish()
    assert AccessRequest.objects.get(pk=due).status == AccessRequest.Status.EXPIRED
    assert AccessEvent.objects.filter(pod=citizen.pod, action="credential.issued").count() == 2
    _assert_log_whole(citizen.pod)


def test_an_import_changing_the_holder_did_lets_the_sweep_append(employer, citizen, issued, bounded_waits):
    """An import writes the pod's holder DID under the pod's lock. Were that column under a full
    unique index, PostgreSQL would take FOR UPDATE for the update and block the append, as the
    joined lock did (hence the partial unique constraint, vault.0022)."""
    due = _due_request(employer)

    def import_like() -> None:
        with transaction.atomic():
            Pod.objects.locked().get(pk=citizen.pod.pk)
            Pod.objects.filter(pk=citizen.pod.pk).update(
                holder_did="did:key:z6MkImportedHolderForTheLockTest"
            )
            importing.pause()

    importing = Paused(import_like)
    importing.start()
    assert importing.reached.wait(WAIT)

    services.expire_request(request_id=due)  # the append goes through

    importing.finish()
    assert AccessRequest.objects.get(pk=due).status == AccessRequest.Status.EXPIRED
    assert Pod.objects.get(pk=citizen.pod.pk).holder_did.endswith("ForTheLockTest")


@pytest.mark.parametrize("phase", ["request", "destroy-key"])
def test_an_erasure_lets_the_sweep_append_to_the_pods_log(
    employer, citizen, issued, bounded_waits, monkeypatch, phase
):
    """Asking for erasure, and its first phase (the last entry, the tombstone, the keys
    overwritten), lock the pod (Pod.objects.locked) before they look for the erasure: paused
    there, the sweep's entry in the same pod's log still goes in, and theirs follows it."""
    due = _due_request(employer)
    if phase == "destroy-key":
        erasure.request_erasure(owner=citizen.user)
        PodErasure.objects.filter(pod=citizen.pod).update(due_at=timezone.now() - timedelta(seconds=1))
        work = lambda: erasure.destroy_key(citizen.pod.pk)  # noqa: E731
    else:
        work = lambda: erasure.request_erasure(owner=citizen.user)  # noqa: E731
    erasing = Paused(work)
    look_up = PodErasure.objects.filter

    def paused(*args, **kwargs):
        erasing.pause()  # only in the erasure's own thread: the test's connection runs on
        return look_up(*args, **kwargs)

    monkeypatch.setattr(PodErasure.objects, "filter", paused)
    erasing.start()
    assert erasing.reached.wait(WAIT)

    services.expire_request(request_id=due)  # the append goes through

    erasing.finish()
    monkeypatch.undo()
    actions = list(
        AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").values_list("action", flat=True)
    )
    erased = "pod.erased" if phase == "destroy-key" else "erasure.requested"
    assert actions[-2:] == ["request.expired", erased]
    _assert_log_whole(citizen.pod)
