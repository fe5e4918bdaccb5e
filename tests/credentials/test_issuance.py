"""Issuing: issue_credential completes and signs an issuer's diploma; verify_issuer_proof checks
the data model, the proof, and that the key is the issuer's."""

import copy
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from core.keyring import DecryptionError
from credentials.errors import NoSigningKey
from credentials.keys import unseal_private_key
from credentials.models import IssuerKey
from credentials.selectors import active_issuer_key
from credentials.services import create_issuer_key, issue_credential
from credentials.verification import verify_issuer_proof
from tests.conftest import diploma
from tests.credentials.conftest import HOLDER, sign
from vc.dataintegrity import add_proof, verify_proof
from vc.datamodel import parse_datetime_stamp
from vc.errors import (
    CredentialInvalid,
    JsonLdInvalid,
    ProofInvalid,
    UndefinedTerm,
    UnknownContext,
    UnknownCredentialType,
    VcError,
)
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1, EXAMPLES_V2
from vc.multikey import did_key_for


@pytest.fixture
def signed_diploma(issuer):
    return sign(issuer)


# Completing and signing.


def test_sign_credential_sets_issuer_id_valid_from_and_subject_id(issuer):
    before = datetime.now(UTC).replace(microsecond=0)
    signed, credential_type = issue_credential(organisation=issuer, credential=diploma(), subject_id=HOLDER)

    key = active_issuer_key(issuer)
    assert credential_type.name == "DiplomaCredential"
    assert signed["issuer"] == key.did
    assert signed["id"].startswith("urn:uuid:")
    assert before <= parse_datetime_stamp(signed["validFrom"]) <= datetime.now(UTC)
    assert signed["credentialSubject"] == {"id": HOLDER, **diploma()["credentialSubject"]}
    # A proof set: eddsa-rdfc-2022 for whole reads, an ecdsa-sd-2023 base proof to derive from.
    whole, base = signed["proof"]
    assert whole["verificationMethod"] == key.verification_method
    assert whole["cryptosuite"] == "eddsa-rdfc-2022"
    assert base["cryptosuite"] == "ecdsa-sd-2023"
    assert base["verificationMethod"] == active_issuer_key(issuer, key_type="P-256").verification_method
    assert whole["proofPurpose"] == base["proofPurpose"] == "assertionMethod"
    assert whole["created"] == base["created"]


def test_signed_diploma_verifies(issuer, signed_diploma):
    verified = verify_issuer_proof(signed_diploma)
    key = active_issuer_key(issuer)
    assert verified.issuer == key.did
    assert verified.verification_method == key.verification_method


def test_each_signed_credential_gets_its_own_id(issuer):
    assert sign(issuer)["id"] != sign(issuer)["id"]


def test_sign_credential_does_not_modify_the_input(issuer):
    credential = diploma()
    before = copy.deepcopy(credential)
    sign(issuer, credential)
    assert credential == before


def test_explicit_validity_period_is_kept(issuer):
    credential = {**diploma(), "validFrom": "2024-07-01T00:00:00Z", "validUntil": "2034-07-01T00:00:00Z"}
    signed = sign(issuer, credential)
    assert (signed["validFrom"], signed["validUntil"]) == ("2024-07-01T00:00:00Z", "2034-07-01T00:00:00Z")
    verify_issuer_proof(signed)


@pytest.mark.parametrize("as_object", [False, True], ids=["URL", "object"])
def test_issuer_naming_its_own_did_is_accepted(issuer, as_object):
    did = active_issuer_key(issuer).did
    signed = sign(issuer, {**diploma(), "issuer": {"id": did} if as_object else did})
    assert verify_issuer_proof(signed).issuer == did


def test_issuer_naming_another_organisation_is_refused(issuer, other_issuer):
    credential = {**diploma(), "issuer": active_issuer_key(other_issuer).did}
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, credential)
    assert excinfo.value.extra["errors"][0]["path"] == "/issuer"


def test_subject_id_other_than_the_holder_is_refused(issuer):
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, diploma(id="did:example:someone-else"))
    assert excinfo.value.extra["errors"][0]["path"] == "/credentialSubject/id"


def test_subject_id_equal_to_the_holder_is_accepted(issuer):
    verify_issuer_proof(sign(issuer, diploma(id=HOLDER)))


# Refusals: nothing is signed.


def test_credential_with_a_proof_already_present_is_refused(issuer, signed_diploma):
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, signed_diploma)
    assert excinfo.value.extra["errors"] == [
        {"path": "/proof", "rule": "issuance", "detail": "must be absent"}
    ]


