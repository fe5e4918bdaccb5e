"""The pod's access log: a hash chain written with each act, that shows any edit, gap or reordering."""

import base64
import itertools
import json
from datetime import timedelta

import pytest
from django.db import connection

from tests.conftest import diploma
from tests.support import checked_log
from tests.vault.conftest import file_approve_and_read
from tests.vault.logtamper import as_dba
from vault import accesslog, merkle
from vault.access import AccessContext
from vault.disclosure import Permit, present
from vault.models import AccessEvent, PodCredential
from vault.services import record

PURPOSE = "dpv:HumanResourceManagement"


@pytest.fixture(autouse=True)
def _as_dba(db):
    """These tests edit the log in the database, as an attacker with full access would."""
    with as_dba():
        yield


def execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def event_id(pod, seq: int) -> int:
    return AccessEvent.objects.get(pod=pod, seq=seq).pk


@pytest.fixture
def history(citizen, employer, issued):
    """A pod whose log holds: 1 opened, 2 issued, 3 filed, 4 approved, 5 read."""
    file_approve_and_read(citizen, employer, challenge="access-log-nonce-0001")
    actions = list(
        AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").values_list("action", flat=True)
    )
    assert actions == [
        "pod.opened",
        "credential.issued",
        "request.filed",
        "request.approved",
        "credential.read",
    ]
    return citizen


def verify(citizen) -> dict:
    return checked_log(citizen)


# --- an intact chain ---------------------------------------------------------------------------


def test_an_untouched_chain_verifies(history):
    page = history.get("/api/v1/pod/log").json()
    log = page["results"]
    leaves = [bytes.fromhex(e.leaf_hash) for e in AccessEvent.objects.filter(pod=history.pod).order_by("seq")]
    check = verify(history)
    assert {key: check[key] for key in ("valid", "entries", "head", "firstBrokenSeq", "problem")} == {
        "valid": True,
        "entries": 5,
        "head": log[0]["hash"],
        "firstBrokenSeq": None,
        "problem": "",
    }
    assert check["rootHash"] == merkle.root(leaves).hex()
    assert check["checkpoint"] == page["checkpoint"]
    assert (check["checkedSize"], check["checkedHeadHash"], check["logSize"]) == (5, log[0]["hash"], 5)
    assert page["checkpoint"]["treeSize"] == 5
    assert base64.b64decode(page["checkpoint"]["rootHash"]) == merkle.root(leaves)


def test_each_entry_links_to_the_one_before_and_the_first_to_genesis(history):
    events = list(AccessEvent.objects.filter(pod=history.pod).order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == accesslog.GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.entry_hash
    for event in events:
        assert event.entry_hash == accesslog.entry_hash(event)


def test_each_pod_has_its_own_chain(history, other_citizen):
    assert verify(other_citizen)["entries"] == 1
    [opened] = AccessEvent.objects.filter(pod=other_citizen.pod)
    assert (opened.seq, opened.prev_hash) == (1, accesslog.GENESIS)
    assert verify(history)["valid"] is True


# --- tampering is detected at the first broken entry -------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "request.denied"),
        ("outcome", "denied"),
        ("actor_label", "Someone Else"),
        ("actor_kind", "system"),
        ("purpose", "dpv:ResearchAndDevelopment"),
        ("purpose", ""),
        ("credential_type", "PassportCredential"),
        ("reason", "not-grantee"),
    ],
)
def test_an_entry_altered_in_the_database_breaks_the_chain_at_that_entry(history, column, value):
    updated = execute(
        f"UPDATE vault_accessevent SET {column} = %s WHERE id = %s",  # noqa: S608 - column from the test
        [value, event_id(history.pod, 3)],
    )
    assert updated == 1
    check = verify(history)
    assert check["valid"] is False
    assert check["firstBrokenSeq"] == 3
    assert check["problem"] == "its content does not match its hash"
    assert check["head"] == AccessEvent.objects.get(pod=history.pod, seq=2).entry_hash


