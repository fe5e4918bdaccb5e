"""Batch issuance: a CSV of diplomas in, each good row issued into its citizen's pod, each bad
row reported by line, the progress visible to the issuing organisation only."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.identity import NATIONAL_ID_PROBLEMS
from accounts.models import Organisation
from accounts.services import create_organisation, issue_api_token
from credentials.verification import verify_credential
from tests.conftest import Actor, make_organisation
from tests.support import assert_problem, role_matrix
from vault import batches
from vault.batchcsv import row_credential_id
from vault.models import Batch, BatchRowError, BatchUpload, Pod, PodCredential
from vault.services import read_own_credentials

URL = "/api/v1/issuer/batches"
HEADER = "national_id,given_name,family_name,degree_type,degree_name,awarded_on,grade\n"
AN = "BE:85073003328"
BART = "BE:90020199902"


def good(national_id=AN, given="An", family="Peeters", degree="MasterDegree", awarded="2024-06-28"):
    return (
        f"{national_id},{given},{family},{degree},Master of Science in Computer Science,{awarded},cum laude\n"
    )


def upload(issuer: Actor, text: str, capture, *, as_file: bool = True):
    """POST the CSV (multipart or text/csv body); the task runs eagerly once the request commits."""
    with capture(execute=True):
        if as_file:
            part = SimpleUploadedFile("class-of-2024.csv", text.encode(), content_type="text/csv")
            return issuer.client.post(URL, {"file": part}, format="multipart")
        return issuer.client.post(URL, text.encode(), content_type="text/csv")


def diplomas_of(actor: Actor) -> list[dict]:
    return [document for _, document in read_own_credentials(owner=actor.user)]


def test_good_rows_are_issued_and_bad_rows_reported_by_line(
    university, citizen, other_citizen, django_capture_on_commit_callbacks
):
    csv_text = (
        HEADER
        + good()  # line 2
        + good("BE:70010100980")  # 3: no such citizen
        + good(BART, degree="Diploma")  # 4: not a degree type
        + good(BART, given="", awarded="28/06/2024")  # 5: two faults on one line
        + good(BART, given="Bart", family="Janssens")  # 6
        + good()  # 7: repeats line 2
        + "BE:85073003328,An,Peeters\n"  # 8: too few fields
        + good("85073003328")  # 9: no country prefix
    )
    response = upload(university, csv_text, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.json()
    batch_id = response.json()["id"]
    assert response["Location"] == f"{URL}/{batch_id}"
    assert response.json()["total"] == 8
    body = university.get(response["Location"]).json()
    assert {k: body[k] for k in ("status", "total", "processed", "issued", "failed")} == {
        "status": "done",
        "total": 8,
        "processed": 8,
        "issued": 2,
        "failed": 6,
    }
    assert body["finishedAt"] is not None
    assert [(e["line"], e["column"], e["code"]) for e in body["errors"]] == [
        (3, "national_id", "citizen-not-found"),
        (4, "degree_type", "invalid-choice"),
        (5, "given_name", "required"),
        (5, "awarded_on", "invalid-date"),
        (7, "", "duplicate-row"),
        (8, "", "wrong-field-count"),
        (9, "national_id", "invalid-national-id"),
    ]
    assert body["errors"][4]["reason"] == "repeats line 2"
    assert body["errors"][5]["reason"] == "has 3 fields; the header names 7 columns"
    # The API documents COUNTRY:NUMBER and keeps to it (the console's uploads are Belgian by default).
    assert body["errors"][6]["reason"] == NATIONAL_ID_PROBLEMS["no-country"]

    [an_diploma] = diplomas_of(citizen)
    [bart_diploma] = diplomas_of(other_citizen)
    verify_credential(an_diploma)  # signed by the university, verifiable offline
    verify_credential(bart_diploma)
    assert an_diploma["credentialSubject"] == {
        "id": citizen.pod.holder_did,
        "givenName": "An",
        "familyName": "Peeters",
        "degree": {"type": "MasterDegree", "name": "Master of Science in Computer Science"},
        "awardedOn": "2024-06-28",
        "grade": "cum laude",
    }
    assert bart_diploma["credentialSubject"]["familyName"] == "Janssens"
    batch = Batch.objects.get(pk=batch_id)
    assert an_diploma["id"] == row_credential_id(university.organisation.pk, batch.upload_digest, 2)


def test_the_batch_keeps_no_national_id_nor_claim_value(
    university, citizen, django_capture_on_commit_callbacks
):
    csv_text = HEADER + good() + good("BE:70010100980", family="Vermeulen") + good(AN, awarded="2024-13-01")
    batch_id = upload(university, csv_text, django_capture_on_commit_callbacks).json()["id"]

    kept = str(list(BatchRowError.objects.filter(batch_id=batch_id).values()))
    kept += str(list(Batch.objects.filter(pk=batch_id).values()))
    kept += str(university.get(f"{URL}/{batch_id}").json())
    for secret in ("85073003328", "70010100980", "Peeters", "Vermeulen", "2024-13-01", "cum laude"):
        assert secret not in kept
    assert not BatchUpload.objects.filter(batch_id=batch_id).exists()  # deleted when done


def test_the_upload_waits_sealed_until_the_task_runs(university, citizen):
    response = university.client.post(URL, (HEADER + good()).encode(), content_type="text/csv")
    assert response.status_code == 202  # the task is enqueued on commit, which this test never reaches
    batch = Batch.objects.get(pk=response.json()["id"])
    assert batch.status == Batch.Status.QUEUED
    sealed = bytes(BatchUpload.objects.get(batch=batch).sealed)
    assert b"85073003328" not in sealed and b"Peeters" not in sealed

    batches.run_batch(batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.issued) == (Batch.Status.DONE, 1)
    assert not BatchUpload.objects.filter(batch=batch).exists()


def test_a_text_csv_body_with_bom_crlf_quotes_and_a_multiline_cell(
    university, citizen, other_citizen, django_capture_on_commit_callbacks
):
    csv_text = (
        "\ufeff"
        + HEADER.replace("\n", "\r\n")
        + f'{AN},An,Peeters,MasterDegree,"Master of Science, ""Computer Science""",2024-06-28,\r\n'  # 2
        + f'{BART},Bart,Janssens,MasterDegree,"Master of\r\nScience",2024-06-28,\r\n'  # 3-4
        + "\r\n"  # 5: blank, skipped
        + f"{BART},Bart,,MasterDegree,Master,2024-06-28,\r\n"  # 6: no family name
    )
    response = upload(university, csv_text, django_capture_on_commit_callbacks, as_file=False)

    assert response.status_code == 202, response.json()
    body = university.get(response["Location"]).json()
    assert (body["total"], body["issued"], body["failed"]) == (3, 1, 2)
    # A line break inside a quoted cell is read as CSV, and refused as a control character.
    assert [(e["line"], e["column"], e["code"]) for e in body["errors"]] == [
        (3, "degree_name", "control-character"),
        (6, "family_name", "required"),
    ]
    [diploma] = diplomas_of(citizen)
    assert diploma["credentialSubject"]["degree"]["name"] == 'Master of Science, "Computer Science"'
    assert "grade" not in diploma["credentialSubject"]  # an empty optional cell is left out


