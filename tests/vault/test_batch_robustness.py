"""Batch issuance under failure: redelivered and lost tasks, a database that fails, the same file
handed in twice, a suspended issuer, two workers on one batch, hostile CSVs, how the upload is
sealed and what the logs may say. Real database, real crypto, eager Celery; faults are injected at
the database boundary (connection.execute_wrapper) and the broker boundary only."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import Organisation
from config.celery import app
from core.keyring import KEY_BYTES, NONCE_BYTES, WrappedSecret, keyring, unseal
from tests.conftest import diploma, make_organisation
from tests.support import assert_problem
from vault import batches, services
from vault.batchcsv import layout_of, read_csv
from vault.errors import BatchCsvInvalid, OrganisationSuspended
from vault.models import Batch, BatchRowError, BatchUpload, PodCredential
from vault.tasks import issue_batch, resume_stalled_batches

URL = "/api/v1/issuer/batches"
DIPLOMAS = layout_of("DiplomaCredential")
MAX_LINE_CHARS = DIPLOMAS.max_line_chars
HEADER = "national_id,given_name,family_name,degree_type,degree_name,awarded_on,grade\n"
AN = "BE:85073003328"
BART = "BE:90020199902"
NOBODY = "BE:70010100980"
INSERT_CREDENTIAL = 'INSERT INTO "vault_podcredential"'


def good(
    national_id=AN,
    given="An",
    family="Peeters",
    degree="MasterDegree",
    awarded="2024-06-28",
    grade="cum laude",
):
    return f"{national_id},{given},{family},{degree},Master of Science,{awarded},{grade}\n"


def post_csv(actor, text: str, capture=None, **headers):
    """POST the CSV as a text/csv body; with ``capture``, the task runs eagerly on commit."""
    if capture is None:
        return actor.client.post(URL, text.encode(), content_type="text/csv", **headers)
    with capture(execute=True):
        return actor.client.post(URL, text.encode(), content_type="text/csv", **headers)


def submitted(university, text: str) -> Batch:
    """A batch handed in whose task was never sent (the test transaction never commits)."""
    return batches.submit_batch(issuer=university.organisation, data=text.encode()).batch


@contextmanager
def failing_sql(
    matches: Callable[[str], bool], make_error: Callable[[], Exception], times: int
) -> Iterator[dict]:
    """The next ``times`` statements ``matches`` accepts fail with ``make_error()``, as a database
    that drops or refuses them would; the others run. Yields a counter of the failures."""
    state = {"left": times, "raised": 0}

    def wrapper(execute, sql, params, many, context):
        if state["left"] and matches(sql):
            state["left"] -= 1
            state["raised"] += 1
            raise make_error()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield state


def inserting_credential(sql: str) -> bool:
    return sql.startswith(INSERT_CREDENTIAL)


def db_down() -> Exception:
    return OperationalError("server closed the connection unexpectedly")


def lapse_lease(batch: Batch) -> None:
    Batch.objects.filter(pk=batch.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def age(batch: Batch, seconds: int = 3600) -> None:
    """As if the batch's task had been sent ``seconds`` ago."""
    Batch.objects.filter(pk=batch.pk).update(enqueued_at=timezone.now() - timedelta(seconds=seconds))


# --- 1. stuck batches --------------------------------------------------------------------------


def test_a_task_meeting_a_live_lease_is_retried_when_the_lease_lapses(university, citizen):
    batch = submitted(university, HEADER + good())
    Batch.objects.filter(pk=batch.pk).update(
        status=Batch.Status.RUNNING, lease_expires_at=timezone.now() + timedelta(seconds=90)
    )
    # As a worker runs it: a delivered message, not an eager call.
    issue_batch.push_request(
        id="redelivered", args=[str(batch.pk)], kwargs={}, retries=0, is_eager=False, called_directly=False
    )
    try:
        with pytest.raises(Retry) as retry:
            issue_batch.run(str(batch.pk))
    finally:
        issue_batch.pop_request()
    assert 89 <= float(retry.value.when) <= 92  # the lease's remaining time, and a second
    batch.refresh_from_db()
    assert (batch.status, batch.processed) == (Batch.Status.RUNNING, 0)