def test_changing_who_acted_breaks_the_chain(history, other_employer):
    AccessEvent.objects.filter(pk=event_id(history.pod, 5)).update(
        actor_organisation=other_employer.organisation
    )
    assert verify(history)["firstBrokenSeq"] == 5


def test_changing_when_it_happened_breaks_the_chain(history):
    event = AccessEvent.objects.get(pod=history.pod, seq=4)
    AccessEvent.objects.filter(pk=event.pk).update(occurred_at=event.occurred_at - timedelta(days=1))
    assert verify(history)["firstBrokenSeq"] == 4


def test_changing_the_grant_of_a_read_breaks_the_chain(history):
    AccessEvent.objects.filter(pk=event_id(history.pod, 5)).update(grant_id=None)
    assert verify(history)["firstBrokenSeq"] == 5


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_link_to_the_next(history):
    event = AccessEvent.objects.get(pod=history.pod, seq=3)
    event.actor_label = "Someone Else"
    execute(
        "UPDATE vault_accessevent SET actor_label = %s, entry_hash = %s, leaf_hash = %s WHERE id = %s",
        [event.actor_label, accesslog.entry_hash(event), accesslog.leaf_hash(event), event.pk],
    )
    check = verify(history)
    assert (check["valid"], check["firstBrokenSeq"]) == (False, 4)
    assert check["problem"] == "does not link to the entry before it"


def test_a_deleted_entry_breaks_the_chain_where_it_was(history):
    assert execute("DELETE FROM vault_accessevent WHERE id = %s", [event_id(history.pod, 3)]) == 1
    check = verify(history)
    assert (check["valid"], check["firstBrokenSeq"]) == (False, 4)
    assert check["problem"] == "entry 3 is missing"


def test_a_deleted_first_entry_breaks_the_chain_at_once(history):
    execute("DELETE FROM vault_accessevent WHERE id = %s", [event_id(history.pod, 1)])
    check = verify(history)
    assert (check["valid"], check["firstBrokenSeq"]) == (False, 2)
    assert check["problem"] == "entry 1 is missing"


def test_a_deleted_entry_renumbered_away_still_breaks_the_link(history):
    execute("DELETE FROM vault_accessevent WHERE id = %s", [event_id(history.pod, 3)])
    for seq in (4, 5):
        execute("UPDATE vault_accessevent SET seq = %s WHERE id = %s", [seq - 1, event_id(history.pod, seq)])
    check = verify(history)
    assert (check["valid"], check["firstBrokenSeq"]) == (False, 3)


def test_reordered_entries_break_the_chain(history):
    third, fourth = event_id(history.pod, 3), event_id(history.pod, 4)
    execute("UPDATE vault_accessevent SET seq = %s WHERE id = %s", [999, third])
    execute("UPDATE vault_accessevent SET seq = %s WHERE id = %s", [3, fourth])
    execute("UPDATE vault_accessevent SET seq = %s WHERE id = %s", [4, third])
    check = verify(history)
    assert (check["valid"], check["firstBrokenSeq"]) == (False, 3)
    assert check["problem"] == "does not link to the entry before it"


def test_an_entry_moved_from_another_pod_breaks_the_chain(history, other_citizen):
    foreign = AccessEvent.objects.get(pod=other_citizen.pod, seq=1)
    execute("DELETE FROM vault_accessevent WHERE id = %s", [event_id(history.pod, 1)])
    AccessEvent.objects.filter(pk=foreign.pk).update(pod=history.pod)
    check = verify(history)
    assert (check["valid"], check["firstBrokenSeq"]) == (False, 1)


