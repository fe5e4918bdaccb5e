"""Import of a pod export: everything verified before anything is stored; the import logged."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support import assert_problem
from vault import erasure, podexport
from vault.models import AccessEvent, DocumentChunk, Pod, PodCredential, PodDocument, PodErasure

from .documentfiles import pdf

URL = "/api/v1/pod/import"
MARKER = "CANARY-import-5d0e"


@pytest.fixture
def moved(citizen, issued, django_capture_on_commit_callbacks):
    """The citizen's export (a diploma and a CV), after which their pod here was erased: the
    archive is all that is left, as when moving to another Citizen Vault."""
    response = citizen.client.post(
        "/api/v1/pod/documents?type=cv&name=cv.pdf", pdf(MARKER), content_type="application/pdf"
    )
    assert response.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        export_id = citizen.post("/api/v1/pod/exports").json()["id"]
    archive = citizen.get(f"/api/v1/pod/exports/{export_id}/archive").content
    PodErasure.objects.create(
        pod=citizen.pod, requested_at=timezone.now(), due_at=timezone.now() - timedelta(1)
    )
    assert erasure.erase(citizen.pod.pk)
    return archive, citizen.pod.holder_did, str(citizen.pod.pk)


def send(actor, data: bytes, content_type="application/zip"):
    return actor.client.post(URL, data=data, content_type=content_type)


def state(pod) -> tuple:
    pod = Pod.objects.get(pk=pod.pk)
    return (
        pod.holder_did,
        PodCredential.objects.filter(pod=pod).count(),
        PodDocument.objects.filter(pod=pod).count(),
        AccessEvent.objects.filter(pod=pod).count(),
    )


def rezip(archive: bytes, *, change: dict[str, bytes | None], fix_manifest: bool) -> bytes:
    """The archive with files replaced (None: removed), its manifest's digests fixed or not."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    files = {name: source.read(name) for name in source.namelist()}
    for name, content in change.items():
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        manifest["files"] = {
            n: hashlib.sha256(c).hexdigest() for n, c in files.items() if n != "manifest.json"
        }
        files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in files.items():
            target.writestr(name, content)
    return out.getvalue()


def first_credential(archive: bytes) -> tuple[str, dict]:
    source = zipfile.ZipFile(io.BytesIO(archive))
    name = json.loads(source.read("credentials.json"))[0]["file"]
    return name, json.loads(source.read(name))


def test_an_export_imports_into_an_empty_pod_with_its_origin_logged(moved, other_citizen, issued):
    archive, holder_did, source_pod = moved
    response = send(other_citizen, archive)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credentials"] == 1 and body["documents"] == 1 and body["holderDid"] == holder_did
    assert body["origin"].endswith(f"/access-log/{source_pod}")

    pod = Pod.objects.get(pk=other_citizen.pod.pk)
    assert pod.holder_did == holder_did
    held = other_citizen.get("/api/v1/pod/credentials").json()
    assert [c["credential"] for c in held] == [issued["credential"]]  # the original proof, unchanged
    document = PodDocument.objects.get(pod=pod)
    assert other_citizen.get(f"/api/v1/pod/documents/{document.pk}").content == pdf(MARKER)
    imported = AccessEvent.objects.get(pod=pod, action="pod.imported")
    assert source_pod in imported.actor_label and imported.reason == "1 credentials, 1 documents"
    assert AccessEvent.objects.filter(pod=pod, action="credential.imported").count() == 1


@pytest.mark.parametrize(
    ("tamper", "status", "failed"),
    [
        ("credential-edited", 422, "credentials/"),
        ("credential-edited-digest-fixed", 422, "credentials/"),
        ("log-entry-edited", 422, "access-log.json"),
        ("log-entry-removed", 422, "access-log.json"),
        ("holder-key-swapped", 422, "holder-key.json"),
        ("file-removed", 422, "documents/"),
        ("file-added", 422, "extra.txt"),
        ("document-not-a-pdf", 422, "documents/"),
        ("not-a-zip", 422, "archive"),
    ],
)
def test_a_bad_archive_is_refused_naming_what_failed_and_the_pod_is_unchanged(
    moved, other_citizen, tamper, status, failed
):
    archive = moved[0]
    source = zipfile.ZipFile(io.BytesIO(archive))
    name, credential = first_credential(archive)
    log = json.loads(source.read("access-log.json"))
    document_name = next(n for n in source.namelist() if n.startswith("documents/"))
    if tamper.startswith("credential-edited"):
        credential["credentialSubject"]["degree"]["name"] = "Doctor of Everything"
        bad = rezip(
            archive, change={name: json.dumps(credential).encode()}, fix_manifest=tamper.endswith("fixed")
        )
    elif tamper == "log-entry-edited":
        log["entries"][1]["entry"]["reason"] = "nothing to see"
        bad = rezip(archive, change={"access-log.json": json.dumps(log).encode()}, fix_manifest=True)
    elif tamper == "log-entry-removed":
        del log["entries"][1]
        bad = rezip(archive, change={"access-log.json": json.dumps(log).encode()}, fix_manifest=True)
    elif tamper == "holder-key-swapped":
        key = {
            "did": json.loads(source.read("holder-key.json"))["did"],
            "type": "Ed25519",
            "privateKeyHex": "11" * 32,
        }
        bad = rezip(archive, change={"holder-key.json": json.dumps(key).encode()}, fix_manifest=True)
    elif tamper == "file-removed":
        bad = rezip(archive, change={document_name: None}, fix_manifest=False)
    elif tamper == "file-added":
        bad = rezip(archive, change={"extra.txt": b"hello"}, fix_manifest=False)
    elif tamper == "document-not-a-pdf":
        bad = rezip(archive, change={document_name: b"<html>" + MARKER.encode()}, fix_manifest=True)
    else:
        bad = b"PK not really a zip"
    before = state(other_citizen.pod)
    body = assert_problem(send(other_citizen, bad), status, "import-refused")
    assert body["failed"].startswith(failed), body
    if tamper == "credential-edited-digest-fixed":
        assert "proof does not verify" in body["detail"]
    if tamper == "credential-edited":
        assert "SHA-256" in body["detail"]
    assert MARKER not in json.dumps(body)
    assert state(other_citizen.pod) == before
    assert not DocumentChunk.objects.filter(document__pod=other_citizen.pod).exists()


