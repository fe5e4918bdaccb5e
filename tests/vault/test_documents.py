"""Personal documents: typed, checked by content, sealed in chunks, within a quota, logged."""

import io
import uuid

import pytest
from django.db import connection
from django.test import override_settings

from core.keyring import DecryptionError
from tests.support import assert_problem
from vault import crypto, documents
from vault.models import AccessEvent, DocumentChunk, PodDocument

from .documentfiles import jpeg, pdf, png

URL = "/api/v1/pod/documents"
MARKER = "CANARY-cv-7f3a"


def upload(actor, data: bytes, *, content_type="application/pdf", query="type=cv", **extra):
    return actor.client.post(f"{URL}?{query}", data=data, content_type=content_type, **extra)


def state(pod) -> tuple:
    """Everything an upload could change: documents, chunks and the log's length."""
    return (
        PodDocument.objects.filter(pod=pod).count(),
        DocumentChunk.objects.filter(document__pod=pod).count(),
        AccessEvent.objects.filter(pod=pod).count(),
    )


@override_settings(DOCUMENT_CHUNK_BYTES=256)
def test_a_pdf_is_stored_in_sealed_chunks_and_downloads_as_it_was(citizen):
    content = pdf(MARKER, padding=1000)
    response = upload(citizen, content, query="type=cv&name=My%20CV.pdf")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type"] == "cv" and body["contentType"] == "application/pdf" and body["size"] == len(content)
    assert "name" not in body and MARKER not in response.content.decode()
    document = PodDocument.objects.get(pk=body["id"])
    assert document.chunk_count == -(-len(content) // 256) > 1
    for chunk in DocumentChunk.objects.filter(document=document):
        assert MARKER.encode() not in bytes(chunk.sealed)
    assert b"My CV" not in bytes(document.name_sealed)

    download = citizen.get(f"{URL}/{body['id']}")
    assert download.status_code == 200
    assert download.content == content
    assert download["Content-Type"] == "application/pdf"
    assert 'filename="My CV.pdf"' in download["Content-Disposition"]
    actions = list(
        AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").values_list("action", "resource_id")
    )
    assert actions[-2:] == [("document.stored", document.pk), ("document.read", document.pk)]


@pytest.mark.parametrize(
    ("kind", "content_type", "content"),
    [
        ("scan", "image/png", png(MARKER)),
        ("scan", "image/jpeg", jpeg(MARKER)),
        ("transcript", "application/pdf", pdf()),
    ],
)
def test_each_accepted_kind_is_stored(citizen, kind, content_type, content):
    response = upload(citizen, content, content_type=content_type, query=f"type={kind}")
    assert response.status_code == 201, response.content
    assert citizen.get(f"{URL}/{response.json()['id']}").content == content


def test_the_list_shows_metadata_only_and_is_scoped_to_the_owner(citizen, other_citizen):
    upload(citizen, pdf(MARKER), query="type=cv&name=secret-name.pdf")
    mine = citizen.get(URL)
    assert mine.status_code == 200 and len(mine.json()) == 1
    assert "secret-name" not in mine.content.decode() and MARKER not in mine.content.decode()
    assert other_citizen.get(URL).json() == []


def test_someone_elses_document_is_a_404_and_logged_nowhere(citizen, other_citizen, university, anonymous):
    document_id = upload(citizen, pdf(MARKER)).json()["id"]
    before = state(citizen.pod)
    assert_problem(other_citizen.get(f"{URL}/{document_id}"), 404, "document-not-found")
    assert_problem(other_citizen.client.delete(f"{URL}/{document_id}"), 404, "document-not-found")
    assert university.get(f"{URL}/{document_id}").status_code == 403
    assert anonymous.get(f"{URL}/{document_id}").status_code == 401
    assert state(citizen.pod) == before


@pytest.mark.parametrize(
    ("content_type", "content", "query", "why"),
    [
        ("image/png", png(), "type=cv", "A cv is accepted as application/pdf, not image/png"),
        ("application/pdf", png(), "type=cv", "not a complete PDF"),
        ("application/pdf", b"%PDF-1.4 but never ends", "type=cv", "not a complete PDF"),
        ("image/jpeg", png(), "type=scan", "not a complete JPG"),
        ("text/html", b"<html></html>", "type=scan", "not text/html"),
    ],
)
def test_a_wrong_content_type_is_a_415_and_the_pod_is_unchanged(citizen, content_type, content, query, why):
    before = state(citizen.pod)
    body = assert_problem(
        upload(citizen, content, content_type=content_type, query=query), 415, "unsupported-media-type"
    )
    assert why in body["detail"]
    assert state(citizen.pod) == before


def test_an_unknown_document_type_is_a_400_naming_the_known_ones(citizen):
    body = assert_problem(upload(citizen, pdf(), query="type=passport"), 400, "unknown-document-type")
    assert "cv, scan, transcript" in body["detail"]


def test_an_unknown_query_parameter_is_a_400(citizen):
    response = upload(citizen, pdf(), query="type=cv&colour=blue")
    assert response.status_code == 400
    assert "colour" in response.content.decode()


@override_settings(DOCUMENT_CHUNK_BYTES=64)
def test_a_truncated_upload_is_a_400_and_the_pod_is_unchanged(citizen):
    content = pdf(MARKER, padding=500)
    before = state(citizen.pod)
    response = upload(
        citizen, b"", CONTENT_LENGTH=str(len(content)), **{"wsgi.input": io.BytesIO(content[:300])}
    )
    body = assert_problem(response, 400, "truncated-upload")
    assert f"300 of its {len(content)}" in body["detail"]
    assert state(citizen.pod) == before


@override_settings(DOCUMENT_MAX_BYTES=1000)
def test_a_document_over_the_size_limit_is_a_413_before_it_is_read(citizen):
    before = state(citizen.pod)
    assert_problem(upload(citizen, pdf(padding=2000)), 413, "payload-too-large")
    assert state(citizen.pod) == before


def test_an_upload_over_the_pods_quota_is_a_413_and_the_pod_is_unchanged(citizen, settings):
    first = pdf(padding=600)
    settings.POD_DOCUMENT_QUOTA_BYTES = len(first) + 100
    assert upload(citizen, first).status_code == 201
    before = state(citizen.pod)
    body = assert_problem(upload(citizen, pdf(padding=200)), 413, "payload-too-large")
    assert f"{len(first)} are used" in body["detail"]
    assert state(citizen.pod) == before


def test_deleting_a_document_removes_its_chunks_and_is_logged(citizen):
    document_id = upload(citizen, pdf(MARKER)).json()["id"]
    assert citizen.client.delete(f"{URL}/{document_id}").status_code == 204
    assert not PodDocument.objects.filter(pk=document_id).exists()
    assert not DocumentChunk.objects.filter(document_id=document_id).exists()
    last = AccessEvent.objects.filter(pod=citizen.pod).order_by("-seq").first()
    assert (last.action, str(last.resource_id), last.credential_type) == (
        "document.deleted",
        document_id,
        "cv",
    )
    assert_problem(citizen.get(f"{URL}/{document_id}"), 404, "document-not-found")


# --- the chunks are bound to their place -------------------------------------------------------


@pytest.fixture
def chunked(citizen, settings):
    settings.DOCUMENT_CHUNK_BYTES = 128
    content = pdf(MARKER, padding=600)
    document = PodDocument.objects.get(pk=upload(citizen, content).json()["id"])
    return citizen, document, content


def _open(document) -> bytes:
    return documents.open_document(crypto.PodKeys(document.pod), document)[1]


def test_reordered_chunks_fail_to_open(chunked):
    _citizen, document, _ = chunked
    first, second = DocumentChunk.objects.filter(document=document).order_by("index")[:2]
    DocumentChunk.objects.filter(pk=first.pk).update(sealed=bytes(second.sealed))
    DocumentChunk.objects.filter(pk=second.pk).update(sealed=bytes(first.sealed))
    with pytest.raises(DecryptionError):
        _open(document)


def test_a_missing_last_chunk_fails_even_with_the_count_lowered(chunked):
    _citizen, document, _ = chunked
    DocumentChunk.objects.filter(document=document, index=document.chunk_count - 1).delete()
    with pytest.raises(DecryptionError):
        _open(document)
    PodDocument.objects.filter(pk=document.pk).update(chunk_count=document.chunk_count - 1)
    document.refresh_from_db()
    with pytest.raises(DecryptionError):  # the new last chunk was not sealed as the last
        _open(document)


def test_a_chunk_moved_to_another_document_fails(chunked):
    citizen, document, _ = chunked
    other = PodDocument.objects.get(pk=upload(citizen, pdf(padding=600)).json()["id"])
    moved = DocumentChunk.objects.get(document=document, index=0)
    DocumentChunk.objects.filter(document=other, index=0).update(sealed=bytes(moved.sealed))
    with pytest.raises(DecryptionError):
        _open(other)


def test_a_tampered_chunk_is_an_integrity_failure_and_nothing_is_logged(chunked):
    citizen, document, _ = chunked
    chunk = DocumentChunk.objects.get(document=document, index=1)
    sealed = bytearray(bytes(chunk.sealed))
    sealed[20] ^= 1
    DocumentChunk.objects.filter(pk=chunk.pk).update(sealed=bytes(sealed))
    before = state(citizen.pod)
    response = citizen.get(f"{URL}/{document.pk}")
    assert_problem(response, 500, "integrity-failure")
    assert MARKER not in response.content.decode()
    assert state(citizen.pod) == before


def test_no_plaintext_of_a_document_anywhere_in_the_database(chunked):
    citizen, document, _content = chunked
    citizen.get(f"{URL}/{document.pk}")
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    stored = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    assert MARKER.encode() not in stored, table


def test_document_types_are_listed(citizen):
    body = citizen.get("/api/v1/document-types").json()
    assert {t["name"]: t["contentTypes"] for t in body} == {
        "cv": ["application/pdf"],
        "transcript": ["application/pdf"],
        "scan": ["application/pdf", "image/png", "image/jpeg"],
    }


def test_an_unknown_document_id_is_a_404(citizen):
    assert_problem(citizen.get(f"{URL}/{uuid.uuid4()}"), 404, "document-not-found")


def test_the_admin_shows_a_documents_metadata_and_nothing_sealed(citizen, db, client):
    from django.contrib.auth import get_user_model

    document_id = upload(citizen, pdf(MARKER), query="type=cv&name=secret-name.pdf").json()["id"]
    client.force_login(get_user_model().objects.create_superuser("operator", "operator@example.org", None))
    for page in ("/admin/vault/poddocument/", f"/admin/vault/poddocument/{document_id}/change/"):
        response = client.get(page)
        assert response.status_code == 200, page
        for needle in (MARKER.encode(), b"secret-name", b"name_sealed", b"<memory at"):
            assert needle not in response.content, (page, needle)
    assert b"application/pdf" in response.content
    assert client.get("/admin/vault/poddocument/add/").status_code == 403


def test_each_sealed_row_opens_with_the_associated_data_its_row_gives(
    chunked, django_capture_on_commit_callbacks
):
    """What a data-key rotation walking the tables needs: to open a row, from the row."""
    from core.keyring import unseal
    from vault import keyrotation
    from vault.models import ExportChunk

    citizen, document, content = chunked
    with django_capture_on_commit_callbacks(execute=True):
        citizen.post("/api/v1/pod/exports")
    pod, key = document.pod, crypto.data_key(document.pod)
    names = next(table for table in keyrotation.pod_sealed_tables() if table.model is PodDocument)
    assert names.open(key, pod.pk, document) == b"cv.pdf"
    chunks = DocumentChunk.objects.filter(document=document).select_related("document").order_by("index")
    assert (
        b"".join(unseal(key, bytes(c.sealed), aad=crypto.document_chunk_row_aad(pod.pk, c)) for c in chunks)
        == content
    )
    exported = ExportChunk.objects.filter(export__pod=pod).select_related("export").order_by("index")
    assert exported and all(
        unseal(key, bytes(c.sealed), aad=crypto.export_chunk_row_aad(pod.pk, c)) for c in exported
    )
