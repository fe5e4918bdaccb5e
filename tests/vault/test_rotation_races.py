"""A pod's data-key rotation interleaved with the writes that seal outside the pod's lock.

An upload seals its chunks as they stream in, and an export seals its archive after building it;
a data-key rotation may begin and end meanwhile. These tests pause the upload (or the export) in
its own thread and connection at exactly that point, run a whole rotation from the test's
connection, release it, and check that what it stored opens, is under the pod's current key, and
that the old key is gone. Before the fix the chunks were stored under the key the rotation had
just dropped: unreadable for good. PostgreSQL only (two connections, real row locks).
"""

import io
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.paused import WAIT, Paused
from vault import crypto, documents, keyrotation, podexport
from vault.models import AccessEvent, DocumentChunk, ExportChunk, Pod, PodDocument, PodExport
from vault.services import rotate_pod_data_key

from .documentfiles import pdf

pytestmark = pytest.mark.django_db(transaction=True)

MARKER = "CANARY-race-cv-5d1e"


@pytest.fixture(autouse=True)
def postgres_only(on_postgres):
    if not on_postgres:
        pytest.skip("two connections and row locks: PostgreSQL")


def test_an_upload_sealed_before_a_whole_rotation_is_stored_under_the_new_key(citizen, issued, monkeypatch):
    content = pdf(MARKER)
    seal_stream = documents.seal_stream

    def upload() -> PodDocument:
        return documents.store_document(
            owner=citizen.user,
            document_type="cv",
            content_type="application/pdf",
            stream=io.BytesIO(content),
            length=len(content),
            name="cv.pdf",
        )

    uploader = Paused(upload)

    def sealed_then_paused(**kwargs):
        sealed = seal_stream(**kwargs)
        uploader.pause()  # sealed under the pod's key version 1, nothing stored yet
        return sealed

    monkeypatch.setattr(documents, "seal_stream", sealed_then_paused)
    uploader.start()
    assert uploader.reached.wait(WAIT)

    rotate_pod_data_key(pod_id=citizen.pod.pk)  # begins and ends while the upload waits
    pod = Pod.objects.get(pk=citizen.pod.pk)
    assert (pod.data_key_version, pod.previous_kek_id) == (2, "")  # the old key is gone

    document = uploader.finish()
    assert PodDocument.objects.get(pk=document.pk).key_version == 2
    assert set(DocumentChunk.objects.filter(document=document).values_list("key_version", flat=True)) == {2}
    _, name, opened = documents.read_document(owner=citizen.user, document_id=document.pk)
    assert (name, opened) == ("cv.pdf", content)


def test_an_upload_that_holds_the_pods_lock_makes_the_rotation_wait_and_is_then_re_encrypted(
    citizen, issued, monkeypatch
):
    content = pdf(MARKER)
    check_room = documents._check_room

    def upload() -> PodDocument:
        return documents.store_document(
            owner=citizen.user,
            document_type="cv",
            content_type="application/pdf",
            stream=io.BytesIO(content),
            length=len(content),
        )

    uploader = Paused(upload)

    checks: list[int] = []

    def checked_then_paused(pod, length):
        check_room(pod, length)
        checks.append(length)
        if len(checks) == 2:  # the second check is made in _save, under the pod's row lock
            uploader.pause()

    monkeypatch.setattr(documents, "_check_room", checked_then_paused)
    uploader.start()
    assert uploader.reached.wait(WAIT)  # inside _save, holding the pod's row lock

    rotator = Paused(lambda: rotate_pod_data_key(pod_id=citizen.pod.pk))
    rotator.start()
    with connection.cursor() as cursor:  # the rotation's start waits on the upload's row lock
        for _ in range(WAIT * 20):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the rotation never waited for the upload's lock")
    assert Pod.objects.get(pk=citizen.pod.pk).data_key_version == 1

    document = uploader.finish()  # stored under version 1; the rotation then starts
    assert rotator.finish() == 4  # the holder key, the diploma, the document's name and its chunk
    assert set(DocumentChunk.objects.filter(document=document).values_list("key_version", flat=True)) == {2}
    assert documents.read_document(owner=citizen.user, document_id=document.pk)[2] == content
    assert AccessEvent.objects.filter(pod=citizen.pod, action="pod.rekeyed").count() == 1


def test_an_export_built_before_a_whole_rotation_is_sealed_under_the_new_key(citizen, issued, monkeypatch):
    export = PodExport.objects.create(pod=citizen.pod, expires_at=timezone.now() + timedelta(hours=1))
    build = podexport.build_archive
    monkeypatch.setattr(podexport, "enqueue_on_commit", lambda *args: None)  # no mail in this test

    builder = Paused(lambda: podexport.run_export(export.pk))

    def built_then_paused(pod, progress):
        archive = build(pod, progress)
        builder.pause()  # the archive built with the key of version 1, nothing sealed or stored
        return archive

    monkeypatch.setattr(podexport, "build_archive", built_then_paused)
    builder.start()
    assert builder.reached.wait(WAIT)

    rotate_pod_data_key(pod_id=citizen.pod.pk)
    assert Pod.objects.get(pk=citizen.pod.pk).previous_kek_id == ""

    assert builder.finish() == PodExport.Status.READY
    assert set(ExportChunk.objects.filter(export=export).values_list("key_version", flat=True)) == {2}
    _, archive = podexport.download_export(owner=citizen.user, export_id=export.pk)
    assert archive.startswith(b"PK")


def test_a_read_that_loaded_the_pod_before_a_rotation_opens_rows_of_either_key(citizen, issued):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    keys = crypto.PodKeys(pod)  # loaded at version 1
    keyrotation.start_pod_rotation(pod.pk)
    assert keys(1) == crypto.previous_data_key(Pod.objects.get(pk=pod.pk))
    assert keys(2) == crypto.data_key(Pod.objects.get(pk=pod.pk))  # reloaded once for version 2
