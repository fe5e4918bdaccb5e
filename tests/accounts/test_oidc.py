"""Signing in with OpenID Connect against a real provider (tests/oidc_op: django-oauth-toolkit's
OIDC provider in its own process on 127.0.0.1): the authorization code flow with PKCE over
HTTP, the first sign-in that opens a pod, sign-out at both ends, and one test per attack."""

import logging
import re
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts import oidc, sessions
from accounts.identity import national_id_digests
from accounts.models import User
from tests.conftest import make_citizen
from tests.oidc_op.process import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    citizen,
    portal_signing_in_at,
    running_provider,
)
from vault.models import Pod

CALLBACK = "http://testserver/portal/oidc/callback/"
AFTER_LOGOUT = "http://testserver/portal/login/"
NRN = "85073003328"
VICTIM_NRN = "90010112395"
EID = "urn:be:fedict:iam:fas:Level500"
ITSME = "urn:be:fedict:iam:fas:Level450"
PASSWORD_ONLY = "urn:be:fedict:iam:fas:Level200"


@pytest.fixture(scope="module")
def provider():
    users = {
        "an": citizen(NRN, "an@example.org"),
        "no-number": citizen(None, "nobody@example.org"),
        "bad-number": citizen("not-a-number!", "bad@example.org"),
        "taken-address": citizen("77020200118", "someone@example.org"),
        "mallory": citizen("66060600183", "mallory@example.org", misbehave="tamper", tampered_nrn=VICTIM_NRN),
        "eve": citizen("55050500169", "eve@example.org", misbehave="audience"),
        "an-with-eid": citizen(NRN, "an@example.org", acr=EID),
        "an-with-a-password": citizen(NRN, "an@example.org", acr=PASSWORD_ONLY),
    }
    with running_provider(
        users=users, redirect_uris=[CALLBACK], post_logout_redirect_uris=[AFTER_LOGOUT]
    ) as op:
        yield op


@pytest.fixture
def oidc_on(settings, provider):
    with portal_signing_in_at(provider, settings):
        yield provider


