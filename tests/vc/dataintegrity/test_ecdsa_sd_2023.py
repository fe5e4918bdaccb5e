"""ecdsa-sd-2023 derived proofs, verified, against the official vectors (VC DI ECDSA 1.0, App. A.7;
tests/vectors/PROVENANCE.md): the parsed proof value, the relabelled statements, the verify data
byte for byte, the derived credentials verify, and every kind of tampering is refused."""

import base64
import copy
import hashlib
import json

import cbor2
import pytest

from tests.conftest import VECTORS
from vc.dataintegrity import verify_proof
from vc.dataintegrity.sd import (
    DERIVED_PROOF_HEADER,
    add_base_proof,
    canonicalize_and_group,
    create_disclosure_data,
    create_verify_data,
    decode_base64url_multibase,
    derive_proof,
    encode_base64url_multibase,
    parse_base_proof_value,
    parse_derived_proof_value,
    relabelled_statements,
    serialize_base_proof_value,
)
from vc.dataintegrity.suites import SUITES
from vc.errors import JsonLdInvalid, ProofInvalid, ProofOptionsInvalid, UndefinedTerm
from vc.multikey import decode_multibase, did_key_for, encode_multibase, multikey_to_ec_private_key

SD = VECTORS / "vc-di-ecdsa" / "ecdsa-sd-2023"
KEYS = json.loads((SD / "SDKeyMaterial.json").read_text())
CASES = pytest.mark.parametrize("case", ["prc", "employ"])
SUITE = SUITES["ecdsa-sd-2023"]


def _json(case: str, name: str):
    return json.loads((SD / case / f"{name}.json").read_text())


def _revealed(case: str) -> dict:
    return _json(case, "derivedRevealDocument")


def _unsecured(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "proof"}


def _canonical_config(document: dict) -> bytes:
    return SUITE.canonicalize(SUITE.proof_config(_unsecured(document), document["proof"]))


@CASES
def test_the_derived_proof_value_parses_to_the_vectors_components(case):
    expected = _json(case, "verifyDerivedProofValue")
    parsed = parse_derived_proof_value(_revealed(case)["proof"]["proofValue"])
    assert parsed.base_signature.hex() == expected["baseSignature"]
    assert (
        encode_multibase(parsed.public_key)
        == expected["publicKey"]
        == KEYS["proofKeyPair"]["publicKeyMultibase"]
    )
    assert [signature.hex() for signature in parsed.signatures] == expected["signatures"]
    assert sorted(parsed.label_map.items()) == sorted(map(tuple, expected["labelMap"]))
    assert list(parsed.mandatory_indexes) == expected["mandatoryIndexes"]


@CASES
def test_the_relabelled_statements_are_the_vectors(case):
    parsed = parse_derived_proof_value(_revealed(case)["proof"]["proofValue"])
    assert relabelled_statements(_unsecured(_revealed(case)), parsed.label_map) == _json(case, "verifyNQuads")


@CASES
def test_the_verify_data_is_the_vectors_byte_for_byte(case):
    document = _revealed(case)
    expected = _json(case, "verifyCreateVerifyData")
    assert _canonical_config(document).decode("utf-8") == (SD / case / "addProofConfigCanon.txt").read_text()
    data = create_verify_data(_unsecured(document), document["proof"], _canonical_config(document))
    assert data.base_signature.hex() == expected["baseSignature"]
    assert data.proof_hash.hex() == expected["proofHash"] == _json(case, "addHashData")["proofHash"]
    assert encode_multibase(data.public_key) == expected["publicKey"]
    assert [signature.hex() for signature in data.signatures] == expected["signatures"]
    assert list(data.non_mandatory) == expected["nonMandatory"]
    assert (
        data.mandatory_hash.hex() == expected["mandatoryHash"] == _json(case, "addHashData")["mandatoryHash"]
    )


@CASES
def test_the_derived_credential_verifies(case):
    verified = verify_proof(_revealed(case))
    assert verified.cryptosuite == "ecdsa-sd-2023"
    assert verified.controller == f"did:key:{KEYS['baseKeyPair']['publicKeyMultibase']}"


