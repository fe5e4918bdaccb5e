"""Strict JSON-LD: whatever is in a document either reaches the canonical (signed) form or
the document is refused. pyld on its own drops undefined terms, resolves relative IRIs against a
made-up base and skips what RDF cannot hold, all silently."""

import copy
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import diploma
from vc.errors import JsonLdInvalid, UndefinedTerm, UnknownContext
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1, EXAMPLES_V2, canonicalize, expand_strict

CVE = "https://w3id.org/citizen-vault/education#"


def issued_diploma(**subject_overrides):
    document = diploma(**subject_overrides)
    document.update(
        id="urn:uuid:2f1c5a52-6f8e-4b6c-9d55-0b6d7b1a1e01",
        issuer="did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        validFrom="2024-07-01T00:00:00Z",
    )
    document["credentialSubject"] = {"id": "did:example:an", **document["credentialSubject"]}
    return document


def test_diploma_canonicalizes_with_every_claim_signed():
    canonical = canonicalize(issued_diploma())
    assert f"<did:example:an> <{CVE}awardedOn> " in canonical
    assert '"2024-06-28"^^<http://www.w3.org/2001/XMLSchema#date>' in canonical
    assert '<did:example:an> <https://schema.org/givenName> "An" .' in canonical
    assert '<did:example:an> <https://schema.org/familyName> "Peeters" .' in canonical
    assert f"<{CVE}MasterDegree>" in canonical
    assert '"Master of Science in Computer Science"' in canonical
    assert f"<{CVE}DiplomaCredential>" in canonical


def _shuffled(value, rng):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


@given(seed=st.integers())
@settings(max_examples=20, deadline=None)
def test_canonical_form_does_not_depend_on_key_order(seed):
    document = issued_diploma()
    assert canonicalize(_shuffled(document, random.Random(seed))) == canonicalize(document)


# Undefined terms.


def test_undefined_property_is_refused():
    with pytest.raises(UndefinedTerm, match="degreeName"):
        expand_strict(issued_diploma(degreeName="Master of Science"))


def test_undefined_property_in_a_nested_object_is_refused():
    document = issued_diploma(degree={"type": "MasterDegree", "name": "MSc", "honours": "cum laude"})
    with pytest.raises(UndefinedTerm, match="honours"):
        expand_strict(document)


def test_undefined_top_level_property_is_refused():
    document = issued_diploma()
    document["diplomaNumber"] = "2024-0001"
    with pytest.raises(UndefinedTerm, match="diplomaNumber"):
        expand_strict(document)


def test_misspelt_property_inside_a_list_is_refused():
    document = issued_diploma()
    document["credentialSubject"] = [document["credentialSubject"], {"id": "did:example:b", "givnName": "B"}]
    with pytest.raises(UndefinedTerm, match="givnName"):
        expand_strict(document)


def test_examples_vocab_makes_any_property_defined():
    """Why the examples context is never issuable: its @vocab defines every typo."""
    document = issued_diploma(degreeName="Master of Science")
    document["@context"] = [CREDENTIALS_V2, EDUCATION_V1, EXAMPLES_V2]
    assert "https://www.w3.org/ns/credentials/examples#degreeName" in canonicalize(document)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("credential", ["VerifiableCredential", "DiplomaCredentia"]),
        ("degree", "PhDDegree"),
    ],
)
def test_undefined_type_is_refused(where, value):
    document = issued_diploma()
    if where == "credential":
        document["type"] = value
    else:
        document["credentialSubject"]["degree"]["type"] = value
    with pytest.raises(UndefinedTerm, match="type"):
        expand_strict(document)


def test_blank_node_type_is_refused():
    document = issued_diploma()
    document["credentialSubject"]["degree"]["type"] = "_:b0"
    with pytest.raises(UndefinedTerm):
        expand_strict(document)


