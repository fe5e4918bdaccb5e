"""Envelope encryption of pods: nothing readable at rest, and every ciphertext bound to its place."""

import base64
import json
import os
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings

from core.keyring import NONCE_BYTES, DecryptionError
from tests.conftest import diploma
from tests.support import assert_problem
from vault import crypto
from vault.crypto import CREDENTIAL_KIND
from vault.models import AccessEvent, Pod, PodCredential
from vault.services import read_own_credentials

# A 32-byte KEK that is not the development one.
OTHER_KEK = "11" * 32
PLAINTEXT_NEEDLES = ["Peeters", "Computer Science", "MasterDegree", "givenName", "awardedOn", "2024-06-28"]


def raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table name
        return cursor.fetchall()


def column_bytes(value) -> bytes:
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value)
    return str(value).encode()


def needles_for(credential: dict) -> list[bytes]:
    """Every way the credential's contents could show up at rest: as text, as JSON, as its proof."""
    values = [n.encode() for n in PLAINTEXT_NEEDLES]
    values += [n.encode("utf-16-le") for n in PLAINTEXT_NEEDLES]
    values += [json.dumps(credential, separators=(",", ":")).encode(), json.dumps(credential).encode()]
    values.append(json.dumps(credential["credentialSubject"], separators=(",", ":")).encode())
    proofs = credential["proof"] if isinstance(credential["proof"], list) else [credential["proof"]]
    values += [proof["proofValue"].encode() for proof in proofs]  # the base proof's too
    values.append(base64.b64encode(b"Peeters"))
    return values


def issue(university, national_id: str, **subject) -> dict:
    response = university.post(
        "/api/v1/issuer/credentials",
        {"recipient": {"nationalId": national_id}, "credential": diploma(**subject)},
    )
    assert response.status_code == 201, response.json()
    return response.json()


def decrypt(resource: PodCredential) -> dict:
    pod = resource.pod
    plaintext = crypto.open_for_pod(
        crypto.data_key(pod),
        pod.id,
        CREDENTIAL_KIND,
        resource.pk,
        resource.version,
        bytes(resource.ciphertext),
    )
    return json.loads(plaintext)


# --- nothing readable at rest ------------------------------------------------------------------


@pytest.mark.parametrize("table", ["vault_podcredential", "vault_pod", "vault_accessevent"])
def test_no_plaintext_of_the_credential_in_any_column(issued, table):
    rows = raw_rows(table)
    assert rows
    for row in rows:
        for value in row:
            stored = column_bytes(value)
            for needle in needles_for(issued["credential"]):
                assert needle not in stored, (table, needle)


def test_no_plaintext_of_the_credential_anywhere_in_the_database(issued, citizen):
    citizen.get("/api/v1/pod/credentials")  # a read leaves nothing behind either
    for table in connection.introspection.table_names():
        for row in raw_rows(table):
            for value in row:
                stored = column_bytes(value)
                assert b"Peeters" not in stored, table
                assert b"Computer Science" not in stored, table


def test_the_pods_data_key_is_nowhere_in_the_database(issued, citizen):
    data_key = crypto.data_key(Pod.objects.get(pk=citizen.pod.pk))
    for table in ("vault_pod", "vault_podcredential"):
        for row in raw_rows(table):
            for value in row:
                stored = column_bytes(value)
                assert data_key not in stored
                assert data_key.hex().encode() not in stored


def test_each_issuance_uses_a_fresh_nonce(university, citizen):
    issue(university, "BE:85073003328")
    issue(university, "BE:85073003328")
    first, second = (bytes(c) for c in PodCredential.objects.values_list("ciphertext", flat=True))
    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]
    assert first != second


def test_the_stored_ciphertext_opens_to_the_issued_credential(issued):
    resource = PodCredential.objects.get(pk=issued["id"])
    assert decrypt(resource) == issued["credential"]


# --- a ciphertext opens only where it belongs --------------------------------------------------


