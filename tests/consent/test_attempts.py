"""Every attempt is visible: the grantee's denied reads are all logged, whatever was wrong with
them; an organisation trying a grant it was not given cannot fill the citizen's log."""

import pytest
from django.core.cache import cache

from tests.support import assert_problem
from vault.models import AccessEvent

from .conftest import approve, file_request, read_url


def denials(citizen, reason: str | None = None):
    entries = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.ACCESS_DENIED)
    return entries.filter(reason=reason) if reason else entries


@pytest.mark.parametrize(
    ("query", "status", "reason"),
    [
        ({"credential_type": "PassportCredential"}, 422, "unknown-credential-type"),
        ({"purpose": "dpv:Marketing"}, 400, "unknown-purpose"),
        ({"purpose": "x" * 100}, 400, "unknown-purpose"),
        ({"purpose": "dpv:ResearchAndDevelopment"}, 403, "purpose-mismatch"),
    ],
)
def test_each_denied_read_by_the_grantee_is_logged(employer, citizen, issued, grant, query, status, reason):
    for _ in range(3):  # the grantee is known and accountable: every attempt is there to see
        assert_problem(employer.get(read_url(grant["id"], **query)), status, reason)
    assert denials(citizen, reason).count() == 3
    entry = denials(citizen, reason).first()
    assert entry.actor_organisation_id == employer.organisation.pk
    assert "Passport" not in entry.credential_type and "x" * 10 not in entry.purpose


def test_a_purpose_that_is_not_a_string_is_refused_before_it_reaches_the_engine(employer, citizen, grant):
    before = denials(citizen).count()
    response = employer.get(read_url(grant["id"], purpose="x" * 101))
    assert_problem(response, 400, "validation-error")
    assert denials(citizen).count() == before  # longer than any purpose: a malformed query


def test_another_organisation_is_logged_once_an_hour_per_pod(
    employer, other_employer, citizen, issued, grant, identity_type
):
    second = approve(citizen, file_request(employer, credentialTypes=[identity_type])["id"])
    for grant_id in [grant["id"], grant["id"], second["id"], grant["id"]]:
        assert_problem(other_employer.get(read_url(grant_id)), 404, "grant-not-found")
    assert denials(citizen, "not-grantee").count() == 1
    cache.clear()  # as if the hour had passed
    assert_problem(other_employer.get(read_url(grant["id"])), 404, "grant-not-found")
    assert denials(citizen, "not-grantee").count() == 2


def test_each_organisation_trying_has_its_own_entry(employer, other_employer, agency, citizen, issued, grant):
    other_employer.get(read_url(grant["id"]))
    agency.get(read_url(grant["id"]))
    assert {e.actor_organisation_id for e in denials(citizen, "not-grantee")} == {
        other_employer.organisation.pk,
        agency.organisation.pk,
    }


def test_another_organisation_with_an_unknown_type_gets_a_404_and_writes_no_type(
    other_employer, citizen, issued, grant
):
    response = other_employer.get(read_url(grant["id"], credential_type="Nonsense<script>"))
    assert_problem(response, 404, "grant-not-found")
    [entry] = denials(citizen)
    assert (entry.reason, entry.credential_type, entry.purpose) == (
        "not-grantee",
        "",
        "dpv:HumanResourceManagement",
    )