# Identifiers.


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.update(id="diploma-2024-0001"), id="credential id"),
        pytest.param(lambda d: d.update(issuer="ghent-university"), id="issuer"),
        pytest.param(lambda d: d["credentialSubject"].update(id="an-peeters"), id="subject id"),
        pytest.param(lambda d: d["credentialSubject"]["degree"].update(id="#degree"), id="nested id"),
        pytest.param(lambda d: d["credentialSubject"]["degree"].update(id="/degrees/1"), id="path"),
    ],
)
def test_relative_identifier_is_refused(change):
    document = issued_diploma()
    change(document)
    with pytest.raises(UndefinedTerm, match="not an absolute IRI"):
        expand_strict(document)


@pytest.mark.parametrize(
    "iri",
    ["did:example: an", "https://university.example/a b", "urn:uuid:1\n<did:x> <did:y> <did:z>"],
    ids=["space", "space in URL", "newline"],
)
def test_identifier_with_whitespace_is_refused(iri):
    # pyld keeps these through expansion but skips the triples in RDF: they would not be signed.
    document = issued_diploma()
    document["credentialSubject"]["degree"]["id"] = iri
    with pytest.raises(UndefinedTerm):
        expand_strict(document)


def test_type_iri_with_whitespace_is_refused():
    document = issued_diploma()
    document["credentialSubject"]["degree"]["type"] = "https://university.example/Master Degree"
    with pytest.raises(UndefinedTerm):
        expand_strict(document)


def test_absolute_iris_are_accepted_as_identifiers():
    document = issued_diploma()
    document["credentialSubject"]["degree"]["id"] = "https://university.example/degrees/1"
    assert "<https://university.example/degrees/1>" in canonicalize(document)


def test_named_blank_nodes_are_refused():
    # Named blank nodes let a document build a clique that canonicalization never finishes.
    document = issued_diploma()
    document["credentialSubject"]["degree"]["id"] = "_:degree"
    with pytest.raises(JsonLdInvalid, match="blank node"):
        expand_strict(document)


def test_a_crafted_blank_node_clique_is_refused_before_canonicalization():
    document = issued_diploma()
    nodes = [f"_:n{i}" for i in range(8)]  # 8 mutually linked look-alike nodes: 80 s in plain pyld
    document["credentialSubject"]["degree"] = [
        {"id": node, "type": "BachelorDegree", "name": [{"id": other} for other in nodes if other != node]}
        for node in nodes
    ]
    with pytest.raises(JsonLdInvalid, match="blank node"):
        canonicalize(document)


def test_too_many_anonymous_nodes_are_refused():
    document = issued_diploma()
    document["credentialSubject"]["degree"] = [{"type": "BachelorDegree", "name": "x"} for _ in range(65)]
    with pytest.raises(JsonLdInvalid, match="without an id"):
        canonicalize(document)


def test_anonymous_nodes_up_to_the_limit_are_accepted():
    document = issued_diploma()
    # The credential and its subject have ids; the degrees do not.
    document["credentialSubject"]["degree"] = [{"type": "BachelorDegree", "name": f"x{i}"} for i in range(64)]
    assert canonicalize(document).count("BachelorDegree") == 64


# Contexts.


def test_unknown_context_is_refused():
    document = issued_diploma()
    document["@context"] = [CREDENTIALS_V2, "https://university.example/contexts/diploma/v1"]
    with pytest.raises(UnknownContext) as excinfo:
        expand_strict(document)
    assert excinfo.value.extra["path"] == "/@context/1"
    assert CREDENTIALS_V2 in excinfo.value.extra["knownContexts"]


def test_unknown_context_nested_in_a_subject_is_refused():
    document = issued_diploma()
    document["credentialSubject"]["@context"] = "https://university.example/contexts/diploma/v1"
    with pytest.raises(UnknownContext) as excinfo:
        expand_strict(document)
    assert excinfo.value.extra["path"] == "/credentialSubject/@context/0"


