"""The read's query parameters are read without DRF's serializer when they are plainly valid
(consent.api.serializers.read_query): whatever it answers is exactly what ReadQuerySerializer
answers, values and errors alike."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from consent.api import serializers as consent_serializers
from consent.api.serializers import READ_PARAMETERS, ReadQuerySerializer, read_query

CHALLENGE = "a-fresh-nonce-0123456789"
DOMAIN = "https://hr.example.com"
PLAIN = {"purpose": "employment-verification", "challenge": CHALLENGE, "domain": DOMAIN}


def by_serializer(query: QueryDict):
    serializer = ReadQuerySerializer(data=query)
    if serializer.is_valid():
        return "valid", dict(serializer.validated_data)
    return "invalid", serializer.errors


def by_read_query(query: QueryDict):
    try:
        return "valid", read_query(query)
    except ValidationError as exc:
        return "invalid", exc.detail


def assert_same(query: QueryDict) -> None:
    expected, found = by_serializer(query), by_read_query(query)
    assert found == expected
    if found[0] == "invalid":  # the codes too, not only the messages
        assert {
            name: [e.code for e in errors] for name, errors in found[1].items() if isinstance(errors, list)
        } == {
            name: [e.code for e in errors] for name, errors in expected[1].items() if isinstance(errors, list)
        }


def query(pairs) -> QueryDict:
    return QueryDict(urlencode(pairs, doseq=True))


@pytest.fixture
def serializers_made(monkeypatch):
    made = []

    class Counting(ReadQuerySerializer):
        def __init__(self, *args, **kwargs):
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(consent_serializers, "ReadQuerySerializer", Counting)
    return made


def test_a_plain_query_is_read_without_the_serializer(serializers_made):
    assert read_query(query(PLAIN)) == {**PLAIN, "cryptosuite": "eddsa-jcs-2022"}
    assert read_query(
        query({**PLAIN, "type": "UniversityDegreeCredential", "cryptosuite": "eddsa-rdfc-2022"})
    ) == {
        "purpose": "employment-verification",
        "type": "UniversityDegreeCredential",
        "challenge": CHALLENGE,
        "domain": DOMAIN,
        "cryptosuite": "eddsa-rdfc-2022",
    }
    assert serializers_made == []


@pytest.mark.parametrize(
    "pairs",
    [
        PLAIN,
        {**PLAIN, "type": "UniversityDegreeCredential"},
        {**PLAIN, "cryptosuite": "eddsa-rdfc-2022"},
        {**PLAIN, "cryptosuite": "ecdsa-rdfc-2019"},
        {**PLAIN, "cryptosuite": ""},
        {k: v for k, v in PLAIN.items() if k != "purpose"},
        {k: v for k, v in PLAIN.items() if k != "challenge"},
        {k: v for k, v in PLAIN.items() if k != "domain"},
        {},
        {**PLAIN, "purpose": ""},
        {**PLAIN, "purpose": "   "},
        {**PLAIN, "purpose": " employment-verification "},
        {**PLAIN, "purpose": "x" * 100},
        {**PLAIN, "purpose": "x" * 101},
        {**PLAIN, "purpose": "a\x00b"},
        {**PLAIN, "purpose": "empl\u00f6yment"},
        {**PLAIN, "type": ""},
        {**PLAIN, "type": " Degree"},
        {**PLAIN, "type": "x" * 101},
        {**PLAIN, "challenge": "short"},
        {**PLAIN, "challenge": "x" * 15},
        {**PLAIN, "challenge": "x" * 16},
        {**PLAIN, "challenge": "x" * 256},
        {**PLAIN, "challenge": "x" * 257},
        {**PLAIN, "challenge": "with a space in it 123"},
        {**PLAIN, "challenge": "trailing-newline-0123\n"},
        {**PLAIN, "challenge": "n\u00f6n-ascii-challenge-01"},
        {**PLAIN, "domain": ""},
        {**PLAIN, "domain": "x" * 257},
        {**PLAIN, "domain": "has space"},
        {**PLAIN, "claim": "/credentialSubject/degree"},
        {**PLAIN, "type": "UniversityDegreeCredential", "claim": ["/a", "/b"]},
        {**PLAIN, "type": "UniversityDegreeCredential", "claim": ["/a", "/a"]},
        {**PLAIN, "type": "UniversityDegreeCredential", "claim": ""},
        {**PLAIN, "purpose": ["employment-verification", "other"]},
        {**PLAIN, "challenge": [CHALLENGE, "x"]},
        {**PLAIN, "cryptosuite": ["eddsa-rdfc-2022", "eddsa-jcs-2022"]},
    ],
)
def test_the_same_answer_as_the_serializer(pairs):
    assert_same(query(pairs))


TEXT = st.text(alphabet=st.sampled_from(list("ab-_: /\t\n\x00\u00e9\u2028Z9~")), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    purpose=st.none() | TEXT,
    credential_type=st.none() | TEXT,
    challenge=st.none() | TEXT | st.integers(10, 260).map(lambda n: "c" * n),
    domain=st.none() | TEXT | st.integers(250, 260).map(lambda n: "d" * n),
    cryptosuite=st.none()
    | st.sampled_from(["eddsa-jcs-2022", "eddsa-rdfc-2022", "x", "", " eddsa-jcs-2022"]),
)
def test_the_same_answer_as_the_serializer_for_any_query(
    purpose, credential_type, challenge, domain, cryptosuite
):
    pairs = {
        name: value
        for name, value in (
            ("purpose", purpose),
            ("type", credential_type),
            ("challenge", challenge),
            ("domain", domain),
            ("cryptosuite", cryptosuite),
        )
        if value is not None
    }
    assert_same(query(pairs))


def test_the_parameters_taken_are_the_serializers_fields():
    assert set(ReadQuerySerializer().fields) == READ_PARAMETERS


@pytest.mark.parametrize(
    ("pairs", "unknown"),
    [
        ({**PLAIN, "chalenge": CHALLENGE}, ["chalenge"]),
        ({**PLAIN, "type": "UniversityDegreeCredential", "claims": "/a"}, ["claims"]),
        ({**PLAIN, "Purpose": "x", "format": "json"}, ["Purpose", "format"]),
        ({"colour": "blue"}, ["colour"]),  # refused by name before the missing ones are named
    ],
)
def test_an_unknown_parameter_is_refused_by_name(serializers_made, pairs, unknown):
    with pytest.raises(ValidationError) as refused:
        read_query(query(pairs))
    assert sorted(refused.value.detail) == unknown
    for name in unknown:
        [error] = refused.value.detail[name]
        assert error.code == "unknown-parameter"
        assert str(error) == (
            "Unknown query parameter (accepted here: challenge, claim, cryptosuite, domain, purpose, type)."
        )
    assert serializers_made == []
