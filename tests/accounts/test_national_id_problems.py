"""One normaliser of national identifiers (accounts.identity.normalise_national_id) serves the
API, the console's form and the console's CSV: strict about the country where the API documents
COUNTRY:NUMBER, lenient (Belgian by default) where a person types the number as on their card;
a malformed number is refused saying what is wrong with it."""

import pytest

from accounts.errors import InvalidNationalId
from accounts.identity import NATIONAL_ID_PROBLEMS, belgian_number, normalise_national_id


@pytest.mark.parametrize(
    "written", ["85.07.30-033.28", "85073003328", " 850730 033 28 ", "85/07/30/033/28", "BE:85.07.30-033.28"]
)
def test_a_number_without_its_country_is_the_default_countrys(written):
    assert normalise_national_id(written, default_country="BE") == "BE:85073003328"


def test_a_number_with_its_country_keeps_it_whatever_the_default():
    assert normalise_national_id("fr:1 85 07 75 116 001 42", default_country="BE") == "FR:185077511600142"


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("85.07.30-033.28", "no-country"),
        ("   ", "empty"),
        ("B:85073003328", "bad-country"),
        ("12:85073003328", "bad-country"),
        ("BE:85.07.30-033.2!", "bad-characters"),
        ("BE:85073003328:1", "bad-characters"),
        ("BE:123", "bad-length"),
        ("BE:8507300332", "not-belgian-shape"),  # a digit left out
        ("BE:8507300332A", "not-belgian-shape"),
        ("BE:85073003329", "bad-check-digits"),  # a digit wrong
        ("BE:85070303328", "bad-check-digits"),  # two digits swapped
        ("BE:85.07.30-033.82", "bad-check-digits"),
        ("BE:" + "1" * 33, "bad-length"),
        (85073003328, "not-text"),
    ],
)
def test_a_malformed_number_says_what_is_wrong_with_it(written, problem):
    with pytest.raises(InvalidNationalId) as refused:
        normalise_national_id(written)
    assert refused.value.problem == problem
    assert refused.value.detail == NATIONAL_ID_PROBLEMS[problem]


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("85.07.30-033.2!", "bad-characters"),
        ("85.0", "bad-length"),
        ("", "empty"),
        ("B:85073003328", "bad-country"),
    ],
)
def test_the_lenient_reading_refuses_the_same_faults(written, problem):
    with pytest.raises(InvalidNationalId) as refused:
        normalise_national_id(written, default_country="BE")
    assert refused.value.problem == problem


@pytest.mark.parametrize(
    "written",
    [
        "BE:85073003328",  # born in 1985: 97 - 850730033 mod 97
        "BE:01010100126",  # born in 2001: 97 - 2010101001 mod 97 (the 2 before the first nine)
        "BE:85473003317",  # a BIS number (month + 40), the same check
        "NL:123456782",  # another country's number: its shape is not ours to check
    ],
)
def test_a_number_whose_check_digits_match_is_taken(written):
    assert normalise_national_id(written) == written


def test_belgian_number_gives_the_check_digits():
    assert belgian_number("850730033") == "BE:85073003328"
    with pytest.raises(ValueError):
        belgian_number("85073003")


def test_every_problem_has_its_own_words():
    assert len(set(NATIONAL_ID_PROBLEMS.values())) == len(NATIONAL_ID_PROBLEMS)
