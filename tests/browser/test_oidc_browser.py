"""Signing in through OpenID Connect in a real browser: the citizen goes to the provider's login
page (tests/oidc_op, its own process), comes back signed in, and the story goes on; signing
out ends the provider's session too. The login page with its button, and the page of a sign-in
below the required level of assurance, in four languages, are checked by axe-core."""

import re

import pytest
from playwright.sync_api import expect

from consent.models import Grant
from tests.oidc_op.process import PASSWORD
from vault.models import AccessEvent

from .conftest import Watched, screenshot

TRY_AGAIN = {"en": "Try again", "nl": "Opnieuw proberen", "fr": "Réessayer", "de": "Erneut versuchen"}
BUTTONS = {
    "en": "Sign in with CSAM",
    "nl": "Aanmelden met CSAM",
    "fr": "Se connecter avec CSAM",
    "de": "Mit CSAM anmelden",
}


def test_the_citizen_signs_in_through_the_federal_login_and_the_story_goes_on(
    story, federal_login, open_context, tmp_path
):
    watched = Watched(open_context(language="en").new_page())
    page = watched.page
    page.goto("/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to your pod")
    screenshot(page, "sign-in", tmp_path)
    page.get_by_role("link", name="Sign in with CSAM").click()

    # The provider's own login page, on its own origin.
    expect(page.get_by_role("heading", level=1)).to_have_text("Test federal login")
    assert page.url.startswith(federal_login.base_url)
    page.get_by_label("Username").fill("an")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Back, signed in as the citizen the story registered with that national register number.
    page.wait_for_url(re.compile(r"/portal/$"))
    card = page.locator("li.credential-card", has_text="Master of Science in Computer Science")
    expect(card.locator(".badge")).to_have_text("verified")

    # The story goes on: approve, the employer reads, the read is in the log, revoke.
    page.get_by_role("link", name="Requests").click()
    page.locator(f"#request-{story['pending'].pk}").get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Acme Recruiting may now read")
    grant = Grant.objects.get(request=story["pending"])
    read = story["employer"].get(
        f"/api/v1/grants/{grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
        "&challenge=browser-test-nonce-0003&domain=hr.acme.example"
    )
    assert read.status_code == 200, read.content
    page.get_by_role("link", name="Who looked").click()
    expect(page.locator("table.log tbody tr").first).to_contain_text("Acme Recruiting")
    page.get_by_role("link", name="Who may read").click()
    page.locator(f"a[href$='/grants/{grant.pk}/revoke']").click()
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("can no longer read it")
    grant.refresh_from_db()
    assert grant.status == Grant.Status.REVOKED
    assert AccessEvent.objects.filter(pod=story["citizen"].pod, action="grant.revoked").count() == 1

    # Signing out ends the session here, then at the provider (it asks to confirm), and back.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out of the federal login?")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/portal/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to your pod")
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/login/\?next="))
    # The provider's session ended too: its login page asks again.
    page.get_by_role("link", name="Sign in with CSAM").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test federal login")
    assert watched.errors == []


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_login_page_with_the_federal_login_is_clean_in_every_language(
    transactional_db, federal_login, open_context, settings, language
):
    settings.OIDC_REQUIRED_ACR = ["urn:be:fedict:iam:fas:Level500", "urn:be:fedict:iam:fas:Level450"]
    for width in (1280, 375):
        watched = Watched(open_context(language=language, width=width).new_page())
        watched.page.goto("/portal/login/")
        expect(watched.page.get_by_role("link", name=BUTTONS[language])).to_be_visible()
        assert watched.page.locator("html").get_attribute("lang") == language
        assert watched.axe_violations() == []
        assert watched.horizontal_overflow() <= 0
        watched.page.goto("/portal/oidc/refused/")
        expect(watched.page.get_by_role("link", name=TRY_AGAIN[language])).to_be_visible()
        assert watched.axe_violations() == []
        assert watched.horizontal_overflow() <= 0
        assert watched.errors == []
