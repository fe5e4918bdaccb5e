"""The portal's side of the lifecycle: a read limit on approval, lowering it, the inbox link."""

from django.test import Client

from consent.models import Grant

PASSWORD = "correct horse battery staple"


def test_the_citizen_approves_with_a_read_limit(browser, pending):
    page = browser.get("/portal/requests")
    assert b'name="max_reads"' in page.content and b"no limit asked" in page.content
    response = browser.post(
        f"/portal/requests/{pending.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "max_reads": "2"},
        follow=True,
    )
    assert response.status_code == 200
    assert Grant.objects.get(request=pending).max_reads == 2
    assert b"0 of 2" in response.content


def test_the_citizen_lowers_a_limit_and_cannot_raise_it(browser, pending):
    browser.post(
        f"/portal/requests/{pending.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "max_reads": "3"},
    )
    grant = Grant.objects.get(request=pending)
    response = browser.post(f"/portal/grants/{grant.pk}/read-limit", {"max_reads": "1"}, follow=True)
    assert b"may read once in all" in response.content
    response = browser.post(f"/portal/grants/{grant.pk}/read-limit", {"max_reads": "5"}, follow=True)
    assert b"The limit can only be lowered, and not below the reads already made." in response.content
    grant.refresh_from_db()
    assert grant.max_reads == 1


def test_another_citizens_grant_limit_is_a_404(other_citizen, pending, browser):
    browser.post(f"/portal/requests/{pending.pk}/approve", {"credential_types": ["DiplomaCredential"]})
    grant = Grant.objects.get(request=pending)
    other_citizen.user.set_password(PASSWORD)
    other_citizen.user.save()
    other = Client()
    other.login(username=other_citizen.user.username, password=PASSWORD)
    assert other.post(f"/portal/grants/{grant.pk}/read-limit", {"max_reads": "1"}).status_code == 404
    assert Grant.objects.get(pk=grant.pk).max_reads is None


def test_every_page_links_to_the_inbox(browser):
    assert b'href="/portal/inbox"' in browser.get("/portal/").content
