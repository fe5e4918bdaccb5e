"""The portal's side of agencies under law: the citizen's log marks legal reads (the law as a link,
the case) and sealed entries ("sealed until", the agency, nothing else until the date); an
agency's member reads under a mandate from the agency console, the case reference required."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation
from tests.conftest import make_organisation
from tests.consent.legal import CASE, LAW_TITLE, LAW_URL, issue_diploma, legal_read, mandate_for
from vault.models import AccessEvent

from .consoles import member_client

PASSWORD = "correct horse battery staple"


def _login(user) -> Client:
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def agency(db):
    return make_organisation("Federal Pension Service", Organisation.Kind.AGENCY)


@pytest.fixture
def holding(university, citizen):
    issue_diploma(university, "BE:85073003328")
    return citizen


@pytest.fixture
def mandate(agency):
    return mandate_for(agency.organisation)


@pytest.fixture
def browser(holding):
    return _login(holding.user)


@pytest.fixture
def officer(agency):
    return member_client(agency.organisation, "officer@fps.example.gov")


def test_the_log_marks_a_legal_read_with_its_law_and_case(browser, agency, holding, mandate):
    assert legal_read(agency, mandate.pk).status_code == 200
    page = browser.get("/portal/log").content.decode()
    assert "legal read" in page
    assert f'href="{LAW_URL}"' in page and LAW_TITLE in page and CASE in page
    # The filter "only reads under a law" keeps it and leaves out the rest.
    only = browser.get("/portal/log?legal=on").content.decode()
    assert CASE in only and "Pod opened" not in only
    assert "Pod opened" in page


def test_a_sealed_entry_shows_the_agency_and_its_date_and_opens_on_it(monkeypatch, browser, agency, holding):
    mandate = mandate_for(agency.organisation, delay=30)
    response = legal_read(agency, mandate.pk)
    until = response.json()["results"][0]["sealedUntil"]
    page = browser.get("/portal/log").content.decode()
    assert "Sealed until" in page and agency.organisation.name in page
    for hidden in (CASE, LAW_URL, LAW_TITLE, "Degree"):
        assert hidden not in page, hidden
    download = browser.post("/portal/log/download", {"as": "text"}).content.decode()
    assert "sealed until" in download and CASE not in download
    # On the date (the beat task has not run): the page opens it.
    from datetime import datetime, timedelta

    later = datetime.fromisoformat(until.replace("Z", "+00:00")) + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    page = _login(holding.user).get("/portal/log").content.decode()  # a month on: a new session
    assert CASE in page and LAW_TITLE in page and "now open" in page


def test_an_agency_member_reads_under_a_mandate_from_the_console(officer, agency, holding, mandate):
    page = officer.get(f"/portal/console/{agency.organisation.slug}/legal-reads")
    assert page.status_code == 200
    assert f'href="{LAW_URL}"' in page.content.decode()
    assert "Reads under law" in page.content.decode()  # in the console's navigation
    response = officer.post(
        f"/portal/console/{agency.organisation.slug}/legal-reads",
        {"mandate": str(mandate.pk), "case_reference": CASE, "national_ids": "85.07.30-033.28\n"},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "Master of Laws in Obscure Maritime Jurisprudence" in response.content.decode()
    [read] = AccessEvent.objects.filter(pod=holding.pod, action=AccessEvent.Action.CREDENTIAL_READ)
    assert read.legal["case"] == CASE


def test_the_console_requires_a_case_reference_and_logs_the_attempt(officer, agency, holding, mandate):
    response = officer.post(
        f"/portal/console/{agency.organisation.slug}/legal-reads",
        {"mandate": str(mandate.pk), "case_reference": "", "national_ids": "BE:85073003328"},
    )
    assert response.status_code == 400
    assert "case reference" in response.content.decode()
    [denial] = AccessEvent.objects.filter(pod=holding.pod, outcome=AccessEvent.Outcome.DENIED)
    assert denial.reason == "case-reference-missing"


def test_the_console_is_for_agency_members_only(browser, agency, employer):
    url = f"/portal/console/{agency.organisation.slug}/legal-reads"
    assert browser.get(url).status_code == 403  # a citizen: a member of no organisation
    assert Client().get(url).status_code == 302  # to the login
    hr = member_client(employer.organisation, "hr@acme.example")
    assert hr.get(url).status_code == 404  # another organisation's console
    own = f"/portal/console/{employer.organisation.slug}/legal-reads"
    assert hr.get(own).status_code == 404  # an employer's console has no such page
