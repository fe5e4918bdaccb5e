"""The access log's Merkle tree and signed checkpoints: kept in the append, checked against the head."""

import hashlib
import uuid
import warnings

import pytest
import rfc8785
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from psycopg.types import json as logformat_json

from tests.vault.logtamper import as_dba
from vault import accesslog, logformat, logkeys, merkle
from vault.access import AccessContext, LegalRead
from vault.models import AccessEvent, LogSigningKey, PodLog


@pytest.fixture(autouse=True)
def _as_dba(db):
    """These tests edit the log in the database, as an attacker with full access would."""
    with as_dba():
        yield


def append_denied(pod, employer, times: int = 1) -> None:
    for _ in range(times):
        with transaction.atomic():
            accesslog.append(
                pod,
                context=AccessContext.for_organisation(employer.organisation),
                action=AccessEvent.Action.ACCESS_DENIED,
                outcome=AccessEvent.Outcome.DENIED,
                reason="probe",
            )


def opened_checkpoint(pod) -> logformat.Checkpoint:
    note = PodLog.objects.get(pk=pod.pk).checkpoint
    return logformat.open_checkpoint(note, logkeys.verifier_keys()).checkpoint


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(max_codepoint=127)), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_entry_bytes_are_rfc_8785_for_every_value_an_entry_can_hold(value):
    assert logformat.canonical_json(value) == rfc8785.dumps(value)


def test_each_leaf_is_the_rfc_9162_leaf_of_the_entrys_canonical_bytes(citizen, employer):
    """And its chain hash the SHA-256 of the same bytes (an append makes them once for both)."""
    append_denied(citizen.pod, employer, 4)
    for event in AccessEvent.objects.filter(pod=citizen.pod):
        entry = rfc8785.dumps(accesslog.entry_payload(event))
        assert bytes.fromhex(event.leaf_hash) == merkle.leaf_hash(entry)
        assert event.entry_hash == hashlib.sha256(entry).hexdigest()


def test_the_head_keeps_the_frontier_and_signs_the_root_of_all_entries(citizen, employer):
    append_denied(citizen.pod, employer, 6)  # 7 entries with pod.opened: frontier of 4 + 2 + 1
    head = PodLog.objects.get(pk=citizen.pod.pk)
    leaves = accesslog.leaf_hashes(citizen.pod, 7)
    assert head.size == 7
    assert bytes(head.frontier) == b"".join(merkle.frontier_of(leaves))
    assert len(bytes(head.frontier)) == 3 * 32
    checkpoint = opened_checkpoint(citizen.pod)
    assert (checkpoint.origin, checkpoint.size) == (f"127.0.0.1:8000/access-log/{citizen.pod.pk}", 7)
    assert checkpoint.root == merkle.root(leaves)
    assert head.head_hash == AccessEvent.objects.get(pod=citizen.pod, seq=7).entry_hash


def test_the_checkpoint_is_a_c2sp_signed_note(citizen):
    note = PodLog.objects.get(pk=citizen.pod.pk).checkpoint
    text, _blank, signature = note.partition("\n\n")
    origin, size, root, time = text.split("\n")
    assert (origin, size) == (f"127.0.0.1:8000/access-log/{citizen.pod.pk}", "1")
    assert len(logformat.base64.b64decode(root)) == 32
    assert time.startswith("time ") and time.endswith("Z")
    assert signature.startswith("\u2014 127.0.0.1:8000/access-log ") and signature.endswith("\n")
    [key] = logkeys.verifier_keys()
    assert str(key).startswith("127.0.0.1:8000/access-log+")


def test_an_append_reads_no_older_entry_and_takes_two_statements_three_on_sqlite(citizen, employer):
    """Lock the head; insert and update the head (one statement on PostgreSQL: a data-modifying
    CTE; two on SQLite)."""
    append_denied(citizen.pod, employer, 20)
    with CaptureQueriesContext(connection) as queries:
        append_denied(citizen.pod, employer)
    statements = [
        q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) == (2 if connection.vendor == "postgresql" else 3), statements
    reads_of_entries = [sql for sql in statements if 'FROM "vault_accessevent"' in sql]
    assert reads_of_entries == []


