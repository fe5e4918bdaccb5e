"""The organisation console in a real browser: the employer asks for a diploma and a CV and, once
the candidate approved, reads the diploma with its verification result and downloads the CV; the
issuer hands in a class as a CSV and watches it finish; the agency reads under a mandate, at a
phone's width in French, a line refused as malformed, then a suspended diploma and a number
without a pod, each in words; every console page in four languages, checked by axe-core, for
console errors and at a phone's width."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.identity import NATIONAL_ID_PROBLEMS
from accounts.models import Organisation
from accounts.services import add_member
from consent.models import AccessRequest
from consent.services import approve_request, file_access_request
from credentials.services import accredit_issuer
from tests.conftest import diploma, make_citizen, make_organisation
from tests.consent.legal import CASE, OTHER_NATIONAL_ID, mandate_for
from tests.vault.documentfiles import pdf
from vault.documents import store_document
from vault.models import AccessEvent, Batch, BatchRowError, PodCredential

from .conftest import NATIONAL_ID, PASSWORD, member_sign_in, screenshot

HR = "hr@acme.example"
REGISTRAR = "registrar@university.example"
OFFICER = "officer@fps.example.gov"


@pytest.fixture
def console_story(transactional_db):
    """A university accredited for diplomas with a member, an employer with a member, and a
    citizen holding one diploma."""
    university = make_organisation("Ghent Demo University", Organisation.Kind.ISSUER)
    accredit_issuer(
        organisation=university.organisation,
        credential_type="DiplomaCredential",
        valid_from=timezone.now() - timedelta(days=365),
    )
    employer = make_organisation("Acme Recruiting", Organisation.Kind.EMPLOYER)
    add_member(organisation=employer.organisation, email=HR, password=PASSWORD)
    add_member(organisation=university.organisation, email=REGISTRAR, password=PASSWORD)
    agency = make_organisation("Federal Pension Service", Organisation.Kind.AGENCY)
    add_member(organisation=agency.organisation, email=OFFICER, password=PASSWORD)
    mandate_for(agency.organisation)
    citizen = make_citizen("an@example.org", NATIONAL_ID)
    issued = university.post(
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": NATIONAL_ID}, "credential": diploma()}
    )
    assert issued.status_code == 201, issued.content
    return {"university": university, "employer": employer, "agency": agency, "citizen": citizen}


def _store_cv(citizen) -> bytes:
    content = pdf("An's career")
    store_document(
        owner=citizen.user,
        document_type="cv",
        content_type="application/pdf",
        stream=io.BytesIO(content),
        length=len(content),
        name="CV An",
    )
    return content


def test_the_employer_asks_for_a_diploma_and_reads_it_verified_once_approved(
    console_story, open_context, tmp_path
):
    slug = console_story["employer"].organisation.slug
    watched = member_sign_in(open_context(language="en"), HR, f"/portal/console/{slug}/requests")
    page = watched.page
    expect(page.get_by_role("navigation", name="Console of Acme Recruiting")).to_be_visible()

    page.get_by_role("link", name="New request").first.click()
    page.get_by_label("The candidate's national register number").fill("85.07.30-033.28")
    page.locator("input[name=credential_types][value=DiplomaCredential]").check()
    page.locator("input[name=claims_DiplomaCredential][value='/credentialSubject/degree/name']").check()
    page.locator("input[name=claims_DiplomaCredential][value='/credentialSubject/awardedOn']").check()
    page.get_by_label("Curriculum vitae").check()  # a document type, in words
    page.get_by_label("Purpose", exact=True).select_option("dpv:HumanResourceManagement")
    page.get_by_label("Why you need it").fill("Degree check for vacancy 21")
    page.get_by_label("Read until").fill((timezone.now() + timedelta(days=30)).date().isoformat())
    screenshot(page, "console-new-request", tmp_path)
    page.get_by_role("button", name="File the request").click()

    expect(page.locator(".messages")).to_contain_text("Request filed")
    filed = AccessRequest.objects.get(requester=console_story["employer"].organisation)
    assert NATIONAL_ID not in page.url and "85073003328" not in page.url
    expect(page.locator("#candidate-link")).to_have_text(re.compile(rf"/portal/requests/{filed.pk}$"))
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Diploma (only: Degree, Awarded on)")
    expect(page.locator("main")).to_contain_text("Curriculum vitae")
    assert filed.document_types == ["cv"]
    screenshot(page, "console-request", tmp_path)

    # The candidate approves (through the consent service, as the portal's approve does).
    approve_request(citizen=console_story["citizen"].user, request_id=filed.pk)
    page.reload()
    expect(page.locator(".credential-head .badge")).to_have_text("approved")
    page.get_by_role("button", name="Open the shared credentials").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Shared credentials")
    shared = page.locator("main section.card").first
    expect(shared).to_contain_text("Master of Science in Computer Science")
    expect(shared.locator(".badge")).to_have_text("verified")
    expect(page.locator("main")).not_to_contain_text("Peeters")  # the family name was not shared
    expect(page.locator("ul.checks .badge.passed")).to_have_count(4)
    assert watched.axe_violations() == []
    screenshot(page, "console-shared", tmp_path)

    reads = AccessEvent.objects.filter(
        pod=console_story["citizen"].pod, action=AccessEvent.Action.CREDENTIAL_READ
    )
    assert reads.count() == 1

    # The CV the grant shares: listed in words, downloaded as a file, the download logged.
    cv = _store_cv(console_story["citizen"])
    page.get_by_role("link", name="The request").click()
    page.get_by_role("link", name="See the shared documents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared documents")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table")).to_contain_text("Curriculum vitae")
    assert watched.axe_violations() == []
    screenshot(page, "console-documents", tmp_path)
    with page.expect_download() as started:
        page.get_by_role("button", name=re.compile("^Download")).click()
    download = started.value
    assert download.suggested_filename == "CV An.pdf"
    assert download.path().read_bytes() == cv
    assert page.url.endswith("/documents")  # still on the list; the download is the POST's answer
    downloads = AccessEvent.objects.filter(
        pod=console_story["citizen"].pod, action=AccessEvent.Action.DOCUMENT_READ
    )
    assert downloads.count() == 1
    assert watched.errors == []


def test_the_agency_reads_under_a_mandate_in_french_at_a_phone_width(console_story, open_context, tmp_path):
    """A malformed line is refused by its number before anything is read; then a diploma the
    issuer suspended through its status list is read and marked so, and a number without a pod is
    its own line's result; the presentation downloads as it was read."""
    credential = PodCredential.objects.get(pod=console_story["citizen"].pod)
    suspended = console_story["university"].post(
        "/credentials/status",
        {
            "credentialId": credential.credential_id,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}],
            "status": True,
        },
    )
    assert suspended.status_code == 200, suspended.content
    slug = console_story["agency"].organisation.slug
    watched = member_sign_in(
        open_context(language="fr", width=375, height=800), OFFICER, f"/portal/console/{slug}/legal-reads"
    )
    page = watched.page
    page.get_by_label("Référence du dossier").fill(CASE)
    page.get_by_label("Citoyens").fill("85.07.30-033.28\nBE:12\n")
    page.get_by_role("button", name="Consulter et journaliser").click()
    expect(page.locator("ul.field-errors")).to_have_text(
        "Ligne 2, «\u00a0BE:12\u00a0», est mal formée\u00a0: ce n'est pas un numéro de registre national. "
        "Écrivez-le comme sur la carte d'identité, p. ex. 85.07.30-033.28."
    )
    attempts = (AccessEvent.Action.CREDENTIAL_READ, AccessEvent.Action.ACCESS_DENIED)
    assert not AccessEvent.objects.filter(pod=console_story["citizen"].pod, action__in=attempts).exists()
    assert watched.axe_violations() == [] and watched.horizontal_overflow() <= 0
    watched.errors.clear()  # the refusal is a 400, as it should be

    page.get_by_label("Citoyens").fill(f"85.07.30-033.28\n{OTHER_NATIONAL_ID}")
    page.get_by_role("button", name="Consulter et journaliser").click()
    first, second = page.locator("main section.card[aria-labelledby^=citizen-]").all()
    expect(first.get_by_role("heading", level=3)).to_have_text("Ligne 1\u00a0: 85.07.30-033.28")
    expect(first).to_contain_text("Diplôme\u00a0: Master of Science in Computer Science")
    expect(first.locator(".read-credential .credential-head .badge")).to_have_text("suspendue")
    expect(first).to_contain_text("Ghent Demo University")
    expect(first).not_to_contain_text("MasterDegree")
    expect(second.get_by_role("heading", level=3)).to_have_text("Ligne 2\u00a0: 90.02.01-999.02")
    expect(second.locator(".badge")).to_have_text("Pas de coffre ici")
    expect(page.locator("main")).not_to_contain_text("BE:85")
    assert watched.axe_violations() == []
    assert watched.horizontal_overflow() <= 0
    screenshot(page, "console-legal-reads", tmp_path)

    with page.expect_download() as started:
        first.get_by_role("button", name=re.compile("^Télécharger la présentation")).click()
    download = started.value
    assert download.suggested_filename == "legal-read-line-1.json"
    presentation = json.loads(download.path().read_text())
    assert presentation["verifiableCredential"][0]["id"] == credential.credential_id
    assert "85073003328" not in page.url
    reads = AccessEvent.objects.filter(
        pod=console_story["citizen"].pod, action=AccessEvent.Action.CREDENTIAL_READ
    )
    assert reads.count() == 1  # the download is not another read
    assert watched.errors == []


