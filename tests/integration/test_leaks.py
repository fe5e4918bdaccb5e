"""The leak test: canary strings in credentials and documents, every flow of a pod's life run
through the real PostgreSQL, Redis and a real Celery worker, then every place the operator can
look is scanned for them: a pg_dump, the captured logs, every Redis key and value, every Celery
message and every e-mail. Zero hits. After erasure, no key the operator holds opens anything of
the erased pods.

Marked `services`: skipped without DATABASE_URL (PostgreSQL) and REDIS_URL, failed instead when
REQUIRE_SERVICES=1 (as in CI). Needs the pg_dump binary.
"""

import base64
import io
import json
import logging
import shutil
import subprocess
import time
import zipfile
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import before_task_publish
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.models import Organisation
from accounts.services import create_organisation
from config.celery import app
from core.keyring import DecryptionError, KeyRing, keyring, unseal
from tests.conftest import diploma
from tests.vault.documentfiles import pdf
from vault import crypto
from vault.models import DocumentChunk, Pod, PodCredential, PodDocument, PodErasure, PodExport, PodTombstone
from vault.tasks import perform_due_erasures

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump"),
]

# Each canary is one token, unlikely anywhere by chance; all share the marker the scan looks for.
MARKER = "Zq7CANARY"
GIVEN, FAMILY, DEGREE = f"{MARKER}given", f"{MARKER}family", f"{MARKER}degree"
DOCUMENT, NAME = f"{MARKER}document", f"{MARKER}name"
CANARIES = [GIVEN, FAMILY, DEGREE, DOCUMENT, NAME]
READ_QUERY = urlencode(
    {
        "purpose": "dpv:HumanResourceManagement",
        "challenge": "3b9f6c0e-leak-test-nonce",
        "domain": "https://hr.acme.example",
    }
)


def forms(text: str) -> list[bytes]:
    """The ways a canary could sit in a dump or a message: as text, UTF-16, hex (bytea in a dump),
    and base64 at each of its three alignments."""
    raw = text.encode()
    found = [raw, text.encode("utf-16-le"), raw.hex().encode()]
    for pad in range(3):
        encoded = base64.b64encode(b"\x00" * pad + raw)
        found.append(encoded[4 if pad else 0 :][:-4])  # the middle, independent of the neighbours
    return found


NEEDLES = forms(MARKER)
# A marker put, on purpose, where each scan looks: each scan must find it, or it scans nothing.
CONTROL = "Zq7CONTROL"


def hits(where: str, blob: bytes, needles: list[bytes] = NEEDLES) -> list[str]:
    return [f"{where}: {needle!r}" for needle in needles if needle and needle in blob]


def test_the_needles_find_a_canary_however_it_is_encoded():
    for prefix in (b"", b"a", b"ab", b"abc"):
        raw = prefix + MARKER.encode() + b"tail"
        assert hits("raw", raw)
        assert hits("hex", raw.hex().encode())
        assert hits("base64", base64.b64encode(raw))
        assert hits("utf-16", raw.decode().encode("utf-16-le"))
    assert not hits("nothing", b"Zq7CANAR")


