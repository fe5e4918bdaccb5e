"""The citizen's web portal: log in, see credentials and requests, approve or deny, revoke, read the log."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from consent.models import AccessRequest, Grant
from consent.services import approve_request
from credentials.services import accredit_issuer, update_status
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


@pytest.fixture
def accredited(university):
    accredit_issuer(
        organisation=university.organisation,
        credential_type="DiplomaCredential",
        valid_from=timezone.now() - timedelta(days=365),
    )


def test_home_lists_credentials_by_name_and_logs_the_listing_once_per_type(
    browser, citizen, issued, accredited
):
    response = browser.get("/portal/")
    assert response.status_code == 200
    page = response.content.decode()
    # The type's display name, the degree name, the issuer and a badge; not the person's name.
    assert "Diploma: Master of Science in Computer Science" in page
    assert "Ghent Demo University" in page
    assert '<span class="badge verified">verified</span>' in page
    assert "Peeters" not in page
    listed = AccessEvent.objects.get(pod=citizen.pod, action="credential.read")
    assert (listed.actor_kind, listed.credential_type, listed.reason) == (
        "citizen",
        "DiplomaCredential",
        "listed",
    )


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
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": "BE:90020199902"}, "credential": diploma()}
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
    confirmation = browser.get(f"/portal/grants/{grant.pk}/revoke")
    assert b"can no longer read anything" in confirmation.content
    assert employer.get(url).status_code == 200  # asking for confirmation revokes nothing
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


def test_log_page_shows_who_looked_and_that_the_chain_is_intact(
    browser, pending, django_capture_on_commit_callbacks
):
    response = browser.get("/portal/log")
    assert response.status_code == 200
    assert b"Acme Recruiting" in response.content
    assert b"Peeters" not in response.content
    assert b"Check the whole log now" in response.content
    assert b"Signed checkpoint" in browser.get("/portal/log/check").content  # before any check too
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/portal/log/check")
    check = browser.get("/portal/log/check")
    assert b'<span class="badge allowed">intact</span>' in check.content
    assert b"Signed checkpoint" in check.content


def test_requests_page_lists_the_pending_request(browser, pending):
    response = browser.get("/portal/requests")
    assert b"Acme Recruiting asks to read" in response.content
    assert b"Degree check for vacancy 17" in response.content


def test_grants_page_lists_grants(browser, pending, citizen):
    approve_request(citizen=citizen.user, request_id=pending.pk)
    response = browser.get("/portal/grants")
    assert b"Acme Recruiting" in response.content
    assert b"Revoke" in response.content
    assert b"Human resource management (recruitment, employment)" in response.content
    assert b"dpv:" not in response.content


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
    assert response.status_code == 400  # the requests page again, not another page
    assert response.redirect_chain == []
    assert b"may not last longer than was asked" in response.content
    assert f'id="request-{pending.pk}"'.encode() in response.content
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
    AccessRequest.objects.filter(pk=pending.pk).update(answer_by=timezone.now() - timedelta(minutes=1))
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


def _badge(page: bytes) -> str:
    text = page.decode()
    start = text.index('<span class="badge ')
    return text[start : text.index("</span>", start)]


def test_an_issuer_not_in_the_trust_registry_is_marked_not_recognised(browser, issued):
    assert "issuer not recognised" in _badge(browser.get("/portal/").content)
    assert "issuer not recognised" in _badge(browser.get(f"/portal/credentials/{issued['id']}").content)


def test_a_revoked_diploma_is_marked_revoked_in_the_list_and_on_its_page(
    browser, issued, university, accredited
):
    update_status(
        issuer=university.organisation,
        credential_id=issued["credentialId"],
        purposes=["revocation"],
        value=True,
    )
    assert 'class="badge revoked">revoked' in _badge(browser.get("/portal/").content)
    page = browser.get(f"/portal/credentials/{issued['id']}")
    assert 'class="badge revoked">revoked' in _badge(page.content)
    assert "Revoked by its issuer." in page.content.decode()  # the status check, in a sentence


def test_the_credential_pages_checks_read_in_the_citizens_language(browser, issued, accredited):
    page = browser.get(f"/portal/credentials/{issued['id']}", HTTP_ACCEPT_LANGUAGE="nl-BE").content.decode()
    for sentence in (
        "Ondertekend door de uitreiker: de handtekening dekt elk gegeven",
        "De uitreiker is in het vertrouwensregister erkend voor dit soort attest.",
        "Geldig, zonder einddatum.",
        "Niet ingetrokken of geschorst door de uitreiker.",
    ):
        assert sentence in page
    # The English detail stays, folded under its own summary and marked as English.
    assert '<summary>Technische details</summary><span lang="en">Signed by did:' in page


def test_the_credential_page_lays_out_claims_verifies_and_offers_qr_and_download(
    browser, citizen, issued, accredited
):
    page = browser.get(f"/portal/credentials/{issued['id']}").content.decode()
    assert "<dt>Degree</dt><dd>Master of Science in Computer Science</dd>" in page
    assert "<dt>Kind of degree</dt><dd>Master&#x27;s degree</dd>" in page
    assert "<dt>Awarded on</dt><dd>June 28, 2024</dd>" in page
    assert 'class="badge verified">verified' in _badge(page.encode())
    qr = browser.get(f"/portal/credentials/{issued['id']}/qr").content.decode()
    assert '<svg viewBox="0 0' in qr and 'class="segno"' in qr  # the QR code, as SVG paths
    assert "style=" not in page + qr  # nothing the CSP would refuse
    download = browser.post(f"/portal/credentials/{issued['id']}/download")
    assert download["Content-Disposition"].startswith('attachment; filename="DiplomaCredential-')
    document = download.json()
    assert document["id"] == issued["credentialId"]
    # The citizen's own copy keeps its proof set (the base proof is theirs, to derive from).
    assert [proof["cryptosuite"] for proof in document["proof"]] == ["eddsa-rdfc-2022", "ecdsa-sd-2023"]
    reads = AccessEvent.objects.filter(pod=citizen.pod, action="credential.read", resource_id=issued["id"])
    assert reads.count() == 3  # the page, the QR code, the download


def test_downloading_a_credential_needs_post(browser, issued):
    assert browser.get(f"/portal/credentials/{issued['id']}/download").status_code == 405


@pytest.mark.parametrize(
    ("accept", "words"),
    [
        ("nl-BE,nl;q=0.9", "Uw attesten"),
        ("fr-BE,fr;q=0.9", "Vos attestations"),
        ("de-BE,de;q=0.9", "Ihre Nachweise"),
        ("en-GB", "Your credentials"),
    ],
)
def test_accept_language_chooses_the_language(browser, issued, accept, words):
    page = browser.get("/portal/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert words in page
    assert f'<html lang="{accept[:2]}">' in page


def test_the_language_switcher_sets_the_language_for_the_next_pages(browser, issued):
    response = browser.post("/i18n/setlang/", {"language": "fr", "next": "/portal/grants"})
    assert response.status_code == 302 and response["Location"] == "/portal/grants"
    assert (
        "Qui peut lire vos données"
        in browser.get("/portal/grants", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    )


def test_dates_are_written_as_each_language_writes_them(browser, issued, accredited):
    page = browser.get(f"/portal/credentials/{issued['id']}", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "28 juni 2024" in page
    page = browser.get(f"/portal/credentials/{issued['id']}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "28. Juni 2024" in page


def test_purposes_read_as_words_in_requests_and_log(browser, pending):
    for path in ("/portal/requests", "/portal/log"):
        page = browser.get(path).content.decode()
        assert "Human resource management (recruitment, employment)" in page
        assert "dpv:HumanResourceManagement" not in page.replace('value="dpv:HumanResourceManagement"', "")


def test_denying_asks_for_confirmation_first(browser, pending):
    page = browser.get(f"/portal/requests/{pending.pk}/deny").content.decode()
    assert "Deny this request?" in page and "gets nothing" in page
    pending.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING


def test_a_wrong_password_says_e_mail(citizen):
    response = Client().post("/portal/login/", {"username": citizen.user.username, "password": "wrong"})
    page = response.content.decode()
    error = page[page.index('id="login-error"') :].split("</p>")[0]
    assert "e-mail address and password do not match" in error
    assert "username" not in error


def test_the_log_filters_by_organisation_outcome_and_period(browser, pending, citizen, employer, university):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    url = (
        f"/api/v1/grants/{grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
        "&challenge=portal-test-nonce-0002&domain=hr.example"
    )
    assert employer.get(url).status_code == 200
    page = browser.get(f"/portal/log?who={employer.organisation.pk}").content.decode()
    timeline = page[page.index('<table class="log') :]
    assert "Acme Recruiting" in timeline and "Ghent Demo University" not in timeline
    assert '<svg class="chart"' in page and "Acme Recruiting" in page[page.index('<svg class="chart"') :]
    denied_only = browser.get("/portal/log?outcome=denied").content.decode()
    assert "Acme Recruiting" not in denied_only[denied_only.index('<table class="log') :]
    future = (timezone.now() + timedelta(days=3)).date().isoformat()
    empty = browser.get(f"/portal/log?since={future}").content.decode()
    assert "0 entries in this selection" in empty
    backwards = browser.get(f"/portal/log?since={future}&until=2020-01-01").content.decode()
    assert "comes before its start" in backwards


def test_the_list_opens_only_the_credentials_of_the_page_shown(
    browser, citizen, issued, university, monkeypatch
):
    from tests.conftest import diploma
    from vault.portal import views

    second = university.post(
        "/api/v1/issuer/credentials",
        {
            "recipient": {"nationalId": "BE:85073003328"},
            "credential": diploma(degree={"type": "BachelorDegree", "name": "Bachelor of Laws"}),
        },
    )
    assert second.status_code == 201
    monkeypatch.setattr(views, "CREDENTIALS_PER_PAGE", 1)
    newest = browser.get("/portal/").content.decode()
    assert "Bachelor of Laws" in newest and "Master of Science" not in newest
    assert "Page 1 of 2" in newest
    older = browser.get("/portal/?page=2").content.decode()
    assert "Master of Science" in older and "Bachelor of Laws" not in older
    listed = AccessEvent.objects.filter(pod=citizen.pod, reason="listed")
    assert list(listed.values_list("credential_type", flat=True)) == ["DiplomaCredential"] * 2


def test_listing_refuses_credentials_of_another_pod(citizen, other_citizen, issued):
    from vault.errors import PodNotFound
    from vault.models import PodCredential
    from vault.services import list_own_credentials

    theirs = list(PodCredential.objects.filter(pod=citizen.pod))
    with pytest.raises(PodNotFound):
        list_own_credentials(owner=other_citizen.user, resources=theirs)
    assert not AccessEvent.objects.filter(reason="listed").exists()
