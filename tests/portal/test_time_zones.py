"""Times on the portal and the console are in the portal's zone (PORTAL_TIME_ZONE, Brussels by
default) and say so, in the page's language; the dates typed into its forms are days there.
The API and the downloads stay in UTC."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import add_member
from consent.models import Grant
from consent.services import approve_request
from tests.vault.logtamper import as_dba
from vault.models import AccessEvent

PASSWORD = "correct horse battery staple"
BRUSSELS = ZoneInfo("Europe/Brussels")


def signed_in(user, language: str = "en") -> Client:
    user.set_password(PASSWORD)
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def grant(pending, citizen):
    return approve_request(citizen=citizen.user, request_id=pending.pk)


def _ends(grant, moment: datetime) -> None:
    Grant.objects.filter(pk=grant.pk).update(valid_until=moment)


@pytest.mark.parametrize(
    ("language", "winter", "summer"),
    [
        ("en", "Jan. 16, 2027, 12:30 a.m. Brussels time", "July 16, 2027, 12:30 a.m. Brussels time"),
        ("nl", "16 januari 2027 00:30 Brusselse tijd", "16 juli 2027 00:30 Brusselse tijd"),
        ("fr", "16 janvier 2027 00:30 heure de Bruxelles", "16 juillet 2027 00:30 heure de Bruxelles"),
        ("de", "16. Januar 2027 00:30 Brüsseler Zeit", "16. Juli 2027 00:30 Brüsseler Zeit"),
    ],
)
def test_a_grants_end_is_shown_in_brussels_time_and_says_so_in_each_language(
    grant, citizen, language, winter, summer
):
    client = signed_in(citizen.user, language)
    # 23:30 UTC is half past midnight the next day in Brussels: CET (+1) in winter, CEST (+2) in summer.
    _ends(grant, datetime(2027, 1, 15, 23, 30, tzinfo=UTC))
    page = client.get("/portal/grants").content.decode()
    assert f'<time datetime="2027-01-16T00:30:00+01:00">{winter}</time>' in page
    _ends(grant, datetime(2027, 7, 15, 22, 30, tzinfo=UTC))
    page = client.get("/portal/grants").content.decode()
    assert f'<time datetime="2027-07-16T00:30:00+02:00">{summer}</time>' in page
    assert "UTC" not in page


def test_another_zone_is_named_as_configured(grant, citizen, settings):
    settings.PORTAL_TIME_ZONE = "UTC"
    _ends(grant, datetime(2027, 1, 15, 23, 30, tzinfo=UTC))
    page = signed_in(citizen.user).get("/portal/grants").content.decode()
    assert '<time datetime="2027-01-15T23:30:00+00:00">Jan. 15, 2027, 11:30 p.m. UTC</time>' in page
    settings.PORTAL_TIME_ZONE = "America/New_York"
    page = signed_in(citizen.user).get("/portal/grants").content.decode()
    assert "Jan. 15, 2027, 6:30 p.m. America/New_York</time>" in page


def test_the_logs_timeline_names_its_zone_and_its_period_is_in_days_there(grant, citizen):
    """An entry at 23:30 UTC on 1 March is on 2 March in Brussels: the timeline shows it then,
    and a period of 2 March holds it, one of 1 March does not."""
    client = signed_in(citizen.user, "nl")
    first = AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").first()
    with as_dba():
        AccessEvent.objects.filter(pk=first.pk).update(occurred_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    page = client.get("/portal/log").content.decode()
    assert "Wanneer (Brusselse tijd)" in page
    assert '<time datetime="2026-03-02T00:30:00+01:00">2-3-2026 00:30</time>' in page

    def seqs(**period) -> set[int]:
        page = client.get("/portal/log", period).content.decode()
        return {int(n) for n in re.findall(r'<td data-label="#">(\d+)</td>', page)}

    assert first.seq in seqs(since="2026-03-02", until="2026-03-02")
    assert first.seq not in seqs(since="2026-03-01", until="2026-03-01")


def test_a_grants_last_day_ends_at_midnight_in_brussels(pending, citizen):
    """A grant "until 20 January" (winter) ends at 23:59:59 Brussels time: 22:59:59 UTC."""
    pending.requested_until = datetime(2099, 1, 31, 12, tzinfo=UTC)
    pending.save(update_fields=["requested_until"])
    client = signed_in(citizen.user)
    response = client.post(
        f"/portal/requests/{pending.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "valid_until": "2099-01-20"},
    )
    assert response.status_code == 302, response.content.decode()
    grant = Grant.objects.get(request=pending)
    assert grant.valid_until == datetime(2099, 1, 20, 23, 59, 59, tzinfo=BRUSSELS)
    assert grant.valid_until == datetime(2099, 1, 20, 22, 59, 59, tzinfo=UTC)


def test_a_date_after_the_requests_last_day_in_brussels_is_refused(pending, citizen):
    """A request until 31 January 23:30 UTC lasts until 1 February in Brussels: the citizen may
    choose 1 February (as asked), not 2 February."""
    pending.requested_until = datetime(2099, 1, 31, 23, 30, tzinfo=UTC)
    pending.save(update_fields=["requested_until"])
    client = signed_in(citizen.user)
    refused = client.post(
        f"/portal/requests/{pending.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "valid_until": "2099-02-02"},
    )
    assert refused.status_code == 400
    assert "until Feb. 1, 2099 at the latest" in refused.content.decode()
    approved = client.post(
        f"/portal/requests/{pending.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "valid_until": "2099-02-01"},
    )
    assert approved.status_code == 302
    assert Grant.objects.get(request=pending).valid_until == pending.requested_until  # as asked


def test_the_employers_console_shows_its_times_in_brussels_time(pending, employer):
    add_member(organisation=employer.organisation, email="hr@acme.example", password=PASSWORD)
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    assert client.login(username="hr@acme.example", password=PASSWORD)
    page = client.get(f"/portal/console/{employer.organisation.slug}/requests/{pending.pk}").content.decode()
    filed = timezone.localtime(pending.created_at, BRUSSELS)
    assert f'<time datetime="{filed.isoformat(timespec="seconds")}">' in page
    assert "heure de Bruxelles</time>" in page
    assert "UTC" not in page
    assert (
        "(fin de journée, heure de Bruxelles)"
        in client.get(f"/portal/console/{employer.organisation.slug}/requests/new").content.decode()
    )


def test_the_api_still_answers_in_utc(grant, employer):
    _ends(grant, datetime(2027, 1, 15, 23, 30, tzinfo=UTC))
    answer = employer.get(f"/api/v1/grants/{grant.pk}").json()
    assert answer["validUntil"] in ("2027-01-15T23:30:00Z", "2027-01-15T23:30:00+00:00")
    assert date(2027, 1, 15) == datetime.fromisoformat(answer["validUntil"]).date()
    assert timedelta(0) == datetime.fromisoformat(answer["validUntil"]).utcoffset()
