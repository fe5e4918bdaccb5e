"""The offline verifier: every way of tampering with the log in the database is caught, given the
citizen's last checkpoint. Runs on SQLite and, with DATABASE_URL, on PostgreSQL (as a DBA would:
with the log's triggers switched off for the session)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from tests.vault.conftest import file_approve_and_read
from vault import accesslog, merkle, verify_log
from vault.models import AccessEvent, PodLog

REPO = Path(__file__).resolve().parents[2]
PURPOSE = "dpv:HumanResourceManagement"


@pytest.fixture
def history(citizen, employer, issued):
    """A pod whose log holds: 1 opened, 2 issued, 3 filed, 4 approved, 5 read; and the checkpoint
    the citizen kept of it (from an ordinary log response)."""
    file_approve_and_read(citizen, employer, challenge="tamper-nonce-000001")
    citizen.kept = citizen.get("/api/v1/pod/log").json()["checkpoint"]["note"]
    assert accesslog.head_of(citizen.pod).size == 5
    return citizen


def sql(statement: str, params: list | None = None) -> None:
    """As someone with write access to the database (a DBA: the log's guards are off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(statement, params or [])
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def row(pod, seq: int) -> AccessEvent:
    return AccessEvent.objects.get(pod=pod, seq=seq)


def rewind_head(pod) -> None:
    """Make the head agree with whatever rows are left, as a careful attacker would."""
    events = list(AccessEvent.objects.filter(pod=pod).order_by("seq"))
    frontier = merkle.frontier_of([bytes.fromhex(e.leaf_hash) for e in events])
    sql(
        "UPDATE vault_podlog SET size = %s, head_hash = %s, frontier = %s WHERE pod_id = %s",
        [len(events), events[-1].entry_hash if events else accesslog.GENESIS, b"".join(frontier), pod.pk.hex],
    )


def recompute(pod) -> None:
    """Recompute every entry's chain link, hash and leaf with the project's own functions."""
    prev = accesslog.GENESIS
    for event in AccessEvent.objects.filter(pod=pod).order_by("seq"):
        event.prev_hash = prev
        event.entry_hash, event.leaf_hash = accesslog.entry_hash(event), accesslog.leaf_hash(event)
        sql(
            "UPDATE vault_accessevent SET prev_hash = %s, entry_hash = %s, leaf_hash = %s WHERE id = %s",
            [event.prev_hash, event.entry_hash, event.leaf_hash, event.pk],
        )
        prev = event.entry_hash
    rewind_head(pod)


def check(citizen) -> verify_log.Report:
    download = citizen.get("/api/v1/pod/log/export")
    assert download.status_code == 200
    return verify_log.verify(download.json(), [citizen.kept])


def assert_tampered(report: verify_log.Report, *, code: int = verify_log.TAMPERED) -> None:
    assert report.code == code, report.lines()


# --- intact ------------------------------------------------------------------------------------


def test_an_untouched_log_verifies_with_its_kept_checkpoint(history):
    report = check(history)
    assert report.code == verify_log.OK, report.lines()
    assert report.lines()[-1].startswith("INTACT")


def test_the_download_is_itself_logged_and_covered_by_its_checkpoint(history):
    export = history.get("/api/v1/pod/log/export").json()
    assert export["entries"][-1]["entry"]["action"] == "log.exported"
    assert export["treeSize"] == 6 == len(export["inclusionProofs"])
    assert "\n6\n" in export["checkpoint"]


# --- each tampering, caught --------------------------------------------------------------------


def test_an_edited_field_is_caught(history):
    sql(
        "UPDATE vault_accessevent SET actor_label = %s WHERE id = %s",
        ["Someone Else", row(history.pod, 5).pk],
    )
    assert_tampered(check(history))


def test_a_deleted_middle_row_is_caught(history):
    sql("DELETE FROM vault_accessevent WHERE id = %s", [row(history.pod, 3).pk])
    assert_tampered(check(history))


def test_two_swapped_rows_are_caught(history):
    third, fourth = row(history.pod, 3).pk, row(history.pod, 4).pk
    sql("UPDATE vault_accessevent SET seq = 999 WHERE id = %s", [third])
    sql("UPDATE vault_accessevent SET seq = 3 WHERE id = %s", [fourth])
    sql("UPDATE vault_accessevent SET seq = 4 WHERE id = %s", [third])
    assert_tampered(check(history))


def test_an_inserted_row_is_caught_even_with_the_chain_and_head_recomputed(history):
    for seq in (5, 4, 3):
        sql("UPDATE vault_accessevent SET seq = %s WHERE id = %s", [seq + 1, row(history.pod, seq).pk])
    forged = row(history.pod, 2)
    forged.pk, forged.seq, forged.actor_label = None, 3, "A forged entry"
    with transaction.atomic():
        forged.save(force_insert=True)
    recompute(history.pod)
    assert_tampered(check(history))


def test_a_cut_tail_is_caught_even_with_the_head_rewound(history):
    sql("DELETE FROM vault_accessevent WHERE pod_id = %s AND seq >= 4", [history.pod.pk.hex])
    rewind_head(history.pod)
    report = check(history)
    assert_tampered(report)
    assert any("removed" in line for line in report.tampered)


def test_a_wholly_deleted_log_is_caught(history):
    sql("DELETE FROM vault_accessevent WHERE pod_id = %s", [history.pod.pk.hex])
    sql("DELETE FROM vault_podlog WHERE pod_id = %s", [history.pod.pk.hex])
    report = check(history)
    assert_tampered(report)
    assert any("removed" in line for line in report.tampered)


def test_an_edited_entry_with_the_chain_recomputed_is_caught(history):
    sql("UPDATE vault_accessevent SET outcome = 'denied' WHERE id = %s", [row(history.pod, 5).pk])
    recompute(history.pod)
    assert accesslog.verify_chain(history.pod).entries == 5  # the chain itself now looks fine
    assert_tampered(check(history))


def test_two_checkpoints_signed_for_one_size_with_different_roots_are_a_fork(history):
    # Drop the last entry and rewind: the service's next append signs size 5 again, another root.
    sql("DELETE FROM vault_accessevent WHERE id = %s", [row(history.pod, 5).pk])
    rewind_head(history.pod)
    with transaction.atomic():
        accesslog.append(
            history.pod,
            context=accesslog.AccessContext.system(),
            action=AccessEvent.Action.ACCESS_DENIED,
            outcome=AccessEvent.Outcome.DENIED,
        )
    other = PodLog.objects.get(pk=history.pod.pk).checkpoint
    assert "\n5\n" in other and other != history.kept
    export = history.get("/api/v1/pod/log/export").json()
    report = verify_log.verify(export, [history.kept, other])
    assert_tampered(report, code=verify_log.FORKED)


# --- inputs the verifier refuses ---------------------------------------------------------------


def test_a_checkpoint_not_signed_by_a_log_key_does_not_count(history):
    export = history.get("/api/v1/pod/log/export").json()
    forged = history.kept.replace("\n5\n", "\n4\n")
    report = verify_log.verify(export | {"checkpoint": ""}, [forged])
    assert report.code == verify_log.UNSIGNED, report.lines()


def test_a_pinned_key_refuses_keys_swapped_in_the_download(history):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from vault import logformat

    export = history.get("/api/v1/pod/log/export").json()
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    pinned = [
        logformat.VerifierKey(*(lambda n: (n, logformat.key_id(n, stranger), stranger))("x/access-log"))
    ]
    assert verify_log.verify(export, [history.kept], pinned).code == verify_log.UNSIGNED


# --- the command line, without Django ------------------------------------------------------------


def run_cli(*args: str, isolated: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    if isolated:  # -I: no PYTHONPATH, no cwd on sys.path; prove no Django module was imported
        code = (
            f"import runpy, sys; sys.path.insert(0, {str(REPO)!r})\n"
            "sys.argv = ['verify_log', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('vault.verify_log', run_name='__main__')\n"
            "except SystemExit as exit:\n"
            "    loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
            "    print('DJANGO:', loaded)\n    raise\n"
        )
        command = [sys.executable, "-I", "-c", code, *args]
    else:
        command = [sys.executable, "-m", "vault.verify_log", *args]
    return subprocess.run(  # noqa: S603 - our own interpreter and module, test-made arguments
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_command_line_checks_a_download_without_django(history, tmp_path):
    export, kept = tmp_path / "log.json", tmp_path / "kept.txt"
    export.write_text(json.dumps(history.get("/api/v1/pod/log/export").json()))
    kept.write_text(history.kept)
    result = run_cli(str(export), "--checkpoint", str(kept), isolated=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INTACT" in result.stdout
    assert "DJANGO: []" in result.stdout


def test_the_command_line_exit_codes(history, tmp_path):
    export, kept = tmp_path / "log.json", tmp_path / "kept.json"
    kept.write_text(json.dumps(history.get("/api/v1/pod/log").json()))  # a saved API response works too
    sql("DELETE FROM vault_accessevent WHERE id = %s", [row(history.pod, 3).pk])
    export.write_text(json.dumps(history.get("/api/v1/pod/log/export").json()))
    tampered = run_cli(str(export), "--checkpoint", str(kept))
    assert tampered.returncode == verify_log.TAMPERED, tampered.stdout + tampered.stderr
    assert "TAMPERED" in tampered.stdout
    (tmp_path / "junk.json").write_text("{not json")
    assert run_cli(str(tmp_path / "junk.json")).returncode == verify_log.UNREADABLE
    assert run_cli(str(tmp_path / "missing.json")).returncode == verify_log.UNREADABLE


# --- the download, from the API and the portal -------------------------------------------------


def test_the_portal_offers_both_downloads_and_logs_each(citizen):
    from django.test import Client

    browser = Client()
    browser.force_login(citizen.user)
    assert browser.get("/portal/log/download").status_code == 405
    as_json = browser.post("/portal/log/download", {"as": "json"})
    assert as_json["Content-Disposition"].endswith('.json"')
    assert verify_log.verify(json.loads(as_json.content)).code == verify_log.OK
    as_text = browser.post("/portal/log/download", {"as": "text"})
    assert as_text["Content-Type"].startswith("text/plain")
    text = as_text.content.decode()
    assert "Access log downloaded" in text and "Signed checkpoint" in text
    assert list(AccessEvent.objects.filter(pod=citizen.pod).values_list("action", "reason")) == [
        ("log.exported", "summary"),
        ("log.exported", "json"),
        ("pod.opened", ""),
    ]


def test_the_download_is_the_citizens_own(citizen, other_citizen, employer, anonymous):
    assert anonymous.get("/api/v1/pod/log/export").status_code == 401
    assert employer.get("/api/v1/pod/log/export").status_code in (403, 404)
    assert other_citizen.get("/api/v1/pod/log/export").json()["pod"] == str(other_citizen.pod.pk)
    assert not AccessEvent.objects.filter(pod=citizen.pod, action="log.exported").exists()
