"""The operator admin over the vault: metadata only, and cheap on the largest table."""


def test_the_operators_log_list_counts_at_most_its_cap_and_orders_by_id(admin_client, citizen, monkeypatch):
    """The admin's list of log entries must not count or sort the whole (largest) table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vault.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 1)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/admin/vault/accessevent/")
    assert response.status_code == 200
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "accessevent" in q["sql"]]
    assert counts and all("LIMIT 1" in sql for sql in counts)
    listing = [q["sql"] for q in queries if "ORDER BY" in q["sql"] and "vault_accessevent" in q["sql"]]
    assert any('"vault_accessevent"."id" DESC' in sql for sql in listing)
