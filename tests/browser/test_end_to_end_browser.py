"""The issue's one story, end to end, in a real browser and one test: the employer files a
request for two fields of a diploma in the console; the citizen, following its link, signs in
through OpenID Connect (the authorization code flow with PKCE against tests/oidc_op, its own
process), lands on the request, sees the diploma, approves the request narrowed to one field;
the employer opens what was shared, with its verification; the citizen sees that read under
"Who looked" and revokes after the confirmation; the employer's next read in the console is
refused, and the refusal is logged.

Two browser contexts, two people: nothing is done behind the pages' backs except the checks of
what the database holds afterwards."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import add_member
from consent.models import AccessRequest, Grant
from tests.oidc_op.process import PASSWORD as FEDERAL_PASSWORD
from vault.models import AccessEvent

from .conftest import PASSWORD, Watched, member_sign_in

HR = "hr@acme.example"


def test_filed_in_the_console_approved_narrowed_read_seen_revoked_refused(story, federal_login, open_context):
    employer = story["employer"].organisation
    pod = story["citizen"].pod
    add_member(organisation=employer, email=HR, password=PASSWORD)

    # The employer files a request for the degree's name and its date.
    hr = member_sign_in(open_context(language="en"), HR, f"/portal/console/{employer.slug}/requests")
    console = hr.page
    console.get_by_role("link", name="New request").first.click()
    console.get_by_label("The candidate's national register number").fill("85.07.30-033.28")
    console.locator("input[name=credential_types][value=DiplomaCredential]").check()
    for pointer in ("/credentialSubject/degree/name", "/credentialSubject/awardedOn"):
        console.locator(f"input[name=claims_DiplomaCredential][value='{pointer}']").check()
    console.get_by_label("Purpose", exact=True).select_option("dpv:HumanResourceManagement")
    console.get_by_label("Why you need it").fill("Degree check for vacancy 30")
    console.get_by_label("Read until").fill((timezone.now() + timedelta(days=30)).date().isoformat())
    console.get_by_role("button", name="File the request").click()
    expect(console.locator(".messages")).to_contain_text("Request filed")
    filed = AccessRequest.objects.get(requester=employer, purpose_description="Degree check for vacancy 30")
    request_page = console.url

    # The employer hands the link to the candidate, who opens it not signed in and signs in
    # through the federal login (the provider's own page, its own origin).
    link = urlsplit(console.locator("#candidate-link").inner_text()).path
    citizen = Watched(open_context(language="en").new_page())
    page = citizen.page
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/portal/login/\?next="))
    page.get_by_role("link", name="Sign in with CSAM").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test federal login")
    assert page.url.startswith(federal_login.base_url)
    page.get_by_label("Username").fill("an")
    page.get_by_label("Password").fill(FEDERAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Back at the request the link named.
    page.wait_for_url(re.compile(rf"/portal/requests#request-{filed.pk}$"))
    expect(page.locator(f"#request-{filed.pk}")).to_be_in_viewport()

    # The diploma is in the pod, verified.
    page.get_by_role("link", name="Credentials").click()
    card = page.locator("li.credential-card", has_text="Master of Science in Computer Science")
    expect(card).to_contain_text("Ghent Demo University")
    expect(card.locator(".badge")).to_have_text("verified")

    # The request, by field: the citizen shares the degree's name, not its date.
    page.get_by_role("link", name="Requests").click()
    asked = page.locator(f"#request-{filed.pk}")
    expect(asked).to_contain_text("Diploma (only: Degree, Awarded on)")
    expect(asked).to_contain_text("Degree check for vacancy 30")
    asked.get_by_role("checkbox", name="Awarded on").uncheck()
    asked.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Acme Recruiting may now read what you chose")
    grant = Grant.objects.get(request=filed)
    assert grant.claims == {"DiplomaCredential": ["/credentialSubject/degree/name"]}
    assert citizen.axe_violations() == []

    # The employer opens what was shared: the degree, verified; not its date, not the name.
    console.goto(request_page)
    expect(console.locator(".credential-head .badge")).to_have_text("approved")
    console.get_by_role("button", name="Open the shared credentials").click()
    expect(console.get_by_role("heading", level=1)).to_have_text("Shared credentials")
    shared = console.locator("main section.card").first
    expect(shared).to_contain_text("Master of Science in Computer Science")
    expect(shared.locator(".badge")).to_have_text("verified")
    expect(console.locator("ul.checks .badge.passed")).to_have_count(4)
    expect(console.locator("main")).not_to_contain_text("Awarded on")
    expect(console.locator("main")).not_to_contain_text("2024")
    expect(console.locator("main")).not_to_contain_text("Peeters")
    assert hr.axe_violations() == []
    reads = AccessEvent.objects.filter(pod=pod, action=AccessEvent.Action.CREDENTIAL_READ, grant_id=grant.pk)
    assert reads.count() == 1
    # The employer keeps the request's page open, its button still there.
    console.goto(request_page)
    expect(console.get_by_role("button", name="Open the shared credentials")).to_be_visible()

    # The citizen sees that read, the newest entry of "Who looked".
    page.get_by_role("link", name="Who looked").click()
    newest = page.locator("table.log tbody tr").first
    expect(newest).to_contain_text("Acme Recruiting")
    expect(newest).to_contain_text("Credential read: Diploma")
    assert citizen.axe_violations() == []

    # Revokes it, after the confirmation that says what revoking does.
    page.get_by_role("link", name="Who may read").click()
    page.locator(f"a[href$='/grants/{grant.pk}/revoke']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke this access?")
    expect(page.locator("main")).to_contain_text("can no longer read anything")
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE  # the confirmation changed nothing
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("Acme Recruiting can no longer read it")
    grant.refresh_from_db()
    assert grant.status == Grant.Status.REVOKED

    # The employer's next read, from the page still open, is refused, and logged as refused.
    console.get_by_role("button", name="Open the shared credentials").click()
    expect(console.locator(".messages")).to_contain_text("The read was refused")
    expect(console.get_by_role("heading", level=1)).to_have_text("Access request")
    expect(console.get_by_role("button", name="Open the shared credentials")).to_have_count(0)
    assert reads.count() == 1
    denied = AccessEvent.objects.filter(pod=pod, action=AccessEvent.Action.ACCESS_DENIED, grant_id=grant.pk)
    assert list(denied.values_list("reason", flat=True)) == ["grant-revoked"]

    # And the citizen sees the refusal too.
    page.get_by_role("link", name="Who looked").click()
    expect(page.locator("table.log tbody tr").first).to_contain_text("Acme Recruiting")
    expect(page.locator("table.log tbody tr").first).to_contain_text("denied")
    assert citizen.errors == []
    assert hr.errors == []