ROLES = ["issuer", "other_issuer", "employer", "citizen", "operator", "anonymous"]


@role_matrix(ROLES, issuer=200, other_issuer=404, employer=403, citizen=403, operator=403, anonymous=401)
def test_only_the_issuing_organisation_sees_its_batch(
    university, employer, citizen, anonymous, django_capture_on_commit_callbacks, role, status
):
    batch_id = upload(university, HEADER + good(), django_capture_on_commit_callbacks).json()["id"]
    operator = APIClient()
    operator.force_login(get_user_model().objects.create_superuser("operator", "op@example.org", None))
    clients = {
        "issuer": university.client,
        "other_issuer": make_organisation("Other University", Organisation.Kind.ISSUER).client,
        "employer": employer.client,
        "citizen": citizen.client,
        "operator": operator,
        "anonymous": anonymous,
    }
    for path in (f"{URL}/{batch_id}", URL):
        response = clients[role].get(path)
        if status == 404 and path == URL:
            assert response.status_code == 200 and response.json()["results"] == []
        elif status >= 400:
            assert_problem(response, status)
        else:
            assert response.status_code == 200


def test_the_list_shows_the_issuers_own_batches(university, citizen, django_capture_on_commit_callbacks):
    first = upload(university, HEADER + good(), django_capture_on_commit_callbacks).json()["id"]
    second = upload(university, HEADER + good(awarded="2023-06-30"), django_capture_on_commit_callbacks)
    listed = university.get(URL).json()["results"]
    assert [b["id"] for b in listed] == [second.json()["id"], first]
    assert all(b["status"] == "done" and b["issued"] == 1 for b in listed)


