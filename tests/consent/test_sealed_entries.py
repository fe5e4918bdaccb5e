"""Sealed entries: a legal read under a mandate with a disclosure delay is in the citizen's log at
once ("sealed until <date>", with the agency's name), its detail hidden everywhere until that
date, and open by itself from then on, checkable offline against the digest the entry committed to.

Both halves of the attack "a sealed entry hidden past its date" are tested: the detail is hidden
before the date (API, download, readable summary, portal, notifications), and not hidden after it
(opened by the beat task, and by any reader when the task has not run).
"""

import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from inbox.models import Notification
from tests.support import assert_problem
from vault import accesslog, logformat, sealing, verify_log
from vault import services as vault_services
from vault.models import AccessEvent, SealedLogDetail
from vault.selectors import verify_access_log
from vault.tasks import open_sealed_entries

from .conftest import DIPLOMA
from .fields import AWARDED_ON, DEGREE_NAME, SHARED
from .legal import CASE, LAW_TITLE, LAW_URL, legal_read, mandate_for

DELAY_DAYS = 30


@pytest.fixture
def sealed_read(agency, holding):
    mandate = mandate_for(agency.organisation, delay=DELAY_DAYS)
    response = legal_read(agency, mandate.pk)
    assert response.status_code == 200, response.json()
    [result] = response.json()["results"]
    assert result["outcome"] == "read"
    until = datetime.fromisoformat(result["sealedUntil"].replace("Z", "+00:00"))
    assert timedelta(days=DELAY_DAYS - 1) < until - timezone.now() <= timedelta(days=DELAY_DAYS)
    [entry] = AccessEvent.objects.filter(pod=holding.pod, action=AccessEvent.Action.CREDENTIAL_READ)
    return entry, until


SECRETS = (CASE, LAW_URL, LAW_TITLE, DEGREE_NAME, AWARDED_ON)