def test_the_batch_task_survives_a_killed_worker_and_a_sweeper_is_scheduled():
    assert issue_batch.acks_late is True
    assert issue_batch.reject_on_worker_lost is True
    [entry] = [
        e for e in app.conf.beat_schedule.values() if e["task"] == "vault.tasks.resume_stalled_batches"
    ]
    assert entry["schedule"] > 0
    assert resume_stalled_batches.name in app.tasks


def test_the_sweeper_resends_lost_and_abandoned_batches_only(university, citizen, other_citizen, settings):
    settings.BATCH_STALL_SECONDS = 300
    lost = submitted(university, HEADER + good())  # its message never reached a worker
    age(lost)
    abandoned = submitted(university, HEADER + good(BART))  # its worker died holding it
    assert batches._claim(abandoned.pk) is not None
    lapse_lease(abandoned)
    age(abandoned)
    fresh = submitted(university, HEADER + good(awarded="2020-06-30"))  # just sent: still on its way
    held = submitted(university, HEADER + good(BART, awarded="2020-06-30"))  # a live run holds it
    assert batches._claim(held.pk) is not None
    age(held)

    resume_stalled_batches.delay()  # eager: the resent tasks run here

    for batch, status in ((lost, "done"), (abandoned, "done"), (fresh, "queued"), (held, "running")):
        batch.refresh_from_db()
        assert batch.status == status, batch
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1
    assert PodCredential.objects.filter(pod=other_citizen.pod).count() == 1


def test_operators_resume_stalled_batches_by_command(university, citizen, capsys):
    batch = submitted(university, HEADER + good())
    call_command("resume_batches")
    assert "0 stalled batch(es) resent." in capsys.readouterr().out  # sent moments ago: not stalled
    call_command("resume_batches", "--stalled-for", "0")
    out = capsys.readouterr().out
    assert f"resent: batch {batch.pk}" in out and "1 stalled batch(es) resent." in out
    batch.refresh_from_db()
    assert (batch.status, batch.issued) == (Batch.Status.DONE, 1)


def test_a_broker_down_at_submission_still_answers_202_and_the_sweeper_recovers(
    university, citizen, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise BrokerError("Error 111 connecting to redis:6379. Connection refused.")

    with monkeypatch.context() as broker:
        broker.setattr(issue_batch, "apply_async", broker_down)
        response = post_csv(university, HEADER + good(), django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    batch = Batch.objects.get(pk=response.json()["id"])
    assert batch.status == Batch.Status.QUEUED and BatchUpload.objects.filter(batch=batch).exists()
    assert f"Batch {batch.pk}: the task could not be sent (OperationalError)" in caplog.text
    age(batch)
    resume_stalled_batches.delay()
    batch.refresh_from_db()
    assert (batch.status, batch.issued) == (Batch.Status.DONE, 1)


# --- 2. transient errors -----------------------------------------------------------------------


def test_a_database_error_on_a_row_is_retried_not_failed(
    university, citizen, other_citizen, django_capture_on_commit_callbacks
):
    text = HEADER + good() + good(BART) + good(NOBODY)
    with failing_sql(inserting_credential, db_down, times=2) as failures:  # the first two attempts of line 3
        response = post_csv(university, text, django_capture_on_commit_callbacks)

    assert failures["raised"] == 2
    body = university.get(response["Location"]).json()
    assert (body["status"], body["issued"], body["failed"], body["failureReason"]) == ("done", 2, 1, "")
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(4, "citizen-not-found")]
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1
    assert PodCredential.objects.filter(pod=other_citizen.pod).count() == 1


def test_a_database_that_stays_down_fails_the_batch_after_the_last_attempt(
    university, citizen, other_citizen, django_capture_on_commit_callbacks, settings
):
    settings.BATCH_MAX_ATTEMPTS = 3
    text = HEADER + good() + good(BART)
    with failing_sql(inserting_credential, db_down, times=1000) as failures:
        response = post_csv(university, text, django_capture_on_commit_callbacks)

    assert failures["raised"] == 3  # one per attempt, each stopping at line 2
    batch = Batch.objects.get(pk=response.json()["id"])
    assert batch.status == Batch.Status.FAILED
    assert "Stopped at line 2" in batch.failure_reason
    assert "unavailable through 3 attempts" in batch.failure_reason
    assert (batch.failure_code, batch.failure_line) == ("service-unavailable", 2)
    assert (batch.processed, batch.issued, batch.failed) == (0, 0, 0)  # no row was failed for it
    assert not BatchRowError.objects.filter(batch=batch).exists()
    assert not BatchUpload.objects.filter(batch=batch).exists()


def test_a_database_down_through_the_error_path_leaves_the_batch_to_the_sweeper(
    university, citizen, other_citizen, django_capture_on_commit_callbacks
):
    # Line 3's insert fails, then so do the checkpoint and the lease release of the error path.
    down_after_line_2 = {"on": False}

    def matches(sql: str) -> bool:
        if inserting_credential(sql) and PodCredential.objects.exists():
            down_after_line_2["on"] = True
        return down_after_line_2["on"] and (
            inserting_credential(sql) or sql.startswith('UPDATE "vault_batch"')
        )

    with failing_sql(matches, db_down, times=3):
        response = post_csv(university, HEADER + good() + good(BART), django_capture_on_commit_callbacks)

    batch = Batch.objects.get(pk=response.json()["id"])
    # The retry met the lease the failed release left live: the batch waits, nothing is failed.
    assert (batch.status, batch.processed, batch.failed) == (Batch.Status.RUNNING, 0, 0)
    lapse_lease(batch)
    age(batch)
    resume_stalled_batches.delay()
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.issued) == (Batch.Status.DONE, 2, 2)
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1  # line 2 recognised, not re-issued