def wait_for(condition, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def redis_dump() -> bytes:
    client = redis.Redis.from_url(settings.REDIS_URL)
    parts: list[bytes] = []
    for key in client.scan_iter(count=500):
        parts.append(key)
        kind = client.type(key)
        if kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"list":
            parts += client.lrange(key, 0, -1)
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                parts += [field, value]
        elif kind == b"set":
            parts += list(client.smembers(key))
        elif kind == b"zset":
            parts += client.zrange(key, 0, -1)
    return b"\n".join(parts)


def pg_dump() -> bytes:
    db = connection.settings_dict
    return subprocess.run(  # noqa: S603 - pg_dump of the test's own database
        [  # noqa: S607 - pg_dump from PATH, as CI installs it
            "pg_dump",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"] or "postgres",
            "--no-owner",
            db["NAME"],
        ],
        check=True,
        capture_output=True,
        env={"PGPASSWORD": db["PASSWORD"] or "", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    ).stdout


def bytea_values() -> list[bytes]:
    values = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'bytea' AND table_schema = 'public'"
        )
        for table, column in cursor.fetchall():
            cursor.execute(f'SELECT "{column}" FROM "{table}"')  # noqa: S608 - names from the catalogue
            values += [bytes(value) for (value,) in cursor.fetchall() if value]
    return values


@pytest.fixture
def published():
    """Every Celery message sent during the test, body and headers, as the broker gets them."""
    messages: list[bytes] = []

    def record(sender=None, body=None, headers=None, **_):
        messages.append(json.dumps([sender, body, headers], default=repr).encode())

    before_task_publish.connect(record, weak=False)
    yield messages
    before_task_publish.disconnect(record)


def erase_now(actor) -> None:
    assert actor.post("/api/v1/pod/erasure").status_code == 202
    PodErasure.objects.filter(pod=actor.pod).update(due_at=timezone.now() - timedelta(seconds=1))
    perform_due_erasures.delay()
    wait_for(
        lambda: PodTombstone.objects.filter(pod_id=actor.pod.pk, completed_at__isnull=False).exists(),
        f"the erasure of pod {actor.pod.pk}",
    )


def test_no_canary_anywhere_the_operator_looks_and_none_recoverable_after_erasure(
    university, employer, citizen, other_citizen, caplog, published
):
    caplog.set_level(logging.DEBUG)
    # The controls: in the clear in the database, in a log line, in the cache, in a Celery message.
    create_organisation(name=f"{CONTROL} Recruiting", kind=Organisation.Kind.EMPLOYER)
    logging.getLogger("tests.leaks").info("control %s", CONTROL)
    cache.set("leak-test-control", CONTROL, 600)
    with start_worker(app, perform_ping_check=False, shutdown_timeout=20):
        app.send_task("leak-test.control", args=[CONTROL], queue="leak-test-control")
        # Issue: a diploma full of canaries.
        credential = diploma(
            givenName=GIVEN, familyName=FAMILY, degree={"type": "MasterDegree", "name": DEGREE}
        )
        issued = university.post(
            "/api/v1/issuer/credentials",
            {"recipient": {"nationalId": "BE:85073003328"}, "credential": credential},
        )
        assert issued.status_code == 201, issued.content
        # Read: the citizen, then an employer under a grant.
        assert GIVEN in citizen.get("/api/v1/pod/credentials").content.decode()
        request = employer.post(
            "/api/v1/access-requests",
            {
                "citizen": {"nationalId": "BE:85073003328"},
                "credentialTypes": ["DiplomaCredential"],
                "purpose": "dpv:HumanResourceManagement",
                "purposeDescription": "Degree check",
                "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
            },
        )
        assert request.status_code == 201, request.content
        grant = citizen.post(f"/api/v1/pod/access-requests/{request.json()['id']}/approve", {})
        assert grant.status_code == 201, grant.content
        read = employer.get(f"/api/v1/grants/{grant.json()['id']}/credentials?{READ_QUERY}")
        assert read.status_code == 200, read.content
        assert DEGREE in read.content.decode()
        # Documents: stored, listed, downloaded.
        content = pdf(DOCUMENT, padding=200_000)
        stored = citizen.client.post(
            f"/api/v1/pod/documents?type=cv&name={NAME}.pdf", content, content_type="application/pdf"
        )
        assert stored.status_code == 201, stored.content
        assert citizen.get("/api/v1/pod/documents").status_code == 200
        assert citizen.get(f"/api/v1/pod/documents/{stored.json()['id']}").content == content
        # Errors, each carrying canaries: a wrong type, a truncated upload, an unknown document type.
        html = f"<html>{DOCUMENT}</html>".encode()
        assert (
            citizen.client.post(
                "/api/v1/pod/documents?type=cv", html, content_type="application/pdf"
            ).status_code
            == 415
        )
        truncated = citizen.client.post(
            "/api/v1/pod/documents?type=cv",
            b"",
            content_type="application/pdf",
            CONTENT_LENGTH=str(len(content)),
            **{"wsgi.input": io.BytesIO(content[:150_000])},
        )
        assert truncated.status_code == 400
        assert (
            citizen.client.post(
                f"/api/v1/pod/documents?type={MARKER}", content, content_type="application/pdf"
            ).status_code
            == 400
        )

        # Export, through the worker; downloaded by its owner.
        export = citizen.post("/api/v1/pod/exports").json()
        wait_for(lambda: PodExport.objects.filter(pk=export["id"], status="ready").exists(), "the export")
        archive = citizen.get(f"/api/v1/pod/exports/{export['id']}/archive").content
        assert DOCUMENT.encode() in zipfile.ZipFile(io.BytesIO(archive)).read("documents/0001-cv.pdf")

        # Erasure of the first pod, through beat's task on the worker.
        erase_now(citizen)

        # Import into the second pod: a tampered archive first (refused), then the real one.
        source = zipfile.ZipFile(io.BytesIO(archive))
        files = {name: source.read(name) for name in source.namelist()}
        first = json.loads(files["credentials.json"])[0]["file"]
        files[first] = files[first].replace(DEGREE.encode(), f"{MARKER}forged".encode())
        tampered = io.BytesIO()
        with zipfile.ZipFile(tampered, "w") as out:
            for name, data in files.items():
                out.writestr(name, data)
        refused = other_citizen.client.post(
            "/api/v1/pod/import", tampered.getvalue(), content_type="application/zip"
        )
        assert refused.status_code == 422
        imported = other_citizen.client.post("/api/v1/pod/import", archive, content_type="application/zip")
        assert imported.status_code == 201, imported.content
        assert FAMILY in other_citizen.get("/api/v1/pod/credentials").content.decode()

        # An integrity failure: a tampered chunk of the imported document.
        chunk = DocumentChunk.objects.filter(document__pod=other_citizen.pod).order_by("index").first()
        broken = bytearray(bytes(chunk.sealed))
        broken[-1] ^= 1
        DocumentChunk.objects.filter(pk=chunk.pk).update(sealed=bytes(broken))
        document = PodDocument.objects.get(pod=other_citizen.pod)
        assert other_citizen.get(f"/api/v1/pod/documents/{document.pk}").status_code == 500

        # Erasure of the second pod.
        erase_now(other_citizen)
        wait_for(lambda: len(mail.outbox) >= 3, "the e-mails")

    # --- the scan ---------------------------------------------------------------------------------
    dump, stored = pg_dump(), redis_dump()
    logs = caplog.text.encode() + b"".join(repr(record.__dict__).encode() for record in caplog.records)
    messages = b"\n".join(published)
    mails = "\n".join(f"{sent.subject}\n{sent.body}" for sent in mail.outbox).encode()
    control = forms(CONTROL)
    for where, blob in (("pg_dump", dump), ("logs", logs), ("redis", stored), ("celery", messages)):
        assert hits(where, blob, control), f"the control is not found in {where}: that scan sees nothing"
    assert mail.outbox, "no e-mail was sent: the scan of e-mails scanned nothing"
    found = []
    for where, blob in (
        ("pg_dump", dump),
        ("logs", logs),
        ("redis", stored),
        ("celery", messages),
        ("mail", mails),
    ):
        found += hits(where, blob)
    assert found == []

    # --- after erasure, the operator's keys open nothing of the erased pods ----------------------
    erased = [citizen.pod.pk, other_citizen.pod.pk]
    assert set(
        PodTombstone.objects.filter(completed_at__isnull=False).values_list("pod_id", flat=True)
    ) == set(erased)
    assert not Pod.objects.filter(pk__in=erased).exists()
    assert not PodCredential.objects.filter(pod_id__in=erased).exists()
    ring: KeyRing = keyring()
    kek_bytes = [ring._keys[kid] for kid in ring.key_ids]  # the operator holds every KEK
    opened = 0
    for value in bytea_values():
        for pod_id in erased:
            for kek in kek_bytes:
                try:
                    unseal(kek, value, aad=crypto._data_key_aad(pod_id))
                    opened += 1
                except DecryptionError:
                    pass
    assert opened == 0


@pytest.fixture(autouse=True)
def _drop_the_control_queue():
    """The control message waits in a queue no worker reads: removed after the test."""
    yield
    redis.Redis.from_url(settings.REDIS_URL).delete("leak-test-control")