def _assert_hidden(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    for value in SHARED.values():
        assert value not in text


def _later(monkeypatch, until: datetime) -> None:
    moment = until + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def _download(citizen) -> dict:
    response = citizen.get("/api/v1/pod/log/export")
    assert response.status_code == 200
    return response.json()


def _log_entry(citizen, seq: int) -> dict:
    results = citizen.get("/api/v1/pod/log").json()["results"]
    return next(entry for entry in results if entry["seq"] == seq)


def test_a_sealed_entry_shows_the_agency_and_the_date_and_nothing_else_before_it(
    agency, holding, sealed_read
):
    entry, until = sealed_read
    # The entry as chained: the agency, the act, the date and a digest; the detail elsewhere, sealed.
    assert entry.actor_label == agency.organisation.name
    assert entry.legal["sealedUntil"] == until.isoformat().replace("+00:00", "Z")
    assert set(entry.legal) == {"sealedUntil", "digest"}
    assert (entry.credential_type, entry.credential_id, entry.fields, entry.purpose, entry.legal_basis) == (
        "",
        "",
        [],
        "",
        "",
    )
    row = SealedLogDetail.objects.get(pod=holding.pod, seq=entry.seq)
    assert row.opened is None and CASE.encode() not in bytes(row.sealed)
    # The API: the entry, marked sealed, its detail null.
    shown = _log_entry(holding, entry.seq)
    assert shown["actor"]["name"] == agency.organisation.name
    assert shown["legal"]["detail"] is None and shown["credentialType"] == ""
    _assert_hidden(json.dumps(shown))
    _assert_hidden(holding.get("/api/v1/pod/log").content.decode())
    # The download and its readable summary.
    download = _download(holding)
    _assert_hidden(json.dumps(download))
    assert not any("sealedDetail" in item for item in download["entries"])
    report = verify_log.verify(download)
    assert report.code == verify_log.OK, report.lines()
    assert any("1 still sealed" in line for line in report.notes)
    # No notice of it yet (it would tip off the investigation), and the opening task opens nothing.
    assert not Notification.objects.filter(recipient=holding.user).exclude(kind="request.new").exists()
    assert open_sealed_entries() == 0
    assert verify_access_log(holding.pod).valid


def test_a_sealed_entry_opens_by_itself_on_its_date(monkeypatch, agency, holding, sealed_read):
    entry, until = sealed_read
    _later(monkeypatch, until)
    assert open_sealed_entries() == 1
    assert open_sealed_entries() == 0  # once
    [notice] = Notification.objects.filter(recipient=holding.user, kind=Notification.Kind.SEALED_OPENED)
    assert notice.actor_label == agency.organisation.name
    shown = _log_entry(holding, entry.seq)
    detail = shown["legal"]["detail"]
    assert detail["legal"] == {
        "mandate": detail["legal"]["mandate"],
        "reference": LAW_URL,
        "title": LAW_TITLE,
        "case": CASE,
    }
    assert detail["credentialType"] == DIPLOMA
    assert detail["fields"] == sorted([AWARDED_ON, DEGREE_NAME])
    assert sealing.digest_of(detail) == shown["legal"]["digest"] == entry.legal["digest"]
    # Offline: the download carries the opened detail, and the verifier checks it against the digest.
    download = _download(holding)
    report = verify_log.verify(download)
    assert report.code == verify_log.OK, report.lines()
    assert any("1 opened and checked" in line for line in report.notes)
    assert verify_access_log(holding.pod).valid


def test_attack_a_sealed_entry_hidden_past_its_date(monkeypatch, holding, sealed_read):
    """The beat task never ran: every reader opens what is due before it shows the log."""
    entry, until = sealed_read
    _later(monkeypatch, until)
    assert _log_entry(holding, entry.seq)["legal"]["detail"]["legal"]["case"] == CASE
    assert SealedLogDetail.objects.get(pod=holding.pod, seq=entry.seq).opened_at is not None
    assert Notification.objects.filter(kind=Notification.Kind.SEALED_OPENED).count() == 1
    download = _download(holding)
    [opened] = [item["sealedDetail"] for item in download["entries"] if "sealedDetail" in item]
    assert opened["legal"]["case"] == CASE


def test_a_download_opens_what_is_due_too(monkeypatch, holding, sealed_read):
    _, until = sealed_read
    _later(monkeypatch, until)
    download = _download(holding)
    assert sum("sealedDetail" in item for item in download["entries"]) == 1


def test_an_altered_opened_detail_fails_offline_verification(monkeypatch, holding, sealed_read):
    _, until = sealed_read
    _later(monkeypatch, until)
    download = _download(holding)
    [item] = [item for item in download["entries"] if "sealedDetail" in item]
    item["sealedDetail"]["legal"]["case"] = "AML/2026/0001"
    report = verify_log.verify(download)
    assert report.code == verify_log.TAMPERED, report.lines()
    # And a detail attached to an entry that sealed none.
    download = _download(holding)
    download["entries"][0]["sealedDetail"] = {"salt": "x"}
    assert verify_log.verify(download).code == verify_log.TAMPERED


def test_a_sealed_detail_is_bound_to_its_entry(monkeypatch, agency, holding, sealed_read):
    """A detail copied onto another entry's row does not open (its associated data names the seq)."""
    entry, until = sealed_read
    row = SealedLogDetail.objects.get(pod=holding.pod, seq=entry.seq)
    SealedLogDetail.objects.filter(pk=row.pk).update(seq=entry.seq - 1)
    _later(monkeypatch, until)
    assert open_sealed_entries() == 0  # logged as an integrity error; the others still open
    assert SealedLogDetail.objects.get(pk=row.pk).opened is None


def test_a_pod_data_key_rotation_keeps_sealed_details_openable(monkeypatch, holding, sealed_read):
    entry, until = sealed_read
    before = SealedLogDetail.objects.get(pod=holding.pod, seq=entry.seq)
    assert vault_services.rotate_pod_data_key(pod_id=holding.pod.pk) > 0
    after = SealedLogDetail.objects.get(pod=holding.pod, seq=entry.seq)
    assert bytes(after.sealed) != bytes(before.sealed)
    assert after.key_version == before.key_version + 1  # under the new key, the old one dropped
    _later(monkeypatch, until)
    assert open_sealed_entries() == 1


def test_the_digest_is_over_canonical_bytes_with_a_salt(holding, sealed_read, monkeypatch):
    entry, until = sealed_read
    _later(monkeypatch, until)
    open_sealed_entries()
    detail = SealedLogDetail.objects.get(pod=holding.pod, seq=entry.seq).opened
    assert len(detail["salt"]) >= 20  # 16 random bytes, base64
    import hashlib

    assert hashlib.sha256(logformat.canonical_json(detail)).hexdigest() == entry.legal["digest"]


def test_a_denied_attempt_under_a_delayed_mandate_is_not_sealed(agency, holding):
    mandate = mandate_for(agency.organisation, delay=DELAY_DAYS)
    response = legal_read(agency, mandate.pk, type=DIPLOMA, claims=["/credentialSubject/grade"])
    assert_problem(response, 403, "field-out-of-mandate")
    [denial] = AccessEvent.objects.filter(pod=holding.pod, outcome=AccessEvent.Outcome.DENIED)
    assert denial.legal["case"] == CASE
    assert not SealedLogDetail.objects.exists()


def test_the_retention_sweep_removes_a_pruned_entrys_sealed_detail(monkeypatch, holding, sealed_read):
    entry, until = sealed_read
    _later(monkeypatch, until)
    assert open_sealed_entries() == 1  # opened: the detail now holds the case reference in clear
    assert SealedLogDetail.objects.filter(pod=holding.pod, seq=entry.seq).exists()

    accesslog.prune(before=until)

    entry.refresh_from_db()
    assert entry.pruned_at is not None and entry.legal == {}
    assert not SealedLogDetail.objects.filter(pod=holding.pod).exists()