@pytest.mark.parametrize(
    ("inline", "reason"),
    [
        ({"@vocab": "https://evil.example/#"}, "'@vocab' is not accepted"),
        ({"@vocab": None}, "'@vocab' is not accepted"),
        ({"@base": "https://evil.example/"}, "'@base' is not accepted"),
        ({"@import": "https://www.w3.org/ns/credentials/v2"}, "'@import' is not accepted"),
        ({"@language": "fr"}, "'@language' is not accepted"),
        ({"name": "https://evil.example/#name"}, "redefines 'name'"),
        (
            {"@version": 1.1, "issuer": {"@id": "https://evil.example/#issuer", "@type": "@id"}},
            "redefines 'issuer'",
        ),
        ({"VerifiableCredential": "https://evil.example/#Bad"}, "redefines 'VerifiableCredential'"),
        ({"motto": "motto"}, "must be defined as an absolute IRI"),
        ({"motto": "https ://not-a-url#motto"}, "must be defined as an absolute IRI"),
        ({"motto": "_:b0"}, "must be defined as an absolute IRI"),
        ({"motto": {"@id": "https://ex.example/#motto", "@context": {}}}, "only @id, @type and @container"),
        ({"motto": {"@id": "https://ex.example/#motto", "@container": "@index"}}, "must be @set or @list"),
        ({"motto": {"@id": "https://ex.example/#motto", "@type": "string"}}, "must be @id, @vocab"),
        ({"ex:motto": "https://ex.example/#motto"}, "not a plain term name"),
    ],
    ids=[
        "@vocab",
        "@vocab null",
        "@base",
        "@import",
        "@language",
        "redefine a shipped term",
        "redefine protected issuer",
        "redefine VerifiableCredential",
        "relative IRI",
        "malformed IRI",
        "blank node",
        "scoped context",
        "index container",
        "relative value type",
        "compact IRI term",
    ],
)
def test_inline_context_that_changes_other_terms_is_refused(inline, reason):
    document = issued_diploma(degreeName="Master of Science")
    document["@context"] = [CREDENTIALS_V2, EDUCATION_V1, inline]
    with pytest.raises(JsonLdInvalid, match=reason) as excinfo:
        expand_strict(document)
    assert excinfo.value.extra["path"].startswith("/@context/2")


def test_inline_context_may_define_new_terms_as_absolute_iris_and_they_are_signed():
    document = issued_diploma(motto="Lux et veritas")
    document["type"].append("HonoursDiploma")
    document["@context"] = [
        CREDENTIALS_V2,
        EDUCATION_V1,
        {
            "@protected": True,
            "motto": "https://university.example/terms#motto",
            "HonoursDiploma": "https://university.example/terms#HonoursDiploma",
        },
    ]
    canonical = canonicalize(document)
    assert '<https://university.example/terms#motto> "Lux et veritas"' in canonical
    assert "<https://university.example/terms#HonoursDiploma>" in canonical


def test_a_wrapped_inline_context_is_held_to_the_same_rules():
    document = issued_diploma(motto="Lux et veritas")
    document["@context"] = [
        CREDENTIALS_V2,
        EDUCATION_V1,
        {"@context": {"motto": "https://university.example/terms#motto"}},
    ]
    assert '<https://university.example/terms#motto> "Lux et veritas"' in canonicalize(document)
    document["@context"][2] = {"@context": {"@vocab": "https://evil.example/#"}}
    with pytest.raises(JsonLdInvalid, match="'@vocab' is not accepted") as excinfo:
        expand_strict(document)
    assert excinfo.value.extra["path"] == "/@context/2/@context/@vocab"
    document["@context"][2] = {"@context": {"motto": "https://university.example/terms#motto"}, "@vocab": "x"}
    with pytest.raises(JsonLdInvalid, match="wrapped inline context must be exactly"):
        expand_strict(document)


def test_a_second_inline_context_may_not_redefine_the_first_ones_term():
    document = issued_diploma()
    document["@context"] = [
        CREDENTIALS_V2,
        EDUCATION_V1,
        {"@protected": True, "motto": "https://university.example/terms#motto"},
        {"motto": "https://evil.example/#motto"},
    ]
    with pytest.raises(JsonLdInvalid, match="redefines 'motto'"):
        expand_strict(document)


@pytest.mark.parametrize("entry", [42, True, ["https://www.w3.org/ns/credentials/v2"]])
def test_a_context_entry_that_is_neither_url_nor_object_is_refused(entry):
    document = issued_diploma()
    document["@context"] = [CREDENTIALS_V2, EDUCATION_V1, entry]
    with pytest.raises(JsonLdInvalid, match="URL or an object"):
        expand_strict(document)