# --- 3. idempotency ----------------------------------------------------------------------------


def test_the_same_file_twice_returns_the_first_batch(university, citizen, django_capture_on_commit_callbacks):
    first = post_csv(university, HEADER + good(), django_capture_on_commit_callbacks)
    again = post_csv(university, HEADER + good(), django_capture_on_commit_callbacks)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert again.json()["status"] == "done"
    assert Batch.objects.count() == 1
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1


def test_the_same_file_from_another_issuer_is_its_own_batch(
    university, citizen, django_capture_on_commit_callbacks
):
    other = make_organisation("Other University", Organisation.Kind.ISSUER)
    assert post_csv(university, HEADER + good(), django_capture_on_commit_callbacks).status_code == 202
    assert post_csv(other, HEADER + good(), django_capture_on_commit_callbacks).status_code == 202
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 2


def test_the_same_file_after_a_failed_batch_finishes_it_without_issuing_twice(
    university, citizen, other_citizen, django_capture_on_commit_callbacks, settings
):
    settings.BATCH_MAX_ATTEMPTS = 1
    text = HEADER + good() + good(BART)

    def after_line_2(sql: str) -> bool:
        return inserting_credential(sql) and PodCredential.objects.exists()

    with failing_sql(after_line_2, db_down, times=1):
        failed = post_csv(university, text, django_capture_on_commit_callbacks)
    assert Batch.objects.get(pk=failed.json()["id"]).status == Batch.Status.FAILED
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1

    again = post_csv(university, text, django_capture_on_commit_callbacks)

    assert again.status_code == 202 and again.json()["id"] != failed.json()["id"]
    body = university.get(again["Location"]).json()
    assert (body["status"], body["issued"], body["failed"]) == ("done", 2, 0)
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1  # line 2 recognised, not doubled
    assert PodCredential.objects.filter(pod=other_citizen.pod).count() == 1