def test_a_cut_tail_no_longer_matches_the_signed_head(citizen, employer):
    append_denied(citizen.pod, employer, 4)
    AccessEvent.objects.filter(pod=citizen.pod, seq__gte=4).delete()
    check = accesslog.verify_chain(citizen.pod)
    assert (check.valid, check.entries, check.first_broken_seq) == (False, 3, 4)
    assert check.problem == "the log holds 3 entries but its latest signed checkpoint 5"


def test_a_recomputed_chain_no_longer_adds_up_to_the_signed_root(citizen, employer):
    append_denied(citizen.pod, employer, 4)
    prev = accesslog.GENESIS
    for event in AccessEvent.objects.filter(pod=citizen.pod).order_by("seq"):
        event.prev_hash = prev
        if event.seq == 3:
            event.reason = "nothing-to-see"
        event.entry_hash, event.leaf_hash = accesslog.entry_hash(event), accesslog.leaf_hash(event)
        event.save()
        prev = event.entry_hash
    check = accesslog.verify_chain(citizen.pod)
    assert (check.valid, check.problem) == (
        False,
        "the entries do not add up to the root of the latest signed checkpoint",
    )


def test_a_rotated_key_signs_the_next_checkpoint_and_the_old_one_stays_published(citizen, employer):
    old = LogSigningKey.objects.get()
    new = logkeys.rotate_log_key()
    append_denied(citizen.pod, employer)
    signed = logformat.open_checkpoint(
        PodLog.objects.get(pk=citizen.pod.pk).checkpoint, logkeys.verifier_keys()
    )
    assert [str(k) for k in signed.signers] == [str(logkeys.published(new.name, bytes(new.public_key)))]
    assert {str(k) for k in logkeys.verifier_keys()} == {
        str(logkeys.published(key.name, bytes(key.public_key))) for key in (old, new)
    }
    assert LogSigningKey.objects.get(pk=old.pk).retired_at is not None


def test_a_checkpoint_signed_by_an_unknown_key_or_altered_is_refused(citizen):
    note = PodLog.objects.get(pk=citizen.pod.pk).checkpoint
    with pytest.raises(logformat.FormatError, match="No known log key"):
        logformat.open_checkpoint(note, [])
    altered = note.replace("\n1\n", "\n2\n", 1)
    with pytest.raises(logformat.FormatError, match="does not verify"):
        logformat.open_checkpoint(altered, logkeys.verifier_keys())


def test_one_act_of_many_entries_stores_each_as_given_under_its_own_id(citizen, employer):
    """One statement takes the entries as one array per column: each row holds its own values,
    its id is the one the append set, and its hashes are those of its RFC 8785 bytes."""
    entries = 12  # 12 x 21 parameters: past the 50 of a VALUES list
    context = AccessContext.for_organisation(employer.organisation)
    with transaction.atomic():
        events = accesslog.append_all(
            citizen.pod,
            context=context,
            entries=[
                accesslog.Entry(
                    AccessEvent.Action.ACCESS_DENIED,
                    AccessEvent.Outcome.DENIED,
                    credential_type=f"Type{i}" if i % 2 else "",
                    reason=f"probe-{i}",
                    fields=("/name", "/ñ") if i % 3 == 0 else (),
                )
                for i in range(entries)
            ],
        )
    assert [event.seq for event in events] == list(range(2, 14))
    for event in events:
        stored = AccessEvent.objects.get(pk=event.pk)
        assert (stored.seq, stored.reason, stored.credential_type, stored.fields) == (
            event.seq,
            event.reason,
            event.credential_type,
            event.fields,
        )
        assert stored.occurred_at == event.occurred_at
        assert stored.actor_organisation_id == employer.organisation.pk
        entry = rfc8785.dumps(accesslog.entry_payload(stored))
        assert stored.entry_hash == event.entry_hash == hashlib.sha256(entry).hexdigest()
        assert bytes.fromhex(stored.leaf_hash) == merkle.leaf_hash(entry)
    assert accesslog.verify_chain(citizen.pod).valid