def test_inline_context_nested_in_a_subject_is_held_to_the_same_rules():
    document = issued_diploma(degreeName="Master of Science")
    document["credentialSubject"]["@context"] = {"@vocab": "https://evil.example/#"}
    with pytest.raises(JsonLdInvalid) as excinfo:
        expand_strict(document)
    assert excinfo.value.extra["path"] == "/credentialSubject/@context/0/@vocab"


# What JSON-LD expansion keeps but RDF conversion would skip.


def test_blank_node_property_is_refused():
    document = issued_diploma(**{"_:grade": "A"})
    with pytest.raises(JsonLdInvalid, match="IRI used as a property name"):
        expand_strict(document)


def test_index_on_a_value_is_refused():
    with pytest.raises(UndefinedTerm, match="not part of the signed data"):
        expand_strict(issued_diploma(grade={"@value": "A", "@index": "internal note"}))


def test_base_direction_is_signed_so_it_cannot_be_flipped():
    rtl = canonicalize(issued_diploma(grade={"@value": "ممتاز", "@language": "ar", "@direction": "rtl"}))
    ltr = canonicalize(issued_diploma(grade={"@value": "ممتاز", "@language": "ar", "@direction": "ltr"}))
    assert '"ممتاز"^^<https://www.w3.org/ns/i18n#ar_rtl>' in rtl
    assert rtl != ltr


def test_a_base_direction_other_than_ltr_or_rtl_is_refused():
    with pytest.raises(JsonLdInvalid):
        expand_strict(issued_diploma(grade={"@value": "A", "@language": "en", "@direction": "up"}))


def test_index_on_a_node_is_refused():
    document = issued_diploma()
    document["credentialSubject"]["degree"]["@index"] = "internal note"
    with pytest.raises(UndefinedTerm):
        expand_strict(document)


def test_language_tag_that_would_forge_quads_is_refused():
    # pyld writes the tag unescaped: this single value would canonicalize to two quads,
    # exactly those of a document with two language-tagged grades.
    forged_tag = 'en .\n<did:example:an> <https://w3id.org/citizen-vault/education#grade> "B"@en'
    with pytest.raises(JsonLdInvalid, match="language tag"):
        canonicalize(issued_diploma(grade={"@value": "A", "@language": forged_tag}))


def test_well_formed_language_tag_is_signed():
    canonical = canonicalize(
        issued_diploma(grade={"@value": "Grootste onderscheiding", "@language": "nl-BE"})
    )
    assert '"Grootste onderscheiding"@nl-be' in canonical


# Shape.


@pytest.mark.parametrize("document", [[], "a string", None, 42])
def test_non_object_document_is_refused(document):
    with pytest.raises(JsonLdInvalid):
        expand_strict(document)


def test_expansion_does_not_modify_the_document():
    document = issued_diploma()
    before = copy.deepcopy(document)
    canonicalize(document)
    assert document == before


def test_identical_anonymous_siblings_are_refused_not_left_to_run():
    # Two identical degrees with eight identical children each: 27 s in RDFC-1.0's
    # Hash N-Degree Quads, refused here before that step starts.
    document = issued_diploma()
    child = {"type": "BachelorDegree", "name": "x"}
    document["credentialSubject"]["degree"] = [
        {"type": "MasterDegree", "name": "m", "qualificationLevel": [dict(child) for _ in range(8)]}
        for _ in range(2)
    ]
    with pytest.raises(JsonLdInvalid, match="more work than this service allows"):
        canonicalize(document)


def test_a_long_list_of_equal_items_is_refused():
    document = issued_diploma()
    document["credentialSubject"]["grade"] = {"@list": ["A"] * 150}
    with pytest.raises(JsonLdInvalid, match="more work than this service allows"):
        canonicalize(document)


def test_a_list_of_distinct_items_and_an_empty_list_are_signed():
    document = issued_diploma()
    document["credentialSubject"]["grade"] = {"@list": [f"module {i}: A" for i in range(150)]}
    document["credentialSubject"]["fieldOfStudy"] = {"@list": []}
    canonical = canonicalize(document)
    assert canonical.count("http://www.w3.org/1999/02/22-rdf-syntax-ns#first") == 150
    assert "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil" in canonical