def test_an_idempotency_key_returns_its_batch_and_refuses_another_file(
    university, citizen, django_capture_on_commit_callbacks
):
    key = {"HTTP_IDEMPOTENCY_KEY": "8e03978e-40d5-43e8-bc93-6894a57f9324"}
    first = post_csv(university, HEADER + good(), django_capture_on_commit_callbacks, **key)
    again = post_csv(university, HEADER + good(), django_capture_on_commit_callbacks, **key)
    quoted = {"HTTP_IDEMPOTENCY_KEY": '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}  # as an RFC 8941 string
    again_quoted = post_csv(university, HEADER + good(), django_capture_on_commit_callbacks, **quoted)
    other_file = post_csv(
        university, HEADER + good(awarded="2020-06-30"), django_capture_on_commit_callbacks, **key
    )

    assert (first.status_code, again.status_code, again_quoted.status_code) == (202, 200, 200)
    assert first.json()["id"] == again.json()["id"] == again_quoted.json()["id"]
    body = assert_problem(other_file, 422, "idempotency-key-reused")
    assert body["batchId"] == first.json()["id"]
    assert Batch.objects.count() == 1
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1


@pytest.mark.parametrize(
    "key", ["", "a" * 256, "has space", "caf\u00e9"], ids=["empty", "long", "space", "non-ascii"]
)
def test_a_malformed_idempotency_key_is_refused(university, citizen, key):
    response = post_csv(university, HEADER + good(), HTTP_IDEMPOTENCY_KEY=key)
    assert_problem(response, 400, "invalid-idempotency-key")
    assert not Batch.objects.exists()


def test_the_database_refuses_a_second_live_batch_of_the_same_upload(university, citizen):
    batch = submitted(university, HEADER + good())
    with pytest.raises(IntegrityError), transaction.atomic():
        Batch.objects.create(issuer=batch.issuer, total=1, upload_digest=batch.upload_digest)
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.FAILED)
    Batch.objects.create(
        issuer=batch.issuer, total=1, upload_digest=batch.upload_digest
    )  # after a failure: fine


def test_the_upload_digest_is_keyed(university, citizen):
    import hashlib

    data = (HEADER + good()).encode()
    batch = submitted(university, HEADER + good())
    assert batch.upload_digest == batches.upload_digest(data)
    assert batch.upload_digest != hashlib.sha256(data).hexdigest()  # not a confirmation oracle


# --- 4. a suspended issuer ---------------------------------------------------------------------


def test_a_suspended_issuer_issues_nothing(university, citizen):
    Organisation.objects.filter(pk=university.organisation.pk).update(is_active=False)
    # The caller's copy still says active: the database decides.
    assert university.organisation.is_active
    with pytest.raises(OrganisationSuspended) as refused:
        services.issue_into_pod(issuer=university.organisation, national_id=AN, credential=diploma())
    assert refused.value.status == 403
    assert not PodCredential.objects.exists()


def test_a_queued_batch_of_an_issuer_suspended_since_fails(university, citizen):
    batch = submitted(university, HEADER + good())
    Organisation.objects.filter(pk=university.organisation.pk).update(is_active=False)

    batches.run_batch(batch.pk)

    batch.refresh_from_db()
    assert batch.status == Batch.Status.FAILED
    assert batch.failure_reason.startswith("organisation suspended")
    assert batch.failure_code == "organisation-suspended"
    assert not PodCredential.objects.exists()
    assert not BatchUpload.objects.filter(batch=batch).exists()