@CASES
@pytest.mark.parametrize("trailing", [b"\x00", b"\xf6", b"\x81\x00"])
def test_bytes_after_the_derived_proofs_cbor_are_refused(case, trailing):
    # cbor2.loads reads the first item and ignores what follows, so a proofValue with bytes
    # appended verified as the original (the tamper property test found one: a character inserted
    # before the last made a second byte after the array). One proofValue, one spelling.
    document = _revealed(case)
    raw = decode_base64url_multibase(document["proof"]["proofValue"])
    document["proof"]["proofValue"] = encode_base64url_multibase(raw + trailing)
    with pytest.raises(ProofInvalid, match="bytes after its CBOR array"):
        verify_proof(document)


@CASES
def test_a_base_proof_is_for_the_holder_and_refused_by_a_verifier(case):
    with pytest.raises(ProofInvalid, match="base proof, which only the holder uses"):
        verify_proof(_json(case, "addSignedSDBase"))


# Tampering: each is refused.


def _components(document: dict) -> list:
    raw = decode_base64url_multibase(document["proof"]["proofValue"])
    return cbor2.loads(raw[3:])


def _with_components(document: dict, components: list) -> dict:
    forged = copy.deepcopy(document)
    forged["proof"]["proofValue"] = encode_base64url_multibase(DERIVED_PROOF_HEADER + cbor2.dumps(components))
    return forged


def test_a_disclosed_statement_changed_is_refused():
    forged = _revealed("prc")
    forged["credentialSubject"]["birthCountry"] = "Utopia"
    with pytest.raises(ProofInvalid, match="disclosed statement 2 does not match"):
        verify_proof(forged)


def test_an_undisclosed_statement_added_is_refused():
    # The base credential does say this, but the derived proof does not disclose it.
    forged = _revealed("prc")
    forged["credentialSubject"]["givenName"] = "JANE"
    with pytest.raises(ProofInvalid, match="signs 6 statements but the document discloses 7"):
        verify_proof(forged)


def test_an_undisclosed_statement_added_with_a_signature_moved_is_refused():
    forged = _revealed("prc")
    forged["credentialSubject"]["givenName"] = "JANE"
    components = _components(forged)
    components[2] = [components[2][0], *components[2]]  # one more signature, so the counts agree
    # The new statement sorts before three mandatory ones: the mandatory indexes now name other
    # statements, and the base signature fails (tests/vc/test_interop_ecdsa_sd.py adds one that
    # sorts after them, for the statement signatures).
    with pytest.raises(ProofInvalid, match="base signature does not match"):
        verify_proof(_with_components(forged, components))


@pytest.mark.parametrize(
    "drop",
    [
        lambda document: document["issuer"].pop("image"),
        lambda document: document.update(issuer=document["issuer"]["id"]),
    ],
    ids=["issuer image", "issuer object"],
)
def test_a_mandatory_statement_dropped_is_refused(drop):
    forged = _revealed("prc")
    drop(forged)
    with pytest.raises(ProofInvalid, match="signs 6 statements but the document discloses 5") as refused:
        verify_proof(forged)
    assert refused.value.extra["rule"] == "signature"


def test_a_mandatory_statement_dropped_with_the_indexes_fixed_up_is_refused():
    forged = _revealed("prc")
    forged["issuer"].pop("image")  # statement 0, mandatory
    components = _components(forged)
    components[4] = [index - 1 for index in components[4][1:]]  # the others, one place earlier
    with pytest.raises(ProofInvalid, match="base signature does not match"):
        verify_proof(_with_components(forged, components))


def test_a_mandatory_statement_passed_off_as_disclosed_is_refused():
    forged = _revealed("prc")
    components = _components(forged)
    components[4] = components[4][1:]  # index 0 (the issuer's image) no longer mandatory
    with pytest.raises(ProofInvalid, match="signs 6 statements but the document discloses 7"):
        verify_proof(_with_components(forged, components))
    components[2] = [components[2][0], *components[2]]  # and a signature for it: still refused
    with pytest.raises(ProofInvalid, match="base signature does not match"):
        verify_proof(_with_components(forged, components))


