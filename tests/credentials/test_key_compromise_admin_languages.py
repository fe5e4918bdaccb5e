"""The operator's confirmation before marking signing keys compromised speaks the admin's language
(Django's admin follows the browser's, as the portal does): nl, fr and de operators read what
marking a key compromised does before they confirm, and the message after."""

import pytest

from credentials.selectors import active_issuer_key

NOTE = "private key found in a public repository"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl-BE",
            [
                "Deze ondertekeningssleutels als gecompromitteerd markeren?",
                "Dit kan niet ongedaan worden gemaakt.",
                "(actief: wordt vervangen)",
                "Ja, als gecompromitteerd markeren",
                "Nee, terug",
                "Wie de compromittering meldde",
            ],
        ),
        (
            "fr-BE",
            [
                "Marquer ces clés de signature comme compromises\u00a0? Cela ne peut pas être annulé.",
                "(active\u00a0: sera remplacée)",
                "Oui, marquer comme compromise",
                "Non, revenir en arrière",
                "Qui a signalé la compromission",
            ],
        ),
        (
            "de-BE",
            [
                "Diese Signaturschlüssel als kompromittiert markieren?",
                "Das kann nicht rückgängig gemacht werden.",
                "(aktiv: wird ersetzt)",
                "Ja, als kompromittiert markieren",
                "Nein, zurück",
                "Wer die Kompromittierung gemeldet hat",
            ],
        ),
    ],
)
def test_the_confirmation_is_in_the_operators_language(operator, accredited, language, words):
    key = active_issuer_key(accredited)
    page = operator.get(
        f"/admin/credentials/issuerkey/{key.pk}/compromised/", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    for sentence in words:
        assert sentence in page
    for english in (
        "This cannot be undone",
        "Yes, mark as compromised",
        "will be rotated",
        "Nothing they signed",
    ):
        assert english not in page


def test_the_message_after_marking_is_in_the_operators_language(operator, accredited):
    key = active_issuer_key(accredited)
    done = operator.post(
        f"/admin/credentials/issuerkey/{key.pk}/compromised/",
        {"confirm": "yes", "note": NOTE},
        HTTP_ACCEPT_LANGUAGE="nl-BE",
        follow=True,
    )
    shown = [str(message) for message in done.context["messages"]]
    assert any("is als gecompromitteerd gemarkeerd" in message for message in shown), shown


def test_the_key_page_says_whether_it_is_compromised_in_the_operators_language(operator, accredited):
    key = active_issuer_key(accredited)
    url = f"/admin/credentials/issuerkey/{key.pk}/change/"
    page = operator.get(url, HTTP_ACCEPT_LANGUAGE="fr-BE").content.decode()
    assert "non (<a href=" in page and ">marquer comme compromise…</a>)" in page
    assert "mark as compromised…" not in page
    operator.post(f"/admin/credentials/issuerkey/{key.pk}/compromised/", {"confirm": "yes", "note": NOTE})
    page = operator.get(url, HTTP_ACCEPT_LANGUAGE="de-BE").content.decode()
    assert "gemeldet am " in page and NOTE in page


def test_the_oauth_clients_scopes_read_in_the_operators_language(operator):
    page = operator.get("/admin/accounts/oauthclient/add/", HTTP_ACCEPT_LANGUAGE="nl-BE").content.decode()
    assert "issue:credentials: Attesten ondertekenen: POST /credentials/issue" in page
    assert "read:grants: Attesten inzien onder de toestemming van een burger" in page
    assert "Sign credentials" not in page


def test_the_openapi_schema_keeps_the_scopes_english_whatever_the_language(client):
    schema = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="nl-BE").content.decode()
    assert "Sign credentials: POST /credentials/issue" in schema