def test_an_issuer_suspended_during_a_batch_stops_it(university, citizen, other_citizen):
    batch = submitted(university, HEADER + good() + good(BART))
    suspended = {"done": False}

    def suspend_after_first_issuance(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith(INSERT_CREDENTIAL) and not suspended["done"]:
            suspended["done"] = True
            Organisation.objects.filter(pk=university.organisation.pk).update(is_active=False)
        return result

    with connection.execute_wrapper(suspend_after_first_issuance):
        batches.run_batch(batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.issued) == (Batch.Status.FAILED, 1, 1)
    assert batch.failure_reason.startswith("organisation suspended")
    assert batch.failure_code == "organisation-suspended"
    assert not PodCredential.objects.filter(pod=other_citizen.pod).exists()


def test_a_suspended_issuer_cannot_hand_in_a_batch(university, citizen):
    university.organisation.is_active = False
    with pytest.raises(OrganisationSuspended):
        batches.submit_batch(issuer=university.organisation, data=(HEADER + good()).encode())
    assert not Batch.objects.exists()


# --- 5. wide headers and long lines ------------------------------------------------------------


def test_a_header_with_more_cells_than_columns_is_refused_first(university):
    wide = "national_id,given_name,family_name,degree_type,degree_name,awarded_on" + ",x" * 48000 + "\n"
    response = university.client.post(URL, (wide + "a\n").encode(), content_type="text/csv")
    body = assert_problem(response, 400, "invalid-batch-csv")
    assert "Line 1 is longer than" in body["detail"]
    with pytest.raises(
        BatchCsvInvalid, match="Line 1 has 10 columns; a batch of DiplomaCredential has at most 9"
    ):
        read_csv((HEADER.strip() + ",field_of_study,qualification_level,x\n" + good()).encode(), DIPLOMAS)


def test_duplicate_header_cells_are_named_once(university):
    with pytest.raises(BatchCsvInvalid, match=r"names these columns twice: grade, national_id\."):
        read_csv(b"national_id,grade,national_id,grade\n1,2,3,4\n", DIPLOMAS)


def test_a_line_longer_than_any_batch_needs_is_refused_by_number():
    long_row = good(given="A" * (MAX_LINE_CHARS + 1))
    with pytest.raises(BatchCsvInvalid, match=f"Line 3 is longer than {MAX_LINE_CHARS} characters"):
        read_csv((HEADER + good() + long_row).encode(), DIPLOMAS)


def test_a_long_cell_within_the_line_limit_is_a_row_error(
    university, citizen, django_capture_on_commit_callbacks
):
    response = post_csv(university, HEADER + good(given="A" * 201), django_capture_on_commit_callbacks)
    body = university.get(response["Location"]).json()
    assert [(e["line"], e["column"], e["code"]) for e in body["errors"]] == [(2, "given_name", "too-long")]


# --- 6. fencing --------------------------------------------------------------------------------


def test_a_worker_that_lost_its_lease_writes_nothing(university, citizen, other_citizen):
    batch = batches.submit_batch(
        issuer=university.organisation, data=(HEADER + good() + good(NOBODY)).encode()
    ).batch
    slow = batches._claim(batch.pk)  # worker A takes the batch, then stalls past its lease
    assert slow is not None
    lapse_lease(batch)
    assert batches.run_batch(batch.pk) is not None  # worker B takes over and finishes

    with pytest.raises(batches._LeaseLost):
        batches._run(slow)  # A wakes up and carries on from where it was

    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.issued, batch.failed) == (Batch.Status.DONE, 2, 1, 1)
    assert BatchRowError.objects.filter(batch=batch).count() == 1  # not doubled
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 1


def test_a_checkpoint_renews_the_lease(university, citizen):
    batch = submitted(university, HEADER + good())
    claimed = batches._claim(batch.pk)
    assert claimed is not None
    Batch.objects.filter(pk=batch.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=5))
    batches._Progress(claimed).checkpoint()
    batch.refresh_from_db()
    assert batch.lease_expires_at > timezone.now() + batches.LEASE - timedelta(minutes=1)


# --- 7. control characters ---------------------------------------------------------------------


def test_control_characters_in_cells_are_row_errors_naming_the_column(
    university, citizen, other_citizen, django_capture_on_commit_callbacks
):
    text = (
        HEADER
        + good(given="A\x00n")  # 2
        + good(BART + "\x00")  # 3
        + good(BART, grade="x\x1b[31my")  # 4: an escape sequence
        + good(BART, family="Jans\tsens")  # 5: a tab is allowed
    )
    response = post_csv(university, text, django_capture_on_commit_callbacks)
    body = university.get(response["Location"]).json()
    assert [(e["line"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, "given_name", "control-character"),
        (3, "national_id", "control-character"),
        (4, "grade", "control-character"),
    ]
    assert (body["status"], body["issued"]) == ("done", 1)
    [issued] = [d for _, d in services.read_own_credentials(owner=other_citizen.user)]
    assert issued["credentialSubject"]["familyName"] == "Jans\tsens"
    assert not PodCredential.objects.filter(pod=citizen.pod).exists()


# --- 8. the upload's own data key --------------------------------------------------------------


def test_the_upload_is_sealed_under_its_own_data_key_bound_to_the_batch(university, citizen):
    data = (HEADER + good()).encode()
    batch = batches.submit_batch(issuer=university.organisation, data=data).batch
    upload = BatchUpload.objects.get(batch=batch)
    sealed_key = bytes(upload.data_key_sealed)
    assert len(sealed_key) == NONCE_BYTES + KEY_BYTES + 16  # the KEK wraps 32 bytes, not the CSV

    data_key = keyring().unwrap(
        WrappedSecret(upload.kek_id, sealed_key), aad=batches._upload_key_aad(batch.pk)
    )
    assert unseal(data_key, bytes(upload.sealed), aad=batches._upload_aad(batch.pk)) == data
    other = submitted(university, HEADER + good(awarded="2020-06-30"))
    with pytest.raises(Exception, match="failed authentication"):
        keyring().unwrap(WrappedSecret(upload.kek_id, sealed_key), aad=batches._upload_key_aad(other.pk))


# --- 9. logs -----------------------------------------------------------------------------------


def test_an_unexpected_error_is_logged_without_the_claim_values(
    university, citizen, other_citizen, django_capture_on_commit_callbacks, caplog
):
    # A library error that quotes the values it choked on, as some do.
    def quoting_error() -> Exception:
        return RuntimeError(f"cannot store 'Vermeulen' for {BART} (grade 'summa cum laude')")

    caplog.set_level(logging.DEBUG)
    text = HEADER + good(BART, family="Vermeulen", grade="summa cum laude")
    with failing_sql(inserting_credential, quoting_error, times=1):
        response = post_csv(university, text, django_capture_on_commit_callbacks)

    batch = Batch.objects.get(pk=response.json()["id"])
    assert batch.status == Batch.Status.FAILED
    assert batch.failure_reason == "Stopped by an internal error at line 2; the operator has been alerted."
    assert (batch.failure_code, batch.failure_line) == ("internal-error", 2)
    assert (
        f"Batch {batch.pk} stopped at line 2 by RuntimeError raised at tests.vault.test_batch_robustness:"
        in caplog.text
    )
    for value in ("Vermeulen", "90020199902", "summa cum laude"):
        assert value not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)