def test_undefined_property_is_refused(issuer):
    credential = diploma()
    credential["degreeName"] = "Master of Science"
    with pytest.raises(UndefinedTerm, match="degreeName"):
        sign(issuer, credential)


def test_a_subject_claim_that_is_no_diploma_claim_is_refused_by_name(issuer):
    with pytest.raises(CredentialInvalid, match="'degreeName' was unexpected") as excinfo:
        sign(issuer, diploma(degreeName="Master of Science"))
    assert [e["path"] for e in excinfo.value.extra["errors"]] == ["/credentialSubject"]


def test_undefined_degree_type_is_refused(issuer):
    with pytest.raises(CredentialInvalid, match="PhDDegree") as excinfo:
        sign(issuer, diploma(degree={"type": "PhDDegree", "name": "Doctor of Philosophy"}))
    assert [e["path"] for e in excinfo.value.extra["errors"]] == ["/credentialSubject/degree/type"]


def test_relative_identifier_is_refused(issuer):
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, diploma(degree={"id": "degrees/1", "type": "MasterDegree", "name": "MSc"}))
    assert [e["path"] for e in excinfo.value.extra["errors"]] == ["/credentialSubject/degree/id"]


def test_examples_context_is_not_issuable(issuer):
    credential = diploma()
    credential["@context"] = [CREDENTIALS_V2, EDUCATION_V1, EXAMPLES_V2]
    with pytest.raises(UnknownContext) as excinfo:
        sign(issuer, credential)
    assert excinfo.value.extra["path"] == "/@context/2"


def test_examples_context_nested_in_the_credential_is_not_issuable(issuer):
    credential = diploma()
    credential["evidence"] = {"@context": EXAMPLES_V2, "type": "ExampleEvidence"}
    with pytest.raises(UnknownContext) as excinfo:
        sign(issuer, credential)
    assert excinfo.value.extra["path"] == "/evidence/@context/0"


def test_a_context_nested_in_the_subject_is_not_a_diploma_claim(issuer):
    credential = diploma()
    credential["credentialSubject"]["@context"] = EXAMPLES_V2
    with pytest.raises(CredentialInvalid, match="'@context' was unexpected"):
        sign(issuer, credential)


def test_inline_context_is_refused(issuer):
    credential = diploma()
    credential["@context"] = [CREDENTIALS_V2, EDUCATION_V1, {"@vocab": "https://evil.example/#"}]
    with pytest.raises(UnknownContext):
        sign(issuer, credential)


def test_diploma_without_the_education_context_is_refused(issuer):
    credential = {**diploma(), "@context": [CREDENTIALS_V2]}
    with pytest.raises(UnknownContext, match="needs the contexts"):
        sign(issuer, credential)


def test_credential_type_this_service_does_not_issue_is_refused(issuer):
    credential = {**diploma(), "type": ["VerifiableCredential"]}
    with pytest.raises(UnknownCredentialType):
        sign(issuer, credential)


@pytest.mark.parametrize(
    "contexts", [[EDUCATION_V1], [EDUCATION_V1, CREDENTIALS_V2]], ids=["missing v2", "v2 not first"]
)
def test_credential_without_v2_as_first_context_is_refused(issuer, contexts):
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, {**diploma(), "@context": contexts})
    assert [e["path"] for e in excinfo.value.extra["errors"]] == ["/@context"]


def test_valid_from_after_valid_until_is_refused(issuer):
    credential = {**diploma(), "validFrom": "2025-01-01T00:00:00Z", "validUntil": "2024-01-01T00:00:00Z"}
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, credential)
    assert [e["path"] for e in excinfo.value.extra["errors"]] == ["/validUntil"]


def test_organisation_without_a_signing_key_cannot_sign(employer):
    with pytest.raises(NoSigningKey):
        sign(employer.organisation)


def test_only_issuers_get_signing_keys(employer):
    with pytest.raises(ValueError, match="Only issuers"):
        create_issuer_key(organisation=employer.organisation)


# Verification.


def test_changed_degree_name_after_signing_fails_verification(signed_diploma):
    signed_diploma["credentialSubject"]["degree"]["name"] = "Doctor of Philosophy in Computer Science"
    with pytest.raises(ProofInvalid, match="does not match"):
        verify_issuer_proof(signed_diploma)


def test_added_claim_after_signing_fails_verification(signed_diploma):
    signed_diploma["credentialSubject"]["grade"] = "summa cum laude"
    with pytest.raises(ProofInvalid):
        verify_issuer_proof(signed_diploma)


def test_undefined_claim_added_after_signing_is_refused(signed_diploma):
    signed_diploma["degreeName"] = "Doctor of Philosophy"
    with pytest.raises(UndefinedTerm):
        verify_issuer_proof(signed_diploma)


