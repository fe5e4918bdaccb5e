"""Every registered credential type, end to end: issued (one by one and in a batch), requested,
read under a grant as a verifiable presentation, verified as trusted, and shown in words."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation
from credentials.services import accredit_issuer
from tests.conftest import make_citizen, make_organisation
from vault.models import Batch, PodCredential
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1, GOOD_CONDUCT_V1, LANGUAGE_V1
from vc.types import CREDENTIAL_TYPES

NATIONAL_ID = "BE:85073003328"
OTHER_NATIONAL_ID = "BE:90020199902"
CHALLENGE = "types-story-nonce-0001"
DOMAIN = "https://hr.acme.example"
PASSWORD = "correct horse battery staple"

SUBJECTS = {
    "DiplomaCredential": (
        EDUCATION_V1,
        {
            "givenName": "An",
            "familyName": "Peeters",
            "degree": {"type": "BachelorDegree", "name": "Bachelor of Laws"},
            "awardedOn": "2021-07-01",
        },
        "given_name,family_name,degree_type,degree_name,awarded_on\n"
        "Bart,Janssens,MasterDegree,Master of Arts,2020-06-30",
    ),
    "GoodConductCertificate": (
        GOOD_CONDUCT_V1,
        {
            "givenName": "An",
            "familyName": "Peeters",
            "birthDate": "1985-07-30",
            "extractType": "work-with-minors",
            "convictionsRecorded": False,
            "extractDate": "2026-11-30",
            "legalBasis": "Article 596, second paragraph, Code of Criminal Procedure",
        },
        "given_name,family_name,birth_date,extract_type,convictions_recorded,extract_date\n"
        "Bart,Janssens,1990-02-01,general,false,2026-11-29",
    ),
    "LanguageCertificate": (
        LANGUAGE_V1,
        {
            "givenName": "An",
            "familyName": "Peeters",
            "language": "fr",
            "proficiencyLevel": "B2",
            "skills": ["reading", "speaking"],
            "examName": "Certificat de français B2",
            "assessedOn": "2026-06-01",
        },
        "given_name,family_name,language,proficiency_level,skills,assessed_on\n"
        "Bart,Janssens,nl,C1,listening;writing,2026-05-20",
    ),
}


def test_every_registered_type_has_a_story_here():
    assert set(SUBJECTS) == set(CREDENTIAL_TYPES)


@pytest.fixture
def world(db):
    employer = make_organisation("Acme Recruiting", Organisation.Kind.EMPLOYER)
    citizen = make_citizen("an@example.org", NATIONAL_ID)
    make_citizen("bart@example.org", OTHER_NATIONAL_ID)
    return employer, citizen


def _issuer_of(credential_type: str):
    issuer = make_organisation(f"Issuer of {credential_type}", Organisation.Kind.ISSUER)
    accredit_issuer(
        organisation=issuer.organisation,
        credential_type=credential_type,
        valid_from=timezone.now() - timedelta(days=1),
    )
    return issuer


@pytest.mark.parametrize("credential_type", sorted(SUBJECTS))
def test_a_type_is_issued_requested_read_verified_and_shown(
    world, credential_type, django_capture_on_commit_callbacks
):
    employer, citizen = world
    issuer = _issuer_of(credential_type)
    context, subject, _ = SUBJECTS[credential_type]
    credential = {
        "@context": [CREDENTIALS_V2, context],
        "type": ["VerifiableCredential", credential_type],
        "credentialSubject": subject,
    }

    issued = issuer.post(
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": NATIONAL_ID}, "credential": credential}
    )
    assert issued.status_code == 201, issued.json()
    assert issued.json()["type"] == credential_type

    request = employer.post(
        "/api/v1/access-requests",
        {
            "citizen": {"nationalId": NATIONAL_ID},
            "credentialTypes": [credential_type],
            "purpose": "dpv:HumanResourceManagement",
            "purposeDescription": "Checking what the candidate told us.",
            "validUntil": (timezone.now() + timedelta(days=7)).isoformat(),
        },
    )
    assert request.status_code == 201, request.json()
    grant = citizen.post(f"/api/v1/pod/access-requests/{request.json()['id']}/approve", {})
    assert grant.status_code == 201, grant.json()

    query = urlencode({"purpose": "dpv:HumanResourceManagement", "challenge": CHALLENGE, "domain": DOMAIN})
    read = employer.get(f"/api/v1/grants/{grant.json()['id']}/credentials?{query}")
    assert read.status_code == 200, read.json()
    presentation = read.json()["verifiablePresentation"]
    [held] = presentation["verifiableCredential"]
    assert held["credentialSubject"] == {"id": citizen.pod.holder_did, **subject}

    verified = Client().post(
        "/presentations/verify",
        {"verifiablePresentation": presentation, "options": {"challenge": CHALLENGE, "domain": DOMAIN}},
        content_type="application/json",
    )
    assert verified.status_code == 200, verified.json()
    body = verified.json()
    assert body["verified"] is True
    [result] = body["credentialResults"]
    assert result["verified"] is True
    assert result["warnings"] == []  # trusted (accredited for this type), valid now, not revoked

    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    browser = Client()
    assert browser.login(username=citizen.user.username, password=PASSWORD)
    home = browser.get("/portal/").content.decode()
    assert CREDENTIAL_TYPES[credential_type].display_name in home


@pytest.mark.parametrize("credential_type", sorted(SUBJECTS))
def test_a_type_is_issued_in_a_batch_with_its_own_columns(
    world, credential_type, django_capture_on_commit_callbacks
):
    issuer = _issuer_of(credential_type)
    _, _, rows = SUBJECTS[credential_type]
    header, row = rows.split("\n")
    csv = f"national_id,{header}\n{OTHER_NATIONAL_ID},{row}\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = issuer.client.post(
            f"/api/v1/issuer/batches?credentialType={credential_type}",
            {"file": SimpleUploadedFile("class.csv", csv.encode(), content_type="text/csv")},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    batch = Batch.objects.get(pk=response.json()["id"])
    assert (batch.status, batch.credential_type, batch.issued, batch.failed) == (
        "done",
        credential_type,
        1,
        0,
    )
    assert PodCredential.objects.get(pod__owner__email="bart@example.org").credential_type == credential_type


def test_a_batch_with_another_types_columns_is_refused_naming_the_columns(world):
    issuer = _issuer_of("LanguageCertificate")
    _, _, rows = SUBJECTS["DiplomaCredential"]
    header, row = rows.split("\n")
    response = issuer.client.post(
        "/api/v1/issuer/batches?credentialType=LanguageCertificate",
        f"national_id,{header}\n{OTHER_NATIONAL_ID},{row}\n",
        content_type="text/csv",
    )
    assert response.status_code == 400
    assert "degree_type" in response.json()["unknownColumns"]
    assert "proficiency_level" in response.json()["expectedColumns"]


@pytest.mark.parametrize(
    ("query", "status"), [("credentialType=Passport", 422), ("type=LanguageCertificate", 400)]
)
def test_an_unknown_batch_type_or_parameter_is_refused(world, query, status):
    issuer = _issuer_of("LanguageCertificate")
    response = issuer.client.post(f"/api/v1/issuer/batches?{query}", "x\n", content_type="text/csv")
    assert response.status_code == status, response.json()


def test_the_api_lists_each_type_with_its_claims(db):
    types = {t["name"]: t for t in Client().get("/api/v1/credential-types").json()}
    assert set(types) == set(CREDENTIAL_TYPES)
    language = types["LanguageCertificate"]
    assert language["displayName"] == "Language certificate"
    level = next(c for c in language["claims"] if c["pointer"] == "/proficiencyLevel")
    assert (level["kind"], level["required"], level["csvColumn"]) == ("choice", True, "proficiency_level")
    assert level["choices"] == ["A1", "A2", "B1", "B2", "C1", "C2"]
