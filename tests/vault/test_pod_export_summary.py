"""The export's readable summary (summary.md) is in the citizen's language, the one they are
mailed in (accounts.language): kinds of credential and document by name, the purposes of their
accesses and requests, the reasons in their log and the times in Brussels time, all in words;
the machine-readable files beside it stay as they are."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from vault.models import AccessEvent

from .documentfiles import pdf

EXPORTS = "/api/v1/pod/exports"
PURPOSE = "dpv:HumanResourceManagement"


def _exported(citizen, employer, language: str, django_capture_on_commit_callbacks) -> zipfile.ZipFile:
    User.objects.filter(pk=citizen.user.pk).update(language=language)
    filed = employer.post(
        "/api/v1/access-requests",
        {
            "citizen": {"nationalId": "BE:85073003328"},
            "credentialTypes": ["DiplomaCredential"],
            "purpose": PURPOSE,
            "purposeDescription": "Degree check for vacancy 17",
            "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
        },
    ).json()
    grant = citizen.post(f"/api/v1/pod/access-requests/{filed['id']}/approve", {}).json()
    assert citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke", {}).status_code == 200
    refused = employer.get(
        f"/api/v1/grants/{grant['id']}/credentials?purpose={PURPOSE}&challenge=summary-challenge-0001&domain=hr.example"
    )
    assert refused.status_code == 403, refused.content
    assert AccessEvent.objects.filter(pod=citizen.pod, reason="grant-revoked").exists()
    upload = citizen.client.post(
        "/api/v1/pod/documents?type=cv&name=cv.pdf", pdf(), content_type="application/pdf"
    )
    assert upload.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        export = citizen.post(EXPORTS).json()
    response = citizen.get(f"{EXPORTS}/{export['id']}/archive")
    assert response.status_code == 200, response.content
    return zipfile.ZipFile(io.BytesIO(response.content))


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "fr",
            [
                "# Votre coffre Citizen Vault",
                "Diplôme",  # the credential's kind
                "Curriculum vitae",  # the document's
                "Gestion des ressources humaines (recrutement, emploi)",  # the purpose
                "Vous aviez révoqué cet accès.",  # the reason of the refused read
                "heure de Bruxelles",
                "Acme Recruiting",
            ],
        ),
        (
            "nl",
            ["Diploma", "Curriculum vitae", "Brusselse tijd", "U had deze toegang ingetrokken."],
        ),
        ("de", ["Lebenslauf", "Brüsseler Zeit"]),
    ],
)
def test_the_summary_is_in_the_citizens_language_with_words_not_codes(
    citizen, employer, issued, language, words, django_capture_on_commit_callbacks
):
    archive = _exported(citizen, employer, language, django_capture_on_commit_callbacks)
    summary = archive.read("summary.md").decode()
    for expected in words:
        assert expected in summary, expected
    for code in (PURPOSE, "grant-revoked", "credential.read", " UTC", "Your Citizen Vault pod", "stored "):
        assert code not in summary, code
    # The file names it points to are the archive's own, and the data files keep their codes.
    credentials = json.loads(archive.read("credentials.json"))
    assert credentials[0]["type"] == "DiplomaCredential" and f"`{credentials[0]['file']}`" in summary
    assert json.loads(archive.read("consent.json"))["grants"][0]["purpose"] == PURPOSE
    assert "python -m vault.verify_log access-log.json" in summary


def test_a_citizen_who_never_chose_a_language_gets_english(
    citizen, employer, issued, django_capture_on_commit_callbacks
):
    summary = _exported(citizen, employer, "", django_capture_on_commit_callbacks).read("summary.md").decode()
    assert "# Your Citizen Vault pod" in summary
    assert "Human resource management (recruitment, employment)" in summary
    assert "You had revoked this access." in summary and "Brussels time" in summary
    assert PURPOSE not in summary and "grant-revoked" not in summary