@pytest.mark.parametrize("as_file", [True, False], ids=["multipart", "text/csv"])
def test_an_oversize_upload_is_refused(university, citizen, settings, as_file):
    settings.BATCH_MAX_BYTES = 200
    text = HEADER + good() + good(BART)
    assert len(text.encode()) > 200
    if as_file:
        part = SimpleUploadedFile("big.csv", text.encode(), content_type="text/csv")
        response = university.client.post(URL, {"file": part}, format="multipart")
    else:
        response = university.client.post(URL, text.encode(), content_type="text/csv")
    body = assert_problem(response, 413, "payload-too-large")
    assert "200 bytes" in body["detail"]
    assert not Batch.objects.exists()


def test_too_many_rows_are_refused(university, citizen, settings):
    settings.BATCH_MAX_ROWS = 2
    response = university.client.post(URL, (HEADER + good() * 3).encode(), content_type="text/csv")
    body = assert_problem(response, 413, "payload-too-large")
    assert "more than 2 rows" in body["detail"]
    assert not Batch.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEADER.replace("grade", "gpa") + good(), "unknown columns: gpa"),
        (HEADER.replace("family_name,", "") + good(), "lacks the required columns: family_name"),
        ("national_id,national_id\n" + good(), "names these columns twice: national_id"),
        ("\n\n", "The CSV is empty"),
        (HEADER, "a header but no rows"),
        (HEADER + 'BE:85073003328,"An,Peeters\n', "malformed"),
    ],
    ids=["unknown column", "missing column", "repeated column", "empty", "no rows", "open quote"],
)
def test_a_csv_that_is_not_a_batch_is_refused_clearly(university, citizen, text, expected):
    response = university.client.post(URL, text.encode(), content_type="text/csv")
    body = assert_problem(response, 400, "invalid-batch-csv")
    assert expected in body["detail"]
    assert not Batch.objects.exists()


def test_the_refusal_of_a_header_lists_the_columns(university, citizen):
    response = university.client.post(URL, b"nationalid,name\n1,2\n", content_type="text/csv")
    body = assert_problem(response, 400, "invalid-batch-csv")
    assert body["unknownColumns"] == ["nationalid", "name"]
    assert body["expectedColumns"][0] == "national_id"
    assert "awarded_on" in body["requiredColumns"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "n\u00e9".encode("latin-1") + b"\n", "content_type": "text/csv"}, 400, "invalid-batch-csv"),
        ({"data": {"csv": "x"}, "format": "multipart"}, 400, "validation-error"),
        ({"data": b"", "content_type": "text/csv"}, 400, "validation-error"),
        ({"data": {"rows": []}, "format": "json"}, 415, "unsupported-media-type"),
    ],
    ids=["not utf-8", "no file part", "empty body", "json"],
)
def test_what_is_not_a_csv_upload_is_refused(university, kwargs, status, code):
    assert_problem(university.client.post(URL, **kwargs), status, code)


def test_an_issuer_without_a_signing_key_is_refused_up_front(db, citizen):
    keyless = create_organisation(name="Keyless College", kind=Organisation.Kind.ISSUER)
    actor = Actor(issue_api_token(organisation=keyless)[1], organisation=keyless)
    response = actor.client.post(URL, (HEADER + good()).encode(), content_type="text/csv")
    assert_problem(response, 409, "no-signing-key")
    assert not Batch.objects.exists()


def _submitted(university, text) -> tuple[Batch, BatchUpload]:
    """A batch handed in but not yet run, and a copy of its sealed upload."""
    batch = batches.submit_batch(issuer=university.organisation, data=text.encode()).batch
    row = BatchUpload.objects.get(batch=batch)
    copy = BatchUpload(
        batch=batch, kek_id=row.kek_id, data_key_sealed=bytes(row.data_key_sealed), sealed=bytes(row.sealed)
    )
    return batch, copy