def at_provider(authorize_url: str, username: str, http: requests.Session | None = None) -> str:
    """Signs ``username`` in at the provider's login page, as a browser would, and returns where
    the provider sends the browser back (our redirect URI with code and state)."""
    http = http or requests.Session()
    answer = http.get(authorize_url, allow_redirects=False, timeout=10)
    if answer.status_code == 302 and "/login/" in answer.headers["Location"]:
        login_url = urljoin(authorize_url, answer.headers["Location"])
        assert http.get(login_url, timeout=10).status_code == 200
        answer = http.post(
            login_url,
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": http.cookies["op_csrftoken"],
                "next": parse_qs(urlsplit(login_url).query)["next"][0],
            },
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text
        answer = http.get(
            urljoin(authorize_url, answer.headers["Location"]), allow_redirects=False, timeout=10
        )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def local(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver", url
    return f"{parts.path}?{parts.query}"


def start(client: Client) -> str:
    answer = client.get("/portal/oidc/start/")
    assert answer.status_code == 302
    return answer["Location"]


def sign_in(client: Client, username: str = "an") -> tuple[str, object]:
    """The whole flow; returns the callback URL used and our answer to it."""
    callback = at_provider(start(client), username)
    return callback, client.get(local(callback))


def signed_in_user(client: Client):
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def refused_with(caplog, reason: str) -> bool:
    return f"OpenID Connect sign-in refused: {reason}" in caplog.text


# The flow


def test_authorization_request_carries_state_nonce_and_an_s256_pkce_challenge(db, oidc_on):
    query = parse_qs(urlsplit(start(Client())).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", query["code_challenge"][0])
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert set(query["scope"][0].split()) == {"openid", "email", "egovnrn"}


def test_first_sign_in_registers_the_citizen_and_opens_their_pod(db, oidc_on, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client()
    callback, answer = sign_in(client)
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
    user = signed_in_user(client)
    assert user is not None and user.national_id_digest in national_id_digests(f"BE:{NRN}")
    assert user.email == "an@example.org"
    assert Pod.objects.filter(owner=user).count() == 1
    assert client.session[oidc.SESSION_METHOD_KEY] == "oidc"
    home = client.get("/portal/")
    assert home.status_code == 200
    assert "Your pod is ready" in home.content.decode()
    # The national register number is in no URL we handled, and in no log line.
    assert NRN not in callback and NRN not in caplog.text


def test_returning_citizen_signs_in_to_their_existing_pod(db, oidc_on):
    existing = make_citizen("an.registered@example.org", f"BE:{NRN}")
    client = Client()
    _, answer = sign_in(client)
    assert answer.status_code == 302
    assert signed_in_user(client) == existing.user
    assert Pod.objects.filter(owner=existing.user).count() == 1
    assert User.objects.filter(national_id_digest__isnull=False).count() == 1


def test_a_second_sign_in_finds_the_citizen_the_first_registered(db, oidc_on):
    first, second = Client(), Client()
    sign_in(first)
    sign_in(second)
    assert signed_in_user(first) == signed_in_user(second)
    assert Pod.objects.count() == 1


def test_an_address_another_account_uses_is_not_given_to_the_new_citizen(db, oidc_on):
    someone = make_citizen("someone@example.org", "BE:12121200104")
    client = Client()
    sign_in(client, "taken-address")
    user = signed_in_user(client)
    assert user is not None and user != someone.user
    assert user.email.endswith("@citizens.invalid")


def test_sign_out_ends_the_session_here_and_at_the_provider(db, oidc_on):
    client, http = Client(), requests.Session()
    client.get(local(at_provider(start(client), "an", http)))
    assert signed_in_user(client) is not None
    answer = client.post("/portal/logout/")
    assert signed_in_user(client) is None
    assert client.get("/portal/").status_code == 302  # back to the login page
    end_session = urlsplit(answer["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}".startswith(oidc_on.issuer)
    query = parse_qs(end_session.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == [AFTER_LOGOUT]
    assert "id_token_hint" not in query  # an ID token may carry the national register number
    # At the provider: without an id_token_hint it asks the citizen to confirm (RP-Initiated
    # Logout 1.0 §2 says it must); then its session ends and the browser comes back to us.
    confirm = http.get(answer["Location"], allow_redirects=False, timeout=10)
    assert confirm.status_code == 200 and "Sign out of the federal login?" in confirm.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm.text))
    at_op = http.post(
        answer["Location"],
        data={**fields, "allow": "on", "csrfmiddlewaretoken": http.cookies["op_csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    assert at_op.status_code == 302 and at_op.headers["Location"].split("?")[0] == AFTER_LOGOUT
    again = http.get(start(Client()), allow_redirects=False, timeout=10)
    assert "/login/" in again.headers["Location"]  # the provider asks to sign in again


def test_pages_of_an_oidc_session_may_send_forms_to_the_provider_and_nowhere_else(db, oidc_on):
    client = Client()
    sign_in(client)
    policy = client.get("/portal/")["Content-Security-Policy"]
    form_action = re.search(r"form-action ([^;]*)", policy).group(1).split()
    assert form_action == ["'self'", urlsplit(oidc_on.issuer)._replace(path="").geturl()]
    assert "script-src 'self'" in policy


def test_the_login_page_offers_the_federal_login_beside_the_password_form(db, oidc_on):
    page = Client().get("/portal/login/").content.decode()
    assert 'href="/portal/oidc/start/"' in page and "Sign in with CSAM" in page
    assert 'name="password"' in page


def test_without_configuration_the_login_page_shows_the_password_form_only(db, settings):
    settings.OIDC_ISSUER = ""
    page = Client().get("/portal/login/").content.decode()
    assert "/portal/oidc/start/" not in page and 'name="password"' in page
    assert Client().get("/portal/oidc/start/").status_code == 404


def test_next_is_followed_after_sign_in_when_it_is_ours(db, oidc_on):
    client = Client()
    answer = client.get("/portal/oidc/start/?next=/portal/log")
    assert client.get(local(at_provider(answer["Location"], "an")))["Location"] == "/portal/log"
    other = Client()
    answer = other.get("/portal/oidc/start/?next=https://evil.example/")
    assert other.get(local(at_provider(answer["Location"], "an")))["Location"] == "/portal/"


# Attacks


def test_a_wrong_state_is_refused(db, oidc_on, caplog):
    client = Client()
    callback = at_provider(start(client), "an")
    forged = re.sub(r"state=[^&]+", "state=forged-state-value-000000", callback)
    answer = client.get(local(forged))
    assert answer.status_code == 302 and answer["Location"] == "/portal/login/"
    assert signed_in_user(client) is None
    assert refused_with(caplog, "state-mismatch")
    assert not User.objects.exists()


def test_a_callback_replayed_in_another_browser_is_refused(db, oidc_on, caplog):
    callback = at_provider(start(Client()), "an")
    attacker = Client()
    attacker.get(local(callback))
    assert signed_in_user(attacker) is None
    assert refused_with(caplog, "state-mismatch")


def test_a_replayed_code_is_refused(db, oidc_on, caplog):
    client = Client()
    callback, _ = sign_in(client)
    assert signed_in_user(client) is not None
    client.post("/portal/logout/")
    # The same callback again: its state was used up.
    client.get(local(callback))
    assert signed_in_user(client) is None
    assert refused_with(caplog, "state-mismatch")
    # The same code under a fresh state of a new flow: the provider refuses a used code.
    fresh = Client()
    new_state = parse_qs(urlsplit(start(fresh)).query)["state"][0]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    fresh.get(f"/portal/oidc/callback/?code={code}&state={new_state}")
    assert signed_in_user(fresh) is None
    assert refused_with(caplog, "provider-refused")


def test_a_tampered_id_token_is_refused(db, oidc_on, caplog):
    victim = make_citizen("victim@example.org", f"BE:{VICTIM_NRN}")
    client = Client()
    _, answer = sign_in(client, "mallory")
    assert answer["Location"] == "/portal/login/"
    assert signed_in_user(client) is None
    assert refused_with(caplog, "id-token-invalid")
    assert User.objects.filter(national_id_digest__isnull=False).get() == victim.user


def test_an_id_token_for_another_audience_is_refused(db, oidc_on, caplog):
    client = Client()
    _, answer = sign_in(client, "eve")
    assert answer["Location"] == "/portal/login/"
    assert signed_in_user(client) is None
    assert refused_with(caplog, "id-token-invalid")
    assert not User.objects.exists()


def test_a_code_without_its_pkce_verifier_is_refused(db, oidc_on, caplog):
    client = Client()
    authorize = start(client)
    callback = at_provider(authorize, "an")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    # Our side lost the verifier: the exchange goes without it, and the provider refuses.
    session = client.session
    kept = session[f"_state_oidc_{state}"]
    del kept["data"]["code_verifier"]
    session[f"_state_oidc_{state}"] = kept
    session.save()
    client.get(local(callback))
    assert signed_in_user(client) is None
    assert refused_with(caplog, "provider-refused")


def test_the_code_is_bound_to_the_verifier_at_the_provider(db, oidc_on, provider):
    client = Client()
    code = parse_qs(urlsplit(at_provider(start(client), "an")).query)["code"][0]
    token_endpoint = f"{provider.issuer}/token/"
    for verifier in ({}, {"code_verifier": "x" * 64}):
        answer = requests.post(
            token_endpoint,
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, **verifier},
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=10,
        )
        assert answer.status_code == 400, answer.text
        assert "id_token" not in answer.text


def test_an_identity_without_a_national_register_number_is_refused(db, oidc_on, caplog):
    client = Client()
    _, answer = sign_in(client, "no-number")
    assert answer["Location"] == "/portal/login/"
    assert signed_in_user(client) is None
    assert refused_with(caplog, "national-id-missing")
    assert "did not give us your national register number" in client.get("/portal/login/").content.decode()
    assert not User.objects.exists()


def test_a_malformed_national_register_number_is_refused(db, oidc_on, caplog):
    client = Client()
    sign_in(client, "bad-number")
    assert signed_in_user(client) is None
    assert refused_with(caplog, "national-id-invalid")
    assert not User.objects.exists()


def test_a_national_register_number_withheld_by_scope_is_refused(db, oidc_on, settings, caplog):
    settings.OIDC_SCOPES = "openid email"  # without egovnrn: neither ID token nor userinfo has it
    oidc._app.cache_clear()
    client = Client()
    sign_in(client)
    assert signed_in_user(client) is None
    assert refused_with(caplog, "national-id-missing")


def test_an_error_answer_from_the_provider_is_refused(db, oidc_on, caplog):
    client = Client()
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    client.get(f"/portal/oidc/callback/?error=access_denied&state={state}")
    assert signed_in_user(client) is None
    assert refused_with(caplog, "provider-refused")


def test_a_discovery_document_naming_another_issuer_is_refused(db, oidc_on, settings):
    settings.OIDC_DISCOVERY_URL = f"{oidc_on.issuer}/.well-known/openid-configuration"
    settings.OIDC_ISSUER = "https://idp.iamfas.belgium.be/fas/oauth2"
    oidc._app.cache_clear()
    client = Client()
    answer = client.get("/portal/oidc/start/")
    assert answer["Location"] == "/portal/login/"
    assert "cannot be reached" in client.get("/portal/login/").content.decode()


def test_a_deactivated_citizen_cannot_sign_in(db, oidc_on, caplog):
    existing = make_citizen("an.registered@example.org", f"BE:{NRN}")
    existing.user.is_active = False
    existing.user.save()
    client = Client()
    sign_in(client)
    assert signed_in_user(client) is None
    assert refused_with(caplog, "account-inactive")


# Level of assurance (OIDC_REQUIRED_ACR)


@pytest.fixture
def eid_or_itsme_required(settings, oidc_on):
    settings.OIDC_REQUIRED_ACR = [EID, ITSME]
    return oidc_on


def test_without_a_required_level_no_acr_is_asked_for_and_any_is_taken(db, oidc_on):
    assert "acr_values" not in parse_qs(urlsplit(start(Client())).query)
    for username in ("an", "an-with-a-password"):
        client = Client()
        sign_in(client, username)
        assert signed_in_user(client) is not None


def test_the_required_levels_are_asked_for_and_a_sign_in_at_one_of_them_is_taken(
    db, eid_or_itsme_required, caplog
):
    caplog.set_level(logging.DEBUG)
    client = Client()
    authorize = start(client)
    assert parse_qs(urlsplit(authorize).query)["acr_values"] == [f"{EID} {ITSME}"]
    answer = client.get(local(at_provider(authorize, "an-with-eid")))
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
    assert signed_in_user(client) is not None
    assert "sign-in refused" not in caplog.text


@pytest.mark.parametrize("username", ["an-with-a-password", "an"])  # too low a level; no acr at all
def test_a_sign_in_below_the_required_level_is_refused_with_a_page_saying_what_is_accepted(
    db, eid_or_itsme_required, caplog, username
):
    caplog.set_level(logging.DEBUG)
    client = Client()
    _, answer = sign_in(client, username)
    assert answer.status_code == 302 and answer["Location"] == "/portal/oidc/refused/"
    assert signed_in_user(client) is None
    assert not User.objects.exists() and not Pod.objects.exists()  # no account, no pod opened
    assert refused_with(caplog, "acr-not-accepted")
    assert NRN not in caplog.text and "an@example.org" not in caplog.text
    page = client.get(answer["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "not secure enough to open your pod" in text and "You are not logged in" in text
    assert "<li>eID card with a card reader</li><li>itsme</li>" in text
    assert 'href="/portal/oidc/start/"' in text  # try again
    assert signed_in_user(client) is None
    # Trying again with the eID goes through.
    client.get(local(at_provider(start(client), "an-with-eid")))
    assert signed_in_user(client) is not None


def test_the_refusal_page_is_in_the_citizens_language(db, eid_or_itsme_required, settings):
    settings.OIDC_REQUIRED_ACR = [EID, "urn:example:unknown-level"]
    page = Client().get("/portal/oidc/refused/", HTTP_ACCEPT_LANGUAGE="nl-BE").content.decode()
    assert 'lang="nl"' in page and "Opnieuw proberen" in page
    assert "<li>eID-kaart met kaartlezer</li><li>urn:example:unknown-level</li>" in page
    fr = Client().get("/portal/oidc/refused/", HTTP_ACCEPT_LANGUAGE="fr-BE").content.decode()
    assert "Carte eID avec lecteur de carte" in fr


def test_without_a_required_level_there_is_no_refusal_page(db, oidc_on):
    assert Client().get("/portal/oidc/refused/").status_code == 404


# Session lifetimes (password and OpenID Connect sessions alike)


def _aged(client: Client, **seconds_ago: int) -> None:
    session = client.session
    now = int(time.time())
    if "signed_in" in seconds_ago:
        session[sessions.SIGNED_IN_AT] = now - seconds_ago["signed_in"]
    if "seen" in seconds_ago:
        session[sessions.SEEN_AT] = now - seconds_ago["seen"]
    session.save()


def test_a_session_idle_too_long_ends(citizen, settings):
    client = Client()
    client.force_login(citizen.user)
    assert client.get("/portal/").status_code == 200
    _aged(client, seen=settings.SESSION_IDLE_SECONDS + 5)
    answer = client.get("/portal/")
    assert answer.status_code == 302 and answer["Location"].startswith("/portal/login/")
    assert signed_in_user(client) is None
    assert "Your session has ended" in client.get("/portal/login/").content.decode()


def test_a_session_in_use_ends_at_its_absolute_limit(citizen, settings):
    client = Client()
    client.force_login(citizen.user)
    _aged(client, signed_in=settings.SESSION_ABSOLUTE_SECONDS - 60, seen=10)
    assert client.get("/portal/").status_code == 200  # in use, within both limits
    _aged(client, signed_in=settings.SESSION_ABSOLUTE_SECONDS + 5, seen=10)
    assert client.get("/portal/").status_code == 302
    assert signed_in_user(client) is None


def test_use_keeps_a_session_alive_past_the_idle_limit_from_sign_in(citizen, settings):
    client = Client()
    client.force_login(citizen.user)
    _aged(client, signed_in=settings.SESSION_IDLE_SECONDS + 60, seen=settings.SESSION_IDLE_SECONDS - 60)
    assert client.get("/portal/").status_code == 200
    assert client.session[sessions.SEEN_AT] >= int(time.time()) - 5  # the request was noted
    assert client.get("/portal/").status_code == 200


def test_a_session_without_a_sign_in_time_is_ended(citizen):
    client = Client()
    client.force_login(citizen.user)
    session = client.session
    del session[sessions.SIGNED_IN_AT]
    session.save()
    assert client.get("/portal/").status_code == 302
