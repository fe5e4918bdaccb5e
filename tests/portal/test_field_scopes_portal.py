"""The portal shows a field-scoped request and grant in words: which fields, by the registry's labels."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.services import approve_request, file_access_request


@pytest.fixture
def field_request(employer, citizen):
    return file_access_request(
        requester=employer.organisation,
        national_id="BE:85073003328",
        credential_types=["DiplomaCredential"],
        claims={"DiplomaCredential": ["/credentialSubject/degree/name", "/credentialSubject/awardedOn"]},
        purpose="dpv:HumanResourceManagement",
        purpose_description="Degree check for vacancy 17",
        valid_until=timezone.now() + timedelta(days=30),
    )


def test_a_field_scoped_request_lists_its_fields_in_words(browser, field_request):
    page = browser.get("/portal/requests").content.decode()
    assert "Diploma (only: Degree, Awarded on)" in page
    assert "/credentialSubject" not in page


def test_a_grant_lists_the_fields_it_shares(browser, field_request, citizen):
    approve_request(
        citizen=citizen.user,
        request_id=field_request.pk,
        claims={"DiplomaCredential": ["/credentialSubject/degree/name"]},
    )
    page = browser.get("/portal/grants").content.decode()
    assert "Diploma (only: Degree)" in page
    assert "Awarded on" not in page


def test_a_whole_credential_is_named_by_its_type_alone(browser, pending):
    page = browser.get("/portal/requests").content.decode()
    assert "Diploma" in page and "(only:" not in page


def test_the_log_names_the_fields_a_denied_field_read_asked_for(browser, citizen, employer, field_request):
    from consent.errors import AccessDenied
    from consent.services import read_under_grant

    grant = approve_request(citizen=citizen.user, request_id=field_request.pk)
    with pytest.raises(AccessDenied):
        read_under_grant(
            organisation=employer.organisation,
            grant_id=grant.pk,
            purpose="dpv:HumanResourceManagement",
            challenge="9f2c1e7a-employer-nonce-0001",
            domain="https://hr.acme.example",
            credential_type="DiplomaCredential",
            claims=["/credentialSubject/grade", "/credentialSubject/x"],
        )
    page = browser.get("/portal/log").content.decode()
    assert "fields: Grade, /credentialSubject/x" in page
