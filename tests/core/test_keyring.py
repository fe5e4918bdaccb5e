"""AES-256-GCM sealing and the versioned key-encryption-key ring."""

import base64
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from core.keyring import NONCE_BYTES, DecryptionError, KeyRing, WrappedSecret, keyring, seal, unseal

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AAD = b"citizen-vault/test|pod:1"


def _hex(key: bytes) -> str:
    return key.hex()


def _b64url(key: bytes, padded: bool = False) -> str:
    text = base64.urlsafe_b64encode(key).decode()
    return text if padded else text.rstrip("=")


# seal / unseal


@given(plaintext=st.binary(max_size=512), aad=st.binary(max_size=64))
@settings(max_examples=50)
def test_seal_then_unseal_returns_the_plaintext(plaintext, aad):
    assert unseal(KEY, seal(KEY, plaintext, aad=aad), aad=aad) == plaintext


def test_sealing_twice_gives_different_ciphertexts():
    first, second = seal(KEY, b"secret", aad=AAD), seal(KEY, b"secret", aad=AAD)
    assert first != second
    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]


def test_sealed_bytes_do_not_contain_the_plaintext():
    plaintext = b"a very recognisable secret value"
    assert plaintext not in seal(KEY, plaintext, aad=AAD)


def test_sealed_layout_is_nonce_ciphertext_tag():
    assert len(seal(KEY, b"12345", aad=AAD)) == NONCE_BYTES + 5 + 16


def test_wrong_aad_fails_to_open():
    sealed = seal(KEY, b"secret", aad=AAD)
    with pytest.raises(DecryptionError):
        unseal(KEY, sealed, aad=b"citizen-vault/test|pod:2")


def test_missing_aad_fails_to_open():
    with pytest.raises(DecryptionError):
        unseal(KEY, seal(KEY, b"secret", aad=AAD), aad=b"")


def test_wrong_key_fails_to_open():
    with pytest.raises(DecryptionError):
        unseal(OTHER_KEY, seal(KEY, b"secret", aad=AAD), aad=AAD)


@given(data=st.data(), plaintext=st.binary(max_size=64))
@settings(max_examples=50)
def test_any_flipped_bit_fails_to_open(data, plaintext):
    sealed = bytearray(seal(KEY, plaintext, aad=AAD))
    index = data.draw(st.integers(0, len(sealed) - 1), label="byte")
    sealed[index] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    with pytest.raises(DecryptionError):
        unseal(KEY, bytes(sealed), aad=AAD)


@pytest.mark.parametrize("length", [0, 1, NONCE_BYTES, NONCE_BYTES + 15])
def test_too_short_ciphertext_fails_to_open(length):
    with pytest.raises(DecryptionError, match="too short"):
        unseal(KEY, os.urandom(length), aad=AAD)


def test_truncated_ciphertext_fails_to_open():
    sealed = seal(KEY, b"a longer secret value", aad=AAD)
    with pytest.raises(DecryptionError):
        unseal(KEY, sealed[:-1], aad=AAD)
    with pytest.raises(DecryptionError):
        unseal(KEY, sealed + b"\x00", aad=AAD)


# KeyRing.parse


@pytest.mark.parametrize(
    "encode",
    [_hex, _b64url, lambda k: _b64url(k, padded=True), lambda k: _hex(k).upper()],
    ids=["hex", "base64url", "base64url padded", "upper-case hex"],
)
def test_parse_accepts_hex_and_base64url_keys(encode):
    ring = KeyRing.parse(f"k1:{encode(KEY)}")
    assert ring.key_ids == ["k1"]
    assert ring.active_id == "k1"
    # The parsed key is the right one: it opens what the raw key sealed.
    wrapped = WrappedSecret("k1", seal(KEY, b"secret", aad=AAD))
    assert ring.unwrap(wrapped, aad=AAD) == b"secret"


def test_parse_reads_several_keys_and_makes_the_first_active_by_default():
    ring = KeyRing.parse(f" 2025:{_hex(OTHER_KEY)} , 2024:{_b64url(KEY)} ,")
    assert ring.key_ids == ["2025", "2024"]
    assert ring.active_id == "2025"


def test_parse_honours_an_explicit_active_id():
    ring = KeyRing.parse(f"2025:{_hex(OTHER_KEY)},2024:{_hex(KEY)}", active_id="2024")
    assert ring.active_id == "2024"
    assert ring.wrap(b"secret", aad=AAD).kek_id == "2024"


