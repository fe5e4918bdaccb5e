"""The link (and QR code) an employer hands to the candidate keeps its target through the
sign-in: a candidate who is not signed in signs in, with the password form or OpenID Connect,
and lands on the request. The request is in the link's path, not in a fragment, which a browser
never sends and a login form drops; the sign-in follows only our own addresses."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from consent.portal.console import candidate_link
from tests.accounts.test_oidc import at_provider, local, oidc_on, provider  # noqa: F401 - fixtures

PASSWORD = "correct horse battery staple"


def _path(access_request) -> str:
    return urlsplit(candidate_link(access_request)).path


@pytest.fixture
def with_password(citizen):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    return citizen


def test_the_link_names_the_request_in_its_path(pending, settings):
    settings.SITE_URL = "https://vault.example.be"
    assert candidate_link(pending) == f"https://vault.example.be/portal/requests/{pending.pk}"


def test_a_candidate_not_signed_in_lands_on_the_request_after_the_password_form(pending, with_password):
    client = Client()
    to_login = client.get(_path(pending))
    assert to_login.status_code == 302
    login = to_login["Location"]
    assert urlsplit(login).path == "/portal/login/"
    assert parse_qs(urlsplit(login).query)["next"] == [_path(pending)]
    # The login page carries it in its form.
    assert f'name="next" value="{_path(pending)}"' in client.get(login).content.decode()

    signed_in = client.post(
        login, {"username": with_password.user.username, "password": PASSWORD, "next": _path(pending)}
    )
    assert signed_in["Location"] == _path(pending)
    at_request = client.get(signed_in["Location"])
    assert at_request.status_code == 302
    assert at_request["Location"] == f"/portal/requests#request-{pending.pk}"
    page = client.get("/portal/requests").content.decode()
    assert f'id="request-{pending.pk}"' in page


def test_a_signed_in_candidate_goes_straight_to_the_request(pending, with_password):
    client = Client()
    assert client.login(username=with_password.user.username, password=PASSWORD)
    assert client.get(_path(pending))["Location"] == f"/portal/requests#request-{pending.pk}"


def test_another_citizen_following_the_link_finds_nothing(pending, other_citizen):
    other_citizen.user.set_password(PASSWORD)
    other_citizen.user.save()
    client = Client()
    assert client.login(username=other_citizen.user.username, password=PASSWORD)
    assert client.get(_path(pending)).status_code == 404


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/portal/requests", "//evil.example/", "javascript:alert(1)"]
)
def test_the_password_form_does_not_follow_a_next_that_leaves_the_site(with_password, elsewhere):
    answer = Client().post(
        "/portal/login/", {"username": with_password.user.username, "password": PASSWORD, "next": elsewhere}
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/"


def test_a_candidate_not_signed_in_lands_on_the_request_after_the_federal_login(pending, oidc_on):  # noqa: F811
    client = Client()
    login = client.get(_path(pending))["Location"]
    page = client.get(login).content.decode()
    # The federal login's button carries the request along.
    start = html.unescape(re.search(r'href="(/portal/oidc/start/[^"]*)"', page).group(1))
    assert parse_qs(urlsplit(start).query)["next"] == [_path(pending)]
    to_provider = client.get(start)
    assert to_provider.status_code == 302
    back = client.get(local(at_provider(to_provider["Location"], "an")))
    assert back["Location"] == _path(pending)
    assert client.get(back["Location"])["Location"] == f"/portal/requests#request-{pending.pk}"


def test_the_federal_login_does_not_follow_a_next_that_leaves_the_site(pending, oidc_on):  # noqa: F811
    client = Client()
    to_provider = client.get("/portal/oidc/start/?next=//evil.example/portal/requests")
    back = client.get(local(at_provider(to_provider["Location"], "an")))
    assert back["Location"] == "/portal/"