# --- the log is written only with the act ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_appending_outside_a_transaction_is_refused(citizen):
    before = AccessEvent.objects.count()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        accesslog.append(citizen.pod, context=AccessContext.system(), action=AccessEvent.Action.POD_OPENED)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(citizen.pod, context=AccessContext.system(), action=AccessEvent.Action.ACCESS_DENIED)
    assert AccessEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_reading_pod_data_outside_a_transaction_is_refused(citizen, employer, issued):
    context = AccessContext.for_organisation(employer.organisation, purpose=PURPOSE)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        present(
            Permit(pod=citizen.pod, context=context, credential_types=("DiplomaCredential",)),
            challenge="a-challenge-of-sixteen",
            domain="https://hr.example",
        )
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.CREDENTIAL_READ).exists()


def test_log_entries_never_hold_credential_contents(history):
    history.get("/api/v1/pod/credentials")  # the owner's own read is logged too
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM vault_accessevent")
        rows = cursor.fetchall()
    stored = json.dumps([[str(value) for value in row] for row in rows])
    for needle in ("Peeters", "Computer Science", "MasterDegree", "givenName", "proofValue"):
        assert needle not in stored
    log = history.get("/api/v1/pod/log").json()["results"]
    assert "Peeters" not in json.dumps(log)
    assert {tuple(sorted(entry)) for entry in log} == {
        (
            "action",
            "actor",
            "at",
            "credentialId",
            "credentialType",
            "evidence",
            "fields",
            "grantId",
            "hash",
            "legal",
            "legalBasis",
            "outcome",
            "prevHash",
            "purpose",
            "reason",
            "requestId",
            "seq",
        )
    }


def test_an_issuance_is_logged_with_its_issuer_and_credential_but_not_its_contents(
    issued, citizen, university
):
    [entry] = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_ISSUED)
    assert entry.actor_organisation_id == university.organisation.pk
    assert entry.credential_id == issued["credentialId"]
    assert entry.credential_type == "DiplomaCredential"
    assert str(entry.resource_id) == issued["id"]


def test_a_read_by_the_owner_is_logged_once_per_credential(citizen, issued):
    citizen.get("/api/v1/pod/credentials")
    [read] = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ)
    assert (read.actor_kind, read.actor_label, read.credential_id) == (
        "citizen",
        "the pod owner",
        issued["credentialId"],
    )


@pytest.mark.parametrize(
    ("credential", "status", "code"),
    [
        (diploma() | {"favouriteColour": "blue"}, 422, "undefined-term"),
        (
            diploma() | {"type": ["VerifiableCredential", "PassportCredential"]},
            422,
            "unknown-credential-type",
        ),
        (diploma() | {"@context": ["https://example.org/ctx"]}, 422, "invalid-credential"),
        (diploma() | {"credentialSubject": "An Peeters"}, 422, "invalid-credential"),
    ],
)
def test_a_failed_issuance_writes_no_log_entry_and_no_credential(
    university, citizen, credential, status, code
):
    before = list(AccessEvent.objects.filter(pod=citizen.pod).values_list("entry_hash", flat=True))
    response = university.post(
        "/api/v1/issuer/credentials",
        {"recipient": {"nationalId": "BE:85073003328"}, "credential": credential},
    )
    assert response.status_code == status, response.json()
    assert response.json()["type"].endswith("#" + code)
    assert not PodCredential.objects.exists()
    assert list(AccessEvent.objects.filter(pod=citizen.pod).values_list("entry_hash", flat=True)) == before


def test_a_duplicate_credential_id_is_refused_and_logged_once(university, citizen):
    credential = diploma() | {"id": "urn:uuid:6a1c2a5e-0b7f-4b7e-9f3e-3f0b7c7d2a11"}
    body = {"recipient": {"nationalId": "BE:85073003328"}, "credential": credential}
    assert university.post("/api/v1/issuer/credentials", body).status_code == 201
    response = university.post("/api/v1/issuer/credentials", body)
    assert response.status_code == 409
    assert response.json()["type"].endswith("#duplicate-credential")
    assert PodCredential.objects.count() == 1
    assert AccessEvent.objects.filter(action=AccessEvent.Action.CREDENTIAL_ISSUED).count() == 1
    assert verify(citizen)["valid"] is True
