"""Text a person will read holds no characters that hide or reorder what is shown."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Organisation
from accounts.services import create_organisation
from consent.models import AccessRequest
from core.text import hidden_characters
from tests.consent.conftest import request_body
from tests.support import assert_problem, pointers

RLO_TRICK = "Vacancy 17 \u202e;-- ”live\u202c DROP TABLE x"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("a\u202eb", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("a\u2066b", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("a\u200bb", "U+200B ZERO WIDTH SPACE"),
        ("a\u200fb", "U+200F RIGHT-TO-LEFT MARK"),
        ("a\x07b", "U+0007 unnamed character"),
        ("a\u2028b", "U+2028 LINE SEPARATOR"),
        ("a\ue000b", "U+E000 unnamed character"),
        ("soft\u00adhyphen", "U+00AD SOFT HYPHEN"),
    ],
)
def test_hidden_characters_are_named(text, named):
    assert hidden_characters(text) == [named]


@pytest.mark.parametrize(
    "text",
    [
        "Ghent University",
        "Université de Liège",
        "جامعة",
        "क्षि",
        "می\u200cخواهم",  # noqa: RUF001 (Persian needs ZWNJ)
        "👩\u200d💻 developer",
        "Zoë",
    ],
)
def test_ordinary_text_in_any_script_passes(text):
    assert hidden_characters(text) == []


def test_line_breaks_pass_only_where_text_may_span_lines():
    assert hidden_characters("one\ntwo\tthree", multiline=True) == []
    assert hidden_characters("one\ntwo") == ["U+000A unnamed character"]


@given(st.text(st.characters(blacklist_categories=["Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"])))
def test_text_without_those_categories_always_passes(text):
    assert hidden_characters(text) == []


def test_a_purpose_with_a_bidi_override_is_refused(employer, citizen):
    response = employer.post("/api/v1/access-requests", request_body(purposeDescription=RLO_TRICK))

    problem = assert_problem(response, 422, "hidden-characters")
    assert pointers(problem) == ["/purposeDescription"]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in problem["detail"]
    assert not AccessRequest.objects.exists()


def test_a_denial_reason_with_a_bidi_override_is_refused(citizen, pending):
    response = citizen.post(f"/api/v1/pod/access-requests/{pending.pk}/deny", {"reason": RLO_TRICK})

    assert pointers(assert_problem(response, 422, "hidden-characters")) == ["/reason"]
    pending.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING


def test_an_organisation_name_with_hidden_characters_is_refused(db):
    with pytest.raises(ValidationError, match="U\\+202E"):
        create_organisation(name="Acme\u202e Recruiting", kind=Organisation.Kind.EMPLOYER)
    assert not Organisation.objects.exists()
