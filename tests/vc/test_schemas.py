"""The pinned JSON Schema registry (vc.schemas): integrity, offline only, Draft 2020-12."""

import hashlib
import json
import shutil

import pytest

from tests.conftest import diploma
from vc import schemas
from vc.errors import ShippedFileInvalid
from vc.schemas import DIPLOMA_SUBJECT_SCHEMA, SCHEMAS, pinned_schema, schema_violations


def test_every_schema_file_matches_its_pinned_digest_and_names_its_url():
    manifest = json.loads((schemas.SCHEMAS_DIR / "manifest.json").read_text())
    assert set(manifest["schemas"]) == set(SCHEMAS) >= {DIPLOMA_SUBJECT_SCHEMA}
    for url, entry in manifest["schemas"].items():
        raw = (schemas.SCHEMAS_DIR / entry["file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
        assert json.loads(raw)["$id"] == url
        assert json.loads(raw)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture
def schemas_copy(tmp_path, monkeypatch):
    copy = tmp_path / "schemas"
    shutil.copytree(schemas.SCHEMAS_DIR, copy)
    monkeypatch.setattr(schemas, "SCHEMAS_DIR", copy)
    return copy


def test_a_schema_file_changed_after_pinning_stops_the_service(schemas_copy):
    path = schemas_copy / "diploma-credential-subject-v1.json"
    path.write_bytes(path.read_bytes().replace(b'"minLength": 1', b'"minLength": 0', 1))
    with pytest.raises(ShippedFileInvalid, match="does not match its pinned SHA-256"):
        schemas._load_pinned_schemas()


def test_a_pinned_file_that_is_not_a_json_schema_stops_the_service(schemas_copy):
    bad = json.dumps({"$id": "https://example.org/bad", "type": 12}).encode()
    (schemas_copy / "bad.json").write_bytes(bad)
    manifest = json.loads((schemas_copy / "manifest.json").read_text())
    manifest["schemas"]["https://example.org/bad"] = {
        "file": "bad.json",
        "sha256": hashlib.sha256(bad).hexdigest(),
    }
    (schemas_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ShippedFileInvalid, match="is not a valid JSON Schema: 12 is not valid"):
        schemas._load_pinned_schemas()


@pytest.mark.parametrize("url", ["https://example.org/schema.json", None, 3, DIPLOMA_SUBJECT_SCHEMA + "#"])
def test_only_pinned_urls_resolve(url):
    assert pinned_schema(url) is None


def test_the_diploma_schema_accepts_what_the_service_issues():
    schema = pinned_schema(DIPLOMA_SUBJECT_SCHEMA)
    subject = {"id": "did:example:an", **diploma()["credentialSubject"]}
    assert list(schema_violations(schema, subject)) == []
    subject |= {"fieldOfStudy": "Computer Science", "qualificationLevel": "EQF 7", "grade": "cum laude"}
    assert list(schema_violations(schema, subject)) == []


def test_the_diploma_schema_names_each_failing_claim_by_json_pointer():
    schema = pinned_schema(DIPLOMA_SUBJECT_SCHEMA)
    subject = diploma(awardedOn="28/06/2024", degree={"type": "MasterDegree", "name": ""})
    del subject["credentialSubject"]["familyName"]
    violations = list(schema_violations(schema, subject["credentialSubject"]))
    assert [v.pointer for v in violations] == ["", "/awardedOn", "/awardedOn", "/degree/name"]
    assert "'familyName' is a required property" in violations[0].message


def test_every_registered_type_names_a_pinned_subject_schema():
    from vc.types import CREDENTIAL_TYPES

    for credential_type in CREDENTIAL_TYPES.values():
        assert pinned_schema(credential_type.subject_schema) is not None, credential_type.name


def test_a_violation_quotes_a_long_value_only_in_part():
    schema = pinned_schema(DIPLOMA_SUBJECT_SCHEMA)
    subject = diploma(degree=[{"type": "MasterDegree", "name": "x" * 1000}])["credentialSubject"]
    (violation,) = schema_violations(schema, subject)
    assert violation.pointer == "/degree"
    assert len(violation.message) <= schemas.MAX_MESSAGE_LENGTH
    assert violation.message.endswith("…")
