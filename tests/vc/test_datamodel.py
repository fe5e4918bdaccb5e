"""VC Data Model shape rules (vc.datamodel): credentials (2.0 and 1.1) and presentations."""

import base64
import hashlib
import re
from datetime import UTC, datetime

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import diploma
from vc.datamodel import (
    CREDENTIALS_V1,
    parse_datetime_stamp,
    parse_digest_multibase,
    parse_digest_sri,
    validate_credential,
    validate_presentation,
)
from vc.errors import CredentialInvalid, PresentationInvalid
from vc.jsonld import CONTEXTS, CREDENTIALS_V2, EDUCATION_V1
from vc.schemas import DIPLOMA_SUBJECT_SCHEMA
from vc.types import types_of

ISSUER = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


def complete_diploma(**top_level):
    document = diploma()
    document.update(
        id="urn:uuid:2f1c5a52-6f8e-4b6c-9d55-0b6d7b1a1e01",
        issuer=ISSUER,
        validFrom="2024-07-01T00:00:00Z",
    )
    document.update(top_level)
    document["credentialSubject"] = {"id": "did:example:an", **document["credentialSubject"]}
    return document


def complete_credential(**top_level):
    """A complete diploma that is only a VerifiableCredential: the data model's rules without the
    diploma's own subject schema (vc.types)."""
    return complete_diploma(type=["VerifiableCredential"], **top_level)


def errors_of(document) -> list[dict]:
    with pytest.raises(CredentialInvalid) as excinfo:
        validate_credential(document)
    return excinfo.value.extra["errors"]


def paths_of(document) -> list[str]:
    return [error["path"] for error in errors_of(document)]


def test_complete_diploma_is_valid():
    validate_credential(complete_diploma())


@pytest.mark.parametrize(
    "contexts",
    [
        [EDUCATION_V1],
        [EDUCATION_V1, CREDENTIALS_V2],
        CREDENTIALS_V2,  # a string, not a list
        [],
        [EDUCATION_V1, CREDENTIALS_V1],
    ],
    ids=["missing v2", "v2 not first", "not a list", "empty", "VCDM 1.1 context not first"],
)
def test_contexts_must_be_a_list_starting_with_credentials_v2(contexts):
    document = complete_diploma()
    document["@context"] = contexts
    (error,) = errors_of(document)
    assert error["path"] == "/@context"
    assert error["rule"] == "VCDM 2.0 §4.3 Contexts"


def test_missing_context_is_refused():
    document = complete_diploma()
    del document["@context"]
    assert paths_of(document) == ["/@context"]


def test_valid_from_after_valid_until_is_refused():
    document = complete_diploma(validFrom="2025-01-01T00:00:00Z", validUntil="2024-12-31T23:59:59Z")
    (error,) = errors_of(document)
    assert error == {
        "path": "/validUntil",
        "rule": "VCDM 2.0 §4.9 Validity Period",
        "detail": "validUntil is before validFrom.",
    }


def test_valid_from_after_valid_until_is_compared_across_time_zones():
    # 2025-01-01T00:30:00+01:00 is 2024-12-31T23:30:00Z: before validUntil, so valid.
    validate_credential(
        complete_diploma(validFrom="2025-01-01T00:30:00+01:00", validUntil="2024-12-31T23:59:59Z")
    )
    assert paths_of(
        complete_diploma(validFrom="2025-01-01T00:30:00-01:00", validUntil="2024-12-31T23:59:59Z")
    ) == ["/validUntil"]


def test_equal_valid_from_and_valid_until_is_accepted():
    validate_credential(complete_diploma(validFrom="2025-01-01T00:00:00Z", validUntil="2025-01-01T00:00:00Z"))