CLASS_CSV = (
    "national_id,given_name,family_name,degree_type,degree_name,awarded_on\n"
    "85.07.30-033.28,An,Peeters,MasterDegree,Master of Laws,2025-06-30\n"  # as on the identity card
    "BE:70010100980,Bart,Vermeulen,MasterDegree,Master of Laws,2025-06-30\n"
    f"{NATIONAL_ID},An,Peeters,MasterDegree,Master of Arts,2025-13-01\n"
)


def test_the_issuer_hands_in_a_class_and_watches_it_finish(console_story, open_context, tmp_path):
    slug = console_story["university"].organisation.slug
    watched = member_sign_in(open_context(language="en"), REGISTRAR, f"/portal/console/{slug}/credentials")
    page = watched.page
    screenshot(page, "console-issued", tmp_path)

    page.get_by_role("link", name="Classes (CSV)").click()
    page.get_by_label("Kind of credential").select_option("DiplomaCredential")
    page.get_by_label("The class, as a CSV file").set_input_files(
        files=[{"name": "class.csv", "mimeType": "text/csv", "buffer": CLASS_CSV.encode()}]
    )
    page.get_by_role("button", name="Hand in the class").click()

    page.wait_for_url(re.compile(rf"/portal/console/{slug}/batches/[0-9a-f-]+$"))
    # Queued, then issued by the task (eager here); the page reloads itself until it is done.
    expect(page.locator("#batch-status")).to_have_text("Done", timeout=30_000)
    expect(page.locator("#batch-progress")).to_have_attribute("value", "3")
    expect(page.locator("main")).to_contain_text("3 of 3 lines handled: 1 issued, 2 refused.")
    report = page.locator("main table tbody tr")
    expect(report).to_have_count(2)
    # Each refusal in words, in the page's language (no English detail marked lang="en").
    expect(report.nth(1)).to_contain_text("This must be a calendar date written YYYY-MM-DD")
    expect(page.locator("main table [lang=en]")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("BE:70010100980")
    screenshot(page, "console-batch", tmp_path)

    batch = Batch.objects.get(issuer=console_story["university"].organisation)
    assert (batch.status, batch.issued, batch.failed) == (Batch.Status.DONE, 1, 2)
    assert PodCredential.objects.filter(pod=console_story["citizen"].pod).count() == 2

    page.get_by_role("link", name="Issue one").click()
    screenshot(page, "console-issue", tmp_path)
    assert watched.errors == []


def _console_pages(console_story) -> dict[str, list[str]]:
    employer = console_story["employer"].organisation
    university = console_story["university"].organisation
    request = file_access_request(
        requester=employer,
        national_id=NATIONAL_ID,
        credential_types=["DiplomaCredential"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="Degree check for vacancy 17",
        valid_until=timezone.now() + timedelta(days=30),
    )
    # Done: a running class's page reloads itself, which would cut axe-core's run short.
    batch = Batch.objects.create(issuer=university, total=4, processed=4, issued=3, failed=1, status="done")
    BatchRowError.objects.create(
        batch=batch,
        line=3,
        column="national_id",
        code="invalid-national-id",
        reason=NATIONAL_ID_PROBLEMS["bad-length"],
    )
    approved = file_access_request(
        requester=employer,
        national_id=NATIONAL_ID,
        credential_types=["DiplomaCredential"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="Degree check for vacancy 18",
        valid_until=timezone.now() + timedelta(days=30),
        document_types=["cv"],
    )
    approve_request(citizen=console_story["citizen"].user, request_id=approved.pk)
    _store_cv(console_story["citizen"])
    credential = PodCredential.objects.get(pod=console_story["citizen"].pod)
    e, u = f"/portal/console/{employer.slug}", f"/portal/console/{university.slug}"
    a = f"/portal/console/{console_story['agency'].organisation.slug}"
    return {
        HR: [
            f"{e}/requests",
            f"{e}/requests/new",
            f"{e}/requests/{request.pk}",
            f"{e}/requests/{request.pk}/withdraw",
            f"{e}/requests/{approved.pk}",
            f"{e}/requests/{approved.pk}/give-up",
            f"{e}/requests/{approved.pk}/documents",
        ],
        REGISTRAR: [
            f"{u}/credentials",
            f"{u}/credentials/{credential.pk}/status?action=revoke",
            f"{u}/issue",
            f"{u}/issue?type=LanguageCertificate",
            f"{u}/issue?type=GoodConductCertificate",
            f"{u}/batches",
            f"{u}/batches/{batch.pk}",
        ],
        OFFICER: [f"{a}/legal-reads"],
    }


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_every_console_page_loads_cleanly_in_every_language_at_a_phone_width(
    console_story, open_context, language
):
    """No console error, no serious or critical axe-core violation, no horizontal scrolling at
    375 px, and the page in the language asked for."""
    problems: dict[str, dict] = {}
    pages = _console_pages(console_story)
    employer, university = console_story["employer"].organisation, console_story["university"].organisation
    landings = {
        HR: f"/portal/console/{employer.slug}/requests",
        REGISTRAR: f"/portal/console/{university.slug}/credentials",
        OFFICER: f"/portal/console/{console_story['agency'].organisation.slug}/legal-reads",
    }
    for email, paths in pages.items():
        watched = member_sign_in(
            open_context(language=language, width=375, height=800), email, landings[email]
        )
        for path in paths:
            watched.errors.clear()
            watched.page.goto(path)
            found = {
                "errors": list(watched.errors),
                "axe": watched.axe_violations(),
                "overflow": watched.horizontal_overflow(),
                "lang": watched.page.locator("html").get_attribute("lang"),
            }
            if found["errors"] or found["axe"] or found["overflow"] > 0 or found["lang"] != language:
                problems[path] = found
    assert problems == {}
