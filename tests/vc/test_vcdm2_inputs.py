"""The W3C VCDM 2.0 test suite's input fixtures (tests/vectors/vcdm2-inputs), every one.

Each file is prepared as the suite sends it (it fills in the issuer and the dates it generates),
then judged by both layers a document passes through: the data model
(``validate_credential`` / ``validate_presentation``) and JSON-LD (``expand_strict``). ``index.json``
says whether it must be accepted or rejected.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VECTORS
from vc.datamodel import CREDENTIALS_V1, validate_credential, validate_presentation
from vc.errors import CredentialInvalid, PresentationInvalid, VcError
from vc.jsonld import expand_strict

INPUTS = VECTORS / "vcdm2-inputs"
INDEX: dict[str, dict[str, Any]] = json.loads((INPUTS / "index.json").read_text())["files"]

# The suite's issuer endpoint id, copied into credential.issuer (tests/mock.data.js createRequestBody).
SUITE_ISSUER = "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"
# What tests/assertions.js testTemporality puts in place of its placeholders (a year either side).
SUITE_DATES = {"PAST DATE": "2020-01-01T00:00:00Z", "FUTURE DATE": "2099-01-01T00:00:00Z"}

# Not referenced by an upstream test, no -ok/-fail suffix: our own reading of VCDM 2.0. A
# presentation's holder need not be the issuer of what it holds, nor be named (§4.13): accepted.
UNSPECIFIED_VERDICTS = {
    "presentation-self-asserted-vc-holder-mismatch.json": "accept",
    "presentation-self-asserted-vc-issuer-mismatch.json": "accept",
    "presentation-self-asserted-vc-no-holder.json": "accept",
}

# Refused for JSON-LD reasons the data model cannot see (term definitions), by expand_strict alone.
JSON_LD_REJECTS = {
    "credential-redef-type-fail.json": "an inline context redefines the protected term VerifiableCredential",
    "credential-redef-type2-fail.json": "a later inline context redefines a protected term",
    "credential-type-mapped-nonurl-fail.json": "a type term is mapped to an IRI that is not absolute",
    "credential-type-unmapped-fail.json": "@vocab: null leaves the type ExampleTestCredential undefined",
}


def expected_verdict(name: str) -> str:
    expected = INDEX[name]["expected"]
    if expected == "unspecified":
        return UNSPECIFIED_VERDICTS[name]
    # We never inject a missing context: a "-fail-or-inject" document is refused.
    return "reject" if expected == "reject-or-inject" else expected


def is_presentation(name: str) -> bool:
    return Path(name).name.startswith("presentation-")


def as_sent(name: str) -> dict[str, Any]:
    """The fixture as the suite posts it to an issuer: issuer filled in, date placeholders replaced."""
    document = json.loads((INPUTS / name).read_text())
    if is_presentation(name):
        return document
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        if not ("id" in issuer and issuer["id"] is None):
            issuer["id"] = issuer.get("id") or SUITE_ISSUER
    elif not ("issuer" in document and issuer is None):
        document["issuer"] = issuer or SUITE_ISSUER
    for key in ("validFrom", "validUntil"):
        if document.get(key) in SUITE_DATES:
            document[key] = SUITE_DATES[document[key]]
    contexts = document.get("@context")
    if isinstance(contexts, list) and contexts[:1] == [CREDENTIALS_V1]:
        # A VCDM 1.1 issuer stamps issuanceDate, as a 2.0 one may stamp validFrom.
        document.setdefault("issuanceDate", "2024-01-01T00:00:00Z")
    return document


def data_model(name: str, document: dict[str, Any]) -> None:
    (validate_presentation if is_presentation(name) else validate_credential)(copy.deepcopy(document))


def signed_part(document: dict[str, Any]) -> dict[str, Any]:
    """What a proof covers, and so what must expand strictly: the document without its proof
    (a proof's own terms are the cryptosuite's business, checked when it is verified)."""
    return {key: value for key, value in copy.deepcopy(document).items() if key != "proof"}


def verdict(name: str) -> str:
    document = as_sent(name)
    try:
        data_model(name, document)
        expand_strict(signed_part(document))
    except VcError:
        return "reject"
    return "accept"


ALL_FILES = sorted(INDEX)


def test_every_fixture_on_disk_is_indexed_and_judged():
    on_disk = {str(p.relative_to(INPUTS)) for p in INPUTS.rglob("*.json")} - {"index.json"}
    assert on_disk == set(INDEX)
    assert len(INDEX) == 121
    assert set(UNSPECIFIED_VERDICTS) == {n for n, e in INDEX.items() if e["expected"] == "unspecified"}
    assert all(INDEX[name]["expected"] == "reject" for name in JSON_LD_REJECTS)


@pytest.mark.parametrize("name", ALL_FILES)
def test_fixture_is_accepted_or_rejected_as_the_suite_expects(name):
    assert verdict(name) == expected_verdict(name)


@pytest.mark.parametrize("name", [n for n in ALL_FILES if n not in JSON_LD_REJECTS])
def test_data_model_alone_gives_the_expected_verdict(name):
    """Every rule that is about shape is the data model's: it must not lean on JSON-LD to refuse."""
    document = as_sent(name)
    if expected_verdict(name) == "accept":
        data_model(name, document)
        return
    error = PresentationInvalid if is_presentation(name) else CredentialInvalid
    with pytest.raises(error) as excinfo:
        data_model(name, document)
    violations = excinfo.value.extra["errors"]
    assert violations, "a refusal names at least one violation"
    for violation in violations:
        assert violation["path"].startswith("/")
        assert violation["rule"].startswith(("VCDM 2.0 §", "VCDM 1.1 §"))


@pytest.mark.parametrize("name", sorted(JSON_LD_REJECTS))
def test_json_ld_refuses_what_only_term_definitions_make_wrong(name):
    document = as_sent(name)
    data_model(name, document)  # the shape is fine ...
    with pytest.raises(VcError):  # ... the terms are not
        expand_strict(signed_part(document))


@pytest.mark.parametrize("name", [n for n in ALL_FILES if expected_verdict(n) == "accept"])
def test_json_ld_accepts_every_accepted_fixture(name):
    expand_strict(signed_part(as_sent(name)))
