"""The citizen portal in a real browser: the whole story, then every page in four languages,
checked by axe-core, for console errors and at a phone's width."""

import re

import pytest
from playwright.sync_api import expect

from consent.models import Grant
from vault.models import AccessEvent

from .conftest import PASSWORD, Watched, screenshot, sign_in


def test_the_citizen_sees_the_diploma_approves_sees_the_read_and_revokes(story, open_context, tmp_path):
    watched = sign_in(open_context(language="en"))
    page = watched.page

    # The diploma by its name, its issuer and a badge.
    card = page.locator("li.credential-card", has_text="Master of Science in Computer Science")
    expect(card).to_contain_text("Ghent Demo University")
    expect(card.locator(".badge")).to_have_text("verified")
    screenshot(page, "credentials", tmp_path)

    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Diploma: Master of Science")
    expect(page.locator("dl.claims")).to_contain_text("Master's degree")
    screenshot(page, "credential", tmp_path)
    page.get_by_role("link", name="Show the QR code").click()
    expect(page.locator(".qr svg")).to_be_visible()

    # The waiting request: approve it, narrowed to an earlier end.
    page.get_by_role("link", name="Requests").click()
    request = page.locator(f"#request-{story['pending'].pk}")
    expect(request).to_contain_text("Human resource management")
    expect(request).not_to_contain_text("dpv:")
    screenshot(page, "requests", tmp_path)
    request.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Acme Recruiting may now read")
    new_grant = Grant.objects.get(request=story["pending"])

    # The employer reads under the new grant; the citizen sees the read in the log.
    read = story["employer"].get(
        f"/api/v1/grants/{new_grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
        "&challenge=browser-test-nonce-0002&domain=hr.acme.example"
    )
    assert read.status_code == 200, read.content
    page.get_by_role("link", name="Who looked").click()
    first_row = page.locator("table.log tbody tr").first
    expect(first_row).to_contain_text("Acme Recruiting")
    expect(first_row).to_contain_text("Credential read: Diploma")
    expect(page.locator("svg.chart")).to_be_visible()
    screenshot(page, "log", tmp_path)
    page.get_by_role("button", name="Check the whole log now").click()
    expect(page.locator("#integrity .badge")).to_have_text("intact")

    # Revoke, after a confirmation that says what it does.
    page.get_by_role("link", name="Who may read").click()
    screenshot(page, "grants", tmp_path)
    page.locator(f"a[href$='/grants/{new_grant.pk}/revoke']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke this access?")
    expect(page.locator("main")).to_contain_text("can no longer read anything")
    screenshot(page, "revoke-confirmation", tmp_path)
    new_grant.refresh_from_db()
    assert new_grant.status == Grant.Status.ACTIVE  # the confirmation page changed nothing
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("can no longer read it")
    new_grant.refresh_from_db()
    assert new_grant.status == Grant.Status.REVOKED
    assert AccessEvent.objects.filter(pod=story["citizen"].pod, action="grant.revoked").count() == 1
    assert watched.errors == []


def test_the_language_switcher_changes_the_portal_language(story, open_context):
    watched = sign_in(open_context(language="en"))
    page = watched.page
    page.locator("form.languages button[value='nl']").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw attesten")
    page.get_by_role("link", name="Wie raadpleegde").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie uw gegevens raadpleegde")
    assert watched.errors == []