def test_only_an_empty_pod_takes_an_import(moved, other_citizen):
    other_citizen.client.post("/api/v1/pod/documents?type=cv", pdf(), content_type="application/pdf")
    before = state(other_citizen.pod)
    assert_problem(send(other_citizen, moved[0]), 409, "pod-not-empty")
    assert state(other_citizen.pod) == before


def test_an_archive_whose_holder_is_still_here_is_a_409(
    citizen, other_citizen, issued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export_id = citizen.post("/api/v1/pod/exports").json()["id"]
    archive = citizen.get(f"/api/v1/pod/exports/{export_id}/archive").content
    assert_problem(send(other_citizen, archive), 409, "pod-not-empty")


def test_the_body_must_be_a_zip_with_a_length(other_citizen, employer):
    assert send(other_citizen, b"{}", content_type="application/json").status_code == 415
    assert employer.client.post(URL, data=b"x", content_type="application/zip").status_code == 403


def test_an_archive_over_the_limit_is_a_413(other_citizen, settings):
    settings.POD_IMPORT_MAX_BYTES = 10
    assert_problem(send(other_citizen, b"x" * 11), 413, "payload-too-large")


def test_the_export_format_is_what_import_reads():
    assert podexport.FORMAT == "citizen-vault/pod-export/v1"


def test_an_archive_from_an_issuer_this_vault_does_not_know_is_a_422_naming_the_credential(
    moved, other_citizen, university
):
    """Import needs known issuers: a credential whose issuer DID belongs to no organisation here
    (one of our keys, a hosted did:web, a registered DID) is refused, though its proof verifies;
    the pod is unchanged. (Here the issuer's keys are renamed, as on an instance that never met it.)"""
    from credentials.models import IssuerKey

    archive = moved[0]
    name, credential = first_credential(archive)
    for number, key in enumerate(IssuerKey.objects.filter(organisation=university.organisation)):
        IssuerKey.objects.filter(pk=key.pk).update(did=f"did:example:elsewhere-{number}")
    before = state(other_citizen.pod)
    response = send(other_citizen, archive)
    body = assert_problem(response, 422, "import-refused")
    assert body["failed"] == name
    issuer = credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"]
    assert f"its issuer {issuer} is not known to this Citizen Vault" in body["detail"]
    assert state(other_citizen.pod) == before


@pytest.fixture
def moved_with_signed_requests(citizen, issued, employer, settings, django_capture_on_commit_callbacks):
    """An export of a pod that received two signed requests, the pod then erased."""
    from .signedrequests import signed_requests

    signed_requests(employer, settings)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = citizen.post("/api/v1/pod/exports").json()["id"]
    archive = citizen.get(f"/api/v1/pod/exports/{export_id}/archive").content
    PodErasure.objects.create(
        pod=citizen.pod, requested_at=timezone.now(), due_at=timezone.now() - timedelta(1)
    )
    assert erasure.erase(citizen.pod.pk)
    return archive


def test_the_signed_requests_are_checked_on_import_and_not_kept(moved_with_signed_requests, other_citizen):
    from vault.models import RequestEvidence

    response = send(other_citizen, moved_with_signed_requests)
    assert response.status_code == 201, response.content
    assert response.json()["signedRequestsChecked"] == 2
    imported = AccessEvent.objects.get(pod=other_citizen.pod, action="pod.imported")
    assert imported.reason == "1 credentials, 0 documents, 2 signed requests checked"
    assert not RequestEvidence.objects.filter(pod=other_citizen.pod).exists()


def _signed(archive: bytes) -> tuple[str, dict]:
    source = zipfile.ZipFile(io.BytesIO(archive))
    name = json.loads(source.read("signed-requests.json"))[0]["file"]
    return name, json.loads(source.read(name))


@pytest.mark.parametrize("tamper", ["purpose-edited", "digest-fixed-too", "unlisted", "index-points-nowhere"])
def test_an_archive_whose_signed_request_does_not_verify_is_refused(
    moved_with_signed_requests, other_citizen, tamper
):
    archive = moved_with_signed_requests
    name, download = _signed(archive)
    signed = json.loads(download["signedRequest"])
    if tamper in ("purpose-edited", "digest-fixed-too"):
        signed["purposeDescription"] = "Anything we like."
        download["signedRequest"] = json.dumps(signed)
        if tamper == "digest-fixed-too":
            download["sha256"] = hashlib.sha256(download["signedRequest"].encode()).hexdigest()
        bad = rezip(archive, change={name: json.dumps(download).encode()}, fix_manifest=True)
        failed, why = name, "does not verify"
    elif tamper == "unlisted":
        index = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("signed-requests.json"))
        bad = rezip(
            archive, change={"signed-requests.json": json.dumps(index[1:]).encode()}, fix_manifest=True
        )
        failed, why = name, "not listed"
    else:
        bad = rezip(archive, change={name: None}, fix_manifest=True)
        failed, why = "signed-requests.json", "lacks"
    before = state(other_citizen.pod)
    body = assert_problem(send(other_citizen, bad), 422, "import-refused")
    assert body["failed"] == failed and why in body["detail"], body
    assert state(other_citizen.pod) == before
