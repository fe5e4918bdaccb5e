"""On PostgreSQL the database itself keeps the access log append-only.

A trigger refuses every DELETE of a log row and every UPDATE except pruning (detail cleared,
``pruned_at`` set once, position, time, kind, outcome and hashes unchanged). Pruning runs through
``vault_prune_access_log(before, at)``, a SECURITY DEFINER function owned by the table's owner:
an application role given only SELECT and INSERT on the log (docs/operations.md, "The access
log") can prune through it and cannot UPDATE or DELETE a row itself. Other databases (the
SQLite quick start) rely on the signed checkpoints alone.
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION vault_accessevent_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
       AND NEW.credential_id = '' AND NEW.credential_type = '' AND NEW.reason = '' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the access log is append-only: % of entry % refused', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only pruning past the retention window (vault_prune_access_log) changes an entry.';
END
$$;
DROP TRIGGER IF EXISTS vault_accessevent_append_only ON vault_accessevent;
CREATE TRIGGER vault_accessevent_append_only BEFORE UPDATE OR DELETE ON vault_accessevent
    FOR EACH ROW EXECUTE FUNCTION vault_accessevent_guard();

CREATE OR REPLACE FUNCTION vault_prune_access_log(before timestamptz, pruned timestamptz)
RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH done AS (
        UPDATE vault_accessevent SET
            pruned_at = pruned, actor_label = '', actor_organisation_id = NULL, purpose = '',
            legal_basis = '', grant_id = NULL, request_id = NULL, resource_id = NULL,
            credential_id = '', credential_type = '', reason = ''
        WHERE occurred_at < before AND pruned_at IS NULL
        RETURNING 1
    )
    SELECT count(*) FROM done
$$;
REVOKE ALL ON FUNCTION vault_prune_access_log(timestamptz, timestamptz) FROM PUBLIC;
"""

UNGUARD = """
DROP TRIGGER IF EXISTS vault_accessevent_append_only ON vault_accessevent;
DROP FUNCTION IF EXISTS vault_accessevent_guard();
DROP FUNCTION IF EXISTS vault_prune_access_log(timestamptz, timestamptz);
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("vault", "0007_access_log_retention_index")]

    operations = [migrations.RunPython(guard, unguard)]
