"""The portal's narrowing by field: a checkbox per field asked for, what is always shared and why, a
grant that never exceeds its request; the grant's signed proof; the words of every state."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from consent import services
from consent.models import AccessRequest, Grant
from consent.services import file_access_request

PASSWORD = "correct horse battery staple"
DEGREE_NAME = "/credentialSubject/degree/name"
AWARDED_ON = "/credentialSubject/awardedOn"


def logged_in(actor) -> Client:
    actor.user.set_password(PASSWORD)
    actor.user.save()
    client = Client()
    assert client.login(username=actor.user.username, password=PASSWORD)
    return client


@pytest.fixture
def browser(citizen):
    return logged_in(citizen)


@pytest.fixture
def field_request(employer, citizen):
    return file_access_request(
        requester=employer.organisation,
        national_id="BE:85073003328",
        credential_types=["DiplomaCredential"],
        claims={"DiplomaCredential": [DEGREE_NAME, AWARDED_ON]},
        purpose="dpv:HumanResourceManagement",
        purpose_description="Degree check for vacancy 17",
        valid_until=timezone.now() + timedelta(days=30),
        max_reads=3,
    )


def approve(browser, request: AccessRequest, **data):
    body = {"credential_types": ["DiplomaCredential"]} | data
    return browser.post(f"/portal/requests/{request.pk}/approve", body, follow=True)


def test_each_field_asked_for_has_its_checkbox_ticked(browser, field_request):
    page = browser.get("/portal/requests").content.decode()
    assert 'name="claims_DiplomaCredential" value="degree_name"' in page
    assert 'name="claims_DiplomaCredential" value="awarded_on"' in page
    assert page.count('name="claims_DiplomaCredential"') == 2  # only what was asked: not the grade
    assert page.count("checked") >= 3  # the type and both fields, as asked
    assert "Fields of the Diploma to share" in page
    assert "/credentialSubject" not in page  # the fields by their names, never the pointers


def test_the_always_shared_claims_are_shown_with_why(browser, field_request):
    page = browser.get("/portal/requests").content.decode()
    assert "Always shared with these fields:" in page
    assert "who issued it" in page and "Kind of degree" in page
    assert "signature covers them" in page


def test_the_request_is_shown_in_words(browser, field_request):
    page = browser.get("/portal/requests").content.decode()
    assert "Diploma (only: Degree, Awarded on)" in page
    assert "Human resource management" in page and "Degree check for vacancy 17" in page
    assert ">3<" in page  # how many reads


def test_the_citizen_shares_fewer_fields_than_asked(browser, field_request):
    response = approve(browser, field_request, claims_DiplomaCredential=["degree_name"])

    assert response.status_code == 200
    grant = Grant.objects.get(request=field_request)
    assert grant.claims == {"DiplomaCredential": [DEGREE_NAME]}
    page = response.content.decode()
    assert "Diploma (only: Degree)" in page
    credential = grant.credential.document["credentialSubject"]
    assert credential["scope"] == [{"credentialType": "DiplomaCredential", "claims": [DEGREE_NAME]}]


def test_approving_as_shown_shares_every_field_asked_for(browser, field_request):
    approve(browser, field_request, claims_DiplomaCredential=["degree_name", "awarded_on"])
    assert Grant.objects.get(request=field_request).claims == {"DiplomaCredential": [AWARDED_ON, DEGREE_NAME]}


def test_no_field_ticked_is_refused_with_the_reason(browser, field_request):
    response = browser.post(
        f"/portal/requests/{field_request.pk}/approve", {"credential_types": ["DiplomaCredential"]}
    )
    assert response.status_code == 400
    assert "Choose at least one field of the Diploma" in response.content.decode()
    assert not Grant.objects.exists()


@pytest.mark.parametrize("column", ["grade", "given_name", "/credentialSubject/grade", "degree"])
def test_a_field_that_was_not_asked_for_is_refused(browser, field_request, column):
    """A grant never exceeds its request: a forged checkbox value is an invalid choice."""
    response = browser.post(
        f"/portal/requests/{field_request.pk}/approve",
        {"credential_types": ["DiplomaCredential"], "claims_DiplomaCredential": ["degree_name", column]},
    )
    assert response.status_code == 400
    assert not Grant.objects.exists()


def test_a_whole_credential_request_has_no_field_checkboxes(browser, pending):
    page = browser.get("/portal/requests").content.decode()
    assert "claims_DiplomaCredential" not in page and "Always shared" not in page
    approve(browser, pending)
    assert Grant.objects.get(request=pending).claims == {}


def test_the_citizen_downloads_the_grants_signed_proof(browser, field_request, other_citizen):
    approve(browser, field_request, claims_DiplomaCredential=["degree_name"])
    grant = Grant.objects.get(request=field_request)
    assert f'href="/portal/grants/{grant.pk}/credential"' in browser.get("/portal/grants").content.decode()

    response = browser.get(f"/portal/grants/{grant.pk}/credential")

    assert response.status_code == 200 and response["Content-Type"] == "application/vc+ld+json"
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content) == grant.credential.document
    assert logged_in(other_citizen).get(f"/portal/grants/{grant.pk}/credential").status_code == 404
    assert Client().get(f"/portal/grants/{grant.pk}/credential").status_code == 302  # to the login


def test_the_revoke_page_says_the_signed_proof_is_revoked_too(browser, field_request):
    approve(browser, field_request, claims_DiplomaCredential=["degree_name", "awarded_on"])
    grant = Grant.objects.get(request=field_request)
    page = browser.get(f"/portal/grants/{grant.pk}/revoke").content.decode()
    assert "It is revoked at the same moment" in page
    assert "Diploma (only: Degree, Awarded on)" in page


def test_withdrawn_and_exhausted_have_words_and_badges(browser, employer, citizen, field_request, pending):
    services.approve_request(citizen=citizen.user, request_id=field_request.pk, max_reads=1)
    grant = Grant.objects.get(request=field_request)
    Grant.objects.filter(pk=grant.pk).update(reads_used=1, status="exhausted", ended_at=timezone.now())
    services.withdraw_request(requester=employer.organisation, request_id=pending.pk)

    grants = browser.get("/portal/grants").content.decode()
    assert '<span class="badge exhausted">all reads used</span>' in grants
    requests = browser.get("/portal/requests").content.decode()
    assert '<span class="badge withdrawn">withdrawn</span>' in requests


def test_a_withdrawn_grant_has_its_word(browser, employer, citizen, pending):
    grant = services.approve_request(citizen=citizen.user, request_id=pending.pk)
    services.withdraw_grant(requester=employer.organisation, grant_id=grant.pk)
    assert (
        '<span class="badge withdrawn">withdrawn by the grantee</span>'
        in browser.get("/portal/grants").content.decode()
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Altijd gedeeld met deze velden:", "alle leesbeurten gebruikt"]),
        ("fr", ["Toujours partagé avec ces champs\u00a0:", "toutes les lectures utilisées"]),
        ("de", ["Immer mit diesen Feldern geteilt:", "alle Lesezugriffe verbraucht"]),
    ],
)
def test_the_new_words_are_translated(browser, citizen, field_request, language, words):
    services.approve_request(citizen=citizen.user, request_id=field_request.pk, max_reads=1)
    Grant.objects.filter(request=field_request).update(
        reads_used=1, status="exhausted", ended_at=timezone.now()
    )
    file_access_request(
        requester=field_request.requester,
        national_id="BE:85073003328",
        credential_types=["DiplomaCredential"],
        claims={"DiplomaCredential": [DEGREE_NAME]},
        purpose="dpv:HumanResourceManagement",
        purpose_description="Another check",
        valid_until=timezone.now() + timedelta(days=30),
    )
    page = "".join(
        browser.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        for path in ("/portal/requests", "/portal/grants")
    )
    for expected in words:
        assert expected in page


@pytest.mark.parametrize(
    ("language", "own_word", "name_of_the_pod"),
    [
        ("nl", "(die van uw kluis)", "uw pod"),
        ("fr", "(celui de votre coffre)", "votre pod"),
        ("de", "(die Ihres Datentresors)", "Ihres Pods"),
    ],
)
def test_what_is_always_shared_names_the_pod_as_the_portal_does(
    browser, field_request, language, own_word, name_of_the_pod
):
    # The portal calls the citizen's pod their vault in nl, fr and de; the list of what is always
    # shared said "pod", the console's word, on the one page where the citizen decides.
    page = browser.get("/portal/requests", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert own_word in page
    assert name_of_the_pod not in page
