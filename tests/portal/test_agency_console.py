"""The agency console's results in words: one card per citizen (the number the Belgian way, read,
denied or without a pod, and why), each credential read with its type's name, its claims, issuer
and dates, and the badge its verification gives, as the citizen's credential page does (a
diploma the issuer suspended or revoked through its status list says so); the lines of numbers
checked first, a malformed one refused by its line; the presentation downloadable by a POST; in
Dutch, French and German."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from accounts.identity import shown_national_id
from accounts.models import Organisation
from credentials.services import accredit_issuer
from tests.conftest import make_organisation
from tests.consent.legal import CASE, OTHER_NATIONAL_ID, issue_diploma, mandate_for
from vault.models import AccessEvent, PodCredential

from .consoles import member_client

DUTCH, FRENCH = {"HTTP_ACCEPT_LANGUAGE": "nl-BE"}, {"HTTP_ACCEPT_LANGUAGE": "fr-BE"}
GERMAN, ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "de-BE"}, {"HTTP_ACCEPT_LANGUAGE": "en"}
DEGREE = "Master of Laws in Obscure Maritime Jurisprudence"


@pytest.fixture
def officer(db):
    agency = make_organisation("Federal Pension Service", Organisation.Kind.AGENCY)
    mandate = mandate_for(agency.organisation)
    return member_client(agency.organisation, "officer@fps.example.gov"), agency, mandate


@pytest.fixture
def holding(university, citizen):
    """The citizen holds a diploma of a university accredited for diplomas."""
    accredit_issuer(
        organisation=university.organisation,
        credential_type="DiplomaCredential",
        valid_from=timezone.now() - timedelta(days=365),
    )
    issue_diploma(university, "BE:85073003328")
    return citizen


def read(officer, national_ids="85.07.30-033.28", language=ENGLISH, mandate=None, **fields):
    client, agency, own = officer
    data = {
        "mandate": str((mandate or own).pk),
        "case_reference": CASE,
        "national_ids": national_ids,
    } | fields
    return client.post(f"/portal/console/{agency.organisation.slug}/legal-reads", data, **language)


def text_of(response) -> str:
    """The page's words, tags out, spaces folded (a non-breaking space kept as such)."""
    html = response.content.decode().split("<main", 1)[1]
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def citizen_cards(response) -> list[str]:
    """Each citizen's card of the results, as words."""
    html = response.content.decode().split('id="results-title"', 1)[1]
    cards = html.split('<section class="card"')[1:]
    return [re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", card))) for card in cards]


def change_status(university, holding, purpose):
    """The issuer changes the held diploma's status through the VC API's status list service."""
    credential_id = PodCredential.objects.get(pod=holding.pod).credential_id
    response = university.post(
        "/credentials/status",
        {
            "credentialId": credential_id,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": purpose}],
            "status": True,
        },
    )
    assert response.status_code == 200, response.content


def test_the_number_is_shown_the_belgian_way():
    assert shown_national_id("BE:85073003328") == "85.07.30-033.28"
    assert shown_national_id("be:85.07.30-033.28") == "85.07.30-033.28"
    assert shown_national_id("NL:123456782") == "NL:123456782"
    assert shown_national_id("not a number") == "not a number"


def test_a_read_is_laid_out_in_words_with_a_verified_badge(officer, holding):
    response = read(officer)
    assert response.status_code == 200, text_of(response)
    [card] = citizen_cards(response)
    assert "Line 1: 85.07.30-033.28" in card and "BE:85" not in card
    assert " Read " in card and "The citizen has been told of this read." in card
    assert f"Diploma: {DEGREE}" in card  # the registry's display name and the degree's name
    assert "Kind of degree Master's degree" in card and "MasterDegree" not in card
    assert "Awarded on June 28, 2019" in card  # a date in words, not 2019-06-28
    assert "Issued by Ghent Demo University" in card
    assert "Valid from " in card and "Valid until no end date" in card
    assert " verified " in card
    assert '"credentialSubject"' not in response.content.decode()  # no raw JSON on the page
    assert "Download the presentation (JSON-LD)" in card


@pytest.mark.parametrize(("purpose", "badge"), [("suspension", "suspended"), ("revocation", "revoked")])
def test_a_diploma_the_issuer_suspended_or_revoked_says_so(officer, university, holding, purpose, badge):
    change_status(university, holding, purpose)
    [card] = citizen_cards(read(officer))
    assert f"Diploma: {DEGREE} {badge} " in card
    assert " verified " not in card
    assert "failed Not revoked or suspended" in card  # the check that says why
    assert f"{badge.capitalize()} by its issuer." in card  # and says it in a sentence


def test_a_diploma_read_lays_out_its_checks_in_sentences(officer, holding):
    [card] = citizen_cards(read(officer))
    assert "passed Signature Signed by its issuer: the signature covers every claim" in card
    assert "passed Issuer recognised Its issuer is accredited in the trust registry" in card
    assert "passed Validity period Valid, with no end date." in card
    assert "passed Not revoked or suspended Neither revoked nor suspended by its issuer." in card
    assert "Technical detail" in card  # the English detail, folded away, for whoever needs it


def test_a_suspended_diploma_is_marked_in_each_language(officer, university, holding):
    change_status(university, holding, "suspension")
    sentences = (
        (DUTCH, "geschorst", "Geschorst door de uitreiker.", "Ondertekend door de uitreiker"),
        (FRENCH, "suspendue", "Suspendue par son émetteur.", "Signée par son émetteur"),
        (GERMAN, "ausgesetzt", "Vom Aussteller ausgesetzt.", "Vom Aussteller signiert"),
    )
    for language, words, why, signed in sentences:
        [card] = citizen_cards(read(officer, language=language))
        assert f" {words} " in card, (language, card)
        assert why in card and signed in card, (language, card)  # the checks in its words too
        assert "Neither revoked" not in card and "by its issuer" not in card, (language, card)


def test_a_diploma_of_an_issuer_not_accredited_says_so(officer, university, citizen):
    issue_diploma(university, "BE:85073003328")
    [card] = citizen_cards(read(officer))
    assert f"Diploma: {DEGREE} issuer not recognised " in card
    assert "failed Issuer recognised" in card


def test_the_presentation_downloads_as_it_was_read_by_a_post(officer, holding):
    client, agency, _ = officer
    response = read(officer)
    token = re.search(r'name="presentation" value="([^"]+)"', response.content.decode())[1]
    url = f"/portal/console/{agency.organisation.slug}/legal-reads/presentation"
    assert client.get(url).status_code == 405  # nothing read travels in a URL
    download = client.post(url, {"presentation": token})
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="legal-read-line-1.json"'
    assert download["Cache-Control"] == "no-store"
    presentation = json.loads(download.content)
    assert "VerifiablePresentation" in presentation["type"]
    [credential] = presentation["verifiableCredential"]
    assert credential["credentialSubject"]["degree"]["name"] == DEGREE
    # Only one read was made and logged: the download is not another.
    assert AccessEvent.objects.filter(pod=holding.pod, action=AccessEvent.Action.CREDENTIAL_READ).count() == 1
    altered = client.post(url, {"presentation": token[:-2] + "xx"}, **FRENCH)
    assert altered.status_code == 400
    assert "Ce téléchargement" in unescape(altered.content.decode())
    other = make_organisation("Other Agency", Organisation.Kind.AGENCY)
    stranger = member_client(other.organisation, "clerk@other.example.gov")
    theirs = f"/portal/console/{other.organisation.slug}/legal-reads/presentation"
    assert stranger.post(theirs, {"presentation": token}).status_code == 400  # another agency's copy


def test_a_malformed_number_is_refused_by_its_line_before_anything_is_read(officer, holding):
    response = read(officer, "85.07.30-033.28\n\nBE:12.34\n85073003328\nhello")
    assert response.status_code == 400
    words = text_of(response)
    assert "Line 3, “BE:12.34”, is malformed: it is not a national register number." in words
    assert "Line 4 names the same citizen as line 1." in words
    assert "Line 5, “hello”, is malformed" in words
    assert "Line 1" not in words.replace("as line 1", "")
    assert "has a pod here" not in words  # malformed is not "unknown"
    assert not AccessEvent.objects.filter(
        pod=holding.pod, action__in=["credential.read", "access.denied"]
    ).exists()


def test_an_unknown_number_is_its_lines_result_and_the_others_are_read(officer, holding):
    response = read(officer, f"85.07.30-033.28\n{OTHER_NATIONAL_ID}")
    assert response.status_code == 200
    first, second = citizen_cards(response)
    assert "Line 1: 85.07.30-033.28" in first and DEGREE in first
    assert "Line 2: 90.02.01-999.02" in second and " No pod here " in second
    assert "No citizen with this national register number has a pod here. Check the number." in second
    assert AccessEvent.objects.filter(pod=holding.pod, action=AccessEvent.Action.CREDENTIAL_READ).count() == 1


def test_the_api_still_refuses_a_bulk_read_naming_an_unknown_citizen(agency_api_read):
    response = agency_api_read
    assert response.status_code == 404
    assert response.json()["type"].endswith("citizen-not-found")


@pytest.fixture
def agency_api_read(officer, holding):
    from tests.consent.legal import legal_read

    _, agency, mandate = officer
    return legal_read(agency, mandate.pk, citizens=("BE:85073003328", OTHER_NATIONAL_ID))


@pytest.mark.parametrize(
    ("language", "malformed", "unknown", "told", "kind"),
    [
        (
            DUTCH,
            "Regel 2, “12”, is misvormd",
            "Geen kluis hier",
            "De burger werd van deze opvraging op de hoogte gebracht.",
            "Soort diploma",
        ),
        (
            FRENCH,
            "Ligne 2, «\u00a012\u00a0», est mal formée\u00a0:",
            "Pas de coffre ici",
            "Le citoyen a été informé de cette lecture.",
            "Type de diplôme",
        ),
        (
            GERMAN,
            "Zeile 2, „12“, ist fehlerhaft",
            "Kein Datentresor hier",
            "Die Person wurde über diese Abfrage informiert.",
            "Art des Abschlusses",
        ),
    ],
)
def test_the_results_and_the_line_refusals_are_in_the_members_language(
    officer, holding, language, malformed, unknown, told, kind
):
    refused = text_of(read(officer, "85.07.30-033.28\n12", language=language))
    assert malformed in refused, refused
    first, second = citizen_cards(read(officer, f"85.07.30-033.28\n{OTHER_NATIONAL_ID}", language=language))
    assert told in first and kind in first
    assert unknown in second


def test_a_sealed_read_says_until_when_in_the_members_language(officer, holding):
    _, agency, _ = officer
    sealed = mandate_for(agency.organisation, delay=30)
    [card] = citizen_cards(read(officer, mandate=sealed, language=DUTCH))
    assert "Verzegeld: de burger ziet deze opvraging pas vanaf " in card
    [event] = AccessEvent.objects.filter(pod=holding.pod, action=AccessEvent.Action.CREDENTIAL_READ)
    assert event.legal is not None


def test_french_puts_a_space_before_the_colon_of_a_line(officer, holding):
    [card] = citizen_cards(read(officer, language=FRENCH))
    assert "Ligne 1\u00a0: 85.07.30-033.28" in card
    assert f"Diplôme\u00a0: {DEGREE}" in card