def test_a_ciphertext_copied_onto_another_credential_row_fails_to_decrypt(university, citizen):
    first = issue(university, "BE:85073003328")
    second = issue(university, "BE:85073003328", familyName="Janssens")
    ciphertext = PodCredential.objects.get(pk=first["id"]).ciphertext
    PodCredential.objects.filter(pk=second["id"]).update(ciphertext=ciphertext)
    with pytest.raises(DecryptionError):
        decrypt(PodCredential.objects.get(pk=second["id"]))
    with pytest.raises(DecryptionError):
        read_own_credentials(owner=citizen.user)


def test_a_ciphertext_copied_into_another_pod_fails_to_decrypt(university, citizen, other_citizen):
    mine = issue(university, "BE:85073003328")
    theirs = issue(university, "BE:90020199902", givenName="Bart")
    ciphertext = PodCredential.objects.get(pk=mine["id"]).ciphertext
    PodCredential.objects.filter(pk=theirs["id"]).update(ciphertext=ciphertext)
    with pytest.raises(DecryptionError):
        decrypt(PodCredential.objects.get(pk=theirs["id"]))
    with pytest.raises(DecryptionError):
        read_own_credentials(owner=other_citizen.user)


def test_a_credential_row_moved_into_another_pod_fails_to_decrypt(issued, other_citizen):
    PodCredential.objects.filter(pk=issued["id"]).update(pod=other_citizen.pod)
    with pytest.raises(DecryptionError):
        decrypt(PodCredential.objects.get(pk=issued["id"]))


def test_a_ciphertext_relabelled_with_another_version_fails_to_decrypt(issued):
    PodCredential.objects.filter(pk=issued["id"]).update(version=2)
    with pytest.raises(DecryptionError):
        decrypt(PodCredential.objects.get(pk=issued["id"]))


def test_a_flipped_bit_in_the_ciphertext_fails_to_decrypt(issued):
    sealed = bytearray(PodCredential.objects.get(pk=issued["id"]).ciphertext)
    sealed[20] ^= 0x01
    PodCredential.objects.filter(pk=issued["id"]).update(ciphertext=bytes(sealed))
    with pytest.raises(DecryptionError):
        decrypt(PodCredential.objects.get(pk=issued["id"]))


def test_the_aad_names_pod_resource_and_version(issued, citizen):
    resource_id = uuid.UUID(issued["id"])
    aad = crypto.resource_aad(citizen.pod.pk, CREDENTIAL_KIND, resource_id, 1)
    assert str(citizen.pod.pk).encode() in aad
    assert str(resource_id).encode() in aad
    assert b"version:1" in aad


# --- the data key opens only under the right key ring ------------------------------------------


def test_the_data_key_is_wrapped_by_the_active_kek(citizen):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    assert pod.kek_id == "dev-insecure"
    assert len(crypto.data_key(pod)) == 32


def test_the_data_key_does_not_open_under_a_ring_without_its_kek(citizen):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    with override_settings(KEY_ENCRYPTION_KEYS=f"other:{OTHER_KEK}"), pytest.raises(DecryptionError):
        crypto.data_key(pod)


def test_the_data_key_does_not_open_under_another_key_with_the_same_id(citizen):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    with override_settings(KEY_ENCRYPTION_KEYS=f"dev-insecure:{OTHER_KEK}"), pytest.raises(DecryptionError):
        crypto.data_key(pod)


def test_the_data_key_opens_under_a_rotated_ring_that_keeps_the_old_kek(citizen, settings):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    original = crypto.data_key(pod)
    with override_settings(
        KEY_ENCRYPTION_KEYS=f"new:{OTHER_KEK},{settings.KEY_ENCRYPTION_KEYS}", KEY_ENCRYPTION_KEY_ID="new"
    ):
        assert crypto.data_key(pod) == original


def test_a_wrapped_data_key_copied_onto_another_pod_fails_to_open(citizen, other_citizen):
    mine = Pod.objects.get(pk=citizen.pod.pk)
    Pod.objects.filter(pk=other_citizen.pod.pk).update(data_key_sealed=mine.data_key_sealed)
    with pytest.raises(DecryptionError):
        crypto.data_key(Pod.objects.get(pk=other_citizen.pod.pk))


