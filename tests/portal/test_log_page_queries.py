"""The log page's filter choices come from the database as distinct values, not as one value per
entry: with 10,000 entries the purposes' query fetched 10,000 rows (bench/portal.py). Who and why
come from one query of the distinct (organisation, purpose) pairs."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from consent.services import approve_request

PASSWORD = "correct horse battery staple"


def test_the_purposes_to_filter_by_are_read_distinct(pending, citizen, employer):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    for n in range(3):
        read = employer.get(
            f"/api/v1/grants/{grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
            f"&challenge=log-page-nonce-000{n}&domain=hr.acme.example"
        )
        assert read.status_code == 200
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    assert client.login(username=citizen.user.username, password=PASSWORD)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/portal/log").content.decode()
    assert page.count('<option value="dpv:HumanResourceManagement"') == 1
    purposes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT DISTINCT") and '"vault_accessevent"."purpose"' in q["sql"]
    ]
    assert len(purposes) == 1
    assert "seq" not in purposes[0]
    assert page.count(f'<option value="{employer.organisation.pk}"') == 1
