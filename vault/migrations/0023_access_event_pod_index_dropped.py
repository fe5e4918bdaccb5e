"""The access log's index on ``pod_id`` alone goes: the primary key (pod_id, id) and the unique
(pod_id, seq) both lead with the pod and answer every question that index did, and each append
paid one more index insertion per entry for it (docs/benchmarks.md, issue 18).

Only the index is dropped. Django's own AlterField would also drop and re-add the foreign key,
re-checking every entry of the log under a lock; the constraint is left as it is. The name is
the one Django gave the index on both PostgreSQL (where dropping the partitioned parent's index
drops each partition's) and SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "vault_accessevent_pod_id_1f805c37"


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0022_pod_holder_did_partial_unique"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="accessevent",
                    name="pod",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="access_events",
                        to="vault.pod",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "vault_accessevent" ("pod_id")',
                ),
            ],
        ),
    ]