def test_running_a_finished_batch_again_does_nothing(university, citizen, other_citizen):
    batch, _ = _submitted(university, HEADER + good() + good(BART) + good("BE:70010100980"))
    assert batches.run_batch(batch.pk) is not None
    assert batches.run_batch(batch.pk) is None
    batch.refresh_from_db()
    assert (batch.status, batch.issued, batch.failed) == (Batch.Status.DONE, 2, 1)
    assert PodCredential.objects.count() == 2
    assert BatchRowError.objects.filter(batch=batch).count() == 1


def test_a_run_after_a_crash_before_the_checkpoint_issues_nothing_twice(university, citizen, other_citizen):
    batch, upload_copy = _submitted(university, HEADER + good() + good(BART) + good("BE:70010100980"))
    batches.run_batch(batch.pk)
    # As if the worker died after issuing every row but before recording any progress, and its
    # lease ran out: the next delivery of the task starts from the last checkpoint (none).
    Batch.objects.filter(pk=batch.pk).update(
        status=Batch.Status.RUNNING,
        processed=0,
        issued=0,
        failed=0,
        finished_at=None,
        lease_expires_at=timezone.now() - batches.LEASE,
    )
    BatchRowError.objects.filter(batch=batch).delete()
    upload_copy.save()

    batches.run_batch(batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.issued, batch.failed) == (Batch.Status.DONE, 3, 2, 1)
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1
    assert PodCredential.objects.filter(pod=other_citizen.pod).count() == 1
    assert list(BatchRowError.objects.filter(batch=batch).values_list("line", "code")) == [
        (4, "citizen-not-found")
    ]


def test_a_batch_another_worker_holds_is_left_alone(university, citizen):
    batch, _ = _submitted(university, HEADER + good())
    Batch.objects.filter(pk=batch.pk).update(
        status=Batch.Status.RUNNING, lease_expires_at=timezone.now() + batches.LEASE
    )
    with pytest.raises(batches.BatchHeld) as held:
        batches.run_batch(batch.pk)
    assert 0 < held.value.retry_in <= batches.LEASE.total_seconds() + 1
    batch.refresh_from_db()
    assert (batch.status, batch.processed) == (Batch.Status.RUNNING, 0)
    assert not PodCredential.objects.exists()


def test_a_batch_whose_upload_is_gone_fails_with_a_reason(university, citizen):
    batch, _ = _submitted(university, HEADER + good())
    BatchUpload.objects.filter(batch=batch).delete()
    batches.run_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FAILED
    assert "could not be opened" in batch.failure_reason
    assert (batch.failure_code, batch.failure_line) == ("upload-unreadable", None)
    assert batch.finished_at is not None
    assert not PodCredential.objects.exists()


def test_an_upload_moved_to_another_batch_does_not_open(university, citizen):
    _, moved = _submitted(university, HEADER + good())
    second, _ = _submitted(university, HEADER + good(awarded="2023-06-30"))
    # The whole sealed upload, its wrapped data key included, copied onto the other batch.
    BatchUpload.objects.filter(batch=second).update(
        kek_id=moved.kek_id, data_key_sealed=moved.data_key_sealed, sealed=moved.sealed
    )
    batches.run_batch(second.pk)
    second.refresh_from_db()
    assert second.status == Batch.Status.FAILED
    assert not PodCredential.objects.exists()


def test_a_pod_that_fails_its_integrity_check_fails_its_row_only(
    university, citizen, other_citizen, django_capture_on_commit_callbacks
):
    # The citizen's sealed data key swapped for another pod's: it no longer opens for this pod.
    Pod.objects.filter(pk=citizen.pod.pk).update(data_key_sealed=other_citizen.pod.data_key_sealed)
    response = upload(university, HEADER + good() + good(BART), django_capture_on_commit_callbacks)
    body = university.get(response["Location"]).json()
    assert (body["status"], body["issued"], body["failed"]) == ("done", 1, 1)
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(2, "integrity-failure")]
    assert not PodCredential.objects.filter(pod=citizen.pod).exists()
    assert PodCredential.objects.filter(pod=other_citizen.pod).count() == 1
