"""My data says the vault's refusals in the citizen's language (vault.portal.my_data_refusals): an
upload, an export's download, an erasure asked twice, a cancel with none pending. Every refusal
the services behind the page can raise has words: the services' code is read here (the
refusals each one raises, and those of the functions it calls, in the vault and below), so a
new refusal without words fails this test."""

import ast
import inspect
import io
import types
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone, translation

from core.errors import DomainError
from tests.vault.documentfiles import pdf
from vault import documents, erasure, podexport
from vault.errors import ExportNotFound
from vault.models import PodExport
from vault.portal import my_data_refusals

# Each service the page calls, the table its refusals are said with, and the codes the view
# answers otherwise (another's export is a 404).
SERVICES = [
    (documents, "store_document", my_data_refusals.UPLOAD_REFUSALS, set()),
    (podexport, "download_export", my_data_refusals.EXPORT_REFUSALS, {ExportNotFound.code}),
    (erasure, "request_erasure", my_data_refusals.ERASURE_REFUSALS, set()),
    (erasure, "cancel_erasure", my_data_refusals.ERASURE_CANCEL_REFUSALS, set()),
]
OUR_APPS = ("vault", "credentials", "accounts", "core")


def refusals_of(module: types.ModuleType, function: str, seen: set | None = None) -> set[str]:
    """The codes of the DomainErrors ``function`` raises, or a function it calls does (one of
    its module's, or one of our apps' modules it imported): read from the code."""
    seen = set() if seen is None else seen
    if (module.__name__, function) in seen:
        return set()
    seen.add((module.__name__, function))
    tree = ast.parse(inspect.getsource(module))
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    if function not in functions:
        return set()
    codes: set[str] = set()
    for node in ast.walk(functions[function]):
        raised = node.exc if isinstance(node, ast.Raise) else None
        if isinstance(raised, ast.Call) and isinstance(raised.func, ast.Name):
            error = getattr(module, raised.func.id, None)
            if isinstance(error, type) and issubclass(error, DomainError):
                codes.add(error.code)
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in functions:
            codes |= refusals_of(module, node.func.id, seen)
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            other = getattr(module, node.func.value.id, None)
            if isinstance(other, types.ModuleType) and other.__name__.split(".")[0] in OUR_APPS:
                codes |= refusals_of(other, node.func.attr, seen)
    return codes


def test_the_scan_finds_the_refusals_it_should():
    assert {"unsupported-media-type", "payload-too-large", "pod-erased", "pod-not-found"} <= refusals_of(
        documents, "store_document"
    )
    assert {"export-expired", "export-not-ready"} <= refusals_of(podexport, "download_export")
    assert "erasure-pending" in refusals_of(erasure, "request_erasure")


@pytest.mark.parametrize(("module", "function", "table", "elsewhere"), SERVICES)
def test_every_refusal_of_my_data_has_words(module, function, table, elsewhere):
    assert sorted(refusals_of(module, function) - elsewhere - set(table)) == []


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_every_refusal_is_translated(language):
    for _module, _function, table, _elsewhere in SERVICES:
        for code, words in table.items():
            with translation.override("en"):
                english = str(words)
            with translation.override(language):
                assert str(words) != english, (language, code)


def messages_of(response) -> str:
    return unescape(response.content.decode().split('<ul class="messages">')[1].split("</ul>")[0])


def _upload(browser, kind: str, content: bytes, language: str):
    upload = io.BytesIO(content)
    upload.name = "cv.pdf"
    form = {"type": kind, "file": upload}
    return browser.post("/portal/my-data/documents", form, follow=True, HTTP_ACCEPT_LANGUAGE=language)


def test_a_file_that_is_not_a_pdf_is_refused_in_dutch(browser):
    shown = messages_of(_upload(browser, "cv", b"<html>not a pdf</html>", "nl-BE"))
    assert "Dit bestand wordt niet aanvaard voor dit soort document" in shown
    assert "not a complete PDF" not in shown and 'lang="en"' not in shown


def test_an_unknown_kind_of_document_is_refused_in_french(browser):
    shown = messages_of(_upload(browser, "passport", pdf(), "fr-BE"))
    assert "Choisissez le type de document" in shown
    assert "Unknown document type" not in shown


def test_a_document_too_large_is_refused_in_german(browser, settings):
    settings.DOCUMENT_MAX_BYTES = 100
    shown = messages_of(_upload(browser, "cv", pdf("CANARY" * 50), "de-BE"))
    assert "Das Dokument ist zu groß" in shown
    assert "bytes" not in shown


def test_an_erasure_asked_twice_is_refused_in_french(browser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/portal/my-data/erasure", {"confirm": "erase"})
        response = browser.post(
            "/portal/my-data/erasure", {"confirm": "erase"}, follow=True, HTTP_ACCEPT_LANGUAGE="fr-BE"
        )
    shown = messages_of(response)
    assert "L\u2019effacement de votre coffre est déjà demandé" in shown
    assert "already pending" not in shown


def test_cancelling_no_erasure_is_refused_in_german(browser):
    response = browser.post("/portal/my-data/erasure/cancel", follow=True, HTTP_ACCEPT_LANGUAGE="de-BE")
    shown = messages_of(response)
    assert "Es wartet keine Löschung Ihres Datentresors mehr" in shown
    assert "No erasure" not in shown


def test_an_expired_export_is_refused_in_dutch(browser, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/portal/my-data/export")
    export = PodExport.objects.get(pod=citizen.pod)
    PodExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = browser.get(f"/portal/my-data/exports/{export.pk}", follow=True, HTTP_ACCEPT_LANGUAGE="nl-BE")
    shown = messages_of(response)
    assert "Deze export kan niet meer worden gedownload" in shown
    assert "has expired" not in shown


def test_an_export_not_ready_is_refused_in_french(browser, citizen):
    browser.post("/portal/my-data/export")  # the task is not run: the export waits
    export = PodExport.objects.get(pod=citizen.pod)
    response = browser.get(f"/portal/my-data/exports/{export.pk}", follow=True, HTTP_ACCEPT_LANGUAGE="fr-BE")
    shown = messages_of(response)
    assert "Cet export n\u2019est pas encore prêt" in shown
    assert "The export is" not in shown
