"""On PostgreSQL the access log is partitioned by a hash of the pod: one citizen's log lives in one
of ``PARTITIONS`` partitions, and every unique key holds ``pod_id``, so a distributed PostgreSQL
(Citus) can later spread the table over nodes on that same key (docs/operations.md).

PostgreSQL requires the partition key in every primary and unique key: the primary key becomes
``(pod_id, id)``. Django still sees ``id`` as the primary key (ids come from one identity sequence,
so they stay unique); a plain index on ``id`` keeps a lookup by id alone (the admin) cheap.
``(pod_id, seq)`` was unique already and is the index a page of one citizen's log reads.

The table is rebuilt under an EXCLUSIVE lock (reads go on, appends wait; an append that waited
fails once the old table is gone, and its act is rolled back with it). Everything else on it is
carried over as it was, by name: constraints, indexes, the append-only trigger of migration 0008
(cloned onto every partition, so addressing a partition directly is refused too) and the grants.
``vault_prune_access_log`` names the table, so it prunes the new one. SQLite is left as it is.
"""

from django.db import migrations

PARTITIONS = 16
TABLE = "vault_accessevent"
ID_INDEX = "vault_accessevent_id_lookup"


def _rows(cursor, sql: str, params: list | None = None) -> list[tuple]:
    cursor.execute(sql, params or [])
    return cursor.fetchall()


def rebuild(cursor, *, partitioned: bool) -> None:
    """Rebuild ``TABLE`` partitioned by HASH(pod_id) or as one table, keeping its data and all
    that was declared on it."""
    cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
    constraints = _rows(
        cursor,
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND conparentid = 0 ORDER BY contype, conname",
        [TABLE],
    )
    indexes = _rows(
        cursor,
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
        "ORDER BY c.relname",
        [TABLE],
    )
    triggers = _rows(
        cursor,
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgparentid = 0",
        [TABLE],
    )
    grants = _rows(
        cursor,
        "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
        "LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid = %s::regclass AND a.grantee <> c.relowner",
        [TABLE],
    )

    new = f"{TABLE}_rebuilt"
    cursor.execute(
        f"CREATE TABLE {new} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE "
        f"INCLUDING COMMENTS)" + (" PARTITION BY HASH (pod_id)" if partitioned else "")
    )
    if partitioned:
        for remainder in range(PARTITIONS):
            cursor.execute(
                f"CREATE TABLE {TABLE}_p{remainder:02d} PARTITION OF {new} "
                f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {remainder})"
            )
    # One pod's entries side by side, in order: what a page of its log reads.
    # (Table names here are this module's constants, never input.)
    cursor.execute(f"INSERT INTO {new} SELECT * FROM {TABLE} ORDER BY pod_id, seq")  # noqa: S608
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{new}', 'id'), coalesce(max(id), 0) + 1, false) "  # noqa: S608
        f"FROM {new}"
    )
    cursor.execute(f"DROP TABLE {TABLE}")
    cursor.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
    cursor.execute(f"ALTER SEQUENCE {new}_id_seq RENAME TO {TABLE}_id_seq")

    for name, kind, definition in constraints:
        if kind == "p":
            definition = "PRIMARY KEY (pod_id, id)" if partitioned else "PRIMARY KEY (id)"
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        if name != ID_INDEX:
            cursor.execute(definition)
    if partitioned:
        cursor.execute(f"CREATE INDEX {ID_INDEX} ON {TABLE} (id)")
    for (definition,) in triggers:
        cursor.execute(definition)
    for privilege, grantee in grants:
        cursor.execute(f"GRANT {privilege} ON {TABLE} TO {grantee}")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            rebuild(cursor, partitioned=True)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            rebuild(cursor, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("vault", "0009_batch_credential_type")]

    operations = [migrations.RunPython(partition, unpartition)]
