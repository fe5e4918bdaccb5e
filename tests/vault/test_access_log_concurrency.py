"""Concurrent appends to one pod's log on PostgreSQL, in real transactions on their own connections.

Whatever orders the appends (the head's row lock, or the compare-and-set of a head read unlocked
beforehand, as a read reads it with its credentials), the log that results must be whole: one
chain, one tree, every committed entry present once, no seq skipped or repeated, each act's
entries side by side, nothing of a rolled-back act, and a signed checkpoint of all of it.
"""

import os
import random
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from vault import accesslog, logformat, logkeys, merkle
from vault.access import AccessContext
from vault.models import AccessEvent, PodLog
from vault.reading import read_and_log

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="concurrent transactions: PostgreSQL only (SQLite serialises writing transactions)",
    ),
    pytest.mark.django_db(transaction=True),
]

WRITERS, ACTS = 6, 12


class RolledBack(Exception):
    """Raised inside an act's transaction, after its append: nothing of it may stay."""


def _writer(
    pod,
    organisation,
    writer: int,
    barrier: threading.Barrier,
    committed: list,
    errors: list,
    compare_and_set: bool = False,
):
    chance = random.Random(writer)
    context = AccessContext.for_organisation(organisation)
    try:
        barrier.wait(timeout=30)
        for act in range(ACTS):
            size = chance.choice([1, 1, 2, 3, 10])  # a one-credential read, an own read, ten diplomas
            reasons = [f"w{writer}-a{act}-e{entry}" for entry in range(size)]
            roll_back = act % 5 == 4
            try:
                with transaction.atomic():
                    # As a read does: the head read unlocked first, the entries made on it a
                    # moment later (others append meanwhile), then taken only if unchanged.
                    seen = accesslog.seen_head(pod.pk) if compare_and_set and chance.random() < 0.8 else None
                    if seen is not None and chance.random() < 0.5:
                        threading.Event().wait(chance.random() / 200)
                    accesslog.append_all(
                        pod,
                        seen=seen,
                        context=context,
                        entries=[
                            accesslog.Entry(
                                AccessEvent.Action.ACCESS_DENIED, AccessEvent.Outcome.DENIED, reason=reason
                            )
                            for reason in reasons
                        ],
                    )
                    if chance.random() < 0.5:  # hold the transaction a moment: others pile up
                        threading.Event().wait(chance.random() / 100)
                    if roll_back:
                        raise RolledBack
            except RolledBack:
                continue
            committed.append(reasons)
    except BaseException as exc:  # reported by the test
        errors.append(exc)
    finally:
        connection.close()


@pytest.fixture(autouse=True)
def no_remembered_losses(monkeypatch):
    """Each test starts with no pod remembered as contended, and by default remembers none
    (window 0: every append with a head read beforehand tries the compare-and-set, as the tests
    of the compare-and-set's own races need); a test that wants the memo sets the window."""
    accesslog._contended.clear()
    monkeypatch.setattr(accesslog._Contention, "window", 0.0)
    yield
    accesslog._contended.clear()


@pytest.mark.parametrize(
    "compare_and_set,remember",
    [(False, False), (True, False), (True, True)],
    ids=["locked", "compare-and-set", "compare-and-set-remembering-losses"],
)
def test_concurrent_acts_on_one_pod_leave_one_whole_log(
    citizen, employer, compare_and_set, remember, monkeypatch
):
    if remember:  # after a loss, the pod's appends lock first for a while (accesslog._Contention)
        monkeypatch.setattr(accesslog._Contention, "window", 0.05)
    pod = citizen.pod
    before = AccessEvent.objects.filter(pod=pod).count()
    barrier = threading.Barrier(WRITERS)
    committed: list[list[str]] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(
            target=_writer,
            args=(pod, employer.organisation, writer, barrier, committed, errors, compare_and_set),
        )
        for writer in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _assert_whole(pod, before, list(committed))


def _assert_whole(pod, before: int, written: list[list[str]]) -> list[AccessEvent]:
    """The pod's log holds ``before`` entries, then every act of ``written`` (reasons), whole."""
    events = list(AccessEvent.objects.filter(pod=pod).order_by("seq"))
    assert [event.seq for event in events] == list(range(1, len(events) + 1))  # no gap, no repeat
    assert len(events) == before + sum(len(reasons) for reasons in written)
    # every committed entry once, each act's entries side by side and in order; none rolled back
    logged = [event.reason for event in events[before:]]
    acts = sorted(written, key=lambda reasons: logged.index(reasons[0]))
    assert logged == [reason for reasons in acts for reason in reasons]
    _assert_chain_and_tree(pod, events)
    return events


