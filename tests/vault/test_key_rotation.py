"""KEK rotation and per-pod data-key rotation (vault.keyrotation, vault.services).

Real crypto and the real database throughout: a rotation is proved by opening every secret
afterwards under a ring that no longer holds the old KEK.
"""

import io
import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import override_settings
from django.utils import timezone

from accounts.identity import unseal_national_id
from accounts.models import RequestSigningKey, User
from accounts.requestkeys import custodial_request_key, unseal_custodial_key
from config.startup import refuse_to_start_without_keys_in_use
from consent.services import file_access_request
from core.keyring import DecryptionError, keyring
from credentials.keys import unseal_private_key
from credentials.models import IssuerKey
from tests.conftest import diploma
from vault import batches, crypto, evidence, keyrotation, logkeys
from vault.checks import every_kek_in_use_is_in_the_ring
from vault.disclosure import holder_signing_key
from vault.models import AccessEvent, BatchUpload, LogSigningKey, Pod, PodCredential, RequestEvidence
from vault.reading import read_and_log
from vault.services import create_citizen, issue_into_pod, read_own_credentials, rotate_pod_data_key
from vc.multikey import did_key_for

NEW_KEK = "22" * 32
NATIONAL_ID = "BE:85073003328"
NO_POD_YET = "BE:71020300156"
CSV = (
    "national_id,given_name,family_name,degree_type,degree_name,awarded_on,grade\n"
    "BE:85073003328,An,Peeters,MasterDegree,Master of Science,2024-06-28,cum laude\n"
)


@pytest.fixture
def new_kek_active(settings):
    """The ring after an operator added KEK 'new' in front of the old one and made it active."""
    old = settings.KEY_ENCRYPTION_KEYS
    with override_settings(KEY_ENCRYPTION_KEYS=f"new:{NEW_KEK},{old}", KEY_ENCRYPTION_KEY_ID="new"):
        yield old