@pytest.mark.parametrize(
    "value",
    [
        "2024-07-01",
        "2024-07-01T00:00:00",
        "2024-13-01T00:00:00Z",
        "2024-07-01 00:00:00Z",
        "yesterday",
        20240701,
    ],
    ids=["date only", "no time zone", "month 13", "space separator", "words", "number"],
)
def test_valid_from_must_be_a_date_time_stamp(value):
    assert paths_of(complete_diploma(validFrom=value)) == ["/validFrom"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-01T00:00:00Z", datetime(2024, 7, 1, tzinfo=UTC)),
        ("2024-07-01T00:00:00.5Z", datetime(2024, 7, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2024-07-01T02:00:00+02:00", datetime(2024, 7, 1, tzinfo=UTC)),
    ],
)
def test_date_time_stamps_are_parsed_as_aware_datetimes(value, expected):
    assert parse_datetime_stamp(value) == expected


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("type", ["DiplomaCredential"], "/type"),
        ("type", "DiplomaCredential", "/type"),
        ("type", ["VerifiableCredential", ""], "/type"),
        ("issuer", "Ghent University", "/issuer"),
        ("issuer", {"name": "Ghent University"}, "/issuer/id"),
        ("id", "diploma-1", "/id"),
        ("id", ["urn:uuid:1", "urn:uuid:2"], "/id"),
        ("credentialSubject", [], "/credentialSubject"),
        ("credentialSubject", {}, "/credentialSubject"),
        ("credentialSubject", [{"givenName": "An"}, {}], "/credentialSubject/1"),
        ("credentialSubject", {"id": "an", "givenName": "An"}, "/credentialSubject/id"),
        ("credentialStatus", {"id": "https://status.example/1"}, "/credentialStatus/type"),
        ("credentialSchema", {"type": "JsonSchema"}, "/credentialSchema/id"),
        ("evidence", ["not an object"], "/evidence/0"),
    ],
)
def test_shape_violation_is_reported_at_its_path(field, value, path):
    document = complete_credential()
    document[field] = value
    assert paths_of(document) == [path]


def test_missing_issuer_and_subject_are_reported_together():
    document = complete_diploma()
    del document["issuer"]
    del document["credentialSubject"]
    document["@context"] = [EDUCATION_V1]
    assert paths_of(document) == ["/@context", "/issuer", "/credentialSubject"]


@pytest.mark.parametrize("document", [None, [], "credential", 1])
def test_non_object_credential_is_refused(document):
    with pytest.raises(CredentialInvalid):
        validate_credential(document)


# --- §4.3 contexts, §4.5 types, §4.8 subjects ---------------------------------------------------


def test_further_contexts_must_be_urls_or_objects():
    document = complete_diploma()
    document["@context"] = [CREDENTIALS_V2, EDUCATION_V1, "not a url", 42, {"ex": "https://example.org/#ex"}]
    assert paths_of(document) == ["/@context/2", "/@context/3"]


def test_a_single_type_string_is_one_type():
    # §4.5: "one or more terms and/or absolute URL strings"; the enveloped form uses a string too.
    document = complete_diploma(type="VerifiableCredential")
    assert validate_credential(document).rules == "VCDM 2.0"
    assert types_of(document) == ["VerifiableCredential"]
    assert types_of(complete_diploma()) == ["VerifiableCredential", "DiplomaCredential"]
    assert types_of({"type": ["VerifiableCredential", 3]}) == types_of({}) == []


def test_a_subject_named_by_its_id_alone_is_a_claim_about_it():
    validate_credential(complete_credential(credentialSubject={"id": "did:example:an"}))


def test_several_subjects_each_with_claims_are_accepted_and_each_is_checked():
    document = complete_credential()
    document["credentialSubject"] = [
        {"id": "did:example:an"},
        {"id": "did:example:bart", "givenName": "Bart"},
    ]
    validate_credential(document)
    document["credentialSubject"].append({"id": ["did:example:1", "did:example:2"]})
    (error,) = errors_of(document)
    assert error["path"] == "/credentialSubject/2/id"
    assert error["rule"] == "VCDM 2.0 §4.4 Identifiers"