def test_a_thousand_equal_list_items_are_a_clear_refusal_not_a_crash():
    # Found in review: RDFC-1.0's recursion over a long chain of look-alike list nodes exhausted
    # Python's stack (a 500) before the work budget was spent.
    document = issued_diploma(grade={"@list": ["x"] * 1000})
    with pytest.raises(JsonLdInvalid):
        canonicalize(document)


def test_lists_are_bounded_in_all():
    document = issued_diploma(grade={"@list": [f"module {i}: A" for i in range(1025)]})
    with pytest.raises(JsonLdInvalid, match="more than 1024 items"):
        expand_strict(document)


def test_a_nested_context_is_checked_after_its_nodes_own_context_whatever_the_key_order():
    # The top-level @context defines 'motto'; a nested context that comes first in key order
    # must still be judged against it (and may not redefine it).
    document = {"credentialSubject": {"@context": {"motto": "https://evil.example/#motto"}}}
    document.update(issued_diploma(motto="Lux"))
    document["@context"] = [CREDENTIALS_V2, EDUCATION_V1, {"motto": "https://university.example/terms#motto"}]
    document["credentialSubject"] = {
        "@context": {"motto": "https://evil.example/#motto"},
        **document["credentialSubject"],
    }
    with pytest.raises(JsonLdInvalid, match="redefines 'motto'") as excinfo:
        expand_strict(document)
    assert excinfo.value.extra["path"].startswith("/credentialSubject/@context")


@pytest.mark.parametrize("where", ["credentialSubject", "degree"])
def test_a_property_spelt_like_a_keyword_is_refused_by_its_name_and_path(where):
    document = issued_diploma()
    holder = (
        document["credentialSubject"]
        if where == "credentialSubject"
        else document["credentialSubject"]["degree"]
    )
    holder["@honours"] = "cum laude"
    with pytest.raises(UndefinedTerm) as excinfo:
        expand_strict(document)
    path = (
        "/credentialSubject/@honours"
        if where == "credentialSubject"
        else "/credentialSubject/degree/@honours"
    )
    assert "'@honours'" in excinfo.value.detail
    assert "None" not in excinfo.value.detail
    assert excinfo.value.extra["path"] == path


def test_an_undefined_property_is_refused_with_its_path():
    document = issued_diploma(degree={"type": "MasterDegree", "name": "MSc", "honours": "cum laude"})
    with pytest.raises(UndefinedTerm) as excinfo:
        expand_strict(document)
    assert excinfo.value.extra["path"] == "/credentialSubject/degree/honours"
    assert "/credentialSubject/degree/honours" in excinfo.value.detail


def test_the_iris_the_shipped_contexts_name_are_found_walking_each_scoped_context_once(monkeypatch):
    # The first document with an inline context computes these. Walking every scoped context
    # again along every path to it took 25,051 context processings (5-18 s on a loaded machine,
    # past the W3C ECDSA suite's 10 s HTTP timeout); once per context and prefixes in scope: 212.
    from pyld import jsonld as pyld_jsonld

    from vc.jsonld import _iris_named_by_shipped_contexts

    calls = []
    process = pyld_jsonld.JsonLdProcessor._process_context

    def counted(self, *args, **kwargs):
        calls.append(1)
        return process(self, *args, **kwargs)

    monkeypatch.setattr(pyld_jsonld.JsonLdProcessor, "_process_context", counted)
    iris = _iris_named_by_shipped_contexts()
    assert len(calls) < 1000
    # Deep (a term's context inside a type's) and prefixed terms are still found.
    assert iris["https://www.w3.org/ns/credentials/status#message"] == {"message"}
    assert "proofValue" in iris["https://w3id.org/security#proofValue"]
    assert iris["sec:proofValue"] == {"proofValue"}  # where the context in scope has no sec: prefix
    assert iris["https://www.w3.org/2018/credentials#validUntil"] == {"validUntil"}
    assert len(iris) == 201  # 179, the 12 of our access-grant context, the 10 of our access-request one
