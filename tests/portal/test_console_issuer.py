"""The issuer's console: one credential through a form, a class as a CSV with its progress and
per-line report, revoking and suspending what the organisation issued."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.services import add_member
from credentials.selectors import status_bits_of
from vault.models import AccessEvent, Batch, PodCredential
from vault.services import read_own_credential

from .consoles import NATIONAL_ID, PASSWORD, diploma_form, member_client

HEADER = "national_id,given_name,family_name,degree_type,degree_name,awarded_on\n"


@pytest.fixture
def registrar(university):
    return member_client(university.organisation, "registrar@university.example")


@pytest.fixture
def other_registrar(db):
    from tests.conftest import make_organisation

    other = make_organisation("Other University", "issuer")
    client = member_client(other.organisation, "registrar@other.example")
    client.organisation = other.organisation
    return client


def base(actor) -> str:
    return f"/portal/console/{actor.organisation.slug}"


def test_a_member_of_an_issuer_lands_on_the_issued_credentials(university):
    add_member(organisation=university.organisation, email="registrar@university.example", password=PASSWORD)
    client = Client()
    response = client.post(
        "/portal/login/", {"username": "registrar@university.example", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{base(university)}/credentials"


def test_an_employer_member_gets_404_on_the_issuer_pages(employer):
    client = member_client(employer.organisation, "hr@acme.example")
    for path in ("issue", "batches", "credentials"):
        assert client.get(f"{base(employer)}/{path}").status_code == 404, path


def test_another_issuers_console_is_404(registrar, other_registrar):
    assert registrar.get(f"{base(other_registrar)}/credentials").status_code == 404
    assert registrar.post(f"{base(other_registrar)}/issue", diploma_form()).status_code == 404


def test_the_issue_form_has_the_types_claims_as_fields(registrar, university):
    page = registrar.get(f"{base(university)}/issue?type=LanguageCertificate").content.decode()
    assert 'name="proficiency_level"' in page
    assert 'name="skills"' in page
    assert 'name="national_id"' in page
    assert registrar.get(f"{base(university)}/issue?type=NoSuchType").status_code == 404


def test_an_issuer_issues_one_diploma_through_the_form(registrar, university, citizen):
    response = registrar.post(f"{base(university)}/issue", diploma_form())
    assert response.status_code == 302
    assert response["Location"] == f"{base(university)}/credentials"
    assert "85" not in response["Location"]
    resource = PodCredential.objects.get(pod=citizen.pod)
    assert resource.credential_id == "urn:uuid:8d1bbbd7-5a0e-4b43-8f5d-7b2b3b9a0c11"
    _, document = read_own_credential(owner=citizen.user, resource_id=resource.pk)
    assert document["credentialSubject"]["degree"] == {"type": "MasterDegree", "name": "Master of Laws"}
    assert document["credentialSubject"]["awardedOn"] == "2025-06-30"
    assert (
        AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_ISSUED).count() == 1
    )


def test_the_same_form_sent_twice_issues_once(registrar, university, citizen):
    assert registrar.post(f"{base(university)}/issue", diploma_form()).status_code == 302
    again = registrar.post(f"{base(university)}/issue", diploma_form())
    assert again.status_code == 400
    assert "already holds" in again.content.decode()
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1


def test_a_language_certificate_with_a_list_and_a_choice(registrar, university, citizen):
    response = registrar.post(
        f"{base(university)}/issue",
        {
            "type": "LanguageCertificate",
            "token": "0f6c1d8e-9a55-4a1e-8a44-33a2e0c9d001",
            "national_id": NATIONAL_ID,
            "given_name": "An",
            "family_name": "Peeters",
            "language": "nl",
            "proficiency_level": "C1",
            "skills": ["reading", "speaking"],
            "assessed_on": "2025-05-01",
        },
    )
    assert response.status_code == 302, response.content.decode()
    _, document = read_own_credential(
        owner=citizen.user, resource_id=PodCredential.objects.get(pod=citizen.pod).pk
    )
    assert document["type"] == ["VerifiableCredential", "LanguageCertificate"]
    assert document["credentialSubject"]["skills"] == ["reading", "speaking"]
    assert document["credentialSubject"]["proficiencyLevel"] == "C1"


def test_bad_fields_come_back_on_the_form(registrar, university, citizen):
    response = registrar.post(
        f"{base(university)}/issue", diploma_form(awarded_on="2025-13-01", degree_type="Nope")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "YYYY-MM-DD" in page
    assert not PodCredential.objects.exists()


def test_a_malformed_or_unknown_national_number_is_a_form_error(registrar, university, citizen):
    response = registrar.post(f"{base(university)}/issue", diploma_form(national_id="BE:!!"))
    assert response.status_code == 400
    assert "not a national register number" in response.content.decode()
    response = registrar.post(f"{base(university)}/issue", diploma_form(national_id="BE:90020199902"))
    assert response.status_code == 400
    assert "No citizen with this national register number" in response.content.decode()


def test_a_control_character_is_refused_by_the_batch_rules(registrar, university, citizen):
    response = registrar.post(f"{base(university)}/issue", diploma_form(degree_name="Master\x1b[31m"))
    assert response.status_code == 400
    assert not PodCredential.objects.exists()


def test_issuing_needs_a_csrf_token(university, citizen):
    add_member(organisation=university.organisation, email="registrar@university.example", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    client.login(username="registrar@university.example", password=PASSWORD)
    assert client.post(f"{base(university)}/issue", diploma_form()).status_code == 403
    assert not PodCredential.objects.exists()


# A class as a CSV.


def upload(client, actor, text: str, credential_type="DiplomaCredential"):
    return client.post(
        f"{base(actor)}/batches",
        {
            "credential_type": credential_type,
            "file": SimpleUploadedFile("class.csv", text.encode(), "text/csv"),
        },
    )


def test_a_class_is_issued_and_its_page_shows_progress_and_the_per_line_report(
    registrar, university, citizen, django_capture_on_commit_callbacks
):
    text = (
        HEADER
        + f"{NATIONAL_ID},An,Peeters,MasterDegree,Master of Laws,2025-06-30\n"
        + "BE:70010100980,Bart,Vermeulen,MasterDegree,Master of Laws,2025-06-30\n"
        + f"{NATIONAL_ID},An,Peeters,MasterDegree,Master of Arts,2025-13-01\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(registrar, university, text)
    assert response.status_code == 302
    batch = Batch.objects.get(issuer=university.organisation)
    assert response["Location"] == f"{base(university)}/batches/{batch.pk}"
    assert batch.status == Batch.Status.DONE  # Celery runs eagerly in the tests
    assert (batch.total, batch.issued, batch.failed) == (3, 1, 2)
    page = registrar.get(response["Location"]).content.decode()
    assert '<progress id="batch-progress" max="3" value="3"' in page
    assert 'http-equiv="refresh"' not in page  # done: no more reloading
    assert "awarded_on" in page and "BE:70010100980" not in page
    report = registrar.get(f"{response['Location']}/report")
    assert report["Content-Type"].startswith("text/csv")
    lines = report.content.decode().splitlines()
    assert lines[0] == "line,column,code,reason"
    assert len(lines) == 3


def test_a_class_takes_the_national_number_as_the_form_does_and_says_each_refusal_in_words(
    registrar, university, citizen, django_capture_on_commit_callbacks
):
    text = (
        HEADER
        + "85.07.30-033.28,An,Peeters,MasterDegree,Master of Laws,2025-06-30\n"  # as on the card
        + "85.07.30-033.2!,An,Peeters,MasterDegree,Master of Arts,2025-06-30\n"  # a typo
        + "BE:850,An,Peeters,MasterDegree,Master of Arts,2025-06-30\n"  # too short
        + f"{NATIONAL_ID},An,Peeters,MasterDegree,Master of Arts,2025-13-01\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(registrar, university, text)
    batch = Batch.objects.get(issuer=university.organisation)
    assert (batch.total, batch.issued, batch.failed) == (4, 1, 3)
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1
    page = registrar.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    report = page[page.index('id="report-title"') :]
    assert 'lang="en"' not in report
    assert "Dit is geen rijksregisternummer: het mag alleen cijfers (en letters) bevatten" in report
    assert "Dit is geen rijksregisternummer: het moet 4 tot 32 cijfers of letters hebben" in report
    assert "Dit moet een kalenderdatum zijn in de vorm JJJJ-MM-DD" in report
    # The report for programs keeps the codes and the English reasons, as the API does.
    lines = registrar.get(f"{response['Location']}/report").content.decode().splitlines()
    assert lines[1].startswith('3,national_id,invalid-national-id,"The number may hold only letters')


def test_the_upload_form_says_how_a_national_number_may_be_written(registrar, university):
    page = registrar.get(f"{base(university)}/batches", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "85.07.30-033.28" in page and "BE:85073003328" in page


def test_a_running_class_reloads_itself(registrar, university, citizen):
    batch = Batch.objects.create(
        issuer=university.organisation, total=10, processed=4, issued=3, failed=1, status="running"
    )
    page = registrar.get(f"{base(university)}/batches/{batch.pk}").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'value="4"' in page


@pytest.mark.parametrize(
    ("failure", "line", "reason", "words"),
    [
        (
            "service-unavailable",
            7,
            "Stopped at line 7: the database or message broker stayed unavailable through 5 attempts; …",
            "Gestopt bij regel 7: de dienst bleef onbereikbaar",
        ),
        (
            "internal-error",
            3,
            "Stopped by an internal error at line 3; the operator has been alerted.",
            "Gestopt door een interne fout bij regel 3",
        ),
        ("organisation-suspended", None, "organisation suspended: …", "Uw organisatie is geschorst"),
        ("upload-unreadable", None, "The upload could not be opened; …", "Het opgeladen bestand kon niet"),
    ],
)
def test_a_failed_class_says_why_in_the_members_language(registrar, university, failure, line, reason, words):
    batch = Batch.objects.create(
        issuer=university.organisation,
        total=10,
        processed=2,
        issued=2,
        status="failed",
        failure_code=failure,
        failure_line=line,
        failure_reason=reason,
    )
    page = registrar.get(f"{base(university)}/batches/{batch.pk}", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f'<p class="error-text">{words}' in page
    assert reason not in page  # the English reason is the API's


def test_a_class_stopped_before_its_first_line_names_no_line(registrar, university):
    batch = Batch.objects.create(
        issuer=university.organisation,
        total=3,
        status="failed",
        failure_code="service-unavailable",
        failure_line=0,
        failure_reason="Stopped at line 0: …",
    )
    page = registrar.get(f"{base(university)}/batches/{batch.pk}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<p class="error-text">Vor der ersten Zeile angehalten' in page
    assert "Zeile 0" not in page


def test_a_class_that_failed_before_codes_were_kept_says_its_english_reason(registrar, university):
    batch = Batch.objects.create(
        issuer=university.organisation, total=1, status="failed", failure_reason="Stopped at line 1: …"
    )
    page = registrar.get(f"{base(university)}/batches/{batch.pk}", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert '<p class="error-text" lang="en">Stopped at line 1: …</p>' in page


def test_a_csv_that_cannot_be_read_comes_back_on_the_form(registrar, university, citizen):
    response = upload(registrar, university, "who,what\nx,y\n")
    assert response.status_code == 400
    assert not Batch.objects.exists()


def test_another_issuers_class_is_404(registrar, university, other_registrar, citizen):
    batch = Batch.objects.create(issuer=university.organisation, total=1)
    assert other_registrar.get(f"{base(other_registrar)}/batches/{batch.pk}").status_code == 404
    assert other_registrar.get(f"{base(other_registrar)}/batches/{batch.pk}/report").status_code == 404


# Revoke, suspend, reinstate.


@pytest.fixture
def issued_one(registrar, university, citizen):
    assert registrar.post(f"{base(university)}/issue", diploma_form()).status_code == 302
    return PodCredential.objects.get(pod=citizen.pod)


def test_the_issued_list_shows_each_credential_and_its_status(registrar, university, issued_one):
    page = registrar.get(f"{base(university)}/credentials").content.decode()
    assert issued_one.credential_id in page
    assert "?action=revoke" in page and "?action=suspend" in page


def test_suspend_asks_first_then_suspends_and_reinstates(registrar, university, issued_one, citizen):
    url = f"{base(university)}/credentials/{issued_one.pk}/status"
    confirm = registrar.get(f"{url}?action=suspend")
    assert confirm.status_code == 200
    assert (
        status_bits_of(university.organisation, [issued_one.credential_id])[issued_one.credential_id] == set()
    )
    assert registrar.post(url, {"action": "suspend"}).status_code == 302
    assert status_bits_of(university.organisation, [issued_one.credential_id])[issued_one.credential_id] == {
        "suspension"
    }
    assert "suspended" in registrar.get(f"{base(university)}/credentials").content.decode()
    assert registrar.post(url, {"action": "reinstate"}).status_code == 302
    assert (
        status_bits_of(university.organisation, [issued_one.credential_id])[issued_one.credential_id] == set()
    )
    actions = set(AccessEvent.objects.filter(pod=citizen.pod).values_list("action", flat=True))
    assert {AccessEvent.Action.CREDENTIAL_SUSPENDED, AccessEvent.Action.CREDENTIAL_REINSTATED} <= actions


def test_revoke_is_final(registrar, university, issued_one):
    url = f"{base(university)}/credentials/{issued_one.pk}/status"
    assert registrar.post(url, {"action": "revoke"}).status_code == 302
    assert status_bits_of(university.organisation, [issued_one.credential_id])[issued_one.credential_id] == {
        "revocation"
    }
    response = registrar.post(url, {"action": "reinstate"}, follow=True)
    assert response.status_code == 200
    # Reinstating lifts a suspension only: the revocation bit stays.
    assert status_bits_of(university.organisation, [issued_one.credential_id])[issued_one.credential_id] == {
        "revocation"
    }


def test_an_unknown_action_is_404(registrar, university, issued_one):
    url = f"{base(university)}/credentials/{issued_one.pk}/status"
    assert registrar.get(f"{url}?action=delete").status_code == 404
    assert registrar.post(url, {"action": "delete"}).status_code == 404


def test_another_issuers_credential_is_404(other_registrar, issued_one, university):
    url = f"{base(other_registrar)}/credentials/{issued_one.pk}/status"
    assert other_registrar.get(f"{url}?action=revoke").status_code == 404
    assert other_registrar.post(url, {"action": "revoke"}).status_code == 404
    assert (
        status_bits_of(university.organisation, [issued_one.credential_id])[issued_one.credential_id] == set()
    )


def test_the_issued_list_narrows_to_one_citizen_by_a_number_sent_in_the_body(
    registrar, university, issued_one, other_citizen
):
    url = f"{base(university)}/credentials"
    mine = registrar.post(url, {"national_id": "85.07.30-033.28"})
    assert mine.status_code == 200
    assert issued_one.credential_id in mine.content.decode()
    other = registrar.post(url, {"national_id": "BE:90020199902"}).content.decode()
    unknown = registrar.post(url, {"national_id": "BE:11111111161"}).content.decode()
    # The same answer for a citizen without this issuer's credentials and for a number with no pod.
    for page in (other, unknown):
        assert issued_one.credential_id not in page
        assert "issued nothing here to this citizen" in page
    assert registrar.post(url, {"national_id": ""}).status_code == 400
    # Malformed (9 digits, or a digit wrong): what is wrong with it, not an empty answer.
    short = registrar.post(url, {"national_id": "85.07.30-033"})
    assert short.status_code == 400
    assert "This is not a Belgian national register number: it has 11 digits" in short.content.decode()
    mistyped = registrar.post(url, {"national_id": "85.07.30-033.29"})
    assert mistyped.status_code == 400 and "do not match the first nine" in mistyped.content.decode()
    malformed = registrar.post(url, {"national_id": "85.07.30-033.2!"}, HTTP_ACCEPT_LANGUAGE="de")
    assert malformed.status_code == 400
    assert "Dies ist keine Nationalregisternummer: Sie darf nur Ziffern" in malformed.content.decode()


def test_a_suspension_with_a_reason_and_a_note_is_shown_to_the_issuer_and_the_citizen(
    registrar, university, issued_one, citizen
):
    url = f"{base(university)}/credentials/{issued_one.pk}/status"
    confirm = registrar.get(f"{url}?action=suspend", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'name="reason"' in confirm and 'name="note"' in confirm
    assert "En cours de réexamen" in confirm
    response = registrar.post(
        url, {"action": "suspend", "reason": "under-review", "note": "Le jury réexamine la note."}
    )
    assert response.status_code == 302
    listed = registrar.get(f"{base(university)}/credentials", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "In herziening" in listed and "Le jury réexamine la note." in listed

    citizen_client = Client()
    citizen_client.force_login(citizen.user)
    page = citizen_client.get(f"/portal/credentials/{issued_one.pk}", HTTP_ACCEPT_LANGUAGE="de")
    shown = page.content.decode()
    assert "Vom Aussteller ausgesetzt" in shown
    assert "Der Aussteller prüft ihn." in shown
    assert "Le jury réexamine la note." in shown
    log = citizen_client.get("/portal/log", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "De uitreiker onderzoekt het." in log


def test_a_note_with_hidden_characters_or_too_long_comes_back_and_changes_nothing(
    registrar, university, issued_one
):
    url = f"{base(university)}/credentials/{issued_one.pk}/status"
    for note in ("fine\u202eenif", "x" * 201):
        response = registrar.post(url, {"action": "revoke", "note": note})
        assert response.status_code == 400
        assert 'name="note"' in response.content.decode()
    assert registrar.post(url, {"action": "revoke", "reason": "because"}).status_code == 400
    assert (
        status_bits_of(university.organisation, [issued_one.credential_id])[issued_one.credential_id] == set()
    )