# --- §4.6 names and descriptions ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Master diploma",
        {"@value": "Master diploma", "@language": "en"},
        {"@value": "شهادة", "@language": "ar", "@direction": "rtl"},
        [{"@value": "Diploma", "@language": "en"}, {"@value": "Diploma", "@language": "nl-BE"}],
    ],
    ids=["string", "language", "language and direction", "several languages"],
)
@pytest.mark.parametrize("where", ["name", "description"])
def test_names_and_descriptions_are_strings_or_language_value_objects(where, value):
    validate_credential(complete_diploma(**{where: value}))
    validate_credential(complete_diploma(issuer={"id": ISSUER, where: value}))


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"@value": "Diploma", "@language": "en", "url": "https://example.org"}, "/name"),
        ({"@language": "en"}, "/name"),
        (42, "/name"),
        ({"@value": "Diploma", "@direction": "up"}, "/name/@direction"),
        ({"@value": "Diploma", "@language": "en gb"}, "/name/@language"),
        (["Diploma", {"@value": 3}], "/name/1"),
    ],
    ids=["extra property", "no value", "number", "bad direction", "bad language tag", "bad item"],
)
def test_malformed_names_are_refused_at_their_path(value, path):
    (error,) = errors_of(complete_diploma(name=value))
    assert error["path"] == path
    assert error["rule"] == "VCDM 2.0 §4.6 Names and Descriptions"


def test_issuer_name_is_checked_too():
    document = complete_diploma(issuer={"id": ISSUER, "name": {"@value": "UGent", "url": "x"}})
    assert paths_of(document) == ["/issuer/name"]


# --- §4.10, §4.11, §5.4-5.6: typed objects; §4.12 proofs ----------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        (
            "credentialStatus",
            {"id": ["https://s.example/1", "https://s.example/2"], "type": "X"},
            "/credentialStatus/id",
        ),
        ("credentialStatus", {"id": "https://s.example/1", "type": 2}, "/credentialStatus/type"),
        ("credentialSchema", {"id": "https ://bad", "type": "JsonSchema"}, "/credentialSchema/id"),
        ("credentialSchema", [{"id": "https://s.example/1"}], "/credentialSchema/0/type"),
        ("refreshService", {"id": "https://r.example/1"}, "/refreshService/type"),
        ("termsOfUse", [{"type": "Policy"}, {}], "/termsOfUse/1/type"),
        ("evidence", {"type": []}, "/evidence/type"),
        ("proof", {"proofValue": "z1"}, "/proof/type"),
        ("proof", [{"type": "DataIntegrityProof"}, "z1"], "/proof/1"),
        ("proof", {"type": "DataIntegrityProof", "id": "proof-1"}, "/proof/id"),
        ("proof", [], "/proof"),
        ("credentialStatus", [], "/credentialStatus"),
        ("name", [], "/name"),
    ],
)
def test_typed_object_violation_is_reported_at_its_path(field, value, path):
    assert paths_of(complete_diploma(**{field: value})) == [path]


def test_errors_name_a_json_pointer_and_a_section_of_the_recommendation():
    document = complete_diploma(
        id="x",
        type=["DiplomaCredential"],
        validFrom="soon",
        evidence={},
        relatedResource=["https://a.example"],
    )
    errors = errors_of(document)
    assert len(errors) == 5
    for error in errors:
        assert error["path"].startswith("/")
        assert re.fullmatch(r"VCDM 2\.0 §\d+(\.\d+)+ [A-Z][\w ]+", error["rule"]), error["rule"]
        assert error["detail"]


# --- VCDM 1.1 -----------------------------------------------------------------------------------


def v1_credential(**top_level):
    document = {
        "@context": [CREDENTIALS_V1],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "issuanceDate": "2024-07-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:an"},
    }
    document.update(top_level)
    return document


def test_vcdm_1_1_credential_is_held_to_the_1_1_rules():
    report = validate_credential(v1_credential(expirationDate="2030-01-01T00:00:00Z"))
    assert report.rules == "VCDM 1.1"


def test_vcdm_1_1_credential_needs_an_issuance_date():
    document = v1_credential()
    del document["issuanceDate"]
    (error,) = errors_of(document)
    assert error == {
        "path": "/issuanceDate",
        "rule": "VCDM 1.1 §4.6 Issuance Date",
        "detail": "A VCDM 1.1 credential must have an issuanceDate.",
    }


