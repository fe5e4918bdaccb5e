"""did:key and Multikey for Ed25519, against the did:key method's test vectors (CCG, 2022).

Those vectors use the legacy Ed25519VerificationKey2018 documents; we compare key material and
identifiers, not whole DID documents.
"""

import base64
import json

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import VECTORS
from vc import dids
from vc.errors import UnresolvableKey
from vc.multikey import (
    did_key_for,
    encode_multibase,
    multikey_to_private_key,
    multikey_to_public_key,
    private_key_to_multikey,
    public_key_to_multikey,
    resolve_verification_method,
)

DID_KEY_VECTORS = json.loads((VECTORS / "did-key" / "ed25519-x25519.json").read_text())
X25519_ONLY = json.loads((VECTORS / "did-key" / "x25519.json").read_text())["didDocument"]
ENTRIES = pytest.mark.parametrize(
    ("did", "entry"),
    [pytest.param(did, entry, id=f"seed {int(entry['seed'], 16)}") for did, entry in DID_KEY_VECTORS.items()],
)


def _key_from_seed(seed_hex: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _vector_public_key(entry: dict) -> bytes:
    """The entry's Ed25519 public key: publicKeyBase58, or JWK ``x`` (the JsonWebKey2020 entry)."""
    pair = entry["verificationKeyPair"]
    if "publicKeyBase58" in pair:
        return base58.b58decode(pair["publicKeyBase58"])
    assert pair["publicKeyJwk"]["crv"] == "Ed25519"
    return _b64url(pair["publicKeyJwk"]["x"])


def test_there_are_five_vectors_from_the_documented_seeds():
    seeds = sorted(entry["seed"] for entry in DID_KEY_VECTORS.values())
    assert [int(seed, 16) for seed in seeds] == [0, 1, 2, 3, 5]


@ENTRIES
def test_seed_derives_the_vector_did(did, entry):
    derived = did_key_for(_key_from_seed(entry["seed"]).public_key())
    assert derived.did == did
    assert derived.multikey == did.removeprefix("did:key:")
    assert derived.multikey.startswith("z6Mk")


@ENTRIES
def test_seed_derives_the_vector_public_key(did, entry):
    public_raw = _key_from_seed(entry["seed"]).public_key().public_bytes_raw()
    assert public_raw == _vector_public_key(entry)
    # did:key:z + base58btc(0xed01 ‖ public key)
    assert did == "did:key:" + encode_multibase(b"\xed\x01" + public_raw)


@ENTRIES
def test_verification_method_id_matches_the_vector_document(did, entry):
    derived = did_key_for(_key_from_seed(entry["seed"]).public_key())
    document = entry["didDocument"]
    assert derived.verification_method == document["verificationMethod"][0]["id"]
    assert derived.verification_method in document["assertionMethod"]
    assert entry["verificationKeyPair"]["id"] in (f"#{derived.multikey}", derived.verification_method)


@ENTRIES
def test_resolving_the_vector_verification_method_gives_its_key(did, entry):
    controller, public_key = resolve_verification_method(entry["didDocument"]["assertionMethod"][0])
    assert controller == did
    assert public_key.public_bytes_raw() == _vector_public_key(entry)


@ENTRIES
def test_resolving_the_bare_did_gives_the_same_key(did, entry):
    controller, public_key = resolve_verification_method(did)
    assert controller == did
    assert public_key_to_multikey(public_key) == did.removeprefix("did:key:")


def test_jwk_vector_private_key_is_the_seed():
    (entry,) = [e for e in DID_KEY_VECTORS.values() if "publicKeyJwk" in e["verificationKeyPair"]]
    assert _b64url(entry["verificationKeyPair"]["privateKeyJwk"]["d"]) == bytes.fromhex(entry["seed"])


@given(seed=st.binary(min_size=32, max_size=32))
@settings(max_examples=50, deadline=None)
def test_did_key_round_trips_through_resolution(seed):
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    did_key = did_key_for(private_key.public_key())
    controller, public_key = resolve_verification_method(did_key.verification_method)
    assert controller == did_key.did
    assert public_key.public_bytes_raw() == private_key.public_key().public_bytes_raw()
    assert multikey_to_public_key(did_key.multikey).public_bytes_raw() == public_key.public_bytes_raw()


@given(seed=st.binary(min_size=32, max_size=32))
@settings(max_examples=50, deadline=None)
def test_private_multikey_round_trips(seed):
    multikey = private_key_to_multikey(Ed25519PrivateKey.from_private_bytes(seed))
    assert multikey.startswith("z3u2")
    assert multikey_to_private_key(multikey).private_bytes_raw() == seed


FIRST_DID = sorted(DID_KEY_VECTORS)[0]
SECOND_DID = sorted(DID_KEY_VECTORS)[1]
X25519_DID = sorted(X25519_ONLY)[0]


@pytest.mark.parametrize(
    "verification_method",
    [
        pytest.param("did:web:university.example#key-1", id="did:web"),
        pytest.param("did:example:123#key-1", id="other DID method"),
        pytest.param("https://university.example/keys/1", id="https URL"),
        pytest.param(f"{FIRST_DID}#{SECOND_DID.removeprefix('did:key:')}", id="fragment names another key"),
        pytest.param(f"{FIRST_DID}#key-1", id="fragment is not the multikey"),
        pytest.param(X25519_DID, id="X25519 key, not Ed25519"),
        pytest.param(FIRST_DID[:-4], id="truncated key"),
        pytest.param(FIRST_DID + "z", id="extra character"),
        pytest.param(FIRST_DID + " ", id="trailing space"),
        pytest.param(f"{FIRST_DID}#{FIRST_DID.removeprefix('did:key:')}\t", id="trailing tab"),
        pytest.param("did:key:" + FIRST_DID.removeprefix("did:key:z"), id="no multibase prefix"),
        pytest.param("did:key:z6Mk0OIl", id="not base58"),
        pytest.param("did:key:", id="empty key"),
        pytest.param("did:key:z", id="empty multibase"),
        pytest.param("DID:KEY:" + FIRST_DID.removeprefix("did:key:"), id="upper-case method"),
        pytest.param("", id="empty string"),
        pytest.param(None, id="null"),
        pytest.param(42, id="number"),
    ],
)
def test_unresolvable_verification_method_is_refused(verification_method):
    with pytest.raises(UnresolvableKey):
        resolve_verification_method(verification_method)


def test_private_multikey_is_not_accepted_as_a_public_key():
    private_multikey = private_key_to_multikey(_key_from_seed("00" * 32))
    with pytest.raises(UnresolvableKey):
        resolve_verification_method(f"did:key:{private_multikey}")
    with pytest.raises(UnresolvableKey):
        multikey_to_private_key(did_key_for(_key_from_seed("00" * 32).public_key()).multikey)


# --- through credentials.dids, the entry point proofs use, with a verification relationship ----

SEED_ZERO_KEY = did_key_for(_key_from_seed("00" * 32).public_key())


@pytest.mark.parametrize(
    "purpose", [None, "assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation"]
)
def test_did_key_resolves_for_the_relationships_its_document_lists(purpose):
    controller, public_key = dids.resolve_key(SEED_ZERO_KEY.verification_method, purpose=purpose)
    assert controller == SEED_ZERO_KEY.did
    assert public_key_to_multikey(public_key) == SEED_ZERO_KEY.multikey


def test_did_key_ed25519_key_is_not_a_key_agreement_key():
    with pytest.raises(UnresolvableKey, match="not listed under keyAgreement"):
        dids.resolve_key(SEED_ZERO_KEY.verification_method, purpose="keyAgreement")


@pytest.mark.parametrize("purpose", ["assertion", "AssertionMethod", "", "proofPurpose"])
def test_an_unknown_relationship_is_refused(purpose):
    with pytest.raises(UnresolvableKey, match="not a verification relationship"):
        dids.resolve_key(SEED_ZERO_KEY.verification_method, purpose=purpose)


@pytest.mark.parametrize(
    "verification_method",
    [
        pytest.param("did:example:123#key-1", id="other DID method"),
        pytest.param("https://university.example/keys/1", id="https URL"),
        pytest.param(f"{FIRST_DID}#key-1", id="did:key fragment is not the multikey"),
        pytest.param(None, id="null"),
        pytest.param({"id": FIRST_DID}, id="embedded object"),
    ],
)
def test_the_entry_point_refuses_what_it_cannot_resolve(verification_method):
    with pytest.raises(UnresolvableKey):
        dids.resolve_key(verification_method, purpose="assertionMethod")


def test_an_overlong_base58_value_is_refused_before_decoding():
    # Found in review: base58 decoding is quadratic; a 250,000-character proofValue took 25 s.
    from vc.multikey import MAX_BASE58_CHARACTERS, decode_multibase

    with pytest.raises(UnresolvableKey, match="is not a key or signature"):
        decode_multibase("z" + "2" * 250_000)
    assert len(decode_multibase("z" + "2" * MAX_BASE58_CHARACTERS)) > 0