def test_a_transient_error_is_logged_by_class_only(
    university, citizen, django_capture_on_commit_callbacks, caplog
):
    def quoting_db_error() -> Exception:
        return OperationalError("deadlock on row ('Peeters', 'BE:85073003328')")

    with failing_sql(inserting_credential, quoting_db_error, times=1):
        post_csv(university, HEADER + good(), django_capture_on_commit_callbacks)
    assert "interrupted at line 2 by OperationalError" in caplog.text
    assert "Peeters" not in caplog.text and "85073003328" not in caplog.text


# --- 10. the errors of a batch, paged ----------------------------------------------------------


def test_the_batch_shows_its_first_errors_and_pages_them_all(
    university, citizen, employer, anonymous, django_capture_on_commit_callbacks, settings
):
    settings.BATCH_ERRORS_SHOWN = 2
    text = HEADER + good() + good(NOBODY) + good(BART, given="", awarded="x") + good(AN, degree="Diploma")
    response = post_csv(university, text, django_capture_on_commit_callbacks)
    batch_id = response.json()["id"]

    body = university.get(response["Location"]).json()
    assert (body["failed"], body["errorCount"]) == (3, 4)
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "national_id"), (4, "given_name")]
    assert body["errorsUrl"] == f"{URL}/{batch_id}/errors"

    page = university.get(body["errorsUrl"]).json()
    assert page["count"] == 4
    assert [(e["line"], e["code"]) for e in page["results"]] == [
        (3, "citizen-not-found"),
        (4, "required"),
        (4, "invalid-date"),
        (5, "invalid-choice"),
    ]
    other = make_organisation("Other University", Organisation.Kind.ISSUER)
    assert_problem(other.get(body["errorsUrl"]), 404, "batch-not-found")
    assert_problem(employer.get(body["errorsUrl"]), 403)
    assert_problem(anonymous.get(body["errorsUrl"]), 401)


@pytest.mark.parametrize("as_file", [True, False], ids=["multipart", "text/csv"])
def test_the_size_limit_is_one_rule_whatever_the_route(university, citizen, settings, as_file):
    settings.BATCH_MAX_BYTES = 100
    text = HEADER + good()
    if as_file:
        part = SimpleUploadedFile("class.csv", text.encode(), content_type="text/csv")
        response = university.client.post(URL, {"file": part}, format="multipart")
    else:
        response = university.client.post(URL, text.encode(), content_type="text/csv")
    body = assert_problem(response, 413, "payload-too-large")
    assert body["detail"] == "The CSV is larger than the limit of 100 bytes; split it into several batches."
    assert body["limitBytes"] == 100