@pytest.mark.parametrize(
    ("top_level", "path", "rule"),
    [
        ({"issuanceDate": "2024-07-01"}, "/issuanceDate", "VCDM 1.1 §4.6 Issuance Date"),
        ({"expirationDate": "never"}, "/expirationDate", "VCDM 1.1 §4.8 Expiration"),
        ({"expirationDate": "2024-06-30T00:00:00Z"}, "/expirationDate", "VCDM 1.1 §4.8 Expiration"),
        ({"issuer": "Ghent"}, "/issuer", "VCDM 1.1 §4.5 Issuer"),
        (
            {"credentialStatus": {"type": "StatusList2021Entry"}},
            "/credentialStatus/id",
            "VCDM 1.1 §4.9 Status",
        ),
        ({"type": ["DiplomaCredential"]}, "/type", "VCDM 1.1 §4.3 Types"),
    ],
)
def test_vcdm_1_1_violations_name_the_1_1_section(top_level, path, rule):
    (error,) = errors_of(v1_credential(**top_level))
    assert (error["path"], error["rule"]) == (path, rule)


# --- §5.3 relatedResource -----------------------------------------------------------------------

V2_RAW = CONTEXTS[CREDENTIALS_V2].raw
# VCDM 2.0 REC §5.3 examples for the v2 context (the SRI one without the stray 'M' of the rendering).
V2_SRI_SHA384 = "sha384-l/HrjlBCNWyAX91hr6LFV2Y3heB5Tcr6IeE4/Tje8YyzYBM8IhqjHWiWpr8+ZbYU"
V2_MULTIBASE_SHA256 = "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"
# What the W3C VCDM 2.0 test suite (fixtures.js) sends as the v2 context's digests: they do not match it.
SUITE_SRI = "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"
SUITE_MULTIBASE = "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"


def test_published_digests_of_the_v2_context_match_the_shipped_bytes():
    assert base64.b64encode(hashlib.sha384(V2_RAW).digest()).decode() == V2_SRI_SHA384.removeprefix("sha384-")
    assert (
        hashlib.sha256(V2_RAW).hexdigest()
        == "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    )


@pytest.mark.parametrize(
    "resource",
    [
        {"id": CREDENTIALS_V2, "digestSRI": V2_SRI_SHA384},
        {"id": CREDENTIALS_V2, "digestMultibase": V2_MULTIBASE_SHA256},
        {
            "id": CREDENTIALS_V2,
            "mediaType": "application/ld+json",
            "digestSRI": "sha256-" + base64.b64encode(hashlib.sha256(V2_RAW).digest()).decode(),
            "digestMultibase": "z" + base58.b58encode(b"\x13\x40" + hashlib.sha512(V2_RAW).digest()).decode(),
        },
    ],
    ids=["SRI sha384", "multibase sha256", "both, sha256 and sha512"],
)
def test_related_resource_digest_of_a_shipped_context_is_checked_against_its_bytes(resource):
    report = validate_credential(complete_diploma(relatedResource=[resource]))
    (check,) = report.checks
    assert (check.kind, check.target, check.outcome) == ("relatedResource", CREDENTIALS_V2, "valid")
    assert report.fully_checked


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        ({"id": CREDENTIALS_V2, "digestSRI": SUITE_SRI}, "/relatedResource/0/digestSRI"),
        ({"id": EDUCATION_V1, "digestMultibase": V2_MULTIBASE_SHA256}, "/relatedResource/0/digestMultibase"),
    ],
    ids=["test suite's SRI", "another context's digest"],
)
def test_related_resource_digest_that_does_not_match_is_refused(resource, path):
    (error,) = errors_of(complete_diploma(relatedResource=[resource]))
    assert error["path"] == path
    assert error["rule"] == "VCDM 2.0 §5.3 Integrity of Related Resources"
    assert "does not match" in error["detail"]


