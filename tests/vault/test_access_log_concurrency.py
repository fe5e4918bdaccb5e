"""Concurrent appends to one pod's log on PostgreSQL, in real transactions on their own connections.

Whatever orders the appends (today the head's row lock), the log that results must be whole: one
chain, one tree, every committed entry present once, no seq skipped or repeated, each act's
entries side by side, nothing of a rolled-back act, and a signed checkpoint of all of it.
"""

import os
import random
import threading

import pytest
from django.db import connection, transaction

from vault import accesslog, logformat, logkeys, merkle
from vault.access import AccessContext
from vault.models import AccessEvent, PodLog

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


def _writer(pod, organisation, writer: int, barrier: threading.Barrier, committed: list, errors: list):
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
                    accesslog.append_all(
                        pod,
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


def test_concurrent_acts_on_one_pod_leave_one_whole_log(citizen, employer):
    pod = citizen.pod
    before = AccessEvent.objects.filter(pod=pod).count()
    barrier = threading.Barrier(WRITERS)
    committed: list[list[str]] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(
            target=_writer, args=(pod, employer.organisation, writer, barrier, committed, errors)
        )
        for writer in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    events = list(AccessEvent.objects.filter(pod=pod).order_by("seq"))
    written = list(committed)
    assert [event.seq for event in events] == list(range(1, len(events) + 1))  # no gap, no repeat
    assert len(events) == before + sum(len(reasons) for reasons in written)
    # every committed entry once, each act's entries side by side and in order; none rolled back
    logged = [event.reason for event in events[before:]]
    acts = sorted(written, key=lambda reasons: logged.index(reasons[0]))
    assert logged == [reason for reasons in acts for reason in reasons]
    # one chain: each entry links to the one before it, and its hashes are those of its bytes
    prev = accesslog.GENESIS
    for event in events:
        assert event.prev_hash == prev
        assert event.entry_hash == accesslog.entry_hash(event)
        assert event.leaf_hash == accesslog.leaf_hash(event)
        prev = event.entry_hash
    # one tree, kept by the head and signed whole
    head = PodLog.objects.get(pk=pod.pk)
    leaves = [bytes.fromhex(event.leaf_hash) for event in events]
    assert (head.size, head.head_hash) == (len(events), prev)
    assert bytes(head.frontier) == b"".join(merkle.frontier_of(leaves))
    signed = logformat.open_checkpoint(head.checkpoint, logkeys.verifier_keys()).checkpoint
    assert (signed.size, signed.root) == (len(events), merkle.root(leaves))
    assert accesslog.verify_chain(pod).valid