@pytest.fixture
def everything_sealed(university, employer, citizen, issued):
    """One of each KEK-wrapped secret: a pod's data key and its previous one (a data-key rotation
    begun, its credential still under the previous key), an issuer key, the log key, a batch
    upload's key (its task not yet run), a citizen's sealed national identifier, an employer's
    custodial request-signing key, and a signed request held for a number with no pod yet."""
    custodial_request_key(employer.organisation)
    file_access_request(
        requester=employer.organisation,
        national_id=NO_POD_YET,
        credential_types=["DiplomaCredential"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="Held for a pod that does not exist yet.",
        valid_until=timezone.now() + timedelta(days=30),
        submitted_in_console=True,
    )
    keyrotation.start_pod_rotation(citizen.pod.pk)
    assert PodCredential.objects.get(pk=issued["id"]).key_version == 1
    batches.submit_batch(issuer=university.organisation, data=CSV.encode())
    assert BatchUpload.objects.exists()
    assert LogSigningKey.objects.exists()
    return citizen


def sealed_snapshot() -> dict[str, dict[str, bytes]]:
    snapshot: dict[str, dict[str, bytes]] = {}
    for column in keyrotation.kek_sealed_columns():
        rows = column.model.objects.exclude(**{column.kek_field: ""})
        snapshot[column.label] = {str(row.pk): bytes(getattr(row, column.sealed_field)) for row in rows}
    return snapshot


def under(kek_id: str) -> dict[str, int]:
    return {label: usage.get(kek_id, 0) for label, usage in keyrotation.kek_usage().items()}


def test_every_kek_wrapped_secret_moves_to_the_active_kek_and_still_opens(everything_sealed, new_kek_active):
    citizen = everything_sealed
    assert all(count > 0 for count in under("dev-insecure").values())

    outcome = keyrotation.rotate_kek(batch_size=2)

    assert all(not column.failed for column in outcome)
    assert all(count == 0 for count in under("dev-insecure").values())
    # With the old KEK gone from the ring, everything still opens.
    with override_settings(KEY_ENCRYPTION_KEYS=f"new:{NEW_KEK}", KEY_ENCRYPTION_KEY_ID="new"):
        assert every_kek_in_use_is_in_the_ring() == []
        pairs = read_own_credentials(owner=citizen.user)
        assert pairs[0][1]["credentialSubject"]["familyName"] == "Peeters"
        for key in IssuerKey.objects.all():
            unseal_private_key(key)
        for log_key in LogSigningKey.objects.all():
            logkeys._unsealed.clear()
            assert logkeys.signer(log_key.pk).key_id == log_key.pk
        assert b"Peeters" in batches._open_upload(BatchUpload.objects.get().batch)
        assert unseal_national_id(User.objects.get(pk=citizen.user.pk)) == NATIONAL_ID
        for request_key in RequestSigningKey.objects.filter(custodial=True):
            public = unseal_custodial_key(request_key).public_key()
            assert did_key_for(public).verification_method == request_key.verification_method
        # The held signed request still opens: the pod that opens for its number takes it.
        newcomer = create_citizen(email="newcomer@example.org", national_id=NO_POD_YET)
        held = RequestEvidence.objects.get(pod=newcomer)
        assert NO_POD_YET.encode() in evidence.opened(held)


def test_a_second_run_skips_what_is_done_and_wraps_nothing_twice(everything_sealed, new_kek_active):
    keyrotation.rotate_kek()
    after_first = sealed_snapshot()

    again = keyrotation.rotate_kek()

    assert sum(column.rewrapped for column in again) == 0
    assert sealed_snapshot() == after_first


def test_a_run_stopped_after_one_batch_is_finished_by_the_next_without_rewrapping_that_batch(
    citizen, other_citizen, new_kek_active
):
    first = keyrotation.rewrap_batch(crypto.POD_DATA_KEYS, limit=1)
    assert first.rewrapped == 1
    moved = Pod.objects.get(pk=first.last_pk)

    outcome = keyrotation.rotate_kek(columns=[crypto.POD_DATA_KEYS])

    assert outcome[0].rewrapped == 1  # only the pod the stopped run had not reached
    assert bytes(Pod.objects.get(pk=moved.pk).data_key_sealed) == bytes(moved.data_key_sealed)
    assert set(Pod.objects.values_list("kek_id", flat=True)) == {"new"}


def test_a_data_key_re_wrapped_keeps_its_value(citizen, new_kek_active):
    before = crypto.data_key(Pod.objects.get(pk=citizen.pod.pk))
    keyrotation.rotate_kek(columns=[crypto.POD_DATA_KEYS])
    pod = Pod.objects.get(pk=citizen.pod.pk)
    assert pod.kek_id == "new"
    assert crypto.data_key(pod) == before


def test_a_tampered_wrapped_key_is_reported_logged_and_left_while_the_rest_moves(
    citizen, other_citizen, new_kek_active, caplog
):
    sealed = bytearray(Pod.objects.get(pk=citizen.pod.pk).data_key_sealed)
    sealed[-1] ^= 1
    Pod.objects.filter(pk=citizen.pod.pk).update(data_key_sealed=bytes(sealed))

    with caplog.at_level(logging.ERROR, logger="core.keyring"):
        outcome = keyrotation.rotate_kek(columns=[crypto.POD_DATA_KEYS])

    assert outcome[0].failed == [str(citizen.pod.pk)]
    assert Pod.objects.get(pk=citizen.pod.pk).kek_id == "dev-insecure"
    assert Pod.objects.get(pk=other_citizen.pod.pk).kek_id == "new"
    failures = [
        record.getMessage() for record in caplog.records if "Integrity check failed" in record.getMessage()
    ]
    assert failures and str(citizen.pod.pk) in failures[0]


def test_a_tampered_kek_id_is_an_integrity_error_not_garbage(citizen, caplog):
    Pod.objects.filter(pk=citizen.pod.pk).update(kek_id="forged")
    with (
        caplog.at_level(logging.ERROR, logger="core.keyring"),
        pytest.raises(DecryptionError, match="forged"),
    ):
        crypto.data_key(Pod.objects.get(pk=citizen.pod.pk))
    assert any("not in this key ring" in record.getMessage() for record in caplog.records)


def test_a_tampered_credential_fails_to_open_with_an_integrity_error_logged_without_plaintext(
    citizen, issued, caplog
):
    resource = PodCredential.objects.get(pk=issued["id"])
    tampered = bytearray(resource.ciphertext)
    tampered[20] ^= 0x40
    PodCredential.objects.filter(pk=resource.pk).update(ciphertext=bytes(tampered))

    with caplog.at_level(logging.ERROR), pytest.raises(DecryptionError, match="failed authentication"):
        read_own_credentials(owner=citizen.user)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert str(resource.pk) in logged  # where it failed...
    assert "Peeters" not in logged and "MasterDegree" not in logged  # ...never what it held


# --- kek_usage, and dropping a KEK ----------------------------------------------------------


def test_kek_usage_counts_what_each_kek_wraps(everything_sealed, new_kek_active):
    out = io.StringIO()
    call_command("kek_usage", "--json", stdout=out)
    usage = json.loads(out.getvalue())
    assert usage["new"] == {}
    assert usage["dev-insecure"]["pod data keys"] == 1
    assert usage["dev-insecure"]["issuer signing keys"] == 2  # the issuer's Ed25519 and P-256 keys
    assert usage["dev-insecure"]["batch upload keys"] == 1
    assert usage["dev-insecure"]["national identifiers"] == 1

    call_command("rotate_kek", stdout=io.StringIO())
    out = io.StringIO()
    call_command("kek_usage", stdout=out)
    assert "dev-insecure (in the ring): 0 wrapped: nothing" in out.getvalue()
    assert "it may be removed from KEY_ENCRYPTION_KEYS" in out.getvalue()


def test_dropping_a_kek_that_still_wraps_something_is_refused_at_start_up(citizen):
    with override_settings(KEY_ENCRYPTION_KEYS=f"new:{NEW_KEK}", KEY_ENCRYPTION_KEY_ID="new"):
        errors = every_kek_in_use_is_in_the_ring()
        assert [error.id for error in errors] == ["vault.E001"]
        assert errors[0].msg == (
            "KEK 'dev-insecure' is not in KEY_ENCRYPTION_KEYS but still wraps 1 access-log signing keys, "
            "1 national identifiers, 1 pod data keys: they could not be opened."
        )
        with pytest.raises(ImproperlyConfigured, match="rotate_kek"):
            refuse_to_start_without_keys_in_use()
        with pytest.raises(SystemCheckError, match=r"vault\.E001"):
            call_command("check")


def test_dropping_a_kek_is_allowed_once_it_wraps_nothing(everything_sealed, new_kek_active):
    call_command("rotate_kek", stdout=io.StringIO())
    with override_settings(KEY_ENCRYPTION_KEYS=f"new:{NEW_KEK}", KEY_ENCRYPTION_KEY_ID="new"):
        refuse_to_start_without_keys_in_use()
        call_command("check", stdout=io.StringIO())


def test_the_rotation_task_does_what_the_command_does(everything_sealed, new_kek_active):
    from vault.tasks import rotate_kek

    moved = rotate_kek.delay(batch_size=3).get()
    # the issuer's P-256 key beside its Ed25519 key, the custodial request key, the pod's previous
    # data key, the signed request held for a number with no pod
    assert moved == 9
    assert all(count == 0 for count in under("dev-insecure").values())


def test_the_command_prints_progress_and_fails_loudly_on_a_secret_that_does_not_open(
    citizen, other_citizen, new_kek_active
):
    Pod.objects.filter(pk=citizen.pod.pk).update(data_key_sealed=b"\x00" * 60)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="did not open"):
        call_command("rotate_kek", "--batch-size", "1", stdout=out, stderr=err)
    assert "pod data keys: 2 to re-wrap under KEK 'new'" in out.getvalue()
    assert "pod data keys: 1 re-wrapped, 1 did not open" in out.getvalue()
    assert f"row {citizen.pod.pk} did not open" in err.getvalue()