def test_related_resource_elsewhere_is_reported_unchecked_not_valid():
    resource = {"id": "https://example.org/photo.png", "digestSRI": V2_SRI_SHA384}
    report = validate_credential(complete_diploma(relatedResource=resource))
    (check,) = report.unchecked
    assert str(check) == (
        "/relatedResource: digest https://example.org/photo.png: unchecked (resource not available offline)"
    )
    assert not report.fully_checked


@pytest.mark.parametrize(
    ("related", "paths"),
    [
        ([CREDENTIALS_V2], ["/relatedResource/0"]),
        ([{"digestSRI": V2_SRI_SHA384}], ["/relatedResource/0/id"]),
        ([{"id": CREDENTIALS_V2}], ["/relatedResource/0"]),
        (
            [
                {"id": CREDENTIALS_V2, "digestSRI": V2_SRI_SHA384},
                {"id": CREDENTIALS_V2, "digestSRI": V2_SRI_SHA384},
            ],
            ["/relatedResource/1/id"],
        ),
        (
            [{"id": CREDENTIALS_V2, "digestSRI": "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="}],
            ["/relatedResource/0/digestSRI"],
        ),
        ([{"id": CREDENTIALS_V2, "digestSRI": "sha384-not base64!"}], ["/relatedResource/0/digestSRI"]),
        (
            [{"id": CREDENTIALS_V2, "digestMultibase": SUITE_MULTIBASE}],
            ["/relatedResource/0/digestMultibase"],
        ),
        ([], ["/relatedResource"]),
    ],
    ids=[
        "list of strings",
        "no id",
        "no digest",
        "duplicate id",
        "SRI with sha1",
        "SRI not base64",
        "multibase without multihash header (the test suite's)",
        "empty list",
    ],
)
def test_malformed_related_resource_is_refused(related, paths):
    assert paths_of(complete_diploma(relatedResource=related)) == paths


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from([("sha256", 0x12), ("sha384", 0x20), ("sha512", 0x13), ("sha3_256", 0x16)]), st.binary()
)
def test_digest_encodings_round_trip(algorithm_and_code, content):
    algorithm, code = algorithm_and_code
    digest = hashlib.new(algorithm, content).digest()
    multihash = bytes([code, len(digest)]) + digest
    assert parse_digest_multibase("z" + base58.b58encode(multihash).decode()) == (algorithm, digest)
    assert parse_digest_multibase("u" + base64.urlsafe_b64encode(multihash).decode().rstrip("=")) == (
        algorithm,
        digest,
    )
    assert parse_digest_multibase("u" + base64.urlsafe_b64encode(multihash[:-1]).decode().rstrip("=")) is None
    if algorithm in ("sha256", "sha384", "sha512"):
        sri = f"{algorithm}-{base64.b64encode(digest).decode()}"
        assert parse_digest_sri(sri) == [(algorithm, digest)]
        assert parse_digest_sri(sri[:-4]) is None


# --- §4.11 credentialSchema against the pinned registry -----------------------------------------

DIPLOMA_SCHEMA = {"id": DIPLOMA_SUBJECT_SCHEMA, "type": "JsonSchema"}


def test_subject_that_matches_a_pinned_schema_is_reported_valid():
    report = validate_credential(complete_diploma(credentialSchema=DIPLOMA_SCHEMA))
    (check,) = report.checks
    assert (check.path, check.kind, check.outcome) == ("/credentialSchema", "credentialSchema", "valid")
    assert report.fully_checked


@pytest.mark.parametrize(
    ("subject", "path"),
    [
        ({"degree": {"type": "PhDDegree", "name": "PhD"}}, "/credentialSubject/degree/type"),
        ({"awardedOn": "2024-02-30"}, "/credentialSubject/awardedOn"),
        ({"grade": 18}, "/credentialSubject/grade"),
        ({"grade": {"@value": "A", "@language": "en", "note": "x"}}, "/credentialSubject/grade"),
        ({"favouriteColour": "blue"}, "/credentialSubject"),
    ],
    ids=["unknown degree type", "impossible date", "number grade", "grade with extra key", "unknown claim"],
)
def test_subject_that_breaks_a_pinned_schema_is_refused_at_the_claim(subject, path):
    document = complete_diploma(credentialSchema=DIPLOMA_SCHEMA)
    document["credentialSubject"].update(subject)
    (error,) = errors_of(document)
    assert error["path"] == path
    assert error["rule"] == "VCDM 2.0 §4.11 Data Schemas"
    assert DIPLOMA_SUBJECT_SCHEMA in error["detail"]


