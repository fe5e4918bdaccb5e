"""The log page counts its selection and charts its accesses in one pass (vault.portal.charts.tally):
the same figures as counting and charting separately, per month over a long span, per day (in
Brussels) over a month or less."""

from datetime import UTC, datetime

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from consent.services import approve_request
from tests.vault.logtamper import as_dba
from vault.models import AccessEvent
from vault.portal import charts

PASSWORD = "correct horse battery staple"


def _reads(employer, grant, n: int) -> None:
    for i in range(n):
        read = employer.get(
            f"/api/v1/grants/{grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
            f"&challenge=tally-nonce-{i:08d}&domain=hr.acme.example"
        )
        assert read.status_code == 200


def _spread(pod, moments: list[datetime]) -> None:
    """Move the pod's reads to ``moments`` (oldest read first), as a DBA could."""
    reads = AccessEvent.objects.filter(pod=pod, action=AccessEvent.Action.CREDENTIAL_READ).order_by("seq")
    with as_dba():
        for event, moment in zip(reads, moments, strict=True):
            AccessEvent.objects.filter(pk=event.pk).update(occurred_at=moment)


def test_a_long_span_is_counted_and_charted_per_month_in_one_query(pending, citizen, employer):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    _reads(employer, grant, 3)
    _spread(
        citizen.pod,
        [
            datetime(2026, 1, 31, 23, 30, tzinfo=UTC),  # 1 February in Brussels
            datetime(2026, 2, 10, 12, 0, tzinfo=UTC),
            datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
        ],
    )
    events = AccessEvent.objects.filter(pod=citizen.pod)
    with CaptureQueriesContext(connection) as queries:
        tally = charts.tally(events)
    assert len(queries) == 1
    assert tally.entries == events.count()
    assert tally.chart is not None
    assert tally.chart.series == [("Acme Recruiting", charts.PALETTE[0], [2, 1])]  # February, June
    assert tally.chart.total == 3


def test_a_short_span_is_charted_per_day_in_brussels(pending, citizen, employer):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    _reads(employer, grant, 3)
    _spread(
        citizen.pod,
        [
            datetime(2026, 3, 1, 22, 30, tzinfo=UTC),  # 1 March, 23:30 in Brussels
            datetime(2026, 3, 1, 23, 30, tzinfo=UTC),  # 2 March, 00:30 in Brussels
            datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        ],
    )
    tally = charts.tally(AccessEvent.objects.filter(pod=citizen.pod))
    assert tally.chart is not None
    assert tally.chart.series == [("Acme Recruiting", charts.PALETTE[0], [1, 2])]
    assert len(tally.chart.periods) == 2


def test_no_access_no_chart_but_the_entries_are_counted(citizen):
    events = AccessEvent.objects.filter(pod=citizen.pod)
    tally = charts.tally(events)
    assert tally.chart is None
    assert tally.entries == events.count()


def test_the_page_counts_its_selection_once(pending, citizen, employer):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    _reads(employer, grant, 2)
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=citizen.user.username, password=PASSWORD)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/portal/log?who={employer.organisation.pk}").content.decode()
    selected = AccessEvent.objects.filter(pod=citizen.pod, actor_organisation=employer.organisation).count()
    assert selected >= 2
    assert f"{selected} entries in this selection" in page
    assert not [q for q in queries.captured_queries if 'SELECT COUNT(*) AS "__count"' in q["sql"]]
