"""API paths answer 404 with a problem document whatever DEBUG says; pages keep Django's 404.

Under DEBUG, Django ignores handler404 and answers with its technical 404 page, which lists every
URL pattern: a client of the API must get the same problem document as in production.
"""

import pytest
from django.test import Client

from tests.support import assert_problem

API_MISSES = [
    "/api/v1/grants/xyz/credentials",
    "/api/v1/no-such-endpoint",
    "/credentials/xyz/nothing",
    "/contexts/no/such/context",
    "/.well-known/nothing-here",
]


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", API_MISSES)
def test_an_unknown_api_path_is_a_problem_document(settings, db, path, debug):
    settings.DEBUG = debug
    response = Client().get(path)
    body = assert_problem(response, 404, "not-found")
    assert "URLconf" not in response.content.decode()
    assert body["detail"] == f"No resource at {path}."


def test_a_page_outside_the_api_keeps_the_debug_page_under_debug(settings, db):
    settings.DEBUG = True
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
