"""E-mails in the citizen's language: the language of their last portal page is kept on their
account (accounts.language), and every notification e-mail is written in it; a citizen who never
used the portal is written to in LANGUAGE_CODE. Mail tasks carry ids, never the text."""

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from accounts import timezones
from accounts.language import language_of
from accounts.models import User
from inbox.models import Notification
from inbox.tasks import mail_notification
from tests.consent.conftest import file_request
from vault import tasks
from vault.models import PodCredential, PodExport, PodLog

PASSWORD = "correct horse battery staple"


def speaking(actor, language: str):
    User.objects.filter(pk=actor.user.pk).update(language=language)
    actor.user.language = language
    return actor


def signed_in(actor, **headers) -> Client:
    actor.user.set_password(PASSWORD)
    actor.user.save()
    browser = Client(**headers)
    assert browser.login(username=actor.user.username, password=PASSWORD)
    return browser


def language(actor) -> str:
    return User.objects.get(pk=actor.user.pk).language


# --- which language ----------------------------------------------------------------------------


def test_the_first_portal_page_keeps_the_browsers_language(citizen):
    assert language(citizen) == "" and language_of(citizen.user) == "en"
    browser = signed_in(citizen, HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9,en;q=0.5")
    assert browser.get("/portal/inbox").status_code == 200
    assert language(citizen) == "fr"


def test_the_language_switcher_changes_the_language_of_the_mails(citizen):
    browser = signed_in(citizen, HTTP_ACCEPT_LANGUAGE="fr")
    browser.get("/portal/inbox")
    response = browser.post("/i18n/setlang/", {"language": "nl", "next": "/portal/inbox"})
    assert response.status_code == 302
    browser.get(response["Location"])
    assert language(citizen) == "nl"
    assert language_of(User.objects.get(pk=citizen.user.pk)) == "nl"


def test_the_api_and_anonymous_pages_change_no_ones_language(citizen):
    citizen.client.get("/api/v1/pod", HTTP_ACCEPT_LANGUAGE="de")
    Client(HTTP_ACCEPT_LANGUAGE="de").get("/portal/login/")
    assert language(citizen) == ""


def test_a_language_we_do_not_speak_is_not_kept(citizen):
    signed_in(citizen, HTTP_ACCEPT_LANGUAGE="ja").get("/portal/inbox")
    assert language(citizen) in ("", "en")
    assert language_of(User(language="ja")) == "en"


# --- the mails ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject", "body"),
    [
        ("nl", "Citizen Vault: Nieuwe toegangsaanvraag", "Een organisatie vraagt om"),
        ("fr", "Citizen Vault\u00a0: Nouvelle demande d'accès", "Une organisation demande"),
        ("de", "Citizen Vault: Neue Zugriffsanfrage", "Eine Organisation"),
        ("", "Citizen Vault: New access request", "An organisation asks to read some of your data."),
    ],
)
def test_the_inbox_mail_is_in_the_citizens_language(employer, citizen, lang, subject, body):
    speaking(citizen, lang)
    file_request(employer)
    notice = Notification.objects.get(recipient=citizen.user)
    assert mail_notification.delay(str(notice.pk)).get() is True
    [message] = mail.outbox
    assert message.subject == subject
    assert body in message.body.split("\n")[0], message.body


def test_a_dutch_citizen_is_told_of_a_new_credential_in_dutch(citizen, issued):
    speaking(citizen, "nl")
    mail.outbox.clear()
    resource = PodCredential.objects.get(pod=citizen.pod)
    assert tasks.notify_new_credential.delay(str(resource.pk)).get() is True
    [message] = mail.outbox
    assert message.subject == "Nieuw in uw kluis: Diploma"
    assert message.body.startswith(
        f"{resource.issuer.name} heeft aan uw Citizen Vault-kluis toegevoegd: Diploma."
    )
    assert "Peeters" not in message.body  # the type and the issuer, never the contents


def test_a_french_citizen_gets_the_log_digest_in_french(citizen, issued):
    speaking(citizen, "fr")
    mail.outbox.clear()
    assert tasks.send_log_digest.delay(str(citizen.pod.pk)).get() is True
    [message] = mail.outbox
    size = PodLog.objects.get(pk=citizen.pod.pk).size
    assert message.subject == f"Votre journal d'accès Citizen Vault\u00a0: {size} nouvelles entrées"
    assert "Voici le point de contrôle signé du journal." in message.body
    assert PodLog.objects.get(pk=citizen.pod.pk).checkpoint in message.body


def test_a_german_citizen_is_told_of_erasure_and_its_cancelling_in_german(
    citizen, django_capture_on_commit_callbacks
):
    speaking(citizen, "de")
    with django_capture_on_commit_callbacks(execute=True):
        assert citizen.post("/api/v1/pod/erasure").status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        assert citizen.client.delete("/api/v1/pod/erasure").status_code in (200, 204)
    assert [m.subject for m in mail.outbox] == [
        "Ihr Citizen-Vault-Datentresor wird gelöscht",
        "Die Löschung Ihres Citizen-Vault-Datentresors ist abgebrochen",
    ]
    assert "endgültig gelöscht" in mail.outbox[0].body
    assert " Brüsseler Zeit endgültig gelöscht" in mail.outbox[0].body and "UTC" not in mail.outbox[0].body
    assert "Nichts wurde gelöscht." in mail.outbox[1].body


def test_a_dutch_citizen_is_told_the_export_is_ready_in_dutch(
    citizen, issued, django_capture_on_commit_callbacks
):
    speaking(citizen, "nl")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert citizen.post("/api/v1/pod/exports").status_code == 202
    [message] = mail.outbox
    assert message.subject == "Uw Citizen Vault-export is klaar"
    assert "Bewaar het veilig: het bevat uw houderssleutel." in message.body
    expires = PodExport.objects.get(pod=citizen.pod).expires_at
    with translation.override("nl"):
        assert f"tot {timezones.in_words(expires)}. Bewaar" in message.body
    assert "Brusselse tijd" in message.body and "UTC" not in message.body


def test_mail_tasks_are_queued_with_ids_only(
    employer, citizen, monkeypatch, django_capture_on_commit_callbacks
):
    """The language is looked up by the task, from the recipient: nothing of the text (or the
    pod) travels in the Celery message."""
    sent = []
    monkeypatch.setattr(mail_notification, "delay", lambda *args: sent.append(args))
    speaking(citizen, "nl")
    with django_capture_on_commit_callbacks(execute=True):
        file_request(employer)
    notice = Notification.objects.get(recipient=citizen.user)
    assert sent == [(str(notice.pk),)]
