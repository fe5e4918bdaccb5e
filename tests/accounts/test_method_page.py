"""The page a button's address answers with when opened (a 405): what it says, in each language."""

import pytest
from django.test import Client

PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser(citizen) -> Client:
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    assert client.login(username=citizen.user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Nothing has been done."),
        ("nl-BE", "Er is niets gebeurd."),
        ("fr-BE", "Rien n\u2019a été fait."),
        ("de-BE", "Es ist nichts geschehen."),
    ],
)
def test_the_page_says_nothing_has_been_done(browser, language, words):
    response = browser.get("/portal/my-data/export", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 405
    page = response.content.decode()
    assert words in page
    assert "Nothing was done now" not in page and "nu niets gebeurd" not in page