# --- a pod's data key -------------------------------------------------------------------------


def test_rotating_a_pods_data_key_re_encrypts_it_and_logs_it(university, citizen, issued):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    old_key = crypto.data_key(pod)
    old_ciphertext = bytes(PodCredential.objects.get(pk=issued["id"]).ciphertext)

    assert rotate_pod_data_key(pod_id=pod.pk) == 2  # the holder key and the diploma

    pod = Pod.objects.get(pk=pod.pk)
    assert crypto.data_key(pod) != old_key
    resource = PodCredential.objects.get(pk=issued["id"])
    assert bytes(resource.ciphertext) != old_ciphertext
    with pytest.raises(DecryptionError):
        crypto.open_for_pod(
            old_key, pod.pk, crypto.CREDENTIAL_KIND, resource.pk, 1, bytes(resource.ciphertext)
        )
    assert str(read_own_credentials(owner=citizen.user)[0][0].pk) == issued["id"]
    from django.db import transaction

    with transaction.atomic():
        _, method = holder_signing_key(pod)  # the holder key opens, and is still the holder DID's
    assert method.startswith(pod.holder_did)
    entry = AccessEvent.objects.filter(pod=pod).order_by("-seq")[1]  # before the read just made
    assert (entry.action, entry.actor_kind, entry.reason) == ("pod.rekeyed", "system", "data-key-rotation")


