"""The employer gives up an approved grant from the console: a confirmation first, then
consent.services.withdraw_grant (the grantee only, logged in the candidate's pod); the citizen
sees it withdrawn by the grantee, and the console reads no more under it."""

from django.test import Client

from consent.models import Grant
from vault.models import AccessEvent

from .consoles import PASSWORD, member_client, requests_url


def give_up_url(employer, filed) -> str:
    return f"{requests_url(employer)}/{filed.pk}/give-up"


def test_the_employer_gives_up_the_access_after_a_confirmation(hr, employer, filed, grant, citizen):
    page = hr.get(f"{requests_url(employer)}/{filed.pk}").content.decode()
    assert f'href="{give_up_url(employer, filed)}"' in page
    confirm = hr.get(give_up_url(employer, filed))
    assert confirm.status_code == 200
    assert "You cannot undo this" in confirm.content.decode()
    assert "Diploma (only: Degree, Awarded on)" in confirm.content.decode()
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE  # the confirmation changed nothing

    done = hr.post(give_up_url(employer, filed), follow=True)
    assert done.redirect_chain == [(f"{requests_url(employer)}/{filed.pk}", 302)]
    page = done.content.decode()
    assert "Given up: your organisation can no longer read under this access." in page
    assert "Your organisation gave up this access on" in page
    assert "Open the shared credentials" not in page
    assert "Give up this access" not in page
    grant.refresh_from_db()
    assert grant.status == Grant.Status.WITHDRAWN
    logged = AccessEvent.objects.get(pod=citizen.pod, action=AccessEvent.Action.GRANT_WITHDRAWN)
    assert (logged.actor_organisation_id, logged.grant_id) == (employer.organisation.pk, grant.pk)

    # The console's next read is refused (and logged as refused).
    refused = hr.post(f"{requests_url(employer)}/{filed.pk}/read", follow=True)
    assert "The read was refused" in refused.content.decode()
    denied = AccessEvent.objects.get(pod=citizen.pod, action=AccessEvent.Action.ACCESS_DENIED)
    assert denied.reason == "grant-withdrawn"


def test_the_citizen_sees_it_withdrawn_by_the_grantee(hr, employer, filed, grant, citizen):
    assert hr.post(give_up_url(employer, filed)).status_code == 302
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    assert client.login(username=citizen.user.username, password=PASSWORD)
    grants = client.get("/portal/grants").content.decode()
    assert '<span class="badge withdrawn">ingetrokken door de ontvanger</span>' in grants
    assert f'href="/portal/grants/{grant.pk}/revoke"' not in grants
    log = client.get("/portal/log").content.decode()
    assert "Toestemming ingetrokken door de ontvanger" in log


def test_another_employer_cannot_give_it_up(other_employer, employer, filed, grant):
    other = member_client(other_employer.organisation, "hr@other.example")
    assert other.get(give_up_url(other_employer, filed)).status_code == 404
    assert other.post(give_up_url(other_employer, filed)).status_code == 404
    assert other.post(give_up_url(employer, filed)).status_code == 404  # not their console
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE


def test_a_citizen_cannot_give_it_up_through_the_console(employer, filed, grant, citizen):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    assert client.login(username=citizen.user.username, password=PASSWORD)
    assert client.post(give_up_url(employer, filed)).status_code == 403
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE


def test_giving_up_needs_the_csrf_token(employer, filed, grant):
    member_client(employer.organisation, "hr@acme.example")
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="hr@acme.example", password=PASSWORD)
    assert client.post(give_up_url(employer, filed)).status_code == 403
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE


def test_a_request_without_a_grant_has_nothing_to_give_up(hr, employer, filed):
    assert hr.get(give_up_url(employer, filed)).status_code == 404
    assert hr.post(give_up_url(employer, filed)).status_code == 404


def test_giving_up_an_ended_grant_says_why_not(hr, employer, filed, grant, citizen):
    from consent.services import revoke_grant

    revoke_grant(citizen=citizen.user, grant_id=grant.pk)
    page = hr.post(give_up_url(employer, filed), follow=True).content.decode()
    assert "This access has ended already: there is nothing to give up." in page
    grant.refresh_from_db()
    assert grant.status == Grant.Status.REVOKED
    assert not AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.GRANT_WITHDRAWN).exists()