# --- operators see metadata, never contents or ciphertext --------------------------------------


@pytest.fixture
def operator_client(db, client):
    operator = get_user_model().objects.create_superuser("operator", "operator@example.org", None)
    client.force_login(operator)
    return client


def admin_pages(citizen, issued) -> list[str]:
    pod = citizen.pod.pk
    event = AccessEvent.objects.filter(pod_id=pod).order_by("-seq").first()
    return [
        "/admin/vault/pod/",
        f"/admin/vault/pod/{pod}/change/",
        "/admin/vault/podcredential/",
        f"/admin/vault/podcredential/{issued['id']}/change/",
        "/admin/vault/accessevent/",
        f"/admin/vault/accessevent/{event.pk}/change/",
    ]


def test_admin_pages_show_neither_plaintext_nor_ciphertext(operator_client, citizen, issued):
    resource = PodCredential.objects.get(pk=issued["id"])
    pod = Pod.objects.get(pk=citizen.pod.pk)
    secrets = [bytes(resource.ciphertext), bytes(pod.data_key_sealed), bytes(pod.holder_key_sealed)]
    forbidden = [n.encode() for n in PLAINTEXT_NEEDLES]
    forbidden += [proof["proofValue"].encode() for proof in issued["credential"]["proof"]]
    for secret in secrets:
        forbidden += [
            secret.hex().encode(),
            secret[:16].hex().encode(),
            base64.b64encode(secret)[:24],
            base64.urlsafe_b64encode(secret)[:24],
            repr(secret[:8])[2:-1].encode(),
        ]
    for page in admin_pages(citizen, issued):
        response = operator_client.get(page)
        assert response.status_code == 200, page
        for needle in forbidden:
            assert needle not in response.content, (page, needle)
        assert b"<memory at" not in response.content, page
        for field in (b"ciphertext", b"data_key_sealed", b"holder_key_sealed"):
            assert field not in response.content, (page, field)


def test_admin_shows_the_metadata_an_operator_needs(operator_client, citizen, issued):
    response = operator_client.get(f"/admin/vault/podcredential/{issued['id']}/change/")
    assert b"DiplomaCredential" in response.content
    assert issued["credentialId"].encode() in response.content


@pytest.mark.parametrize("model", ["pod", "podcredential", "accessevent"])
def test_operators_cannot_add_change_or_delete_pod_data(operator_client, citizen, issued, model):
    assert operator_client.get(f"/admin/vault/{model}/add/").status_code == 403
    objects = {"pod": citizen.pod.pk, "podcredential": issued["id"]}
    if model in objects:
        response = operator_client.post(f"/admin/vault/{model}/{objects[model]}/delete/", {"post": "yes"})
        assert response.status_code == 403
    assert Pod.objects.filter(pk=citizen.pod.pk).exists()
    assert PodCredential.objects.filter(pk=issued["id"]).exists()


def test_a_tampered_ciphertext_is_an_integrity_failure_not_a_leak(issued, citizen, caplog):
    resource = PodCredential.objects.get(pk=issued["id"])
    sealed = bytearray(bytes(resource.ciphertext))
    sealed[-1] ^= 0x01
    PodCredential.objects.filter(pk=resource.pk).update(ciphertext=bytes(sealed))

    response = citizen.get("/api/v1/pod/credentials")

    body = assert_problem(response, 500, "integrity-failure")
    assert "Peeters" not in response.content.decode()
    assert any("Integrity failure" in record.message for record in caplog.records)
    # The failed read committed nothing: no read entry in the log.
    assert not AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ).exists()
    assert body["detail"] == "A stored record could not be opened; the operator has been alerted."


# --- record formats: format 2 (packed associated data) and the records sealed before it --------


