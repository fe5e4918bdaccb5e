"""Signed checkpoints reach the citizen (every log response, the portal, a digest); the keys are public."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from vault import logformat, logkeys, tasks
from vault.models import LogSigningKey, PodLog

LOG, VERIFY, KEYS = "/api/v1/pod/log", "/api/v1/pod/log/verify", "/.well-known/citizen-vault/log-keys"


def test_every_log_response_carries_the_latest_signed_checkpoint(citizen, issued):
    for url in (LOG, VERIFY, LOG + "?page=1"):
        checkpoint = citizen.get(url).json()["checkpoint"]
        assert checkpoint["note"] == PodLog.objects.get(pk=citizen.pod.pk).checkpoint
        assert checkpoint["treeSize"] == 2
        signed = logformat.open_checkpoint(checkpoint["note"], logkeys.verifier_keys())
        assert signed.checkpoint.size == 2


def test_the_log_keys_are_public_and_keep_retired_keys(citizen, anonymous):
    first = LogSigningKey.objects.get()
    call_command("rotate_log_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    response = anonymous.get(KEYS)
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert [k["retiredAt"] is None for k in keys] == [False, True]
    assert keys[0]["verifierKey"] == str(logkeys.published(first.name, bytes(first.public_key)))
    assert all(logformat.VerifierKey.parse(k["verifierKey"]) for k in keys)
    assert {k["algorithm"] for k in keys} == {"Ed25519"}


def test_the_portal_shows_the_latest_checkpoint(citizen):
    browser = Client()
    browser.force_login(citizen.user)
    page = browser.get("/portal/log").content.decode()
    note = PodLog.objects.get(pk=citizen.pod.pk).checkpoint
    assert "Signed checkpoint" in page
    assert note.splitlines()[0] in page and note.splitlines()[2] in page


def test_the_digest_mails_the_checkpoint_once_per_growth(citizen, issued, other_citizen):
    assert tasks.send_log_digests.delay().get() == 2
    mine = [m for m in mail.outbox if m.to == ["an@example.org"]]
    assert len(mine) == 1
    assert PodLog.objects.get(pk=citizen.pod.pk).checkpoint in mine[0].body
    assert "DiplomaCredential" not in mine[0].body and "University" not in mine[0].body
    mail.outbox.clear()
    assert tasks.send_log_digests.delay().get() == 0
    assert tasks.send_log_digest.delay(str(citizen.pod.pk)).get() is False  # safe to run twice
    assert mail.outbox == []


@pytest.mark.parametrize("url", [LOG, VERIFY])
def test_log_responses_are_the_citizens_own(url, employer, anonymous, citizen, other_citizen):
    assert employer.get(url).status_code in (403, 404)
    assert anonymous.get(url).status_code == 401
    assert other_citizen.get(url).json()["checkpoint"]["origin"].endswith(str(other_citizen.pod.pk))