def _assert_chain_and_tree(pod, events: list[AccessEvent]) -> None:
    """``events`` (the pod's whole log, in order) form one chain, each entry linked to the one
    before it with the hashes of its own bytes, and one tree, kept by the head and signed whole."""
    prev = accesslog.GENESIS
    for event in events:
        assert event.prev_hash == prev
        assert event.entry_hash == accesslog.entry_hash(event)
        assert event.leaf_hash == accesslog.leaf_hash(event)
        prev = event.entry_hash
    head = PodLog.objects.get(pk=pod.pk)
    leaves = [bytes.fromhex(event.leaf_hash) for event in events]
    assert (head.size, head.head_hash) == (len(events), prev)
    assert bytes(head.frontier) == b"".join(merkle.frontier_of(leaves))
    signed = logformat.open_checkpoint(head.checkpoint, logkeys.verifier_keys()).checkpoint
    assert (signed.size, signed.root) == (len(events), merkle.root(leaves))
    assert accesslog.verify_chain(pod).valid


# --- a read whose head moved between its read and its append ------------------------------------


def _other_append(
    pod, organisation, reason: str, appended: threading.Event, release: threading.Event, errors
):
    """Another act on its own connection: append one entry, say so, commit once released."""
    try:
        with transaction.atomic():
            accesslog.append_all(
                pod,
                context=AccessContext.for_organisation(organisation),
                entries=[
                    accesslog.Entry(
                        AccessEvent.Action.ACCESS_DENIED, AccessEvent.Outcome.DENIED, reason=reason
                    )
                ],
            )
            appended.set()
            if not release.wait(timeout=30):
                raise TimeoutError("never released")
    except BaseException as exc:  # reported by the test
        errors.append(exc)
    finally:
        appended.set()
        connection.close()


@pytest.mark.parametrize("other", ["committed", "in-flight"])
def test_a_read_whose_log_head_moved_appends_after_the_other_act(citizen, employer, issued, other):
    """A read takes the pod's log head with its credentials, unlocked; another act appends after
    that and before the read's own append: committed by then, or holding the head (uncommitted)
    while the read's append runs, committing a moment later. The read's compare-and-set finds
    the head changed and writes nothing; the read then locks the head and appends after the
    other act's entry: one chain, one tree, a checkpoint of all of it, one entry per credential."""
    pod = citizen.pod
    before = AccessEvent.objects.filter(pod=pod).count()
    appended, release, errors = threading.Event(), threading.Event(), []
    other_act = threading.Thread(
        target=_other_append, args=(pod, employer.organisation, "the-other-act", appended, release, errors)
    )
    if other == "committed":
        release.set()
    timer = threading.Timer(0.5, release.set)

    def sign(documents):  # between the read of the credentials (and head) and the append
        other_act.start()
        assert appended.wait(timeout=30)
        if other == "committed":
            other_act.join()
        else:
            timer.start()  # the other act commits while the read's append waits for its head
        return len(documents)

    context = AccessContext.for_organisation(employer.organisation)
    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        pairs, made = read_and_log(pod, context=context, credential_types=None, then=sign)
    other_act.join()
    timer.cancel()
    assert errors == []
    assert made == len(pairs) == 1
    sql = [query["sql"] for query in statements.captured_queries]
    [conditional] = [s for s in sql if s.startswith('WITH head AS (UPDATE "vault_podlog"')]
    assert "WHERE EXISTS (SELECT FROM head)" in conditional
    assert any("FOR UPDATE OF h" in s for s in sql)  # the fallback: locked, then appended
    [the_other] = AccessEvent.objects.filter(pod=pod, reason="the-other-act")
    reads = list(AccessEvent.objects.filter(pod=pod, seq__gt=the_other.seq))
    assert [(e.action, e.resource_id) for e in reads] == [
        (AccessEvent.Action.CREDENTIAL_READ, pairs[0][0].pk)
    ]
    events = list(AccessEvent.objects.filter(pod=pod).order_by("seq"))
    assert len(events) == before + 2 and events[-2].seq == the_other.seq == before + 1
    _assert_chain_and_tree(pod, events)


def test_a_read_whose_log_head_did_not_move_appends_in_one_statement(citizen, employer, issued):
    """The same read with nothing in between: the compare-and-set takes the head; no lock first."""
    pod = citizen.pod
    before = AccessEvent.objects.filter(pod=pod).count()
    context = AccessContext.for_organisation(employer.organisation)
    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        pairs, _ = read_and_log(pod, context=context, credential_types=None)
    sql = [query["sql"] for query in statements.captured_queries]
    assert not any("FOR UPDATE" in s for s in sql)
    [read, append] = sql  # the credentials with the head; the conditional append
    assert read.startswith("SELECT") and '"vault_podlog"' in read
    assert append.startswith('WITH head AS (UPDATE "vault_podlog"')
    assert AccessEvent.objects.filter(pod=pod).count() == before + len(pairs) == before + 1
    assert accesslog.verify_chain(pod).valid