def test_every_subject_is_checked_against_the_schema():
    document = complete_diploma(credentialSchema=[DIPLOMA_SCHEMA])
    first = document["credentialSubject"]
    document["credentialSubject"] = [first, {k: v for k, v in first.items() if k != "familyName"}]
    (error,) = errors_of(document)
    assert error["path"] == "/credentialSubject/1"
    assert "familyName" in error["detail"]


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"id": "https://example.org/schemas/diploma.json", "type": "JsonSchema"}, "not available offline"),
        ({"id": "https://example.org/schemas/vc", "type": "JsonSchemaCredential"}, "not available offline"),
        (
            {"id": DIPLOMA_SUBJECT_SCHEMA, "type": "ExampleSchema"},
            "type ['ExampleSchema'] is not validated here",
        ),
    ],
    ids=["unknown JsonSchema", "unknown JsonSchemaCredential", "other schema type"],
)
def test_schema_that_cannot_be_checked_offline_is_reported_unchecked(schema, reason):
    document = complete_credential(credentialSchema=schema)
    document["credentialSubject"]["favouriteColour"] = "blue"  # would fail the pinned schema
    report = validate_credential(document)
    (check,) = report.unchecked
    assert (check.target, check.outcome, check.reason) == (schema["id"], "unchecked", reason)
    assert f"schema {schema['id']}: unchecked ({reason})" in str(check)


def test_a_diploma_is_held_to_its_subject_schema_without_naming_it():
    document = complete_diploma()
    document["credentialSubject"]["awardedOn"] = "2021-02-30"
    (error,) = errors_of(document)
    assert error["path"] == "/credentialSubject/awardedOn"
    assert error["rule"] == f"DiplomaCredential claims ({DIPLOMA_SUBJECT_SCHEMA})"
    assert error["detail"] == "Not a valid DiplomaCredential claim: '2021-02-30' is not a 'date'."


def test_a_diploma_naming_a_schema_we_cannot_check_is_still_held_to_its_own():
    document = complete_diploma(credentialSchema={"id": "https://example.org/s", "type": "JsonSchema"})
    document["credentialSubject"]["favouriteColour"] = "blue"
    (error,) = errors_of(document)
    assert error["path"] == "/credentialSubject"
    assert "favouriteColour" in error["detail"]


def test_the_diploma_schema_applies_only_where_the_education_context_defines_the_type():
    # Without the education context "DiplomaCredential" is another vocabulary's word (or none,
    # which strict JSON-LD refuses): not ours to judge by our schema.
    document = complete_diploma()
    document["@context"] = [CREDENTIALS_V2, {"DiplomaCredential": "https://example.org/#Diploma"}]
    document["credentialSubject"]["awardedOn"] = "soon"
    validate_credential(document)


# --- §4.13 presentations ------------------------------------------------------------------------

HOLDER = "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"


def presentation(**top_level):
    document = {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
        "verifiableCredential": [complete_diploma()],
    }
    document.update(top_level)
    return document


def presentation_errors(document) -> list[dict]:
    with pytest.raises(PresentationInvalid) as excinfo:
        validate_presentation(document)
    return excinfo.value.extra["errors"]


def test_presentation_with_a_credential_is_valid():
    assert validate_presentation(presentation(id="urn:uuid:9c9a36f8-518f-4976-a934-6649502d0008")).rules == (
        "VCDM 2.0"
    )
    validate_presentation(presentation(holder={"id": HOLDER}, verifiableCredential=complete_diploma()))
    validate_presentation({"@context": [CREDENTIALS_V2], "type": "VerifiablePresentation"})