def test_a_subject_claim_added_after_signing_is_refused(signed_diploma):
    signed_diploma["credentialSubject"]["degreeName"] = "Doctor of Philosophy"
    with pytest.raises(CredentialInvalid, match="degreeName"):
        verify_issuer_proof(signed_diploma)


def test_replacing_the_issuer_after_signing_fails_verification(signed_diploma, other_issuer):
    signed_diploma["issuer"] = active_issuer_key(other_issuer).did
    with pytest.raises(ProofInvalid):
        verify_issuer_proof(signed_diploma)


def test_credential_signed_with_another_issuers_key_fails_verification(issuer, other_issuer):
    """A valid signature, but by a key the named issuer does not control."""
    other_key = active_issuer_key(other_issuer)
    unsigned = {
        **diploma(id=HOLDER),
        "id": "urn:uuid:9a4cc4d4-57ae-4cf5-9b71-1f6a3a8b9c10",
        "issuer": active_issuer_key(issuer).did,
        "validFrom": "2024-07-01T00:00:00Z",
    }
    forged = add_proof(
        unsigned, private_key=unseal_private_key(other_key), verification_method=other_key.verification_method
    )
    assert verify_proof(forged).controller == other_key.did
    with pytest.raises(ProofInvalid, match="not of the issuer"):
        verify_issuer_proof(forged)


def test_credential_signed_with_a_fresh_key_naming_a_real_issuer_fails_verification(issuer):
    attacker = Ed25519PrivateKey.generate()
    unsigned = {**diploma(id=HOLDER), "issuer": active_issuer_key(issuer).did}
    forged = add_proof(
        unsigned,
        private_key=attacker,
        verification_method=did_key_for(attacker.public_key()).verification_method,
    )
    with pytest.raises(ProofInvalid, match="not of the issuer"):
        verify_issuer_proof(forged)


def test_unsigned_credential_fails_verification(signed_diploma):
    del signed_diploma["proof"]
    with pytest.raises(ProofInvalid, match="no proof"):
        verify_issuer_proof(signed_diploma)


def test_expired_validity_does_not_make_the_signature_invalid(issuer):
    # Verification here is about integrity and authorship; validity periods are policy elsewhere.
    past = (datetime.now(UTC) - timedelta(days=400)).replace(microsecond=0)
    credential = {
        **diploma(),
        "validFrom": past.isoformat().replace("+00:00", "Z"),
        "validUntil": (past + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
    }
    verify_issuer_proof(sign(issuer, credential))


# Keys.


def test_credentials_signed_before_key_rotation_still_verify(issuer):
    old_key = active_issuer_key(issuer)
    before_rotation = sign(issuer)
    create_issuer_key(organisation=issuer)
    new_key = active_issuer_key(issuer)

    assert new_key.did != old_key.did
    assert IssuerKey.objects.get(pk=old_key.pk).retired_at is not None
    assert verify_issuer_proof(before_rotation).issuer == old_key.did
    after_rotation = sign(issuer)
    assert verify_issuer_proof(after_rotation).issuer == new_key.did


def test_stored_private_key_is_sealed_and_bound_to_its_row(issuer, other_issuer):
    key, other = active_issuer_key(issuer), active_issuer_key(other_issuer)
    raw = unseal_private_key(key).private_bytes_raw()
    assert raw not in bytes(key.private_key_sealed)
    # A sealed key copied onto another key's row does not open there.
    other.private_key_sealed = key.private_key_sealed
    other.save(update_fields=["private_key_sealed"])
    with pytest.raises(DecryptionError):
        sign(other_issuer)


# Property: every string in a signed diploma is covered.


def _string_leaves(node, path=()):
    if isinstance(node, str):
        yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _string_leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _string_leaves(value, (*path, index))


def _get(document, path):
    for step in path:
        document = document[step]
    return document


def _replace(document, path, value):
    changed = copy.deepcopy(document)
    _get(changed, path[:-1])[path[-1]] = value
    return changed


def test_changing_any_string_value_of_a_signed_diploma_fails_verification(signed_diploma):
    verify_issuer_proof(signed_diploma)
    paths = list(_string_leaves(signed_diploma))
    assert ("credentialSubject", "degree", "name") in paths
    assert ("proof", "proofValue") in paths

    @given(data=st.data())
    @settings(max_examples=30, deadline=None)
    def check(data):
        path = data.draw(st.sampled_from(paths), label="path")
        old = _get(signed_diploma, path)
        new = data.draw(
            st.one_of(
                st.text(max_size=40),
                st.text(min_size=1, max_size=3).map(lambda suffix: old + suffix),
                st.sampled_from([old.upper(), old.lower(), old[:-1], old[1:], old + " "]),
            ).filter(lambda value: value != old),
            label="new value",
        )
        with pytest.raises(VcError):
            verify_issuer_proof(_replace(signed_diploma, path, new))

    check()


def test_a_list_of_subjects_is_refused_so_no_one_else_can_be_named(issuer, other_citizen):
    credential = diploma()
    credential["credentialSubject"] = [
        {"id": other_citizen.pod.holder_did, **credential["credentialSubject"]},
        credential["credentialSubject"],
    ]
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, credential)
    assert excinfo.value.extra["errors"][0]["path"] == "/credentialSubject"


