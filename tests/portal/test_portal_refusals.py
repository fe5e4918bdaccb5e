"""The citizen's portal says the consent service's refusals of a decision in the citizen's
language (consent.portal.refusals): approving or denying a request that was withdrawn meanwhile,
revoking an access already revoked, raising a read limit; an unknown refusal in English, marked
so."""

from html import unescape

import pytest
from django.test import Client

from consent.services import approve_request, lower_read_limit, revoke_grant, withdraw_request
from core.errors import DomainError
from core.refusals import code_in_words, in_sentence, in_words

PASSWORD = "correct horse battery staple"


def portal(citizen, language: str) -> Client:
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=citizen.user.username, password=PASSWORD)
    return client


def messages_of(response) -> str:
    return unescape(response.content.decode().split('<ul class="messages">')[1].split("</ul>")[0])


@pytest.fixture
def withdrawn(pending, employer):
    return withdraw_request(requester=employer.organisation, request_id=pending.pk)


def test_approving_a_withdrawn_request_is_refused_in_dutch(citizen, withdrawn):
    response = portal(citizen, "nl").post(
        f"/portal/requests/{withdrawn.pk}/approve", {"credential_types": ["DiplomaCredential"]}
    )
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "Dit verzoek werd beantwoord of is afgelopen: het kan niet meer worden goedgekeurd." in page
    assert "cannot become" not in page


def test_denying_a_withdrawn_request_is_refused_in_french(citizen, withdrawn):
    response = portal(citizen, "fr").post(
        f"/portal/requests/{withdrawn.pk}/deny", {"reason": "Pas maintenant"}, follow=True
    )
    shown = messages_of(response)
    assert "Cette demande a reçu une réponse ou a pris fin\u00a0: elle ne peut plus être refusée." in shown
    assert "cannot become" not in shown


def test_revoking_an_access_twice_is_refused_in_german(citizen, pending):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    revoke_grant(citizen=citizen.user, grant_id=grant.pk)
    response = portal(citizen, "de").post(f"/portal/grants/{grant.pk}/revoke", follow=True)
    assert "Dieser Zugang ist bereits beendet: Es gibt nichts zu widerrufen." in messages_of(response)


def test_raising_a_read_limit_is_refused_in_dutch(citizen, pending):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    lower_read_limit(citizen=citizen.user, grant_id=grant.pk, max_reads=3)
    response = portal(citizen, "nl").post(
        f"/portal/grants/{grant.pk}/read-limit", {"max_reads": 5}, follow=True
    )
    shown = messages_of(response)
    assert "De limiet kan alleen worden verlaagd" in shown
    assert "it may only be lowered" not in shown


def test_lowering_the_limit_of_a_revoked_access_is_refused_in_french(citizen, pending):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    revoke_grant(citizen=citizen.user, grant_id=grant.pk)
    response = portal(citizen, "fr").post(
        f"/portal/grants/{grant.pk}/read-limit", {"max_reads": 1}, follow=True
    )
    assert "Cet accès a pris fin\u00a0: sa limite de lectures ne peut plus changer." in messages_of(response)


class Unforeseen(DomainError):
    code = "something-new"


def test_an_unknown_refusal_keeps_the_services_english_marked_and_escaped():
    refusal = Unforeseen("Something <new> went wrong.")
    assert in_words(refusal, {}) == '<span lang="en">Something &lt;new&gt; went wrong.</span>'
    assert code_in_words("something-new", "x & y", {}) == '<span lang="en">x &amp; y</span>'
    assert in_sentence("Refused <now>: %(reason)s", refusal, {}) == (
        'Refused &lt;now&gt;: <span lang="en">Something &lt;new&gt; went wrong.</span>'
    )


def test_an_unknown_refusal_on_a_page_is_marked_english(citizen, pending, monkeypatch):
    from consent.portal import views

    monkeypatch.setattr(views, "REVOKE_REFUSALS", {})
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    revoke_grant(citizen=citizen.user, grant_id=grant.pk)
    response = portal(citizen, "nl").post(f"/portal/grants/{grant.pk}/revoke", follow=True)
    html = response.content.decode()
    assert '<span lang="en">This grant is revoked; it cannot become revoked.</span>' in html
