"""The citizen's web portal: log in, see credentials and requests, approve or deny, revoke, read the log."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from consent.models import AccessRequest, Grant
from consent.services import approve_request
from vault.models import AccessEvent

PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser(citizen):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client(enforce_csrf_checks=False)
    assert client.login(username=citizen.user.username, password=PASSWORD)
    return client


def test_pages_require_login(db):
    response = Client().get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")


def test_non_citizens_are_refused(db, django_user_model):
    django_user_model.objects.create_user("op", "op@example.org", PASSWORD)
    client = Client()
    client.login(username="op", password=PASSWORD)
    assert client.get("/portal/").status_code == 403


def test_login_form_logs_a_citizen_in(citizen):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    response = Client().post("/portal/login/", {"username": citizen.user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_home_lists_credentials_without_decrypting_them(browser, citizen, issued):
    response = browser.get("/portal/")
    assert response.status_code == 200
    assert b"<td>Diploma</td>" in response.content  # the type in words (the registry's display name)
    assert b"Peeters" not in response.content
    assert not AccessEvent.objects.filter(pod=citizen.pod, action="credential.read").exists()


def test_opening_a_credential_shows_it_and_logs_the_read(browser, citizen, issued):
    response = browser.get(f"/portal/credentials/{issued['id']}")
    assert response.status_code == 200
    assert b"Peeters" in response.content
    assert b"eddsa-rdfc-2022" in response.content
    read = AccessEvent.objects.get(pod=citizen.pod, action="credential.read")
    assert read.actor_kind == "citizen"


def test_another_citizens_credential_is_not_found(browser, university, other_citizen):
    from tests.conftest import diploma

    other = university.post(
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": "BE:90020199913"}, "credential": diploma()}
    ).json()
    assert browser.get(f"/portal/credentials/{other['id']}").status_code == 404


def test_approving_with_narrowed_period_creates_a_grant(browser, pending):
    until = (timezone.now() + timedelta(days=7)).date()
    response = browser.post(
        f"/portal/requests/{pending.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "valid_until": until.isoformat()},
    )
    assert response.status_code == 302
    grant = Grant.objects.get(request=pending)
    assert grant.valid_until.date() == until
    assert grant.status == "active"


def test_approving_without_any_type_is_refused_with_a_message(browser, pending):
    response = browser.post(f"/portal/requests/{pending.pk}/approve", {}, follow=True)
    assert b"Choose at least one credential type" in response.content
    assert not Grant.objects.filter(request=pending).exists()


def test_denying_a_request(browser, pending):
    browser.post(f"/portal/requests/{pending.pk}/deny", {"reason": "not now"})
    pending.refresh_from_db()
    assert pending.status == AccessRequest.Status.DENIED
    assert pending.denial_reason == "not now"


def test_another_citizens_request_cannot_be_decided(pending, other_citizen):
    other_citizen.user.set_password(PASSWORD)
    other_citizen.user.save()
    client = Client()
    client.login(username=other_citizen.user.username, password=PASSWORD)
    assert (
        client.post(
            f"/portal/requests/{pending.pk}/approve", {"credential_types": ["DiplomaCredential"]}
        ).status_code
        == 404
    )
    assert client.post(f"/portal/requests/{pending.pk}/deny").status_code == 404
    pending.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING


def test_revoking_from_the_portal_denies_the_next_read(browser, pending, citizen, employer):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    url = (
        f"/api/v1/grants/{grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
        "&challenge=portal-test-nonce-0001&domain=hr.example"
    )
    assert employer.get(url).status_code == 200
    assert browser.post(f"/portal/grants/{grant.pk}/revoke").status_code == 302
    response = employer.get(url)
    assert response.status_code == 403
    assert response.json()["reason"] == "grant-revoked"


def test_state_changes_need_post_and_a_csrf_token(citizen, pending):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client(enforce_csrf_checks=True)
    client.login(username=citizen.user.username, password=PASSWORD)
    assert client.get(f"/portal/requests/{pending.pk}/approve").status_code == 405
    assert (
        client.post(
            f"/portal/requests/{pending.pk}/approve", {"credential_types": ["DiplomaCredential"]}
        ).status_code
        == 403
    )
    pending.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING


def test_log_page_shows_who_looked_and_that_the_chain_is_intact(browser, pending):
    response = browser.get("/portal/log")
    assert response.status_code == 200
    assert b"Acme Recruiting" in response.content
    assert b"intact" in response.content
    assert b"Peeters" not in response.content


def test_requests_page_lists_the_pending_request(browser, pending):
    response = browser.get("/portal/requests")
    assert b"Acme Recruiting asks to read" in response.content
    assert b"Degree check for vacancy 17" in response.content


def test_grants_page_lists_grants(browser, pending, citizen):
    approve_request(citizen=citizen.user, request_id=pending.pk)
    response = browser.get("/portal/grants")
    assert b"Acme Recruiting" in response.content
    assert b"Revoke" in response.content


def test_repeated_failed_logins_lock_the_account_for_a_while(citizen, settings):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        response = client.post("/portal/login/", {"username": citizen.user.username, "password": "wrong"})
        assert response.status_code == 200
    # Even the right password is refused now, with a reason.
    response = client.post("/portal/login/", {"username": citizen.user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_a_successful_login_forgives_earlier_failures(citizen):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    for _ in range(3):
        client.post("/portal/login/", {"username": citizen.user.username, "password": "wrong"})
    assert (
        client.post("/portal/login/", {"username": citizen.user.username, "password": PASSWORD}).status_code
        == 302
    )
    client.logout()
    for _ in range(3):
        client.post("/portal/login/", {"username": citizen.user.username, "password": "wrong"})
    assert (
        client.post("/portal/login/", {"username": citizen.user.username, "password": PASSWORD}).status_code
        == 302
    )


def test_choosing_the_requests_own_end_date_approves_as_asked(browser, pending):
    response = browser.post(
        f"/portal/requests/{pending.pk}/approve",
        {
            "credential_types": ["DiplomaCredential"],
            "valid_until": pending.requested_until.date().isoformat(),
        },
    )
    assert response.status_code == 302
    assert Grant.objects.get(request=pending).valid_until == pending.requested_until


def test_a_later_date_than_asked_is_refused_with_a_message(browser, pending):
    later = (pending.requested_until + timedelta(days=2)).date().isoformat()
    response = browser.post(
        f"/portal/requests/{pending.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "valid_until": later},
        follow=True,
    )
    assert b"may not last longer than was asked" in response.content
    assert not Grant.objects.filter(request=pending).exists()


def test_expired_grants_show_as_expired_without_a_revoke_button(browser, pending, citizen):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=timezone.now() - timedelta(days=2), valid_until=timezone.now() - timedelta(days=1)
    )
    response = browser.get("/portal/grants")
    assert b"expired" in response.content
    assert b"Revoke" not in response.content


def test_failures_from_elsewhere_do_not_lock_the_citizen_out(citizen, settings):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.LOGIN_MAX_FAILURES + 2):
        attacker.post("/portal/login/", {"username": citizen.user.username, "password": "wrong"})
    owner = Client(REMOTE_ADDR="198.51.100.7")
    response = owner.post("/portal/login/", {"username": citizen.user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_one_address_spraying_many_accounts_is_stopped(citizen, settings):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(settings.LOGIN_MAX_FAILURES * 10):
        sprayer.post("/portal/login/", {"username": f"guess{i}@example.org", "password": "wrong"})
    response = sprayer.post("/portal/login/", {"username": citizen.user.username, "password": PASSWORD})
    assert b"Too many failed attempts" in response.content


def test_a_forged_forwarded_for_header_is_not_trusted_without_proxies(citizen, settings):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(settings.LOGIN_MAX_FAILURES):
        client.post(
            "/portal/login/",
            {"username": citizen.user.username, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    response = client.post("/portal/login/", {"username": citizen.user.username, "password": PASSWORD})
    assert b"Too many failed attempts" in response.content


def test_login_still_works_when_the_cache_is_down(citizen, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1",
        }
    }
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    response = Client().post("/portal/login/", {"username": citizen.user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_an_invalid_date_says_what_is_wrong(browser, pending):
    response = browser.post(
        f"/portal/requests/{pending.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "valid_until": "next tuesday"},
        follow=True,
    )
    assert b"Give the end date as YYYY-MM-DD." in response.content
    assert not Grant.objects.filter(request=pending).exists()


def test_approving_a_request_that_expired_meanwhile_says_so(browser, pending):
    AccessRequest.objects.filter(pk=pending.pk).update(requested_until=timezone.now() - timedelta(minutes=1))
    response = browser.post(
        f"/portal/requests/{pending.pk}/approve", {"credential_types": ["DiplomaCredential"]}, follow=True
    )
    assert response["Content-Type"].startswith("text/html")
    assert b"it can no longer be approved" in response.content


def test_a_non_citizen_sees_a_page_that_lets_them_log_out(db, django_user_model):
    django_user_model.objects.create_user("op", "op@example.org", PASSWORD)
    client = Client()
    client.login(username="op", password=PASSWORD)
    response = client.get("/portal/")
    assert response.status_code == 403
    assert b"Log out and switch account" in response.content


def test_unknown_portal_urls_are_html_and_unknown_api_urls_are_problems(browser):
    assert browser.get("/portal/nope")["Content-Type"].startswith("text/html")
    assert browser.get("/api/v1/nope")["Content-Type"] == "application/problem+json"


def test_a_denial_reads_as_denied_with_its_reason_for_citizen_and_requester(browser, pending, employer):
    response = browser.post(f"/portal/requests/{pending.pk}/deny", {"reason": "I took another job"})
    assert response.status_code == 302

    log = browser.get("/portal/log").content.decode()
    row = log[log.index("Access request denied") :].split("</tr>")[0]
    assert "Denied by you" in row
    assert "Allowed" not in row
    requests_page = browser.get("/portal/requests").content.decode()
    assert "I took another job" in requests_page
    seen_by_requester = employer.get(f"/api/v1/access-requests/{pending.pk}").json()
    assert (seen_by_requester["status"], seen_by_requester["denialReason"]) == (
        "denied",
        "I took another job",
    )
