"""The citizen's inbox: made in the transaction of its event, e-mailed once after commit with no
pod data, listed and marked read in the portal, and nobody else's to see or touch."""

import smtplib
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from accounts.models import User
from consent.models import AccessRequest
from inbox import services
from inbox.models import Notification
from inbox.tasks import mail_notification
from tests.consent.conftest import file_request

PASSWORD = "correct horse battery staple"


def logged_in(actor) -> Client:
    actor.user.set_password(PASSWORD)
    actor.user.save()
    client = Client()
    assert client.login(username=actor.user.username, password=PASSWORD)
    return client


@pytest.fixture
def notice(employer, citizen) -> Notification:
    file_request(employer)
    return Notification.objects.get(recipient=citizen.user)


def test_a_new_request_puts_a_notice_in_the_citizens_inbox(employer, citizen, notice):
    request = AccessRequest.objects.get()
    assert (notice.kind, notice.actor_label, notice.request_id) == (
        "request.new",
        "Acme Recruiting",
        request.pk,
    )
    assert notice.read_at is None


def test_the_notice_and_its_event_commit_together(employer, citizen):
    with pytest.raises(RuntimeError), transaction.atomic():
        file_request(employer)
        raise RuntimeError("the request's transaction fails after the notice was made")
    assert not Notification.objects.exists() and not AccessRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_notice_is_made_only_inside_its_events_transaction(citizen):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.notify(recipient_id=citizen.user.pk, kind=Notification.Kind.REQUEST_NEW)
    assert not Notification.objects.exists()


def test_a_notice_with_a_once_key_is_made_once(citizen):
    with transaction.atomic():
        first = services.notify(recipient_id=citizen.user.pk, kind="grant.expiring", once_key="k1")
        second = services.notify(recipient_id=citizen.user.pk, kind="grant.expiring", once_key="k1")
    assert first is not None and second is None
    assert Notification.objects.filter(once_key="k1").count() == 1


def test_the_mail_says_when_something_happened_and_where_to_look_and_nothing_else(notice):
    Notification.objects.filter(pk=notice.pk).update(created_at=datetime(2027, 1, 15, 23, 30, tzinfo=UTC))
    assert mail_notification.delay(str(notice.pk)).get() is True
    [message] = mail.outbox
    assert message.to == ["an@example.org"]
    assert message.subject == "Citizen Vault: New access request"
    assert message.body == (
        "Jan. 16, 2027, 12:30 a.m. Brussels time: An organisation asks to read some of your data.\n"
        "See your inbox: http://127.0.0.1:8000/portal/inbox\n"
    )


@pytest.mark.parametrize(
    ("language", "moment", "words"),
    [  # the portal's zone, summer and winter, named in the citizen's language
        ("nl", datetime(2027, 1, 15, 23, 30, tzinfo=UTC), "16 januari 2027 00:30 Brusselse tijd: "),
        ("fr", datetime(2027, 7, 15, 22, 30, tzinfo=UTC), "16 juillet 2027 00:30 heure de Bruxelles\u00a0: "),
        ("de", datetime(2027, 7, 15, 22, 30, tzinfo=UTC), "16. Juli 2027 00:30 Brüsseler Zeit: "),
    ],
)
def test_the_mails_date_is_in_the_portals_zone_and_the_citizens_language(
    citizen, notice, language, moment, words
):
    User.objects.filter(pk=citizen.user.pk).update(language=language)
    Notification.objects.filter(pk=notice.pk).update(created_at=moment)
    assert mail_notification.delay(str(notice.pk)).get() is True
    [message] = mail.outbox
    assert message.body.startswith(words), message.body


def test_the_mails_date_follows_a_configured_zone(notice, settings):
    settings.PORTAL_TIME_ZONE = "America/New_York"
    Notification.objects.filter(pk=notice.pk).update(created_at=datetime(2027, 1, 15, 23, 30, tzinfo=UTC))
    assert mail_notification.delay(str(notice.pk)).get() is True
    assert mail.outbox[0].body.startswith("Jan. 15, 2027, 6:30 p.m. America/New_York: ")


def test_the_mail_is_sent_once_however_often_the_task_runs(notice):
    assert mail_notification.delay(str(notice.pk)).get() is True
    assert mail_notification.delay(str(notice.pk)).get() is False
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.mailed_at is not None


def test_a_mail_that_failed_is_not_marked_sent(notice, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("core.tasks.send_mail", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        mail_notification.delay(str(notice.pk)).get()
    notice.refresh_from_db()
    assert notice.mailed_at is None  # so the retry sends it


def test_a_mail_for_a_notice_that_is_gone_sends_nothing(db):
    assert mail_notification.delay("00000000-0000-0000-0000-000000000000").get() is False
    assert mail.outbox == []


# --- the portal page ---------------------------------------------------------------------------


def test_the_inbox_lists_the_notices_with_who_asked(citizen, notice):
    page = logged_in(citizen).get("/portal/inbox")
    assert page.status_code == 200
    assert b"Acme Recruiting asks to read some of your data" in page.content
    assert f'action="/portal/inbox/{notice.pk}/read"'.encode() in page.content
    assert b'href="/portal/requests"' in page.content
    assert b'<table class="stack">' in page.content  # rows stack into cards at a phone's width
    assert b'data-label="What happened"' in page.content


def test_marking_one_notice_read(citizen, notice):
    response = logged_in(citizen).post(f"/portal/inbox/{notice.pk}/read")
    assert response.status_code == 302 and response["Location"] == "/portal/inbox"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_marking_all_read(employer, citizen, notice):
    file_request(employer)
    logged_in(citizen).post("/portal/inbox/read")
    assert not Notification.objects.filter(recipient=citizen.user, read_at__isnull=True).exists()


def test_another_citizen_neither_sees_nor_marks_a_notice(other_citizen, notice):
    client = logged_in(other_citizen)
    assert b"Acme" not in client.get("/portal/inbox").content
    assert client.post(f"/portal/inbox/{notice.pk}/read").status_code == 404
    client.post("/portal/inbox/read")
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_inbox_needs_a_logged_in_citizen(db, notice):
    assert Client().get("/portal/inbox").status_code == 302
    assert Client().post(f"/portal/inbox/{notice.pk}/read").status_code == 302


def test_marking_read_is_a_post(citizen, notice):
    assert logged_in(citizen).get(f"/portal/inbox/{notice.pk}/read").status_code == 405


def test_the_inbox_page_speaks_the_citizens_language(citizen, notice, settings):
    from django.utils import translation

    from inbox.kinds import WORDINGS

    # Every sentence is marked for translation (a lazy string), not a literal.
    assert all(
        type(w.text).__name__ == "__proxy__" and type(w.mail).__name__ == "__proxy__"
        for w in WORDINGS.values()
    )
    with translation.override("en"):
        assert logged_in(citizen).get("/portal/inbox").status_code == 200