def test_a_log_key_rotated_after_the_head_was_read_sends_the_append_to_the_locked_path(
    citizen, employer, issued
):
    """The read took the head, and with it the active log key, before a rotation of the log key
    committed: its compare-and-set must not sign the new checkpoint with the key just retired.
    It writes nothing; the locked path signs with the new key."""
    pod = citizen.pod
    rotated = []

    def rotate(documents):  # between the read of the credentials (and head) and the append
        rotated.append(logkeys.rotate_log_key())
        return len(documents)

    context = AccessContext.for_organisation(employer.organisation)
    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        read_and_log(pod, context=context, credential_types=None, then=rotate)
    sql = [query["sql"] for query in statements.captured_queries]
    assert any(s.startswith('WITH head AS (UPDATE "vault_podlog"') for s in sql)
    assert any("FOR UPDATE OF h" in s for s in sql)  # the fallback: locked, then appended
    [new_key] = rotated
    head = PodLog.objects.get(pk=pod.pk)
    opened = logformat.open_checkpoint(head.checkpoint, logkeys.verifier_keys())
    assert opened.signers == (logkeys.published(new_key.name, bytes(new_key.public_key)),)
    assert opened.checkpoint.size == head.size
    assert accesslog.verify_chain(pod).valid


def _append_statements(sql: list[str]) -> list[str]:
    """What each statement of a read's append is: conditional, lock, or plain append."""
    kinds = []
    for statement in sql:
        if statement.startswith('WITH head AS (UPDATE "vault_podlog"'):
            kinds.append("conditional")
        elif "FOR UPDATE OF h" in statement:
            kinds.append("lock")
        elif statement.startswith('WITH inserted AS (INSERT INTO "vault_accessevent"'):
            kinds.append("append")
    return kinds


def test_after_a_lost_compare_and_set_the_pod_s_next_reads_lock_first(
    citizen, other_citizen, employer, issued, monkeypatch
):
    """Reads of one pod that come faster than a read takes nearly always lose the compare-and-
    set. After a loss, the pod's next reads (for ``_Contention.window`` seconds) lock the head
    first and append once, instead of making the entries and the checkpoint twice; a read of
    another pod still takes the compare-and-set; after the window, the pod's reads try it again.
    Every path leaves one whole log with one entry per credential read."""
    monkeypatch.setattr(accesslog._Contention, "window", 60.0)
    pod = citizen.pod
    context = AccessContext.for_organisation(employer.organisation)
    before = AccessEvent.objects.filter(pod=pod).count()
    appended, release, errors = threading.Event(), threading.Event(), []
    release.set()
    other_act = threading.Thread(
        target=_other_append, args=(pod, employer.organisation, "the-other-act", appended, release, errors)
    )

    def sign(documents):  # another act appends between the read of the head and the append
        other_act.start()
        other_act.join()
        return len(documents)

    with transaction.atomic(), CaptureQueriesContext(connection) as lost:
        read_and_log(pod, context=context, credential_types=None, then=sign)
    assert errors == []
    assert _append_statements([q["sql"] for q in lost.captured_queries]) == ["conditional", "lock", "append"]

    made = []
    monkeypatch.setattr(accesslog, "_made_on", lambda *a, _m=accesslog._made_on: made.append(1) or _m(*a))
    with transaction.atomic(), CaptureQueriesContext(connection) as next_read:
        pairs, _ = read_and_log(pod, context=context, credential_types=None)
    assert _append_statements([q["sql"] for q in next_read.captured_queries]) == ["lock", "append"]
    assert len(made) == 1  # the entries and the checkpoint made once
    assert len(pairs) == 1

    other_pod, asked = other_citizen.pod, ["VerifiableCredential"]  # it holds none: one entry
    with transaction.atomic():
        read_and_log(other_pod, context=context, credential_types=asked)  # its log's head made
    with transaction.atomic(), CaptureQueriesContext(connection) as elsewhere:
        read_and_log(other_pod, context=context, credential_types=asked)
    assert _append_statements([q["sql"] for q in elsewhere.captured_queries]) == ["conditional"]

    monkeypatch.setattr(accesslog._Contention, "window", 0.0)  # the window has passed
    with transaction.atomic(), CaptureQueriesContext(connection) as later:
        read_and_log(pod, context=context, credential_types=None)
    assert _append_statements([q["sql"] for q in later.captured_queries]) == ["conditional"]

    events = list(AccessEvent.objects.filter(pod=pod).order_by("seq"))
    assert len(events) == before + 4  # the other act's entry and three reads of one credential
    assert [e.reason for e in events[before:]] == ["the-other-act", "", "", ""]
    assert [e.action for e in events[before + 1 :]] == [AccessEvent.Action.CREDENTIAL_READ] * 3
    assert accesslog.verify_chain(pod).valid


def test_the_memo_of_contended_pods_is_bounded(monkeypatch):
    monkeypatch.setattr(accesslog._Contention, "window", 60.0)
    memo = accesslog._Contention()
    for index in range(memo.most):
        memo.lost(index)
    assert memo.recently(0) and memo.recently(memo.most - 1)
    memo.lost("one more")  # full: forgotten all at once, then this one remembered
    assert not memo.recently(0)
    assert memo.recently("one more")
