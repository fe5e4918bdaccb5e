"""Browser tests: the portal in Debian's Chromium (Playwright), against a live server.

Chromium is /usr/bin/chromium (scripts/setup-system.sh installs it; Playwright's own browser
download is not used). Without it these tests are skipped, except in CI (CI=true), where a
missing browser fails them. axe-core (tests/browser/data/axe-core, see its PROVENANCE) is
injected into every page before the page's own scripts, through the DevTools protocol, so the
portal's Content-Security-Policy stays as strict as in production.
"""

import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Organisation
from consent.services import approve_request, file_access_request
from credentials.services import accredit_issuer
from tests.conftest import diploma, make_citizen, make_organisation
from tests.oidc_op.process import citizen, portal_signing_in_at, running_provider
from tests.vault.documentfiles import pdf
from vault.documents import store_document

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
DATA = Path(__file__).resolve().parent / "data"
AXE = DATA / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"
NATIONAL_ID = "BE:85073003328"
LANGUAGES = {"nl": "nl-BE", "fr": "fr-BE", "de": "de-BE", "en": "en-GB"}


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        return  # CI installs Chromium (scripts/setup-system.sh): without it the tests must fail
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls (fixtures,
    # assertions) are synchronous and safe, so Django's guard against async contexts is lifted
    # for the browser tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Watched:
    """A browser page whose console errors, page errors and failed requests are collected."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.errors.append(f"{response.status} {response.url}")
            ),
        )

    def axe_violations(self) -> list[dict]:
        """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA)."""
        assert self.page.evaluate("axe.version") == AXE_VERSION
        violations = self.page.evaluate(
            """async (tags) => (await axe.run(document, {
                   runOnly: {type: 'tag', values: tags},
                   resultTypes: ['violations'],
               })).violations.map(v => ({
                   id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
               }))""",
            ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
        )
        return [v for v in violations if v["impact"] in ("serious", "critical")]

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
        return self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def open_context(chromium, live_server):
    """Opens browser contexts on the live server: a language, a window width; closed afterwards."""
    contexts = []

    def open_(*, language: str = "en", width: int = 1280, height: int = 900):
        context = chromium.new_context(
            base_url=live_server.url,
            locale=LANGUAGES[language],
            extra_http_headers={"Accept-Language": f"{LANGUAGES[language]},{language};q=0.9"},
            viewport={"width": width, "height": height},
        )
        context.add_init_script(path=str(AXE))
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        context.close()


def sign_in(context, email: str = "an@example.org") -> Watched:
    """The citizen signs in with the password form and lands on their credentials."""
    watched = Watched(context.new_page())
    page = watched.page
    page.goto("/portal/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/portal/$"))
    return watched


def member_sign_in(context, email: str, lands_on: str) -> Watched:
    """A member signs in on the portal's login page and lands on their console."""
    watched = Watched(context.new_page())
    page = watched.page
    page.goto("/portal/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(re.escape(lands_on) + "$"))
    return watched


@pytest.fixture
def story(transactional_db):
    """A university accredited for diplomas, an employer, and a citizen with a password, one
    diploma, a request waiting and a grant under which the employer read once."""
    university = make_organisation("Ghent Demo University", Organisation.Kind.ISSUER)
    accredit_issuer(
        organisation=university.organisation,
        credential_type="DiplomaCredential",
        valid_from=timezone.now() - timedelta(days=365),
    )
    employer = make_organisation("Acme Recruiting", Organisation.Kind.EMPLOYER)
    citizen = make_citizen("an@example.org", NATIONAL_ID)
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    issued = university.post(
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": NATIONAL_ID}, "credential": diploma()}
    )
    assert issued.status_code == 201, issued.content

    def ask(description: str):
        return file_access_request(
            requester=employer.organisation,
            national_id=NATIONAL_ID,
            credential_types=["DiplomaCredential"],
            purpose="dpv:HumanResourceManagement",
            purpose_description=description,
            valid_until=timezone.now() + timedelta(days=30),
        )

    earlier = ask("Degree check for vacancy 12")
    grant = approve_request(citizen=citizen.user, request_id=earlier.pk)
    read = employer.get(
        f"/api/v1/grants/{grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
        "&challenge=browser-test-nonce-0001&domain=hr.acme.example"
    )
    assert read.status_code == 200, read.content
    pending = ask("Degree check for vacancy 17")
    document = store_document(
        owner=citizen.user,
        document_type="cv",
        content_type="application/pdf",
        stream=io.BytesIO(pdf("browser story")),
        length=len(pdf("browser story")),
        name="curriculum vitae.pdf",
    )
    return {
        "document": document,
        "university": university,
        "employer": employer,
        "citizen": citizen,
        "credential": issued.json()["id"],
        "grant": grant,
        "pending": pending,
    }


def screenshot(page, name: str, tmp_path: Path, *, full_page: bool = True) -> Path:
    """Saves a full-page screenshot: into docs/screenshots/ with UPDATE_SCREENSHOTS=1 (to commit
    them), else next to the test's other files, so a test run leaves the repository as it was."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def federal_login(live_server, settings):
    """The test provider, knowing the live server's redirect URIs, and the portal configured for it."""
    with (
        running_provider(
            users={"an": citizen(NATIONAL_ID.removeprefix("BE:"), "an@example.org")},
            redirect_uris=[f"{live_server.url}/portal/oidc/callback/"],
            post_logout_redirect_uris=[f"{live_server.url}/portal/login/"],
        ) as provider,
        portal_signing_in_at(provider, settings),
    ):
        yield provider
