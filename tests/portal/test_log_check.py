"""The whole log's check runs in the background (vault.logcheck, a Celery task): the page shows
its progress and then its result, kept while the log's head is unchanged and marked stale after an
append; asking again always recomputes, so tampering after an "intact" check is reported by the
next one. The task's message holds the check's id only."""

import pytest
from django.test import Client

from consent.services import approve_request
from tests.vault.logtamper import as_dba
from vault import logcheck
from vault.models import AccessEvent, LogCheck
from vault.tasks import check_access_log

PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser(citizen):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=citizen.user.username, password=PASSWORD)
    return client


def _check(browser, capture) -> str:
    with capture(execute=True):
        response = browser.post("/portal/log/check")
    assert response.status_code == 302 and response["Location"] == "/portal/log/check"
    return browser.get("/portal/log/check").content.decode()


def test_a_check_shows_progress_then_its_result(browser, citizen, django_capture_on_commit_callbacks):
    browser.post("/portal/log/check")  # the task is not run: the check waits
    waiting = browser.get("/portal/log/check").content.decode()
    assert "Checking every entry of your log" in waiting and "<progress" in waiting
    LogCheck.objects.all().delete()
    page = _check(browser, django_capture_on_commit_callbacks)
    entries = AccessEvent.objects.filter(pod=citizen.pod).count()
    assert "intact" in page and f"checks out: {entries} entr" in page and "none altered or missing" in page
    assert "<progress" not in page
    assert "python -m vault.verify_log" in page
    check = LogCheck.objects.get()
    assert check.status == LogCheck.Status.DONE and check.valid and check.entries == entries


def test_asking_twice_while_a_check_waits_starts_one(browser):
    browser.post("/portal/log/check")
    browser.post("/portal/log/check")
    assert LogCheck.objects.count() == 1


def test_an_unchanged_log_shows_the_check_again_without_recomputing(
    browser, citizen, django_capture_on_commit_callbacks
):
    _check(browser, django_capture_on_commit_callbacks)
    again = browser.get("/portal/log/check").content.decode()
    assert "intact" in again and "Your log has changed since" not in again
    assert LogCheck.objects.count() == 1


def test_an_append_makes_the_check_stale(
    browser, citizen, pending, employer, django_capture_on_commit_callbacks
):
    _check(browser, django_capture_on_commit_callbacks)
    approve_request(citizen=citizen.user, request_id=pending.pk)  # appends to the log
    page = browser.get("/portal/log/check").content.decode()
    entries = AccessEvent.objects.filter(pod=citizen.pod).count()
    assert f"Your log has changed since: it now holds {entries} entries." in page
    assert "Check again" in page


def test_tampering_after_an_intact_check_is_reported_by_the_next_check(
    browser, citizen, django_capture_on_commit_callbacks
):
    assert "intact" in _check(browser, django_capture_on_commit_callbacks)
    first = AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").first()
    with as_dba():
        AccessEvent.objects.filter(pk=first.pk).update(actor_label="Someone else")
    page = _check(browser, django_capture_on_commit_callbacks)
    assert "broken" in page and f"Entry {first.seq} its content does not match its hash" in page
    assert 'role="alert"' in page
    assert "none altered or missing" not in page
    # and it stays the result shown, though the head did not move: no earlier "intact" hides it
    assert "broken" in browser.get("/portal/log/check").content.decode()


def test_the_task_is_sent_the_checks_id_only(citizen, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(check_access_log, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        check = logcheck.request_check(citizen.pod)
    assert sent == [(str(check.pk),)]


def test_the_log_page_starts_a_check(browser):
    page = browser.get("/portal/log").content.decode()
    assert 'action="/portal/log/check"' in page and "Check the whole log now" in page