def test_a_read_that_loaded_the_pod_before_its_rotation_still_opens_what_it_reads(citizen, issued):
    from django.db import transaction

    from vault.access import AccessContext

    stale = Pod.objects.get(pk=citizen.pod.pk)  # a read loads the pod...
    rotate_pod_data_key(pod_id=stale.pk)  # ...the pod is re-keyed before it loads the credentials
    with transaction.atomic():
        pairs, _ = read_and_log(
            stale, context=AccessContext.for_citizen(citizen.user), credential_types=["DiplomaCredential"]
        )
    assert str(pairs[0][0].pk) == issued["id"]
    assert pairs[0][1]["credentialSubject"]["familyName"] == "Peeters"


def test_an_issuance_that_found_the_pod_before_its_rotation_seals_under_the_new_key(
    university, citizen, monkeypatch
):
    from vault import services

    verify = services.verify_held_credential

    def rotated_meanwhile(signed):  # the pod is re-keyed after issuance looked it up
        verify(signed)
        rotate_pod_data_key(pod_id=citizen.pod.pk)

    monkeypatch.setattr(services, "verify_held_credential", rotated_meanwhile)
    issue_into_pod(issuer=university.organisation, national_id=NATIONAL_ID, credential=diploma())
    assert len(read_own_credentials(owner=citizen.user)) == 1


def test_a_tampered_credential_keeps_the_old_key_and_the_rotation_unfinished(university, citizen, issued):
    second = issue_into_pod(
        issuer=university.organisation,
        national_id=NATIONAL_ID,
        credential={**diploma(), "id": f"urn:uuid:{uuid.uuid4()}"},
    )[0]
    resource = PodCredential.objects.get(pk=issued["id"])
    PodCredential.objects.filter(pk=resource.pk).update(ciphertext=bytes(resource.ciphertext)[:-1] + b"\x00")
    with pytest.raises(DecryptionError, match="1 ciphertext"):
        rotate_pod_data_key(pod_id=citizen.pod.pk)
    pod = Pod.objects.get(pk=citizen.pod.pk)
    assert pod.data_key_version == 2 and pod.previous_kek_id  # the old key kept for what did not open
    assert PodCredential.objects.get(pk=resource.pk).key_version == 1
    assert PodCredential.objects.get(pk=second.pk).key_version == 2  # the rest moved on
    assert not AccessEvent.objects.filter(pod=pod, action="pod.rekeyed").exists()
    with pytest.raises(DecryptionError):  # a second run retries it, and still refuses to finish
        rotate_pod_data_key(pod_id=citizen.pod.pk)
    assert Pod.objects.get(pk=citizen.pod.pk).data_key_version == 2  # no third key


