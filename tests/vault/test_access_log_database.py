"""On PostgreSQL the database keeps the log append-only: the application's role cannot UPDATE or
DELETE a log row, and even the table's owner is refused anything but pruning."""

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


@pytest.fixture
def app_role(citizen):
    """A role granted what docs/operations.md grants the application on the log; the test's
    connection acts as it (SET ROLE) until the end of the test. CREATE ROLE is transactional:
    the test's rollback removes it."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT ON vault_accessevent TO {APP_ROLE}")
        cursor.execute(
            f"GRANT EXECUTE ON FUNCTION vault_prune_access_log(timestamptz, timestamptz) TO {APP_ROLE}"
        )
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
