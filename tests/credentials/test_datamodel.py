"""VC Data Model 2.0 shape rules (credentials.datamodel.validate_credential)."""

from datetime import UTC, datetime

import pytest

from credentials.datamodel import parse_datetime_stamp, validate_credential
from credentials.errors import CredentialInvalid
from credentials.jsonld import CREDENTIALS_V2, EDUCATION_V1
from tests.conftest import diploma

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
        ["https://www.w3.org/2018/credentials/v1", EDUCATION_V1],
    ],
    ids=["missing v2", "v2 not first", "not a list", "empty", "VCDM 1.1 context"],
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
        ("type", "VerifiableCredential", "/type"),
        ("issuer", "Ghent University", "/issuer"),
        ("issuer", {"name": "Ghent University"}, "/issuer"),
        ("id", "diploma-1", "/id"),
        ("id", ["urn:uuid:1", "urn:uuid:2"], "/id"),
        ("credentialSubject", [], "/credentialSubject"),
        ("credentialSubject", {"id": "did:example:an"}, "/credentialSubject"),
        ("credentialSubject", {"id": "an", "givenName": "An"}, "/credentialSubject/id"),
        ("credentialStatus", {"id": "https://status.example/1"}, "/credentialStatus/type"),
        ("credentialSchema", {"type": "JsonSchema"}, "/credentialSchema/id"),
        ("evidence", ["not an object"], "/evidence/0"),
    ],
)
def test_shape_violation_is_reported_at_its_path(field, value, path):
    document = complete_diploma()
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