def test_base64url_key_with_dash_and_underscore_is_decoded_exactly():
    key = bytes([0xFB, 0xFF] * 16)  # base64url "-_"-heavy
    encoded = _b64url(key)
    assert "-" in encoded or "_" in encoded
    ring = KeyRing.parse(f"k:{encoded}")
    assert ring.unwrap(WrappedSecret("k", seal(key, b"x", aad=AAD)), aad=AAD) == b"x"


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("", id="empty"),
        pytest.param(" , ,", id="only separators"),
        pytest.param(_hex(KEY), id="no kid"),
        pytest.param(f":{_hex(KEY)}", id="empty kid"),
        pytest.param("k1:", id="empty key"),
        pytest.param(f"k1:{_hex(KEY)[:-2]}", id="31-byte hex"),
        pytest.param(f"k1:{_hex(KEY)}00", id="33-byte hex"),
        pytest.param(f"k1:{_b64url(KEY[:16])}", id="16-byte base64url"),
        pytest.param("k1:" + "g" * 64, id="64 non-hex characters"),
        pytest.param("k1:not a key at all!", id="garbage"),
        pytest.param(f"k1:{_hex(KEY)},k1:{_hex(OTHER_KEY)}", id="duplicate kid"),
    ],
)
def test_malformed_spec_is_improperly_configured(spec):
    with pytest.raises(ImproperlyConfigured):
        KeyRing.parse(spec)


def test_active_id_not_in_the_ring_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match="not in the key ring"):
        KeyRing.parse(f"k1:{_hex(KEY)}", active_id="k2")


# wrap / unwrap and rotation


def test_wrap_records_the_active_kek_and_unwraps():
    ring = KeyRing.parse(f"k1:{_hex(KEY)}")
    wrapped = ring.wrap(b"pod data key", aad=AAD)
    assert wrapped.kek_id == "k1"
    assert ring.unwrap(wrapped, aad=AAD) == b"pod data key"


def test_unwrap_with_wrong_aad_fails():
    ring = KeyRing.parse(f"k1:{_hex(KEY)}")
    with pytest.raises(DecryptionError):
        ring.unwrap(ring.wrap(b"secret", aad=AAD), aad=b"citizen-vault/test|pod:2")


def test_unknown_kek_id_on_unwrap_is_a_decryption_error():
    ring = KeyRing.parse(f"k1:{_hex(KEY)}")
    wrapped = ring.wrap(b"secret", aad=AAD)
    with pytest.raises(DecryptionError, match="not in this key ring"):
        ring.unwrap(WrappedSecret("k0", wrapped.sealed), aad=AAD)


def test_relabelled_kek_id_does_not_open_under_the_other_key():
    ring = KeyRing.parse(f"new:{_hex(OTHER_KEY)},old:{_hex(KEY)}")
    wrapped = ring.wrap(b"secret", aad=AAD)
    with pytest.raises(DecryptionError):
        ring.unwrap(WrappedSecret("old", wrapped.sealed), aad=AAD)


def test_rotated_ring_still_unwraps_secrets_wrapped_under_the_old_key():
    old_ring = KeyRing.parse(f"2024:{_hex(KEY)}")
    wrapped_before = old_ring.wrap(b"wrapped in 2024", aad=AAD)

    rotated = KeyRing.parse(f"2025:{_hex(OTHER_KEY)},2024:{_hex(KEY)}")
    assert rotated.unwrap(wrapped_before, aad=AAD) == b"wrapped in 2024"
    wrapped_after = rotated.wrap(b"wrapped in 2025", aad=AAD)
    assert wrapped_after.kek_id == "2025"
    # Once the old key is retired from the ring, what it wrapped no longer opens.
    retired = KeyRing.parse(f"2025:{_hex(OTHER_KEY)}")
    assert retired.unwrap(wrapped_after, aad=AAD) == b"wrapped in 2025"
    with pytest.raises(DecryptionError):
        retired.unwrap(wrapped_before, aad=AAD)


def test_configured_keyring_follows_settings_through_a_rotation():
    with override_settings(KEY_ENCRYPTION_KEYS=f"2024:{_hex(KEY)}", KEY_ENCRYPTION_KEY_ID=""):
        wrapped_before = keyring().wrap(b"issuer signing key", aad=AAD)
    with override_settings(
        KEY_ENCRYPTION_KEYS=f"2024:{_hex(KEY)},2025:{_b64url(OTHER_KEY)}", KEY_ENCRYPTION_KEY_ID="2025"
    ):
        ring = keyring()
        assert ring.active_id == "2025"
        assert ring.unwrap(wrapped_before, aad=AAD) == b"issuer signing key"
        assert ring.wrap(b"new", aad=AAD).kek_id == "2025"