def test_an_altered_label_map_is_refused():
    forged = _revealed("prc")
    components = _components(forged)
    label_map = components[3]
    label_map[0], label_map[1] = label_map[1], label_map[0]
    # Both blank nodes are in mandatory statements (tests/vc/test_interop_ecdsa_sd.py alters one
    # that only disclosed statements name).
    with pytest.raises(ProofInvalid, match="base signature does not match"):
        verify_proof(_with_components(forged, components))


def test_a_mandatory_index_beyond_the_statements_is_refused():
    forged = _revealed("prc")
    components = _components(forged)
    components[4] = [*components[4], 10]  # the document discloses statements 0 to 9
    with pytest.raises(ProofInvalid, match="mandatory index names a statement the document does not hold"):
        verify_proof(_with_components(forged, components))


def test_a_label_map_naming_one_label_twice_is_refused():
    forged = _revealed("prc")
    components = _components(forged)
    components[3][1] = components[3][0]
    with pytest.raises(ProofInvalid, match="two blank nodes the same label"):
        verify_proof(_with_components(forged, components))


def test_a_label_map_missing_a_label_is_refused():
    forged = _revealed("prc")
    components = _components(forged)
    del components[3][1]
    with pytest.raises(ProofInvalid, match="names no label for the blank node"):
        verify_proof(_with_components(forged, components))


def test_a_derived_proof_replayed_on_another_credential_is_refused():
    employ, prc = _revealed("employ"), _revealed("prc")
    replayed = {**_unsecured(employ), "proof": prc["proof"]}
    with pytest.raises(ProofInvalid, match="base signature does not match"):
        verify_proof(replayed)
    # The same disclosed fields, another holder's values.
    other = _revealed("prc")
    other["validUntil"] = "2035-12-16T23:59:59Z"
    # (a changed value changes the canonical blank node labels too, so the mandatory statements fail)
    with pytest.raises(ProofInvalid, match="base signature does not match"):
        verify_proof(other)


def test_an_iri_rdf_cannot_write_is_refused_not_a_crash():
    # Found by the tamper property (tests/vc/dataintegrity/test_tamper_properties.py): "did:key" ->
    # "did:>ey" in the issuer's id made N-Quads that could not be read back, an unhandled error
    # (a 500 at POST /credentials/verify).
    forged = _revealed("prc")
    forged["issuer"]["id"] = forged["issuer"]["id"].replace("did:key", "did:>ey")
    with pytest.raises(JsonLdInvalid, match="IRI that RDF cannot write"):
        verify_proof(forged)


def test_changed_proof_options_are_refused():
    forged = _revealed("prc")
    forged["proof"]["created"] = "2023-08-15T23:36:39Z"
    with pytest.raises(ProofInvalid, match="base signature does not match"):
        verify_proof(forged)


@pytest.mark.parametrize(
    ("proof_value", "match"),
    [
        ("zabc", "base64url multibase"),
        ("u" + "A" * 400_001, "longer than"),
        ("u!!!!", "not base64url"),
        (encode_base64url_multibase(b"\xd9\x5d\x02" + cbor2.dumps([])), "header 0xd95d01"),
        (encode_base64url_multibase(DERIVED_PROOF_HEADER + b"\xff"), "not valid CBOR"),
        (encode_base64url_multibase(DERIVED_PROOF_HEADER + cbor2.dumps([1, 2, 3])), "five components"),
        (
            encode_base64url_multibase(
                DERIVED_PROOF_HEADER + cbor2.dumps([bytes(64), bytes(35), [], {}, []])
            ),
            "ephemeral public key",
        ),
        (
            encode_base64url_multibase(
                DERIVED_PROOF_HEADER
                + cbor2.dumps(
                    [bytes(64), decode_multibase(KEYS["proofKeyPair"]["publicKeyMultibase"]), [], {}, [2, 1]]
                )
            ),
            "mandatory indexes",
        ),
    ],
    ids=["base58", "too long", "alphabet", "header", "cbor", "arity", "key", "indexes"],
)
def test_a_malformed_proof_value_is_refused_before_any_canonicalization(proof_value, match):
    forged = _revealed("prc")
    forged["proof"]["proofValue"] = proof_value
    with pytest.raises(ProofInvalid, match=match):
        verify_proof(forged)


