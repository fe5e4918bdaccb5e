"""The portal's My data page: documents, export with progress, erasure with its grace period."""

import io

from django.core import mail

from tests.vault.documentfiles import pdf
from vault.models import PodDocument, PodErasure, PodExport


def test_the_page_explains_export_and_the_grace_period(browser, settings):
    settings.POD_ERASURE_GRACE_DAYS = 7
    page = browser.get("/portal/my-data").content.decode()
    assert "after 7 days, during which you can change your mind" in page
    assert "Prepare an export" in page and "Your documents" in page


def test_a_document_uploads_lists_and_downloads(browser, citizen):
    upload = io.BytesIO(pdf("CANARY-portal"))
    upload.name = "my cv.pdf"
    response = browser.post("/portal/my-data/documents", {"type": "cv", "file": upload}, follow=True)
    assert "Your document is stored, encrypted." in response.content.decode()
    document = PodDocument.objects.get(pod=citizen.pod)
    assert "CANARY-portal" not in response.content.decode()
    assert browser.get(f"/portal/my-data/documents/{document.pk}").content == pdf("CANARY-portal")


def test_a_refused_upload_says_why(browser, citizen):
    upload = io.BytesIO(b"<html>not a pdf</html>")
    upload.name = "cv.pdf"
    response = browser.post("/portal/my-data/documents", {"type": "cv", "file": upload}, follow=True)
    assert "This file is not accepted for this kind of document" in response.content.decode()
    assert not PodDocument.objects.filter(pod=citizen.pod).exists()


def test_an_export_shows_progress_then_a_download_link(browser, citizen, django_capture_on_commit_callbacks):
    browser.post("/portal/my-data/export")  # the task is not run: the export waits
    assert "being prepared" in browser.get("/portal/my-data").content.decode()
    PodExport.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/portal/my-data/export")
    export = PodExport.objects.get()
    assert f"/portal/my-data/exports/{export.pk}" in browser.get("/portal/my-data").content.decode()
    assert browser.get(f"/portal/my-data/exports/{export.pk}")["Content-Type"] == "application/zip"


def test_erasure_needs_the_box_ticked_and_can_be_cancelled(
    browser, citizen, django_capture_on_commit_callbacks
):
    browser.post("/portal/my-data/erasure")
    assert not PodErasure.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/portal/my-data/erasure", {"confirm": "erase"})
    assert PodErasure.objects.filter(pod=citizen.pod).exists()
    assert "Cancel the erasure" in browser.get("/portal/my-data").content.decode()
    assert len(mail.outbox) == 1
    browser.post("/portal/my-data/erasure/cancel")
    assert not PodErasure.objects.exists()


def test_other_citizens_documents_are_404(browser, other_citizen):
    other = other_citizen.client.post("/api/v1/pod/documents?type=cv", pdf(), content_type="application/pdf")
    assert browser.get(f"/portal/my-data/documents/{other.json()['id']}").status_code == 404


def _stored(browser, citizen) -> PodDocument:
    upload = io.BytesIO(pdf("CANARY-delete"))
    upload.name = "my cv.pdf"
    browser.post("/portal/my-data/documents", {"type": "cv", "file": upload})
    return PodDocument.objects.get(pod=citizen.pod)


def test_deleting_a_document_asks_first_and_says_what_goes(browser, citizen):
    document = _stored(browser, citizen)
    listed = browser.get("/portal/my-data").content.decode()
    url = f"/portal/my-data/documents/{document.pk}/delete"
    assert (
        f'<a class="button danger" href="{url}">' in listed
    )  # a link to the question, no form posting at once
    assert f'action="{url}"' not in listed
    confirmation = browser.get(url)
    assert confirmation.status_code == 200
    shown = confirmation.content.decode()
    assert "Delete this document?" in shown and "Curriculum vitae" in shown and "application/pdf" in shown
    assert f'action="{url}"' in shown and "You cannot undo this" in shown
    assert PodDocument.objects.filter(pk=document.pk).exists()  # asking changed nothing
    response = browser.post(url, follow=True)
    assert "The document is deleted." in response.content.decode()
    assert not PodDocument.objects.filter(pk=document.pk).exists()
    assert citizen.pod.access_events.filter(action="document.deleted", resource_id=document.pk).count() == 1


def test_another_citizens_document_cannot_be_asked_about_or_deleted(browser, other_citizen):
    other = other_citizen.client.post("/api/v1/pod/documents?type=cv", pdf(), content_type="application/pdf")
    url = f"/portal/my-data/documents/{other.json()['id']}/delete"
    assert browser.get(url).status_code == 404
    assert browser.post(url).status_code == 404
    assert PodDocument.objects.filter(pk=other.json()["id"]).exists()


def test_each_documents_buttons_name_the_document(browser, citizen):
    _stored(browser, citizen)
    upload = io.BytesIO(pdf("CANARY-second"))
    upload.name = "second.pdf"
    browser.post("/portal/my-data/documents", {"type": "cv", "file": upload})
    page = browser.get("/portal/my-data").content.decode()
    assert '<table class="stack">' in page and 'data-label="Kind"' in page
    for counter in (1, 2):
        hidden = f'<span class="visually-hidden"> Curriculum vitae {counter}</span>'
        assert page.count(hidden) == 2  # on Download and on Delete…, so no two buttons share a name
