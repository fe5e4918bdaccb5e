"""The retention window: old entries lose their detail, keep their leaf, and still verify."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tests.vault.logtamper import as_dba
from vault import accesslog, tasks, verify_log
from vault.models import AccessEvent


def test_entries_past_the_window_keep_only_time_kind_and_hashes(settings, citizen, issued):
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    kept = citizen.get("/api/v1/pod/log").json()["checkpoint"]["note"]  # signed before back-dating
    before = {e.seq: (e.leaf_hash, e.entry_hash) for e in AccessEvent.objects.filter(pod=citizen.pod)}
    # Back-date entry 2 (its hashes now disagree with its time until pruning drops the detail).
    with as_dba():
        AccessEvent.objects.filter(pod=citizen.pod, seq=2).update(
            occurred_at=timezone.now() - timedelta(days=31)
        )
    assert tasks.prune_access_logs.delay().get() == 1
    assert tasks.prune_access_logs.delay().get() == 0  # idempotent
    old, recent = (
        AccessEvent.objects.get(pod=citizen.pod, seq=2),
        AccessEvent.objects.get(pod=citizen.pod, seq=1),
    )
    assert old.pruned_at is not None and recent.pruned_at is None
    assert (old.actor_label, old.credential_id, old.credential_type, old.actor_organisation_id) == (
        "",
        "",
        "",
        None,
    )
    assert (old.action, old.outcome) == ("credential.issued", "allowed")
    assert {e.seq: (e.leaf_hash, e.entry_hash) for e in AccessEvent.objects.filter(pod=citizen.pod)} == before
    assert accesslog.verify_chain(citizen.pod).valid
    export = citizen.get("/api/v1/pod/log/export").json()
    assert export["entries"][1]["entry"] is None and export["retentionDays"] == 30
    report = verify_log.verify(export, [kept])
    assert report.code == verify_log.OK, report.lines()
    assert any("1 pruned" in line for line in report.notes)


def test_the_portal_shows_the_window(settings, citizen):
    settings.ACCESS_LOG_RETENTION_DAYS = 1826
    browser = Client()
    browser.force_login(citizen.user)
    page = browser.get("/portal/log").content.decode()
    assert "kept in full for 1826 days" in page