def test_base64url_has_one_spelling():
    value = _revealed("prc")["proof"]["proofValue"]
    assert encode_base64url_multibase(decode_base64url_multibase(value)) == value
    assert base64.urlsafe_b64decode("AB==") == base64.urlsafe_b64decode("AA==")  # non-canonical tail bits
    with pytest.raises(ProofInvalid, match="canonical"):
        decode_base64url_multibase("uAB")


def test_an_undefined_term_in_a_derived_credential_is_refused():
    forged = _revealed("prc")
    forged["credentialSubject"]["favouriteColour"] = "blue"
    with pytest.raises(UndefinedTerm):
        verify_proof(forged)


# The issuer's base proof and the holder's derivation (App. A.7.1-A.7.2).

ECDSA = VECTORS / "vc-di-ecdsa"
POINTERS = {
    "prc": ("prCredMandatory.json", "prCredSelective.json"),
    "employ": ("employMandatory.json", "employSelective.json"),
}
ISSUER_KEY = multikey_to_ec_private_key(KEYS["baseKeyPair"]["secretKeyMultibase"])
EPHEMERAL_KEY = multikey_to_ec_private_key(KEYS["proofKeyPair"]["secretKeyMultibase"])
HMAC_KEY = bytes.fromhex(KEYS["hmacKeyString"])


def _pointers(case: str) -> tuple[list[str], list[str]]:
    mandatory, selective = POINTERS[case]
    return json.loads((ECDSA / mandatory).read_text()), json.loads((ECDSA / selective).read_text())


def _base(case: str) -> dict:
    return _json(case, "addSignedSDBase")


@CASES
def test_canonicalize_and_group_reproduces_the_base_vectors(case):
    mandatory_pointers, _ = _pointers(case)
    grouped = canonicalize_and_group(_unsecured(_base(case)), HMAC_KEY, {"mandatory": mandatory_pointers})
    assert grouped.canonical.splitlines(keepends=True) == _json(case, "addBaseDocCanon")
    assert grouped.statements == _json(case, "addBaseDocHMACCanon")
    transform = _json(case, "addBaseTransform")
    assert [[i, s] for i, s in grouped.matching["mandatory"].items()] == transform["mandatory"]["value"]
    assert [[i, s] for i, s in grouped.non_matching["mandatory"].items()] == transform["nonMandatory"][
        "value"
    ]
    mandatory_hash = hashlib.sha256("".join(grouped.matching["mandatory"].values()).encode()).hexdigest()
    assert mandatory_hash == _json(case, "addHashData")["mandatoryHash"]


@CASES
def test_the_base_proof_value_round_trips_byte_for_byte(case):
    value = _base(case)["proof"]["proofValue"]
    parsed = parse_base_proof_value(value)
    assert parsed.hmac_key == HMAC_KEY
    assert encode_multibase(parsed.public_key) == KEYS["proofKeyPair"]["publicKeyMultibase"]
    assert list(parsed.mandatory_pointers) == _pointers(case)[0]
    assert (
        serialize_base_proof_value(
            parsed.base_signature,
            parsed.public_key,
            parsed.hmac_key,
            list(parsed.signatures),
            list(parsed.mandatory_pointers),
        )
        == value
    )


@CASES
def test_a_base_proof_we_make_matches_the_vectors_but_for_its_randomised_signatures(case):
    vector = _base(case)
    ours = add_base_proof(
        _unsecured(vector),
        private_key=ISSUER_KEY,
        verification_method=vector["proof"]["verificationMethod"],
        mandatory_pointers=_pointers(case)[0],
        created=vector["proof"]["created"],
        hmac_key=HMAC_KEY,
        ephemeral_key=EPHEMERAL_KEY,
    )
    assert {**ours, "proof": None} == {**vector, "proof": None}
    assert {**ours["proof"], "proofValue": None} == {**vector["proof"], "proofValue": None}
    made, expected = (
        parse_base_proof_value(ours["proof"]["proofValue"]),
        parse_base_proof_value(vector["proof"]["proofValue"]),
    )
    assert (made.public_key, made.hmac_key, made.mandatory_pointers) == (
        expected.public_key,
        expected.hmac_key,
        expected.mandatory_pointers,
    )
    assert len(made.signatures) == len(expected.signatures)
    # Derived from our base proof, the selection verifies.
    derived = derive_proof(ours, _pointers(case)[1])
    assert verify_proof(derived).cryptosuite == "ecdsa-sd-2023"


