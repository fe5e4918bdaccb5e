"""The catalogues name things as the citizen portal does, in every page, the consoles included:
a pod is a kluis, a coffre, a Datentresor, never a "pod"; and German names a candidate in one
gender-inclusive form, "die Kandidatin oder der Kandidat", never "der Bewerber" nor a bare
"der Kandidat"."""

import re

import pytest
from django.utils import translation
from django.utils.translation import trans_real

POD = {
    "nl": re.compile(r"\bpods?\b", re.I),
    "fr": re.compile(r"\bpods?\b", re.I),
    "de": re.compile(r"\bPods?\b"),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")  # %(pod)s names a value, not the word
PORTAL_WORD = {"nl": "kluis", "fr": "coffre", "de": "Datentresor"}


def _catalogue(language: str) -> dict[str, str]:
    with translation.override(language):
        catalog = trans_real.translation(language)._catalog  # type: ignore[attr-defined]
        return {str(k): str(v) for k, v in catalog.items() if k}


@pytest.mark.parametrize("language", sorted(POD))
def test_no_translation_says_pod(language):
    catalogue = _catalogue(language)
    said_pod = [msgid for msgid, text in catalogue.items() if POD[language].search(PLACEHOLDER.sub("", text))]
    assert sorted(said_pod) == []
    # The console's sentences about a pod say the portal's word.
    said = catalogue["The citizen's pod already holds this credential."]
    assert PORTAL_WORD[language].lower() in said.lower()


INCLUSIVE = re.compile(r"Kandidatin oder (der|dem|des|den) Kandidat(en)?")
MASCULINE_ONLY = re.compile(r"Bewerber|\bKandidat(en)?\b")


def test_german_names_a_candidate_in_one_inclusive_form():
    catalogue = _catalogue("de")
    found = {
        msgid: text for msgid, text in catalogue.items() if MASCULINE_ONLY.search(INCLUSIVE.sub("", text))
    }
    assert found == {}
    assert "Die Kandidatin oder der Kandidat" in catalogue["The candidate denied this request."]
