"""French puts a no-break space (U+00A0, the one this catalogue uses throughout) before ":" ";"
"?" "!" and inside « »: the compiled French catalogue is read here, so an entry that glues the
mark to its word ("Attestation lue: Diplôme"), or spaces it with an ordinary space the line may
break at, fails. A mark inside a token is left alone: a URL (https://, ?purpose=), a time
(10:30), a code sample (did:web, BE:85073003328, ./_:#()-), since no space follows it."""

import gettext
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.mo"

# A mark that ends a clause (a space, a tag or the end follows it) with no no-break space before it.
GLUED = re.compile(r"(?<=[^\s\u00a0])[:;?!](?=\s|<|$)")
ORDINARY_SPACE = re.compile(r" [:;?!»]|« ")
BARE_GUILLEMET = re.compile(r"«(?!\u00a0)|(?<!\u00a0)»")


def french_faults(text: str) -> list[str]:
    faults = [m.group(0) for m in GLUED.finditer(text)]
    faults += [m.group(0) for m in ORDINARY_SPACE.finditer(text)]
    faults += [m.group(0) for m in BARE_GUILLEMET.finditer(text)]
    if "\u202f" in text:
        faults.append("U+202F")
    if "\u00a0\u00a0" in text:
        faults.append("two no-break spaces")
    return faults


def _messages() -> dict[str, str]:
    with CATALOGUE.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    found: dict[str, str] = {}
    for key, text in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid:  # the header is not French
            found[f"{msgid!r}[{key[1]}]" if isinstance(key, tuple) else repr(msgid)] = text
    return found


@pytest.mark.parametrize(
    ("text", "faulty"),
    [
        ("Attestation lue: Diplôme", True),
        ("Pourquoi :", True),
        ("Vraiment\u00a0?", False),
        ("Vraiment?", True),
        ("« Degree check »", True),
        ("«\u00a0Degree check\u00a0»", False),
        ("«\u00a0\u00a0Degree check\u00a0»", True),
        ("https://example.org/law?x=1 à 10:30, did:web, BE:85073003328, ./_:#()-", False),
        ("%(organisation)s: %(did)s", True),
    ],
)
def test_the_check_tells_punctuation_from_tokens(text, faulty):
    assert bool(french_faults(text)) is faulty


def test_every_french_message_spaces_its_punctuation():
    faults = {msgid: french_faults(text) for msgid, text in _messages().items()}
    assert {msgid: found for msgid, found in faults.items() if found} == {}


def test_a_label_and_its_value_are_spaced_the_french_way():
    template = Template("{% load labels %}{{ label|labelled:value }}")
    with translation.override("fr"):
        shown = template.render(Context({"label": "Attestation lue", "value": "<Diplôme>"}))
    assert shown == "Attestation lue\u00a0: &lt;Diplôme&gt;"
    with translation.override("en"):
        assert template.render(Context({"label": "Credential read", "value": "Diploma"})) == (
            "Credential read: Diploma"
        )


def test_the_pages_space_a_kind_and_a_reason_the_french_way(citizen, issued):
    from django.test import Client

    browser = Client(HTTP_ACCEPT_LANGUAGE="fr-BE")
    browser.force_login(citizen.user)
    log = browser.get("/portal/log").content.decode()
    assert "Attestation délivrée dans le coffre\u00a0: Diplôme" in log
    assert "coffre: Diplôme" not in log
