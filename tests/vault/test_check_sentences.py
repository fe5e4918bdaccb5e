"""A credential's verification, check by check, in a sentence of the reader's language
(vault.templatetags.credential_types.check_sentence): the dates of the validity check in words
and in a <time> element, every code a check can end with worded, and nothing of the sentence or
of the credential able to inject markup."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from credentials import verification
from credentials.errors import CredentialNotValidNow, CredentialRevoked, IssuerNotTrusted
from credentials.verification import Check
from vault.templatetags.credential_types import CHECK_SENTENCES, check_sentence

UNTIL = datetime(2031, 6, 30, 22, 0, tzinfo=UTC)


def sentence(name, check, valid_from=None, valid_until=None, language="en") -> str:
    with translation.override(language):
        return str(check_sentence(name, check, valid_from, valid_until))


def test_a_validity_with_an_end_names_the_day_in_the_readers_language():
    valid = Check.ok("Within its validity period (until 2031-06-30T22:00:00Z).", verification.VALID_UNTIL)
    assert sentence("validity", valid, valid_until=UNTIL).startswith(
        'Valid until <time datetime="2031-07-01T00:00:00+02:00">'
    )
    dutch = sentence("validity", valid, valid_until=UNTIL, language="nl")
    assert dutch.startswith("Geldig tot <time") and "1 juli 2031" in dutch


def test_an_expired_or_not_yet_valid_credential_says_which_with_its_date():
    failed = Check.failed(CredentialNotValidNow("…"))
    assert sentence("validity", failed, valid_until=timezone.now() - timedelta(days=1)).startswith(
        "Expired on <time"
    )
    later = timezone.now() + timedelta(days=3)
    assert sentence("validity", failed, valid_from=later, language="fr").startswith(
        "Pas valide avant le <time"
    )
    assert sentence("validity", failed) == "Not within its validity period."  # no date to name


def test_failures_are_worded_by_their_error_code():
    assert (
        sentence("status", Check.failed(CredentialRevoked("…")), language="de")
        == "Vom Aussteller widerrufen."
    )
    untrusted = sentence("issuer_trusted", Check.failed(IssuerNotTrusted("…")), language="nl")
    assert untrusted.startswith("De uitreiker is in het vertrouwensregister niet erkend")


def test_a_code_without_words_says_its_outcome():
    odd = Check(verification.Outcome.FAILED, "Something new.", code="some-future-code")
    assert sentence("proof", odd, language="fr") == "Échec."


def test_every_code_a_verification_can_end_with_has_words():
    named = {code for _, code in CHECK_SENTENCES} | {verification.AFTER_FAILED_PROOF, verification.PRESENTED}
    assert set(verification.CHECK_CODES) <= named
    for error in (CredentialRevoked, IssuerNotTrusted, CredentialNotValidNow):
        assert error.code in named


def test_nothing_in_a_sentence_becomes_markup(monkeypatch):
    monkeypatch.setitem(
        CHECK_SENTENCES, ("validity", verification.VALID_UNTIL), "<b>Valid</b> & fine until %(until)s."
    )
    html = sentence("validity", Check.ok("…", verification.VALID_UNTIL), valid_until=UNTIL)
    assert html.startswith("&lt;b&gt;Valid&lt;/b&gt; &amp; fine until <time datetime=")


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_the_dated_sentences_keep_their_date_in_every_language(language):
    text = sentence("validity", Check.ok("…", verification.VALID_UNTIL), valid_until=UNTIL, language=language)
    assert "<time datetime=" in text and "%(" not in text, text
    expired = sentence(
        "validity",
        Check.failed(CredentialNotValidNow("…")),
        valid_until=UNTIL - timedelta(days=3650),
        language=language,
    )
    assert "<time datetime=" in expired and "%(" not in expired, expired
