"""Property tests (Hypothesis) on the pod envelope: a data key wrapped by the KEK ring, and a
record sealed under that data key with associated data naming pod, resource and version.

Whatever the record, the ids or the version, it round-trips; whatever single byte of the header
(nonce), ciphertext, tag or wrapped key is changed, whatever the truncation or relabelling, opening
raises DecryptionError, logged without the plaintext: never garbage.
"""

import logging
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.keyring import NONCE_BYTES, TAG_BYTES, DecryptionError, WrappedSecret, keyring
from vault import crypto
from vault.models import Pod

ids = st.uuids()
versions = st.integers(min_value=1, max_value=2**31)
records = st.binary(max_size=4096)
kinds = st.sampled_from([crypto.CREDENTIAL_KIND, crypto.HOLDER_KEY_KIND])
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def envelope(pod_id: uuid.UUID, kind: str, resource_id: uuid.UUID, version: int, record: bytes):
    data_key, wrapped = crypto.new_data_key(pod_id)
    pod = Pod(id=pod_id, kek_id=wrapped.kek_id, data_key_sealed=wrapped.sealed)
    return pod, crypto.seal_for_pod(data_key, pod_id, kind, resource_id, version, record)


def open_envelope(pod: Pod, kind: str, resource_id: uuid.UUID, version: int, sealed: bytes) -> bytes:
    return crypto.open_for_pod(crypto.data_key(pod), pod.id, kind, resource_id, version, sealed)


@PROPERTY
@given(pod_id=ids, kind=kinds, resource_id=ids, version=versions, record=records)
def test_a_sealed_record_opens_to_itself(pod_id, kind, resource_id, version, record):
    pod, sealed = envelope(pod_id, kind, resource_id, version, record)
    assert open_envelope(pod, kind, resource_id, version, sealed) == record
    assert len(sealed) == len(crypto.SEALED_V2) + NONCE_BYTES + len(record) + TAG_BYTES  # format 2


@PROPERTY
@given(data=st.data(), pod_id=ids, resource_id=ids, version=versions, record=records)
def test_any_changed_byte_of_the_sealed_record_is_an_integrity_error(
    data, pod_id, resource_id, version, record
):
    pod, sealed = envelope(pod_id, crypto.CREDENTIAL_KIND, resource_id, version, record)
    position = data.draw(st.integers(min_value=0, max_value=len(sealed) - 1), label="position")
    flip = data.draw(st.integers(min_value=1, max_value=255), label="xor")
    tampered = bytearray(sealed)
    tampered[position] ^= flip
    with pytest.raises(DecryptionError):
        open_envelope(pod, crypto.CREDENTIAL_KIND, resource_id, version, bytes(tampered))


@PROPERTY
@given(data=st.data(), pod_id=ids, record=records)
def test_any_changed_byte_of_the_wrapped_data_key_is_an_integrity_error(data, pod_id, record):
    resource_id = uuid.uuid4()
    pod, sealed = envelope(pod_id, crypto.CREDENTIAL_KIND, resource_id, 1, record)
    wrapped = bytearray(pod.data_key_sealed)
    position = data.draw(st.integers(min_value=0, max_value=len(wrapped) - 1), label="position")
    wrapped[position] ^= data.draw(st.integers(min_value=1, max_value=255), label="xor")
    pod.data_key_sealed = bytes(wrapped)
    with pytest.raises(DecryptionError):
        open_envelope(pod, crypto.CREDENTIAL_KIND, resource_id, 1, sealed)


@PROPERTY
@given(data=st.data(), record=records)
def test_a_truncated_or_extended_record_is_an_integrity_error(data, record):
    pod_id, resource_id = uuid.uuid4(), uuid.uuid4()
    pod, sealed = envelope(pod_id, crypto.CREDENTIAL_KIND, resource_id, 1, record)
    cut = data.draw(st.integers(min_value=0, max_value=len(sealed) - 1), label="cut")
    extra = data.draw(st.binary(min_size=1, max_size=32), label="extra")
    for changed in (sealed[:cut], sealed + extra):
        with pytest.raises(DecryptionError):
            open_envelope(pod, crypto.CREDENTIAL_KIND, resource_id, 1, changed)


@PROPERTY
@given(pod_id=ids, other=ids, resource_id=ids, version=versions, record=records)
def test_a_record_relabelled_to_another_pod_resource_version_or_kind_does_not_open(
    pod_id, other, resource_id, version, record
):
    pod, sealed = envelope(pod_id, crypto.CREDENTIAL_KIND, resource_id, version, record)
    key = crypto.data_key(pod)
    places = [
        (pod_id, crypto.HOLDER_KEY_KIND, resource_id, version),
        (pod_id, crypto.CREDENTIAL_KIND, resource_id, version + 1),
    ]
    if other != pod_id:
        places.append((other, crypto.CREDENTIAL_KIND, resource_id, version))
    if other != resource_id:
        places.append((pod_id, crypto.CREDENTIAL_KIND, other, version))
    for place_pod, kind, resource, place_version in places:
        with pytest.raises(DecryptionError):
            crypto.open_for_pod(key, place_pod, kind, resource, place_version, sealed)


@PROPERTY
@given(pod_id=ids, other=ids)
def test_a_wrapped_data_key_moved_to_another_pod_does_not_open(pod_id, other):
    if other == pod_id:
        return
    _, wrapped = crypto.new_data_key(pod_id)
    with pytest.raises(DecryptionError):
        crypto.data_key(Pod(id=other, kek_id=wrapped.kek_id, data_key_sealed=wrapped.sealed))


def test_a_relabelled_kek_id_is_an_integrity_error():
    pod_id = uuid.uuid4()
    _, wrapped = crypto.new_data_key(pod_id)
    with pytest.raises(DecryptionError, match="KEK 'elsewhere' is not in this key ring"):
        keyring().unwrap(WrappedSecret("elsewhere", wrapped.sealed), aad=b"x")


def test_an_integrity_error_is_logged_with_where_but_never_what(caplog):
    pod_id, resource_id = uuid.uuid4(), uuid.uuid4()
    record = b'{"familyName":"Canary-7f3a"}'
    pod, sealed = envelope(pod_id, crypto.CREDENTIAL_KIND, resource_id, 1, record)
    with caplog.at_level(logging.ERROR, logger="core.keyring"), pytest.raises(DecryptionError) as raised:
        open_envelope(pod, crypto.CREDENTIAL_KIND, resource_id, 1, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"pod:{pod_id}|resource:{resource_id}|version:1" in logged
    assert "Canary" not in logged and "Canary" not in str(raised.value)