def _format_1(key: bytes, pod_id, resource_id, plaintext: bytes, *, nonce_first: int | None = None) -> bytes:
    """A record as seal_for_pod made it before format 2 (optionally with a chosen first nonce byte)."""
    from core.keyring import cipher

    nonce = os.urandom(NONCE_BYTES)
    if nonce_first is not None:
        nonce = bytes([nonce_first]) + nonce[1:]
    aad = crypto.resource_aad(pod_id, CREDENTIAL_KIND, resource_id, 1)
    return nonce + cipher(key).encrypt(nonce, plaintext, aad)


def test_a_record_sealed_in_format_1_still_opens(citizen):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    key, resource_id = crypto.data_key(pod), uuid.uuid4()
    for first in (None, 0xA2):  # 0xA2 first: read as format 2 first, then as format 1
        sealed = _format_1(key, pod.pk, resource_id, b"from before", nonce_first=first)
        assert crypto.open_for_pod(key, pod.pk, CREDENTIAL_KIND, resource_id, 1, sealed) == b"from before"


def test_a_format_1_record_does_not_open_elsewhere_nor_with_a_format_2_marker_added(citizen):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    key, resource_id = crypto.data_key(pod), uuid.uuid4()
    sealed = _format_1(key, pod.pk, resource_id, b"from before")
    for place in ((uuid.uuid4(), resource_id, 1), (pod.pk, uuid.uuid4(), 1), (pod.pk, resource_id, 2)):
        with pytest.raises(DecryptionError):
            crypto.open_for_pod(key, place[0], CREDENTIAL_KIND, place[1], place[2], sealed)
    with pytest.raises(DecryptionError):
        crypto.open_for_pod(key, pod.pk, CREDENTIAL_KIND, resource_id, 1, crypto.SEALED_V2 + sealed)


def test_format_2_binds_pod_kind_resource_and_version(citizen):
    pod = Pod.objects.get(pk=citizen.pod.pk)
    key, resource_id = crypto.data_key(pod), uuid.uuid4()
    sealed = crypto.seal_for_pod(key, pod.pk, CREDENTIAL_KIND, resource_id, 3, b"now")
    assert sealed[:1] == crypto.SEALED_V2
    assert crypto.open_for_pod(key, pod.pk, CREDENTIAL_KIND, str(resource_id), 3, sealed) == b"now"
    aad = crypto.resource_aad_v2(pod.pk, CREDENTIAL_KIND, resource_id, 3)
    assert aad == crypto.AAD_V2_MAGIC + b"\x01" + pod.pk.bytes + resource_id.bytes + b"\x00\x00\x00\x03"
    for place in (
        (uuid.uuid4(), CREDENTIAL_KIND, resource_id, 3),
        (pod.pk, crypto.HOLDER_KEY_KIND, resource_id, 3),
        (pod.pk, CREDENTIAL_KIND, uuid.uuid4(), 3),
        (pod.pk, CREDENTIAL_KIND, resource_id, 4),
    ):
        with pytest.raises(DecryptionError):
            crypto.open_for_pod(key, *place, sealed)
    with pytest.raises(DecryptionError):  # the marker dropped: not a format-1 record either
        crypto.open_for_pod(key, pod.pk, CREDENTIAL_KIND, resource_id, 3, sealed[1:])


def test_a_data_key_rotation_reseals_format_1_records_in_format_2(issued, citizen):
    from vault.reading import decrypt
    from vault.services import rotate_pod_data_key

    pod = Pod.objects.get(pk=citizen.pod.pk)
    resource = PodCredential.objects.get(pk=issued["id"])
    document = decrypt(crypto.PodKeys(pod), resource)
    old = _format_1(
        crypto.data_key(pod), pod.pk, resource.pk, json.dumps(document).encode(), nonce_first=0x00
    )
    PodCredential.objects.filter(pk=resource.pk).update(ciphertext=old)
    assert decrypt(crypto.PodKeys(pod), PodCredential.objects.get(pk=resource.pk)) == document

    rotate_pod_data_key(pod_id=pod.pk)

    resource = PodCredential.objects.get(pk=resource.pk)
    assert bytes(resource.ciphertext)[:1] == crypto.SEALED_V2
    assert decrypt(crypto.PodKeys(Pod.objects.get(pk=pod.pk)), resource) == document