@pytest.mark.parametrize(
    ("top_level", "path"),
    [
        ({"holder": "z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"}, "/holder"),
        ({"holder": {"name": "Acme"}}, "/holder/id"),
        ({"type": ["CredentialManagerPresentation"]}, "/type"),
        ({"id": "presentation 1"}, "/id"),
        ({"@context": [EDUCATION_V1, CREDENTIALS_V2]}, "/@context"),
        ({"verifiableCredential": ["eyJhbGciOiJFUzI1NiJ9.e30.sig"]}, "/verifiableCredential/0"),
        ({"verifiableCredential": []}, "/verifiableCredential"),
        ({"proof": {"proofPurpose": "authentication"}}, "/proof/type"),
    ],
)
def test_presentation_violation_is_reported_at_its_path(top_level, path):
    (error,) = presentation_errors(presentation(**top_level))
    assert error["path"] == path
    assert error["rule"].startswith("VCDM 2.0 §")


def test_violations_of_an_embedded_credential_are_reported_under_its_path():
    broken = complete_diploma(validFrom="2025-01-01T00:00:00Z", validUntil="2024-01-01T00:00:00Z")
    errors = presentation_errors(presentation(verifiableCredential=[complete_diploma(), broken]))
    assert errors == [
        {
            "path": "/verifiableCredential/1/validUntil",
            "rule": "VCDM 2.0 §4.9 Validity Period",
            "detail": "validUntil is before validFrom.",
        }
    ]


def test_schema_checks_of_embedded_credentials_are_reported_under_their_path():
    credential = complete_diploma(credentialSchema={"id": "https://example.org/s", "type": "JsonSchema"})
    (check,) = validate_presentation(presentation(verifiableCredential=[credential])).unchecked
    assert check.path == "/verifiableCredential/0/credentialSchema"


ENVELOPED = {
    "@context": CREDENTIALS_V2,
    "type": "EnvelopedVerifiableCredential",
    "id": "data:application/vc-ld+jwt,eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
}


def test_enveloped_credential_is_accepted_in_shape():
    validate_presentation(presentation(verifiableCredential=[ENVELOPED, complete_diploma()]))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"id": "https://example.org/credentials/1"}, "/verifiableCredential/0/id"),
        ({"@context": [EDUCATION_V1]}, "/verifiableCredential/0/@context"),
    ],
)
def test_enveloped_credential_needs_a_data_url_and_the_v2_context(change, path):
    (error,) = presentation_errors(presentation(verifiableCredential=[{**ENVELOPED, **change}]))
    assert error["path"] == path
    assert error["rule"] == "VCDM 2.0 §4.13.1 Enveloped Verifiable Credentials"


def test_vcdm_1_1_presentation_of_a_1_1_credential():
    document = {"@context": [CREDENTIALS_V1], "type": ["VerifiablePresentation"], "holder": HOLDER}
    document["verifiableCredential"] = [v1_credential()]
    assert validate_presentation(document).rules == "VCDM 1.1"


@pytest.mark.parametrize("document", [None, [], "presentation", 1])
def test_non_object_presentation_is_refused(document):
    with pytest.raises(PresentationInvalid):
        validate_presentation(document)


# --- any JSON at all: a domain error or a report, never a crash ---------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "@context", "id", "type", "issuer", "name", "description", "credentialSubject", "validFrom",
        "validUntil", "issuanceDate", "expirationDate", "credentialStatus", "credentialSchema",
        "relatedResource", "refreshService", "termsOfUse", "evidence", "proof", "holder",
        "verifiableCredential",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {"@context": st.sampled_from([[CREDENTIALS_V2], [CREDENTIALS_V1]]) | _json}
    ).flatmap(lambda base: st.dictionaries(_keys, _json, max_size=8).map(lambda rest: {**base, **rest}))
)
def test_any_json_gets_a_report_or_a_domain_error(document):
    for validate, error in (
        (validate_credential, CredentialInvalid),
        (validate_presentation, PresentationInvalid),
    ):
        try:
            validate(document)
        except error as exc:
            for violation in exc.extra["errors"]:
                assert violation["path"].startswith("/") and violation["rule"].startswith("VCDM ")
