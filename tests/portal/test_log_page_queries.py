"""The log page's filter choices come from the database as distinct values, not as one value per
entry: with 10,000 entries the purposes' query fetched 10,000 rows (bench/portal.py). Who and why
come from one query of the distinct (organisation, purpose) pairs, kept per log head."""

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organisation
from consent.services import approve_request
from vault import accesslog

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


# The choices are kept per log head (vault.selectors.log_filter_choices): read once, then again only
# when the log grew, or a pruning removed detail.


def _portal(citizen) -> Client:
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    assert client.login(username=citizen.user.username, password=PASSWORD)
    return client


def _distinct_reads(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/portal/log").content.decode()
    return page, sum(q["sql"].startswith("SELECT DISTINCT") for q in queries.captured_queries)


def test_the_choices_are_read_once_per_log_head_and_again_when_it_grows(
    pending, citizen, employer, other_employer
):
    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    client = _portal(citizen)
    page, reads = _distinct_reads(client)
    assert reads == 1 and f'<option value="{employer.organisation.pk}"' in page
    page, reads = _distinct_reads(client)
    assert reads == 0 and f'<option value="{employer.organisation.pk}"' in page
    # Another organisation tries the grant: logged, so the log grew and its name is a choice.
    attempt = other_employer.get(
        f"/api/v1/grants/{grant.pk}/credentials?purpose=dpv:HumanResourceManagement"
        "&challenge=log-page-nonce-0009&domain=hr.other.example"
    )
    assert attempt.status_code == 404
    page, reads = _distinct_reads(client)
    assert reads == 1 and f'<option value="{other_employer.organisation.pk}"' in page


def test_a_renamed_organisation_is_offered_by_its_new_name(pending, citizen, employer):
    approve_request(citizen=citizen.user, request_id=pending.pk)
    client = _portal(citizen)
    assert "Acme Recruiting" in _distinct_reads(client)[0]
    Organisation.objects.filter(pk=employer.organisation.pk).update(name="Acme Talent")
    page, reads = _distinct_reads(client)
    assert reads == 0 and f'<option value="{employer.organisation.pk}">Acme Talent</option>' in page


def test_a_pruning_takes_the_organisations_it_removed_out_of_the_choices(
    pending, citizen, employer, django_capture_on_commit_callbacks
):
    approve_request(citizen=citizen.user, request_id=pending.pk)
    client = _portal(citizen)
    assert f'<option value="{employer.organisation.pk}"' in _distinct_reads(client)[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert accesslog.prune(before=timezone.now() + timedelta(seconds=1)) > 0
    page, reads = _distinct_reads(client)
    assert reads == 1 and f'<option value="{employer.organisation.pk}"' not in page
