"""A pod's data-key rotation survives a SIGKILL half-way: the rerun finishes, every record opens,
nothing is lost or re-encrypted twice, and the pod's log says ``pod.rekeyed`` once.

`manage.py rotate_data_keys` runs as a subprocess on the PostgreSQL test database (the test's
rows are committed: transaction=True), is killed with SIGKILL after some batches (possibly inside
one), and is run again. Reads go on between the batches of the killed run, with rows under both
keys. The pod holds 600 credentials (real ciphertexts under its data key, written in bulk) and a
document in several chunks.
"""

import io
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from vault import crypto, documents
from vault.models import AccessEvent, DocumentChunk, Pod, PodCredential
from vault.services import read_own_credentials

from .documentfiles import pdf

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
CREDENTIALS = 600
BATCH = 20
KILL_AFTER_BATCHES = 8


def environment() -> dict[str, str]:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{port}/{db['NAME']}",
        "PYTHONUNBUFFERED": "1",
    }


def fill(pod: Pod, issuer) -> dict[uuid.UUID, dict]:
    """CREDENTIALS credentials sealed under the pod's data key exactly as issuance seals them."""
    key, made, rows = crypto.data_key(pod), {}, []
    for n in range(CREDENTIALS):
        resource_id = uuid.uuid4()
        document = {"id": f"urn:uuid:{resource_id}", "type": ["VerifiableCredential"], "n": n}
        made[resource_id] = document
        rows.append(
            PodCredential(
                id=resource_id,
                pod=pod,
                credential_id=document["id"],
                credential_type="DiplomaCredential",
                issuer=issuer,
                ciphertext=crypto.seal_for_pod(
                    key, pod.pk, crypto.CREDENTIAL_KIND, resource_id, 1, json.dumps(document).encode()
                ),
            )
        )
    PodCredential.objects.bulk_create(rows, batch_size=500)
    return made


def test_a_pod_rotation_killed_half_way_is_finished_by_the_next_run_and_loses_nothing(
    on_postgres, university, citizen
):
    if not on_postgres:
        pytest.skip("the killed run and this test share the database only on PostgreSQL")
    pod = Pod.objects.get(pk=citizen.pod.pk)
    made = fill(pod, university.organisation)
    content = pdf("CANARY-sigkill-rotation")
    with override_settings(DOCUMENT_CHUNK_BYTES=64):
        document = documents.store_document(
            owner=citizen.user,
            document_type="cv",
            content_type="application/pdf",
            stream=io.BytesIO(content),
            length=len(content),
        )
    chunks = DocumentChunk.objects.filter(document=document).count()
    assert chunks > 2

    run = subprocess.Popen(  # noqa: S603 - our own command line
        [
            sys.executable,
            "manage.py",
            "rotate_data_keys",
            "--pod",
            str(pod.pk),
            "--batch-size",
            str(BATCH),
            "--pause",
            "0.2",
        ],
        cwd=REPO,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert run.stdout is not None
    batches = 0
    while batches < KILL_AFTER_BATCHES:
        line = run.stdout.readline()
        assert line, f"rotate_data_keys ended before {KILL_AFTER_BATCHES} batches (exit {run.wait()})"
        if "re-encrypted" in line and "to go" in line:
            batches += 1
            if batches == 2:  # reads go on between batches, with rows under both keys
                assert len(read_own_credentials(owner=citizen.user)) == CREDENTIALS
    os.kill(run.pid, signal.SIGKILL)
    assert run.wait(timeout=30) == -signal.SIGKILL, run.stdout.read()
    run.stdout.close()

    pod = Pod.objects.get(pk=pod.pk)
    assert pod.data_key_version == 2 and pod.previous_kek_id, "killed with the rotation in progress"
    moved = {row.pk: bytes(row.ciphertext) for row in PodCredential.objects.filter(pod=pod, key_version=2)}
    assert BATCH * (KILL_AFTER_BATCHES - 1) <= len(moved) < CREDENTIALS, "killed half-way"
    new_key_sealed = bytes(pod.data_key_sealed)
    assert not AccessEvent.objects.filter(pod=pod, action="pod.rekeyed").exists()

    rerun = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "rotate_data_keys", "--all", "--batch-size", str(BATCH)],
        cwd=REPO,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    left = CREDENTIALS - len(moved) + 1 + chunks  # the rest, the document's name and its chunks
    assert f"pod {pod.pk}: {left} ciphertexts to re-encrypt under data key version 2" in rerun.stdout

    pod = Pod.objects.get(pk=pod.pk)
    assert bytes(pod.data_key_sealed) == new_key_sealed  # resumed, not begun again
    assert (pod.data_key_version, pod.previous_kek_id, bytes(pod.previous_data_key_sealed)) == (2, "", b"")
    rows = {row.pk: row for row in PodCredential.objects.filter(pod=pod)}
    assert set(rows) == set(made)  # nothing lost, nothing added
    for pk, sealed in moved.items():  # nothing the killed run moved was re-encrypted again
        assert bytes(rows[pk].ciphertext) == sealed
    key = crypto.data_key(pod)
    for pk, row in rows.items():
        assert row.key_version == 2
        opened = crypto.open_for_pod(key, pod.pk, crypto.CREDENTIAL_KIND, pk, 1, bytes(row.ciphertext))
        assert json.loads(opened) == made[pk]
    assert documents.read_document(owner=citizen.user, document_id=document.pk)[2] == content
    assert AccessEvent.objects.filter(pod=pod, action="pod.rekeyed").count() == 1