def test_a_rotation_goes_in_batches_and_reads_work_between_them(university, citizen, issued):
    for _ in range(4):
        issue_into_pod(
            issuer=university.organisation,
            national_id=NATIONAL_ID,
            credential={**diploma(), "id": f"urn:uuid:{uuid.uuid4()}"},
        )
    lines: list[str] = []
    seen_between: list[set[int]] = []

    def between() -> None:
        # Mid-rotation: rows under both keys, and every one of them reads.
        seen_between.append(
            set(PodCredential.objects.filter(pod=citizen.pod).values_list("key_version", flat=True))
        )
        assert len(read_own_credentials(owner=citizen.user)) == 5
        assert not AccessEvent.objects.filter(pod=citizen.pod, action="pod.rekeyed").exists()

    count = rotate_pod_data_key(
        pod_id=citizen.pod.pk, batch_size=2, report=lines.append, between_batches=between
    )

    assert count == 6  # the holder key and five diplomas
    assert {1, 2} in seen_between  # a batch boundary fell with both keys in use
    assert lines[0] == f"pod {citizen.pod.pk}: 5 ciphertexts to re-encrypt under data key version 2"
    assert lines[-1] == f"pod {citizen.pod.pk}: credentials: 6 re-encrypted, 0 to go"
    pod = Pod.objects.get(pk=citizen.pod.pk)
    assert (pod.data_key_version, pod.previous_kek_id, bytes(pod.previous_data_key_sealed)) == (2, "", b"")
    assert set(PodCredential.objects.filter(pod=pod).values_list("key_version", flat=True)) == {2}
    assert AccessEvent.objects.filter(pod=pod, action="pod.rekeyed").count() == 1


def test_a_rotation_interrupted_after_a_batch_is_resumed_not_restarted(university, citizen, issued):
    for _ in range(2):
        issue_into_pod(
            issuer=university.organisation,
            national_id=NATIONAL_ID,
            credential={**diploma(), "id": f"urn:uuid:{uuid.uuid4()}"},
        )

    class Crash(Exception):
        pass

    def crash() -> None:
        raise Crash

    with pytest.raises(Crash):
        rotate_pod_data_key(pod_id=citizen.pod.pk, batch_size=1, between_batches=crash)
    pod = Pod.objects.get(pk=citizen.pod.pk)
    new_key_sealed = bytes(pod.data_key_sealed)
    versions = list(PodCredential.objects.filter(pod=pod).values_list("key_version", flat=True))
    assert sorted(versions) == [1, 1, 2]
    assert len(read_own_credentials(owner=citizen.user)) == 3  # readable in the middle

    assert rotate_pod_data_key(pod_id=citizen.pod.pk) == 2  # only the two left

    pod = Pod.objects.get(pk=citizen.pod.pk)
    assert bytes(pod.data_key_sealed) == new_key_sealed and pod.data_key_version == 2  # same new key
    assert not pod.previous_kek_id
    assert len(read_own_credentials(owner=citizen.user)) == 3
    assert AccessEvent.objects.filter(pod=pod, action="pod.rekeyed").count() == 1


def test_rotate_data_keys_all_resumes_with_the_pods_not_done(citizen, other_citizen):
    out = io.StringIO()
    call_command("rotate_data_keys", "--pod", str(citizen.pod.pk), stdout=out)
    cutoff = Pod.objects.get(pk=citizen.pod.pk).data_key_created_at  # as if a run began then and died

    out = io.StringIO()
    call_command("rotate_data_keys", "--all", "--before", cutoff.isoformat(), stdout=out)
    assert f"pod {other_citizen.pod.pk}: 1 ciphertexts re-encrypted" in out.getvalue()
    assert str(citizen.pod.pk) not in out.getvalue()
    assert "1 pod(s) rotated, 0 left unchanged." in out.getvalue()
    assert AccessEvent.objects.filter(action="pod.rekeyed").count() == 2


def test_rotate_data_keys_refuses_unclear_arguments(db):
    with pytest.raises(CommandError, match="not both"):
        call_command("rotate_data_keys")
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("rotate_data_keys", "--all", "--before", "yesterday")
    with pytest.raises(CommandError, match="not both"):
        call_command("rotate_data_keys", "--all", "--pod", str(uuid.uuid4()))


def test_rotating_an_unknown_pod_is_pod_not_found(db):
    from vault.errors import PodNotFound

    with pytest.raises(PodNotFound):
        rotate_pod_data_key(pod_id=uuid.uuid4())


def test_the_ring_wraps_under_the_active_kek(new_kek_active):
    assert keyring().active_id == "new"


def test_the_data_key_task_rotates_the_pod_it_names(citizen, issued):
    from vault.tasks import rotate_pod_data_key as rotation_task

    before = bytes(Pod.objects.get(pk=citizen.pod.pk).data_key_sealed)
    assert rotation_task.delay(str(citizen.pod.pk)).get() == 2
    assert bytes(Pod.objects.get(pk=citizen.pod.pk).data_key_sealed) != before
    assert read_own_credentials(owner=citizen.user)