@CASES
def test_deriving_from_the_vector_base_proof_gives_the_vector_derived_credential(case):
    data = create_disclosure_data(_base(case), _pointers(case)[1])
    expected = _json(case, "derivedDisclosureData")
    assert data.base_signature.hex() == expected["baseSignature"]
    assert encode_multibase(data.public_key) == expected["publicKey"]
    assert [signature.hex() for signature in data.signatures] == expected["signatures"]
    assert [[k, v] for k, v in data.label_map.items()] == expected["labelMap"]["value"]
    assert data.mandatory_indexes == expected["mandatoryIndexes"]
    derived = derive_proof(_base(case), _pointers(case)[1])
    assert json.dumps(derived) == json.dumps(_revealed(case))  # same members, same order, same bytes


def test_a_fresh_credential_round_trips_issue_derive_verify_and_hides_what_was_not_chosen():
    issuer = did_key_for(ISSUER_KEY.public_key())
    credential = {**_unsecured(_base("employ")), "issuer": {"id": issuer.did}}
    base = add_base_proof(
        credential,
        private_key=ISSUER_KEY,
        verification_method=issuer.verification_method,
        mandatory_pointers=["/issuer", "/type", "/credentialSubject/type"],
        created="2026-01-01T00:00:00Z",
    )
    derived = derive_proof(base, ["/credentialSubject/givenName"])
    assert derived["credentialSubject"] == {"type": ["Person", "EmployablePerson"], "givenName": "JOHN"}
    assert "birthDate" not in json.dumps(derived)
    assert verify_proof(derived).controller == issuer.did
    # Two derivations from one base proof differ in what they disclose, not in who signed.
    other = derive_proof(base, ["/credentialSubject/birthCountry"])
    assert verify_proof(other).controller == issuer.did
    replayed = {**_unsecured(other), "proof": derived["proof"]}
    with pytest.raises(ProofInvalid, match="signature"):
        verify_proof(replayed)


def test_a_pointer_that_names_nothing_is_refused():
    with pytest.raises(ProofOptionsInvalid, match="names nothing"):
        derive_proof(_base("prc"), ["/credentialSubject/shoeSize"])
    with pytest.raises(ProofOptionsInvalid, match="is not a JSON Pointer"):
        derive_proof(_base("prc"), ["credentialSubject"])


def test_the_id_of_an_object_with_nothing_else_is_selected_through_its_parent():
    # JSON-LD compacts {"id": X} under credentialSubject (a term of @type @id) to X itself, so
    # /credentialSubject/id names nothing to select (Digital Bazaar's library refuses it too);
    # the refusal says which pointer selects it.
    issuer = did_key_for(ISSUER_KEY.public_key())
    credential = {
        **_unsecured(_base("employ")),
        "issuer": issuer.did,
        "credentialSubject": {"id": "did:example:subject"},
    }
    options = {
        "private_key": ISSUER_KEY,
        "verification_method": issuer.verification_method,
        "created": "2026-01-01T00:00:00Z",
    }
    with pytest.raises(ProofOptionsInvalid, match="point at /credentialSubject instead"):
        add_base_proof(credential, mandatory_pointers=["/issuer", "/credentialSubject/id"], **options)
    base = add_base_proof(credential, mandatory_pointers=["/issuer", "/credentialSubject"], **options)
    derived = derive_proof(base, [])
    assert derived["credentialSubject"] == {"id": "did:example:subject"}
    assert verify_proof(derived).controller == issuer.did


def test_a_base_proof_made_with_another_curve_is_refused():
    with pytest.raises(ProofOptionsInvalid, match="P-256"):
        add_base_proof(
            _unsecured(_base("prc")),
            private_key=multikey_to_ec_private_key(
                json.loads((ECDSA / "p384KeyPair.json").read_text())["secretKeyMultibase"]
            ),
            verification_method="did:key:z82#z82",
            mandatory_pointers=["/issuer"],
            created="2026-01-01T00:00:00Z",
        )
