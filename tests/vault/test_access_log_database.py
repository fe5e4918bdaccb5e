"""On PostgreSQL the database keeps the log append-only: the application's role cannot UPDATE or
DELETE a log row, and even the table's owner is refused anything but pruning."""

import re

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from vault import accesslog
from vault.models import AccessEvent

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL guards only")

APP_ROLE = "citizen_vault_log_test_app"


def refused(statement: str, params: list | None = None) -> str:
    """Run ``statement`` in a savepoint; return PostgreSQL's refusal (fails if it was allowed)."""
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params or [])
    return str(refusal.value)


# docs/operations.md's statement, word for word: the "ON ALL TABLES" grant reaches the log's
# partitions too, and a partition named directly is a table of its own for privileges.
REVOKE_ON_PARTITIONS = """
DO $$
DECLARE partition regclass;
BEGIN
  FOR partition IN SELECT inhrelid::regclass FROM pg_inherits
                   WHERE inhparent = 'vault_accessevent'::regclass LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM citizen_vault_app', partition);
  END LOOP;
END $$;
"""


@pytest.fixture
def app_role(citizen):
    """A role granted what docs/operations.md grants the application on the log; the test's
    connection acts as it (SET ROLE) until the end of the test. CREATE ROLE is transactional:
    the test's rollback removes it."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        # As docs/operations.md grants it: every table, then the log read and append only.
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON vault_accessevent FROM {APP_ROLE}")
        cursor.execute(REVOKE_ON_PARTITIONS.replace("citizen_vault_app", APP_ROLE))
        cursor.execute(
            f"GRANT EXECUTE ON FUNCTION vault_prune_access_log(timestamptz, timestamptz) TO {APP_ROLE}"
        )
        cursor.execute(f"GRANT EXECUTE ON FUNCTION vault_erase_access_log(uuid) TO {APP_ROLE}")
        cursor.execute(f"SET ROLE {APP_ROLE}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_the_application_role_is_refused_update_and_delete(app_role, citizen):
    pk = AccessEvent.objects.get(pod=citizen.pod, seq=1).pk
    assert "permission denied" in refused(
        "UPDATE vault_accessevent SET actor_label = 'x' WHERE id = %s", [pk]
    )
    assert "permission denied" in refused("DELETE FROM vault_accessevent WHERE id = %s", [pk])
    assert "permission denied" in refused("TRUNCATE vault_accessevent")


def test_the_application_role_prunes_through_the_narrow_path(app_role, citizen):
    pruned = accesslog.prune(before=timezone.now() + timezone.timedelta(seconds=1))
    assert pruned == 1
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    entry = AccessEvent.objects.get(pod=citizen.pod, seq=1)
    assert entry.pruned_at is not None and entry.actor_label == ""


def test_even_the_owner_cannot_edit_or_delete_an_entry(citizen):
    pk = AccessEvent.objects.get(pod=citizen.pod, seq=1).pk
    assert "append-only" in refused("UPDATE vault_accessevent SET actor_label = 'x' WHERE id = %s", [pk])
    assert "append-only" in refused("DELETE FROM vault_accessevent WHERE id = %s", [pk])
    assert "append-only" in refused("UPDATE vault_accessevent SET seq = 7 WHERE id = %s", [pk])
    # A prune that would also change a hash is not a prune.
    assert "append-only" in refused(
        "UPDATE vault_accessevent SET pruned_at = now(), actor_label = '', leaf_hash = '' WHERE id = %s", [pk]
    )


def test_the_log_is_partitioned_by_a_hash_of_the_pod(citizen, other_citizen):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.partstrat, a.attname FROM pg_partitioned_table p "
            "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
            "WHERE p.partrelid = 'vault_accessevent'::regclass"
        )
        assert cursor.fetchall() == [("h", "pod_id")]
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'vault_accessevent'::regclass")
        assert cursor.fetchone()[0] == 16
        # Every unique key holds the partition key (what Citus needs to distribute on it too).
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'vault_accessevent'::regclass AND contype IN ('p', 'u') ORDER BY conname"
        )
        assert cursor.fetchall() == [
            ("access_log_seq_unique_per_pod", "UNIQUE (pod_id, seq)"),
            ("vault_accessevent_pkey", "PRIMARY KEY (pod_id, id)"),
        ]


def test_an_append_writes_no_index_the_pod_alone_leads(citizen):
    """Each entry is written into every index of the log: the pod's own index went (vault/0023),
    since the primary key and the unique (pod_id, seq) both lead with the pod already. Pinned,
    with what the others are for, so a new index is a decision, not a default."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'vault_accessevent'::regclass"
        )
        shapes = sorted(re.sub(r"^.* USING btree ", "", row[0]) for row in cursor.fetchall())
    assert shapes == [
        "(actor_organisation_id)",  # an organisation's deletion (PROTECT) finds its entries
        "(id)",  # an entry by its id alone (the admin)
        "(occurred_at) WHERE (pruned_at IS NULL)",  # the retention sweep
        "(pod_id, id)",  # the primary key
        "(pod_id, seq)",  # one entry per place in a pod's chain; a pod's log in order
    ]