def test_an_overlong_credential_id_is_refused(issuer):
    credential = {**diploma(), "id": "urn:uuid:" + "a" * 300}
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, credential)
    assert excinfo.value.extra["errors"][0]["path"] == "/id"


@pytest.mark.parametrize("empty", [None, []])
def test_null_and_empty_values_are_refused_because_they_would_not_be_signed(issuer, empty):
    credential = diploma()
    credential["renderMethod"] = empty  # defined by the v2 context; no shape rule of the data model
    with pytest.raises(JsonLdInvalid, match="would not be signed"):
        sign(issuer, credential)
    with pytest.raises(CredentialInvalid, match="/credentialSubject/familyName"):
        sign(issuer, diploma(familyName=empty))  # in the subject, the diploma schema says so first


def test_a_null_added_after_signing_breaks_verification(issuer):
    signed = sign(issuer)
    signed["renderMethod"] = None
    with pytest.raises(JsonLdInvalid):
        verify_issuer_proof(signed)
    del signed["renderMethod"]
    signed["credentialSubject"]["grade"] = None
    with pytest.raises(CredentialInvalid):
        verify_issuer_proof(signed)


@pytest.mark.parametrize("keyword", ["@included", "@reverse", "@graph", "@nest"])
def test_keywords_that_describe_other_nodes_are_refused(issuer, keyword):
    credential = diploma()
    victim = {"id": "did:example:victim", "givenName": "Mallory"}
    credential[keyword] = [victim] if keyword != "@reverse" else {"credentialSubject": victim}
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, credential)
    assert excinfo.value.extra["errors"][0]["path"] == f"/{keyword}"


# The claims themselves: a type we issue is held to its subject schema, named or not.


@pytest.mark.parametrize(
    "awarded_on",
    ["2021-02-30", "not-a-date", "2024-13-01", "28/06/2024", "2024-06-28\n", "٢٠٢٤-٠٦-٢٨", "2024-W26-5"],
)
def test_an_award_date_that_is_not_a_real_date_is_refused_naming_the_field(issuer, awarded_on):
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, diploma(awardedOn=awarded_on))
    errors = excinfo.value.extra["errors"]
    assert {error["path"] for error in errors} == {"/credentialSubject/awardedOn"}
    assert any("is not a 'date'" in error["detail"] for error in errors)
    assert "/credentialSubject/awardedOn" in excinfo.value.detail


@pytest.mark.parametrize(
    ("claims", "path"),
    [
        ({"givenName": 42}, "/credentialSubject/givenName"),
        ({"grade": ""}, "/credentialSubject/grade"),
        ({"name": "An Peeters"}, "/credentialSubject"),  # defined by the v2 context, not a diploma claim
        ({"degree": {"type": "MasterDegree"}}, "/credentialSubject/degree"),
    ],
)
def test_a_claim_the_diploma_schema_refuses_is_refused_without_a_credential_schema(issuer, claims, path):
    with pytest.raises(CredentialInvalid) as excinfo:
        sign(issuer, diploma(**claims))
    assert [error["path"] for error in excinfo.value.extra["errors"]] == [path]


def test_a_missing_claim_is_refused_naming_it(issuer):
    credential = diploma()
    del credential["credentialSubject"]["awardedOn"]
    with pytest.raises(CredentialInvalid, match="'awardedOn' is a required property"):
        sign(issuer, credential)


def test_a_diploma_with_an_impossible_date_signed_elsewhere_fails_verification(issuer):
    key = active_issuer_key(issuer)
    unsigned = {**diploma(id=HOLDER, awardedOn="2021-02-30"), "issuer": key.did}
    signed = add_proof(
        unsigned, private_key=unseal_private_key(key), verification_method=key.verification_method
    )
    with pytest.raises(CredentialInvalid, match="/credentialSubject/awardedOn"):
        verify_issuer_proof(signed)
