"""The organisation console: members sign in, land on their organisation's console by its kind,
and see only their own organisation's pages and objects; the employer's requests."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation
from accounts.services import add_member, create_organisation
from consent.models import AccessRequest, Grant
from consent.services import approve_request
from credentials.services import accredit_issuer
from vault.models import AccessEvent

from .consoles import NATIONAL_ID, PASSWORD, member_client, requests_url


@pytest.fixture
def other_hr(other_employer):
    return member_client(other_employer.organisation, "hr@other.example")


@pytest.fixture
def registrar(university):
    return member_client(university.organisation, "registrar@university.example")


@pytest.fixture
def accredited(university):
    accredit_issuer(
        organisation=university.organisation,
        credential_type="DiplomaCredential",
        valid_from=timezone.now() - timedelta(days=365),
    )


# The skeleton: sign-in, landing, who may enter which console.


def test_a_member_signs_in_on_the_portal_login_and_lands_on_the_console_of_their_organisation(employer):
    add_member(organisation=employer.organisation, email="hr@acme.example", password=PASSWORD)
    client = Client()
    response = client.post(
        "/portal/login/", {"username": "hr@acme.example", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert [url for url, _ in response.redirect_chain] == [
        "/portal/",
        "/portal/console/",
        f"/portal/console/{employer.organisation.slug}/",
        requests_url(employer),
    ]
    assert "Acme Recruiting" in response.content.decode()


def test_a_member_of_two_organisations_chooses_the_one_to_act_for(employer, university):
    client = member_client(employer.organisation, "both@example.org")
    add_member(organisation=university.organisation, email="both@example.org")
    response = client.get("/portal/console/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/portal/console/{employer.organisation.slug}/" in page
    assert f"/portal/console/{university.organisation.slug}/" in page


def test_anonymous_visitors_are_sent_to_the_login(employer):
    for path in (
        "/portal/console/",
        f"/portal/console/{employer.organisation.slug}/",
        requests_url(employer),
    ):
        response = Client().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/portal/login/"), path


def test_an_account_of_no_organisation_gets_403(employer, django_user_model):
    django_user_model.objects.create_user("nobody@example.org", "nobody@example.org", PASSWORD)
    client = Client()
    client.login(username="nobody@example.org", password=PASSWORD)
    assert client.get("/portal/console/").status_code == 403
    assert client.get(requests_url(employer)).status_code == 403


def test_a_citizen_gets_403_on_a_console(employer, citizen):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    client.login(username=citizen.user.username, password=PASSWORD)
    assert client.get(requests_url(employer)).status_code == 403


def test_a_citizen_account_cannot_be_made_a_member(employer, citizen):
    with pytest.raises(ValueError):
        add_member(organisation=employer.organisation, email=citizen.user.email)


def test_another_organisations_console_is_404(hr, other_employer):
    assert hr.get(requests_url(other_employer)).status_code == 404
    assert hr.get(f"/portal/console/{other_employer.organisation.slug}/").status_code == 404


def test_a_console_of_another_kind_is_404(registrar, university):
    # An issuer's member on the employer's pages of their own organisation's slug: not this kind.
    assert registrar.get(requests_url(university)).status_code == 404
    assert registrar.get(f"/portal/console/{university.organisation.slug}/requests/new").status_code == 404


def test_a_member_of_a_suspended_organisation_has_no_console(employer, hr):
    Organisation.objects.filter(pk=employer.organisation.pk).update(is_active=False)
    assert hr.get(requests_url(employer)).status_code == 403


def test_members_are_not_citizens_and_get_403_on_citizen_pages(hr):
    assert hr.get("/portal/requests").status_code == 403
    assert hr.get("/portal/grants").status_code == 403


def test_the_console_navigation_names_the_organisation_and_its_pages(hr, employer):
    page = hr.get(requests_url(employer)).content.decode()
    assert 'aria-label="Console of Acme Recruiting"' in page
    assert f'href="{requests_url(employer)}" aria-current="page"' in page
    assert f'href="{requests_url(employer)}/new"' in page


def test_an_agency_without_pages_gets_its_console_home(db):
    agency = create_organisation(name="Federal Pension Service", kind=Organisation.Kind.AGENCY)
    client = member_client(agency, "case@pensions.example")
    response = client.get(f"/portal/console/{agency.slug}/")
    # Its pages are registered by the app that owns them; without any the console still opens.
    assert response.status_code in (200, 302)


# The employer: file a request.


def form(**overrides):
    data = {
        "national_id": NATIONAL_ID,
        "credential_types": ["DiplomaCredential"],
        "purpose": "dpv:HumanResourceManagement",
        "purpose_description": "Degree check for vacancy 21",
        "valid_until": (timezone.now() + timedelta(days=30)).date().isoformat(),
    }
    data.update(overrides)
    return data


def test_the_request_form_offers_the_registry_types_their_fields_and_the_purposes(hr, employer):
    response = hr.get(f"{requests_url(employer)}/new")
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("DiplomaCredential", "GoodConductCertificate", "LanguageCertificate"):
        assert f'value="{name}"' in page
    assert 'value="/credentialSubject/degree/name"' in page
    assert "Human resource management (recruitment, employment)" in page


def test_an_employer_files_a_request_through_the_form(hr, employer, citizen, issued):
    response = hr.post(f"{requests_url(employer)}/new", form(max_reads="3"))
    assert response.status_code == 302
    filed = AccessRequest.objects.get(requester=employer.organisation)
    assert response["Location"] == f"{requests_url(employer)}/{filed.pk}"
    assert NATIONAL_ID not in response["Location"]
    assert filed.credential_types == ["DiplomaCredential"]
    assert filed.claims == {}
    assert filed.max_reads == 3
    assert filed.pod == citizen.pod
    assert AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.REQUEST_FILED).count() == 1


def test_the_request_form_offers_the_document_types_in_words(hr, employer):
    page = hr.get(f"{requests_url(employer)}/new", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "<legend>Gevraagde documenten (elk wordt in zijn geheel gedeeld)</legend>" in page
    rows = (("cv", "Curriculum vitae"), ("transcript", "Puntenlijst"), ("scan", "Gescand document"))
    for index, (name, words) in enumerate(rows):
        box = f'<input type="checkbox" name="document_types" value="{name}" id="id_document_types_{index}">'
        assert f'<label for="id_document_types_{index}">{box} {words}</label>' in page


def test_a_request_for_documents_through_the_form(hr, employer, citizen, issued):
    response = hr.post(f"{requests_url(employer)}/new", form(document_types=["transcript", "cv"]))
    assert response.status_code == 302
    filed = AccessRequest.objects.get(requester=employer.organisation)
    assert filed.credential_types == ["DiplomaCredential"]
    assert filed.document_types == ["cv", "transcript"]
    page = hr.get(response["Location"]).content.decode()
    assert "Curriculum vitae" in page and "Transcript of records" in page


def test_a_request_for_documents_only_through_the_form(hr, employer, citizen):
    response = hr.post(f"{requests_url(employer)}/new", form(credential_types=[], document_types=["cv"]))
    assert response.status_code == 302
    filed = AccessRequest.objects.get(requester=employer.organisation)
    assert (filed.credential_types, filed.document_types) == ([], ["cv"])


def test_an_unknown_document_type_is_refused_with_a_message(hr, employer, citizen):
    response = hr.post(f"{requests_url(employer)}/new", form(document_types=["passport"]))
    assert response.status_code == 400
    assert "passport is not a document type this service knows." in response.content.decode()
    assert not AccessRequest.objects.exists()
    dutch = hr.post(
        f"{requests_url(employer)}/new", form(document_types=["passport"]), HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert "passport is geen documentsoort die deze dienst kent." in dutch.content.decode()


def test_a_request_for_nothing_is_refused_with_a_message(hr, employer, citizen):
    response = hr.post(f"{requests_url(employer)}/new", form(credential_types=[]))
    assert response.status_code == 400
    assert "Choose at least one credential type or document type." in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_a_field_scoped_request_through_the_form(hr, employer, citizen, issued):
    response = hr.post(
        f"{requests_url(employer)}/new",
        form(claims_DiplomaCredential=["/credentialSubject/degree/name", "/credentialSubject/awardedOn"]),
    )
    assert response.status_code == 302
    filed = AccessRequest.objects.get(requester=employer.organisation)
    assert filed.claims == {
        "DiplomaCredential": ["/credentialSubject/awardedOn", "/credentialSubject/degree/name"]
    }


def test_fields_of_a_type_not_asked_for_are_refused(hr, employer, citizen):
    response = hr.post(
        f"{requests_url(employer)}/new", form(claims_LanguageCertificate=["/credentialSubject/language"])
    )
    assert response.status_code == 400
    assert "not asked for" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_an_unknown_claim_is_refused_by_the_form(hr, employer, citizen):
    response = hr.post(f"{requests_url(employer)}/new", form(claims_DiplomaCredential=["/credentialSubject"]))
    assert response.status_code == 400
    assert not AccessRequest.objects.exists()


def test_a_number_with_no_pod_is_filed_as_any_other(hr, employer, db):
    """The page says nothing of whether the person uses the service (tests/consent/test_held_requests)."""
    response = hr.post(f"{requests_url(employer)}/new", form(national_id="BE:90020199902"))
    assert response.status_code == 302
    filed = AccessRequest.objects.get(requester=employer.organisation)
    assert response["Location"] == f"{requests_url(employer)}/{filed.pk}"
    assert filed.pod is None and filed.status == AccessRequest.Status.PENDING


def test_a_malformed_number_is_an_error_on_the_number_not_a_500(hr, employer, db):
    response = hr.post(f"{requests_url(employer)}/new", form(national_id="BE:12"))
    assert response.status_code == 400
    assert "This is not a national register number: it must have 4 to 32 digits" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_a_mistyped_number_is_refused_by_its_check_digits_not_held(hr, employer, citizen):
    """A digit wrong: refused with what is wrong, instead of a request held for nobody."""
    response = hr.post(
        f"{requests_url(employer)}/new", form(national_id="85.07.30-034.28"), HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 400
    assert "passen niet bij de eerste negen" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_the_services_rules_come_back_on_the_form(hr, employer, citizen):
    too_long = (timezone.now() + timedelta(days=400)).date().isoformat()
    response = hr.post(f"{requests_url(employer)}/new", form(valid_until=too_long))
    assert response.status_code == 400
    assert "at most 366 days" in response.content.decode()
    response = hr.post(f"{requests_url(employer)}/new", form(purpose_description="hidden\u202etext"))
    assert response.status_code == 400
    assert not AccessRequest.objects.exists()


def test_the_request_form_needs_a_csrf_token(employer, citizen):
    add_member(organisation=employer.organisation, email="hr@acme.example", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    client.login(username="hr@acme.example", password=PASSWORD)
    assert client.post(f"{requests_url(employer)}/new", form()).status_code == 403
    assert not AccessRequest.objects.exists()


# The employer: follow a request, withdraw it, read what was shared.


def test_the_request_page_gives_the_candidate_link_and_qr_code(hr, employer, filed, settings):
    settings.SITE_URL = "https://vault.example.be"
    response = hr.get(f"{requests_url(employer)}/{filed.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"https://vault.example.be/portal/requests/{filed.pk}<" in page
    assert "testserver" not in page  # the configured address, not the Host header
    assert "<svg" in page
    assert "waiting for the candidate" in page
    assert "Diploma (only: Degree, Awarded on)" in page


def test_the_list_shows_only_the_organisations_own_requests(hr, other_hr, employer, other_employer, filed):
    assert str(filed.pk) in hr.get(requests_url(employer)).content.decode()
    assert str(filed.pk) not in other_hr.get(requests_url(other_employer)).content.decode()


def test_another_employers_request_is_404_everywhere(other_hr, other_employer, filed):
    base = f"{requests_url(other_employer)}/{filed.pk}"
    assert other_hr.get(base).status_code == 404
    assert other_hr.get(f"{base}/withdraw").status_code == 404
    assert other_hr.post(f"{base}/withdraw").status_code == 404
    assert other_hr.post(f"{base}/read").status_code == 404
    filed.refresh_from_db()
    assert filed.status == AccessRequest.Status.PENDING


def test_withdraw_asks_first_then_withdraws(hr, employer, filed, citizen):
    base = f"{requests_url(employer)}/{filed.pk}"
    confirm = hr.get(f"{base}/withdraw")
    assert confirm.status_code == 200
    assert "cannot undo" in confirm.content.decode()
    filed.refresh_from_db()
    assert filed.status == AccessRequest.Status.PENDING
    response = hr.post(f"{base}/withdraw")
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == AccessRequest.Status.WITHDRAWN
    assert (
        AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.REQUEST_WITHDRAWN).count() == 1
    )


def test_withdrawing_an_answered_request_says_why_not(hr, employer, filed, citizen):
    approve_request(citizen=citizen.user, request_id=filed.pk)
    response = hr.post(f"{requests_url(employer)}/{filed.pk}/withdraw", follow=True)
    assert response.status_code == 200
    assert (
        "This request was answered or has ended: it can no longer be withdrawn." in response.content.decode()
    )
    filed.refresh_from_db()
    assert filed.status == AccessRequest.Status.APPROVED


def test_the_answer_shows_what_was_shared(hr, employer, filed, citizen):
    approve_request(citizen=citizen.user, request_id=filed.pk)
    page = hr.get(f"{requests_url(employer)}/{filed.pk}").content.decode()
    assert "approved" in page
    assert "Open the shared credentials" in page


def test_a_denied_request_shows_the_reason(hr, employer, filed, citizen):
    from consent.services import deny_request

    deny_request(citizen=citizen.user, request_id=filed.pk, reason="Not looking for a job")
    page = hr.get(f"{requests_url(employer)}/{filed.pk}").content.decode()
    assert "Not looking for a job" in page


def test_reading_the_shared_diploma_goes_through_the_consent_engine_and_verifies_it(
    hr, employer, filed, citizen, accredited
):
    grant = approve_request(citizen=citizen.user, request_id=filed.pk)
    response = hr.post(f"{requests_url(employer)}/{filed.pk}/read")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Master of Science in Computer Science" in page
    assert "28" in page  # awarded on, as a date
    assert "Peeters" not in page  # the family name was not shared
    assert 'class="badge verified"' in page
    assert "<dd>Ghent Demo University</dd>" in page
    assert page.count('class="badge passed"') == 5  # the presentation and the four checks
    reads = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ)
    assert reads.count() == 1
    assert reads.get().grant_id == grant.pk


def test_a_read_needs_a_post(hr, employer, filed, citizen):
    approve_request(citizen=citizen.user, request_id=filed.pk)
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    response = hr.get(f"{requests_url(employer)}/{filed.pk}/read", HTTP_ACCEPT_LANGUAGE="nl-BE")
    # Not a blank page: the portal's page for it, in the member's language, the 405 and its Allow kept.
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Dit adres hoort bij een knop" in page and 'lang="nl"' in page
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before  # nothing was read


def test_a_button_reloaded_in_the_citizen_portal_says_so_too(citizen, filed):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    assert client.login(username=citizen.user.username, password=PASSWORD)
    response = client.get(f"/portal/requests/{filed.pk}/approve", HTTP_ACCEPT_LANGUAGE="fr-BE")
    assert response.status_code == 405
    assert "Cette adresse est celle d\u2019un bouton" in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == filed.Status.PENDING


def test_the_api_keeps_its_problem_document_for_a_wrong_method(hr, employer):
    response = employer.client.delete("/api/v1/access-requests")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_a_read_under_a_revoked_grant_is_refused_and_logged(hr, employer, filed, citizen):
    from consent.services import revoke_grant

    grant = approve_request(citizen=citizen.user, request_id=filed.pk)
    revoke_grant(citizen=citizen.user, grant_id=grant.pk)
    response = hr.post(f"{requests_url(employer)}/{filed.pk}/read", follow=True)
    assert response.status_code == 200
    assert "The read was refused" in response.content.decode()
    assert AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.ACCESS_DENIED).count() == 1
    assert Grant.objects.get(pk=grant.pk).status == Grant.Status.REVOKED


def test_a_pending_request_has_nothing_to_read(hr, employer, filed):
    assert hr.post(f"{requests_url(employer)}/{filed.pk}/read").status_code == 404


def test_the_add_member_command_makes_a_member_who_can_sign_in(employer, citizen):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("add_member", employer.organisation.slug, "new@acme.example", stdout=out)
    assert f"/portal/console/{employer.organisation.slug}/" in out.getvalue()
    assert employer.organisation.memberships.filter(user__email="new@acme.example").exists()
    with pytest.raises(CommandError):
        call_command("add_member", "no-such-org", "x@example.org")
    with pytest.raises(CommandError):
        call_command("add_member", employer.organisation.slug, citizen.user.email)


def test_filing_from_the_console_counts_against_the_apis_rate_limit(hr, employer, citizen, monkeypatch):
    from rest_framework.settings import api_settings

    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "access-requests", "2/hour")
    # One through the API, one through the console: the third is refused, wherever it comes from.
    api = employer.post(
        "/api/v1/access-requests",
        {
            "citizen": {"nationalId": NATIONAL_ID},
            "credentialTypes": ["DiplomaCredential"],
            "purpose": "dpv:HumanResourceManagement",
            "purposeDescription": "Degree check",
            "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
        },
    )
    assert api.status_code == 201, api.content
    assert hr.post(f"{requests_url(employer)}/new", form()).status_code == 302
    refused = hr.post(f"{requests_url(employer)}/new", form())
    assert refused.status_code == 429
    assert "too many requests" in refused.content.decode()
    assert AccessRequest.objects.filter(requester=employer.organisation).count() == 2
