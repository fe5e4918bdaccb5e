"""A log entry names the fields a field-scoped read released (JSON pointers, never values).

On PostgreSQL the append-only guard (migration 0008, with the erasure of migration 0011) and the
pruning function of migration 0008 learn the new column: pruning clears it with the rest of an
entry's detail, and nothing else may change it.
"""

from django.db import migrations, models

# The guard of migrations 0008 and 0011 and the pruning function of 0008, with ``fields`` among
# the detail pruned.
GUARD = """
CREATE OR REPLACE FUNCTION vault_accessevent_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND EXISTS (SELECT 1 FROM vault_podtombstone WHERE pod_id = OLD.pod_id) THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE'
       AND OLD.pruned_at IS NULL AND NEW.pruned_at IS NOT NULL
       AND NEW.id = OLD.id AND NEW.pod_id = OLD.pod_id AND NEW.seq = OLD.seq
       AND NEW.occurred_at = OLD.occurred_at AND NEW.action = OLD.action
       AND NEW.outcome = OLD.outcome AND NEW.actor_kind = OLD.actor_kind
       AND NEW.prev_hash = OLD.prev_hash AND NEW.entry_hash = OLD.entry_hash
       AND NEW.leaf_hash = OLD.leaf_hash
       AND NEW.actor_label = '' AND NEW.actor_organisation_id IS NULL
       AND NEW.purpose = '' AND NEW.legal_basis = '' AND NEW.grant_id IS NULL
       AND NEW.request_id IS NULL AND NEW.resource_id IS NULL
       AND NEW.credential_id = '' AND NEW.credential_type = '' AND NEW.reason = ''
       {fields_cleared} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the access log is append-only: % of entry % refused', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only pruning past the retention window (vault_prune_access_log) changes an entry.';
END
$$;

CREATE OR REPLACE FUNCTION vault_prune_access_log(before timestamptz, pruned timestamptz)
RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH done AS (
        UPDATE vault_accessevent SET
            pruned_at = pruned, actor_label = '', actor_organisation_id = NULL, purpose = '',
            legal_basis = '', grant_id = NULL, request_id = NULL, resource_id = NULL,
            credential_id = '', credential_type = '', reason = ''{fields_pruned}
        WHERE occurred_at < before AND pruned_at IS NULL
        RETURNING 1
    )
    SELECT count(*) FROM done
$$;
REVOKE ALL ON FUNCTION vault_prune_access_log(timestamptz, timestamptz) FROM PUBLIC;
"""


def guard_fields(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        sql = GUARD.format(fields_cleared="AND NEW.fields = '[]'::jsonb", fields_pruned=", fields = '[]'::jsonb")
        schema_editor.execute(sql, params=None)


def unguard_fields(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD.format(fields_cleared="", fields_pruned=""), params=None)


class Migration(migrations.Migration):
    dependencies = [("vault", "0011_documents_export_erasure")]

    operations = [
        migrations.AddField(
            model_name="accessevent",
            name="fields",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(guard_fields, unguard_fields),
    ]