def test_a_page_of_one_citizens_log_reads_one_partition(citizen):
    from vault import selectors

    plan = selectors.access_log(citizen.pod)[:50].explain()
    assert len(set(re.findall(r" on (vault_accessevent_p\d+)", plan))) == 1, plan


def test_a_partition_addressed_directly_is_append_only_too(citizen):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, id FROM vault_accessevent WHERE pod_id = %s AND seq = 1",
            [citizen.pod.pk],
        )
        partition, pk = cursor.fetchone()
    assert partition.startswith("vault_accessevent_p")
    update = f"UPDATE {partition} SET actor_label = 'x' WHERE id = %s"  # noqa: S608 - our partition
    assert "append-only" in refused(update, [pk])
    assert "append-only" in refused(f"DELETE FROM {partition} WHERE id = %s", [pk])  # noqa: S608


def test_the_application_role_is_refused_a_partition_addressed_directly(app_role, citizen):
    """Refused by its privileges, before the append-only trigger is even asked."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, id FROM vault_accessevent WHERE pod_id = %s AND seq = 1",
            [citizen.pod.pk],
        )
        partition, pk = cursor.fetchone()
    update = f"UPDATE {partition} SET actor_label = 'x' WHERE id = %s"  # noqa: S608 - our partition
    assert "permission denied" in refused(update, [pk])
    assert "permission denied" in refused(f"DELETE FROM {partition} WHERE id = %s", [pk])  # noqa: S608
    assert "permission denied" in refused(f"TRUNCATE {partition}")
    with connection.cursor() as cursor:  # it still reads and appends through the parent
        cursor.execute(f"SELECT count(*) FROM {partition} WHERE id = %s", [pk])  # noqa: S608
        assert cursor.fetchone() == (1,)


def test_the_application_role_erases_a_tombstoned_pods_log_and_no_other(other_citizen, app_role, citizen):
    from vault.models import PodTombstone

    with connection.cursor() as cursor:
        cursor.execute("SELECT vault_erase_access_log(%s)", [citizen.pod.pk])
        assert cursor.fetchone()[0] == 0  # no tombstone: nothing deleted
        cursor.execute("RESET ROLE")
    PodTombstone.objects.create(
        pod_id=citizen.pod.pk,
        requested_at=timezone.now(),
        erased_at=timezone.now(),
        log_size=1,
        final_checkpoint="",
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {APP_ROLE}")
        assert "permission denied" in refused(
            "DELETE FROM vault_accessevent WHERE pod_id = %s", [citizen.pod.pk]
        )
        cursor.execute("SELECT vault_erase_access_log(%s)", [citizen.pod.pk])
        assert cursor.fetchone()[0] == 1
        cursor.execute("RESET ROLE")
    assert not AccessEvent.objects.filter(pod=citizen.pod).exists()
    assert AccessEvent.objects.filter(pod=other_citizen.pod).exists()


def _field_entry(citizen) -> AccessEvent:
    from vault.access import AccessContext

    with transaction.atomic():
        return accesslog.append(
            citizen.pod,
            context=AccessContext.system(),
            action=AccessEvent.Action.ACCESS_DENIED,
            outcome=AccessEvent.Outcome.DENIED,
            credential_type="DiplomaCredential",
            fields=("/credentialSubject/grade",),
        )


def test_the_fields_of_an_entry_cannot_be_edited(citizen):
    entry = _field_entry(citizen)
    assert "append-only" in refused("UPDATE vault_accessevent SET fields = '[]' WHERE id = %s", [entry.pk])
    # A prune that leaves the fields in place is not a prune either.
    assert "append-only" in refused(
        "UPDATE vault_accessevent SET pruned_at = now(), actor_label = '', actor_organisation_id = NULL, "
        "purpose = '', legal_basis = '', grant_id = NULL, request_id = NULL, resource_id = NULL, "
        "credential_id = '', credential_type = '', reason = '' WHERE id = %s",
        [entry.pk],
    )


def test_pruning_clears_the_fields_with_the_rest_of_the_detail(app_role, citizen):
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    entry = _field_entry(citizen)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {APP_ROLE}")
    accesslog.prune(before=timezone.now() + timezone.timedelta(seconds=1))
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    entry.refresh_from_db()
    assert entry.pruned_at is not None and entry.fields == [] and entry.credential_type == ""
