"""Export of a whole pod: an archive built by a task, sealed, downloaded by its owner only, logged."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support import assert_problem
from vault import podexport, verify_log
from vault.models import AccessEvent, ExportChunk, PodExport

from .documentfiles import pdf

EXPORTS = "/api/v1/pod/exports"
MARKER = "CANARY-export-91c2"


@pytest.fixture
def ready_export(citizen, issued, pending, django_capture_on_commit_callbacks):
    """A pod holding a diploma, a CV and an access request, exported (the task runs eagerly)."""
    upload = citizen.client.post(
        "/api/v1/pod/documents?type=cv&name=cv.pdf", pdf(MARKER), content_type="application/pdf"
    )
    assert upload.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = citizen.post(EXPORTS)
    assert response.status_code == 202, response.content
    return response.json()["id"]


def archive_of(citizen, export_id) -> zipfile.ZipFile:
    response = citizen.get(f"{EXPORTS}/{export_id}/archive")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_export_is_built_and_holds_the_whole_pod(citizen, issued, ready_export):
    status = citizen.get(f"{EXPORTS}/{ready_export}").json()
    assert status["status"] == "ready" and status["progress"] == 100
    assert status["download"] == f"{EXPORTS}/{ready_export}/archive"

    archive = archive_of(citizen, ready_export)
    names = set(archive.namelist())
    assert {"manifest.json", "summary.md", "access-log.json", "consent.json", "holder-key.json"} <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == podexport.FORMAT and manifest["pod"] == str(citizen.pod.pk)
    for name, digest in manifest["files"].items():
        import hashlib

        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    # The credential with its original proof, byte for byte the same document.
    credentials = json.loads(archive.read("credentials.json"))
    assert [c["type"] for c in credentials] == ["DiplomaCredential"]
    assert json.loads(archive.read(credentials[0]["file"])) == issued["credential"]
    # The document as uploaded.
    held = json.loads(archive.read("documents.json"))
    assert held[0]["name"] == "cv.pdf" and archive.read(held[0]["file"]) == pdf(MARKER)
    # Grants and requests.
    consent = json.loads(archive.read("consent.json"))
    assert len(consent["requests"]) == 1 and consent["requests"][0]["requester_name"] == "Acme Recruiting"
    # The log verifies offline, and covers the export's own entry.
    log = json.loads(archive.read("access-log.json"))
    report = verify_log.verify(log)
    assert report.code == verify_log.OK, report.lines()
    assert "pod.exported" in [e["entry"]["action"] for e in log["entries"]]
    assert "python -m vault.verify_log" in archive.read("summary.md").decode()


def test_the_archive_is_stored_sealed(citizen, ready_export):
    chunks = ExportChunk.objects.filter(export_id=ready_export)
    assert chunks.exists()
    for chunk in chunks:
        sealed = bytes(chunk.sealed)
        assert MARKER.encode() not in sealed and b"PK\x03\x04" not in sealed[:16]


def test_the_export_and_its_download_are_logged(citizen, ready_export):
    archive_of(citizen, ready_export)
    actions = list(
        AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").values_list("action", "resource_id")
    )
    assert ("pod.exported", PodExport.objects.get().pk) in actions
    assert actions[-1] == ("export.downloaded", PodExport.objects.get().pk)


def test_only_the_owner_sees_or_downloads_an_export(
    citizen, other_citizen, employer, anonymous, ready_export
):
    for path in (f"{EXPORTS}/{ready_export}", f"{EXPORTS}/{ready_export}/archive"):
        assert_problem(other_citizen.get(path), 404, "export-not-found")
        assert employer.get(path).status_code == 403
        assert anonymous.get(path).status_code == 401


def test_an_expired_link_is_a_410_and_the_sweep_purges_the_archive(citizen, ready_export):
    PodExport.objects.filter(pk=ready_export).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(citizen.get(f"{EXPORTS}/{ready_export}/archive"), 410, "export-expired")
    podexport.purge_expired()
    assert not ExportChunk.objects.filter(export_id=ready_export).exists()


def test_an_export_not_yet_built_is_a_409(citizen):
    response = citizen.post(EXPORTS)  # on_commit callbacks are not run here: the task never ran
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert_problem(citizen.get(f"{EXPORTS}/{response.json()['id']}/archive"), 409, "export-not-ready")
    assert citizen.post(EXPORTS).json()["id"] == response.json()["id"]  # one pending export at a time


def test_a_run_killed_half_way_is_finished_by_the_next(citizen, issued, monkeypatch):
    export = PodExport.objects.get(pk=citizen.post(EXPORTS).json()["id"])

    def killed(percent):
        if percent >= 60:
            raise SystemExit("killed")

    original = podexport.build_archive
    monkeypatch.setattr(podexport, "build_archive", lambda pod, progress: original(pod, killed))
    with pytest.raises(SystemExit):
        podexport.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == "running" and export.chunk_count == 0
    monkeypatch.undo()
    assert podexport.run_export(export.pk) == "ready"
    assert podexport.run_export(export.pk) == "ready"  # and a third run changes nothing
    assert zipfile.ZipFile(io.BytesIO(podexport.download_export(owner=citizen.user, export_id=export.pk)[1]))


def test_a_request_with_a_body_is_refused(citizen):
    assert citizen.post(EXPORTS, {"format": "tar"}).status_code == 400


def test_the_citizen_is_mailed_when_the_export_is_ready(citizen, ready_export):
    from django.core import mail

    assert [m.subject for m in mail.outbox] == ["Your Citizen Vault export is ready"]
    assert "/portal/my-data" in mail.outbox[0].body and ready_export not in mail.outbox[0].body


def test_a_data_key_rotation_re_encrypts_documents_and_the_ready_export(citizen, ready_export):
    from vault import crypto
    from vault.models import DocumentChunk, Pod, PodDocument
    from vault.services import rotate_pod_data_key

    old_key = crypto.data_key(Pod.objects.get(pk=citizen.pod.pk))
    before = archive_of(citizen, ready_export).namelist()
    sealed_before = {bytes(row.sealed) for row in ExportChunk.objects.all()}
    sealed_before |= {bytes(row.sealed) for row in DocumentChunk.objects.all()}
    documents = PodDocument.objects.filter(pod=citizen.pod).count()
    chunks = DocumentChunk.objects.count() + ExportChunk.objects.count()

    # holder key + diploma + each document's name + every chunk
    assert rotate_pod_data_key(pod_id=citizen.pod.pk) == 2 + documents + chunks

    assert crypto.data_key(Pod.objects.get(pk=citizen.pod.pk)) != old_key
    assert not sealed_before & {bytes(row.sealed) for row in ExportChunk.objects.all()}
    assert not sealed_before & {bytes(row.sealed) for row in DocumentChunk.objects.all()}
    assert archive_of(citizen, ready_export).namelist() == before
    document = PodDocument.objects.get(pod=citizen.pod)
    download = citizen.get(f"/api/v1/pod/documents/{document.pk}")
    assert download.status_code == 200 and MARKER.encode() in download.content


def test_the_export_carries_each_signed_request_as_its_download(
    citizen, issued, employer, settings, django_capture_on_commit_callbacks
):
    from consent import requestformat

    from .signedrequests import signed_requests

    made = signed_requests(employer, settings)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = citizen.post(EXPORTS).json()["id"]
    archive = archive_of(citizen, export_id)
    index = json.loads(archive.read(podexport.SIGNED_REQUESTS))
    assert [entry["requestId"] for entry in index] == [request_id for request_id, _ in made]
    for entry, (request_id, raw) in zip(index, made, strict=True):
        assert entry["organisation"] == "Acme Recruiting" and entry["signer"] == "organisation"
        download = json.loads(archive.read(entry["file"]))
        assert download == citizen.get(f"/api/v1/pod/access-requests/{request_id}/evidence").json()
        assert download["signedRequest"].encode() == raw  # the bytes as the requester sent them
        assert requestformat.verify_evidence(download) == []
    assert set(json.loads(archive.read("manifest.json"))["files"]) >= {e["file"] for e in index}
    summary = archive.read("summary.md").decode()
    assert "## Signed requests (2)" in summary and index[0]["file"] in summary
    assert "python -m consent.verify_request" in summary


def test_an_export_without_signed_requests_says_so(citizen, ready_export):
    archive = archive_of(citizen, ready_export)
    assert json.loads(archive.read(podexport.SIGNED_REQUESTS)) == []
    assert "## Signed requests (0)" in archive.read("summary.md").decode()
