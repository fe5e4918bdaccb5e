"""The revoke race on the quick start: SQLite, `runserver` with threads, real HTTP.

Eight requesters' threads read under a grant while the citizen revokes it. Whatever database the
suite runs on, this runs its own server on a SQLite file (tests/quickstart.py), as `make demo`
does. Every answer is a 200 or a 403 (never "database is locked"), no read is served after the
revocation committed, and every read served is in the citizen's access log.
"""

import secrets
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from tests.quickstart import call, free_port, manage, quickstart_environment, read_env_file, runserver

READERS = 8
READS_BEFORE_REVOKE = 24  # served reads, across all threads, before the citizen revokes
READS_AFTER_REVOKE = 3  # per thread, each started after the revocation was answered
PURPOSE = "dpv:HumanResourceManagement"


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    directory = tmp_path_factory.mktemp("quickstart")
    environment = quickstart_environment(directory)
    manage(environment, "migrate", "--no-input")
    manage(environment, "seed_demo", "--env-file", str(directory / "demo.env"))
    with runserver(environment, free_port()) as base:
        yield base, read_env_file(directory / "demo.env")


def _grant(base, tokens):
    until = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, _, request = call(
        "POST",
        f"{base}/api/v1/access-requests",
        token=tokens["CV_EMPLOYER_TOKEN"],
        body={
            "citizen": {"nationalId": tokens["CV_NATIONAL_ID"]},
            "credentialTypes": ["DiplomaCredential"],
            "purpose": PURPOSE,
            "purposeDescription": "Revoke race on the quick start",
            "validUntil": until,
        },
    )
    assert status == 201, request
    status, _, grant = call(
        "POST",
        f"{base}/api/v1/pod/access-requests/{request['id']}/approve",
        token=tokens["CV_CITIZEN_TOKEN"],
        body={},
    )
    assert status == 201, grant
    return grant["id"]


def _log(base, token):
    entries, url = [], f"{base}/api/v1/pod/log"
    while url:
        status, _, page = call("GET", url, token=token)
        assert status == 200, page
        entries += page["results"]
        url = page["next"]
    return entries


def test_revocation_wins_every_read_of_an_eight_thread_race_on_sqlite(quickstart):
    base, tokens = quickstart
    grant_id = _grant(base, tokens)
    query = urlencode({"purpose": PURPOSE, "domain": "https://hr.acme.example"})

    # (phase, status, credentials served). Phases: "before" (answered before the revocation was
    # sent), "after" (sent after the revocation was answered), "during" (the others).
    answers = []
    lock = threading.Condition()
    revoke_sent, revoked, stop = threading.Event(), threading.Event(), threading.Event()

    def reader():
        after_revoke = 0
        while after_revoke < READS_AFTER_REVOKE and not stop.is_set():
            phase = "after" if revoked.is_set() else "during"
            url = f"{base}/api/v1/grants/{grant_id}/credentials?{query}&challenge={secrets.token_hex(16)}"
            try:
                status, _, body = call("GET", url, token=tokens["CV_EMPLOYER_TOKEN"])
                served = len(body["verifiablePresentation"]["verifiableCredential"]) if status == 200 else 0
            except Exception as error:  # no answer at all (a hung or dropped connection)
                status, served = repr(error), 0
            if not revoke_sent.is_set():
                phase = "before"
            with lock:
                answers.append((phase, status, served))
                if status not in (200, 403) or (phase == "before" and status != 200):
                    stop.set()  # the race is already lost: end it and report below
                lock.notify_all()
            after_revoke += phase == "after"

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    with lock:
        lock.wait_for(lambda: stop.is_set() or sum(s == 200 for _, s, _ in answers) >= READS_BEFORE_REVOKE)
    revoke_sent.set()
    revoke_status, _, revoke_body = call(
        "POST", f"{base}/api/v1/pod/grants/{grant_id}/revoke", token=tokens["CV_CITIZEN_TOKEN"]
    )
    revoked.set()
    for thread in threads:
        thread.join()

    failures = [(phase, status) for phase, status, _ in answers if status not in (200, 403)]
    assert failures == [], f"{len(failures)} of {len(answers)} reads failed: {failures[:5]}"
    assert revoke_status == 200, revoke_body
    assert {s for phase, s, _ in answers if phase == "before"} == {200}
    assert [s for phase, s, _ in answers if phase == "after"] == [403] * (READERS * READS_AFTER_REVOKE)

    # The server's own record: reads served come before the revocation in the log, and each
    # credential a requester received is logged as read under this grant.
    log = [entry for entry in _log(base, tokens["CV_CITIZEN_TOKEN"]) if entry["grantId"] == grant_id]
    (revocation,) = [entry for entry in log if entry["action"] == "grant.revoked"]
    reads = [entry for entry in log if entry["action"] == "credential.read"]
    denials = [entry for entry in log if entry["action"] == "access.denied"]
    assert reads, "no read was served before the revocation"
    assert max(entry["seq"] for entry in reads) < revocation["seq"]
    assert len(reads) == sum(served for _, _, served in answers)
    assert all(entry["seq"] > revocation["seq"] for entry in denials)
    assert len(denials) == sum(status == 403 for _, status, _ in answers)
    # The server's check of the whole log: asked for, then followed (eager Celery: done at once).
    status, headers, asked = call("POST", f"{base}/api/v1/pod/log/verify", token=tokens["CV_CITIZEN_TOKEN"])
    assert status == 202, asked
    status, _, chain = call("GET", base + headers["Location"], token=tokens["CV_CITIZEN_TOKEN"])
    assert status == 200 and chain["status"] == "done" and chain["valid"] is True, chain