def test_an_entry_is_prepared_for_the_database_as_django_prepares_it(citizen, employer):
    """The append passes the values it makes to the driver as they are where Django's preparation
    would return them unchanged, and lets Django prepare everything else."""
    append_denied(citizen.pod, employer, 2)
    stranger = AccessEvent(
        pod_id=str(citizen.pod.pk),  # a UUID as text, a naive time: Django's path
        seq=7,
        occurred_at=accesslog.datetime(2026, 1, 2, 3, 4, 5),
        action=AccessEvent.Action.ACCESS_DENIED,
        outcome=AccessEvent.Outcome.DENIED,
        actor_kind="organisation",
        actor_label="x",
        grant_id=str(citizen.pod.pk),
        fields=["/a"],
        legal={"basis": "art. 6(1)(c)"},
        prev_hash="0" * 64,
    )
    fields = [f for f in AccessEvent._meta.concrete_fields if not f.primary_key]

    def plain(value):
        return value.obj if isinstance(value, logformat_json.Jsonb) else value

    statements = accesslog._append_statements(connection)
    for event in [*AccessEvent.objects.filter(pod=citizen.pod), stranger]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the naive time
            django = [plain(f.get_db_prep_save(f.pre_save(event, True), connection)) for f in fields]
            ours = [plain(prepare(event, connection)) for prepare in statements.preparers]
        assert ours == django
        assert [type(value) for value in ours] == [type(value) for value in django]


class _RolledBack(Exception):
    pass


def _keyword_event(values, organisation):
    """The entry as the append made it before: Django's keyword constructor, the organisation as
    an object."""
    kwargs = {name: value for name, value in values.items() if name != "actor_organisation_id"}
    return AccessEvent(**kwargs, actor_organisation=organisation)


def test_the_entries_made_by_the_positional_constructor_are_those_of_the_keyword_one(
    citizen, employer, issued, monkeypatch
):
    """Each act below is appended twice at the same moment, by the append as it is and with each
    entry made by the keyword constructor it used before, each time rolled back: the rows and the
    head it writes (every column but the id, the signed checkpoint byte for byte) and the events
    it returns are the same."""
    moment = accesslog.datetime(2026, 12, 3, 8, 0, 0, 123456, tzinfo=accesslog.UTC)
    monkeypatch.setattr(accesslog.timezone, "now", lambda: moment)
    credential = citizen.pod.credentials.get()
    organisation_context = AccessContext.for_organisation(
        employer.organisation,
        purpose="recruitment",
        legal_basis="consent",
        grant_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
    )
    legal_context = AccessContext.for_organisation(
        employer.organisation,
        legal=LegalRead(uuid.uuid4(), "https://example.org/law", "The law", "CASE-1"),
    )
    read = AccessEvent.Action.CREDENTIAL_READ
    acts = [
        (organisation_context, [accesslog.Entry(read, resource=credential, fields=("/name",))], False),
        (organisation_context, [accesslog.Entry(read, resource=credential)] * 2, True),
        (
            organisation_context,
            [accesslog.Entry(read, resource=credential)] * 10
            + [accesslog.Entry(read, credential_type="Missing", reason="none-held")],
            True,
        ),
        (AccessContext.for_citizen(citizen.user), [accesslog.Entry(read, resource=credential)] * 3, False),
        (legal_context, [accesslog.Entry(read, resource=credential)] * 4, True),
    ]
    fields = [f for f in AccessEvent._meta.concrete_fields if not f.primary_key]
    organisation_field = AccessEvent._meta.get_field("actor_organisation")

    def written(context, entries, seen):
        try:
            with transaction.atomic():
                head = accesslog.seen_head(citizen.pod.pk) if seen else None
                events = accesslog.append_all(citizen.pod, context=context, entries=entries, seen=head)
                made = [
                    (
                        [f.value_from_object(event) for f in fields],
                        event.pk is not None,
                        event._state.adding,
                        event._state.db,
                        organisation_field.get_cached_value(event, default="not cached"),
                    )
                    for event in events
                ]
                rows = list(
                    AccessEvent.objects.filter(pod=citizen.pod)
                    .order_by("seq")
                    .values_list(*[f.attname for f in fields])
                )
                stored_head = PodLog.objects.filter(pk=citizen.pod.pk).values_list().get()
                raise _RolledBack
        except _RolledBack:
            pass
        return made, rows, [bytes(v) if isinstance(v, memoryview) else v for v in stored_head]

    for context, entries, seen in acts:
        now = written(context, entries, seen)
        with monkeypatch.context() as before:
            before.setattr(accesslog, "_new_event", _keyword_event)
            then = written(context, entries, seen)
        assert now == then
        made, rows, _ = now
        assert len(made) == len(entries)
        assert rows[-1][fields.index(AccessEvent._meta.get_field("occurred_at"))] == moment
    assert accesslog.verify_chain(citizen.pod).valid