def _pages(story) -> list[str]:
    pending, grant, credential = story["pending"].pk, story["grant"].pk, story["credential"]
    return [
        "/portal/",
        f"/portal/credentials/{credential}",
        f"/portal/credentials/{credential}/qr",
        "/portal/requests",
        f"/portal/requests/{pending}/deny",
        "/portal/grants",
        f"/portal/grants/{grant}/revoke",
        "/portal/log",
        "/portal/log?outcome=allowed&since=2020-01-01",
        "/portal/log/check",
        "/portal/my-data",
        f"/portal/my-data/documents/{story['document'].pk}/delete",
        "/portal/inbox",
    ]


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_every_page_loads_cleanly_in_every_language_at_a_phone_width(story, open_context, language, tmp_path):
    """No console error, no serious or critical axe-core violation, no horizontal scrolling at
    375 px, and the page in the language asked for."""
    problems: dict[str, list] = {}
    anonymous = Watched(open_context(language=language, width=375, height=800).new_page())
    anonymous.page.goto("/portal/login/")
    pages = [("/portal/login/", anonymous)]
    watched = sign_in(open_context(language=language, width=375, height=800))
    pages += [(path, watched) for path in _pages(story)]
    for path, seen in pages:
        seen.errors.clear()
        seen.page.goto(path)
        found = {
            "errors": list(seen.errors),
            "axe": seen.axe_violations(),
            "overflow": seen.horizontal_overflow(),
            "lang": seen.page.locator("html").get_attribute("lang"),
        }
        if found["errors"] or found["axe"] or found["overflow"] > 0 or found["lang"] != language:
            problems[path] = found
    if language == "nl":
        watched.page.goto("/portal/log")
        watched.page.locator("table.log").scroll_into_view_if_needed()
        screenshot(watched.page, "log-phone-nl", tmp_path, full_page=False)
    assert problems == {}


def test_an_approval_with_a_bad_date_stays_on_the_page_with_the_error(story, open_context):
    watched = sign_in(open_context(language="fr"))
    page = watched.page
    page.goto("/portal/requests")
    request = page.locator(f"#request-{story['pending'].pk}")
    request.locator("input[type=date]").fill("2099-12-31")
    request.get_by_role("button", name="Approuver").click()
    expect(page).to_have_url(re.compile(r"/approve$"))  # the form answered in place, no redirect
    expect(page.locator(f"#request-{story['pending'].pk} [role=alert]")).to_contain_text(
        "ne peut durer plus longtemps que demandé"
    )
    assert not Grant.objects.filter(request=story["pending"]).exists()


def test_the_citizen_narrows_a_request_by_field(story, open_context, tmp_path):
    """A request for two fields of the diploma: each has its checkbox, what is always shared is
    said with why, and unticking one shares only the other (and the page passes axe-core)."""
    from datetime import timedelta

    from django.utils import timezone

    from consent.services import file_access_request

    from .conftest import NATIONAL_ID

    asked = file_access_request(
        requester=story["employer"].organisation,
        national_id=NATIONAL_ID,
        credential_types=["DiplomaCredential"],
        claims={"DiplomaCredential": ["/credentialSubject/degree/name", "/credentialSubject/awardedOn"]},
        purpose="dpv:HumanResourceManagement",
        purpose_description="Degree name and date only",
        valid_until=timezone.now() + timedelta(days=30),
    )
    watched = sign_in(open_context(language="en"))
    page = watched.page
    page.goto("/portal/requests")
    request = page.locator(f"#request-{asked.pk}")
    expect(request).to_contain_text("Diploma (only: Degree, Awarded on)")
    expect(request.locator(".always-shared")).to_contain_text("Kind of degree")
    degree = request.get_by_role("checkbox", name="Degree", exact=True)
    awarded = request.get_by_role("checkbox", name="Awarded on")
    expect(degree).to_be_checked()
    expect(awarded).to_be_checked()
    assert watched.axe_violations() == []
    screenshot(page, "requests-narrow-by-field", tmp_path)

    awarded.uncheck()
    request.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Acme Recruiting may now read")
    grant = Grant.objects.get(request=asked)
    assert grant.claims == {"DiplomaCredential": ["/credentialSubject/degree/name"]}
    expect(page.locator("main")).to_contain_text("Diploma (only: Degree)")
    assert watched.errors == []


def test_the_candidates_link_leads_through_the_password_form_to_the_request(story, open_context):
    watched = Watched(open_context(language="nl", width=375, height=800).new_page())
    page = watched.page
    page.goto(f"/portal/requests/{story['pending'].pk}")
    expect(page).to_have_url(re.compile(r"/portal/login/\?next="))
    page.locator("#id_username").fill("an@example.org")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(rf"/portal/requests#request-{story['pending'].pk}$"))
    expect(page.locator(f"#request-{story['pending'].pk}")).to_be_in_viewport()
    assert watched.errors == []
