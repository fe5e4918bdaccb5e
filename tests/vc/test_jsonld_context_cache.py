"""Strict expansion reuses what pyld processed for a type-scoped context (vc.jsonld._Processor):
it must expand every document exactly as pyld does, and, once warm, re-create no term
definition for a document of a shape it has seen."""

import copy
import json
from pathlib import Path

import pytest
from pyld import jsonld as pyld_jsonld

from vc import jsonld
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1, expand_strict

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def documents() -> list[Path]:
    found = []
    for path in sorted(VECTORS.rglob("*.json*")):
        if "contexts" in path.parts:
            continue
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue
        if isinstance(document, dict) and "@context" in document:
            found.append(path)
    return found


def pyld_expansion(document):
    """pyld's own expansion, through a processor of its own (no child reused), or how it fails."""
    try:
        return pyld_jsonld.JsonLdProcessor().expand(copy.deepcopy(document), jsonld._options())
    except Exception as exc:  # the same failure must match (pyld raises KeyError on some)
        return type(exc)


def our_expansion(document):
    try:
        return jsonld._Processor().expand(copy.deepcopy(document), jsonld._options())
    except Exception as exc:  # the same failure must match (pyld raises KeyError on some)
        return type(exc)


@pytest.mark.parametrize("path", documents(), ids=lambda path: str(path.relative_to(VECTORS)))
def test_expansion_is_pyld_s_cold_and_warm(path):
    document = json.loads(path.read_text())
    expected = pyld_expansion(document)
    assert our_expansion(document) == expected  # the first time
    assert our_expansion(document) == expected  # and from the caches
    assert pyld_expansion(document) == expected  # which do not leak into pyld's own processor


def presentation(given_name: str) -> dict:
    credential = {
        "@context": [CREDENTIALS_V2, EDUCATION_V1],
        "type": ["VerifiableCredential", "DiplomaCredential"],
        "issuer": HOLDER,
        "validFrom": "2024-06-28T00:00:00Z",
        "credentialSubject": {
            "id": HOLDER,
            "givenName": given_name,
            "familyName": "Peeters",
            "degree": {"type": "MasterDegree", "name": "Master of Science"},
            "awardedOn": "2024-06-28",
        },
    }
    return {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
        "verifiableCredential": [credential],
    }


def test_a_warm_expansion_defines_no_term_again(monkeypatch):
    expand_strict(presentation("An"))
    made = []
    real = pyld_jsonld.JsonLdProcessor._create_term_definition

    def counting(self, *args, **kwargs):
        made.append(args[2])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pyld_jsonld.JsonLdProcessor, "_create_term_definition", counting)
    expanded = expand_strict(presentation("Bo"))
    assert made == []
    assert "Bo" in json.dumps(expanded)


def test_a_context_that_propagates_is_left_to_pyld():
    """A type-scoped context with @propagate true applies below its node, as pyld decides."""
    document = {
        "@context": {
            "@vocab": "https://example.org/vocab#",
            "Outer": {
                "@id": "https://example.org/Outer",
                "@context": {"@propagate": True, "x": "https://example.org/x"},
            },
        },
        "@type": "Outer",
        "inner": {"x": "value"},
    }
    expected = pyld_expansion(document)
    assert our_expansion(document) == expected
    assert "https://example.org/x" in json.dumps(expected)
