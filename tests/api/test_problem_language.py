"""Problem details and Accept-Language: DRF's own messages follow it, our own stay English and
say so (Content-Language), the type and title never change."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import diploma

NOT_AUTHENTICATED = "https://w3id.org/citizen-vault/problems#not-authenticated"


@pytest.mark.parametrize(
    ("accept", "language", "detail"),
    [
        ("fr-BE,fr;q=0.9", "fr", "Informations d'authentification non fournies."),
        ("nl-BE", "nl", "Authenticatiegegevens zijn niet opgegeven."),
        ("de-BE", "de", "Anmeldedaten fehlen."),
        ("", "en", "Authentication credentials were not provided."),
    ],
)
def test_drf_messages_follow_accept_language(db, accept, language, detail):
    answer = APIClient().get("/api/v1/whoami", HTTP_ACCEPT_LANGUAGE=accept)
    assert answer.status_code == 401
    assert answer.headers["Content-Language"] == language
    body = answer.json()
    assert body["detail"] == detail
    assert body["type"] == NOT_AUTHENTICATED and body["title"] == "Authentication required"


def test_a_validation_error_names_the_fields_in_the_language_asked_for(university):
    answer = university.post("/api/v1/issuer/credentials", {"recipient": {}}, HTTP_ACCEPT_LANGUAGE="nl-BE")
    assert answer.status_code == 400
    assert answer.headers["Content-Language"] == "nl"
    errors = {error["pointer"]: error["detail"] for error in answer.json()["errors"]}
    assert errors == {"/recipient/nationalId": "Dit veld is vereist.", "/credential": "Dit veld is vereist."}


def test_our_own_refusals_are_english_and_say_so(university):
    answer = university.post(
        "/api/v1/issuer/credentials",
        {"recipient": {"nationalId": "BE:00000000097"}, "credential": diploma()},
        HTTP_ACCEPT_LANGUAGE="de-BE",
    )
    assert answer.status_code == 404, answer.content
    assert answer.headers["Content-Language"] == "en"
    assert answer.json()["type"].endswith("#citizen-not-found")
    assert answer.json()["detail"] == "No citizen with that national identifier has a pod here."
