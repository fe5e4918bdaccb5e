"""The employer's console opens the personal documents a grant shares: a list (not a read), and
a download of each through consent.services, the API's path: decided on that very read, counted
and logged in the candidate's pod, sent as an attachment that no browser shows inline and no
cache keeps. Every refusal says why in the member's language."""

import io
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone, translation

from consent.models import Grant
from consent.portal.refusals import READ_REFUSALS
from consent.services import approve_request, file_access_request, revoke_grant
from tests.vault.documentfiles import pdf, png
from vault.documents import store_document
from vault.models import AccessEvent

from .consoles import NATIONAL_ID, member_client, requests_url

LANGUAGES = {"nl": "nl-BE", "fr": "fr-BE", "de": "de-BE", "en": "en"}
NO_SUCH_DOCUMENT = {
    "en": "The documents could not be opened: this access covers no such document: the candidate may "
    "have deleted it, or it is of a kind they did not share.",
    "nl": "De documenten konden niet worden geopend: deze toegang omvat zo'n document niet: de kandidaat "
    "heeft het misschien verwijderd, of het is van een soort die hij niet heeft gedeeld.",
    "fr": "Les documents n'ont pas pu être ouverts\u00a0: cet accès ne couvre pas ce document\u00a0: "
    "le candidat l'a peut-être supprimé, ou il est d'un type qu'il n'a pas partagé.",
    "de": "Die Dokumente konnten nicht geöffnet werden: Dieser Zugang umfasst kein solches Dokument: "
    "Die Kandidatin oder der Kandidat hat es vielleicht gelöscht, oder es ist von einer Art, die nicht "
    "geteilt wurde.",
}


def _store(pod_owner, kind: str, content: bytes, *, content_type="application/pdf", name=None):
    return store_document(
        owner=pod_owner,
        document_type=kind,
        content_type=content_type,
        stream=io.BytesIO(content),
        length=len(content),
        name=name,
    )


@pytest.fixture
def stored(citizen, other_citizen):
    """The candidate's CV and a scan; another citizen's CV."""
    return {
        "cv": (_store(citizen.user, "cv", pdf("my career"), name="Curriculum Vitae"), pdf("my career")),
        "scan": (_store(citizen.user, "scan", png("id card"), content_type="image/png"), png("id card")),
        "other_pod": _store(other_citizen.user, "cv", pdf("not yours")),
    }


@pytest.fixture
def grant(employer, citizen, stored) -> Grant:
    """An approved request for the candidate's CV only, for at most three reads."""
    filed = file_access_request(
        requester=employer.organisation,
        national_id=NATIONAL_ID,
        credential_types=[],
        document_types=["cv"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="CV for vacancy 17",
        valid_until=timezone.now() + timedelta(days=30),
        max_reads=3,
    )
    return approve_request(citizen=citizen.user, request_id=filed.pk)


def _documents_url(employer, grant) -> str:
    return f"{requests_url(employer)}/{grant.request_id}/documents"


def _events(citizen, since=0):
    return [
        (e.action, e.outcome, e.actor_label, e.credential_type, e.reason, e.grant_id, e.resource_id)
        for e in AccessEvent.objects.filter(pod=citizen.pod, seq__gt=since).order_by("seq")
    ]


def _last_seq(citizen) -> int:
    return AccessEvent.objects.filter(pod=citizen.pod).order_by("-seq").values_list("seq", flat=True)[0]


def _messages(response) -> str:
    return unescape(response.content.decode().split('<ul class="messages">')[1].split("</ul>")[0])


def test_the_request_page_leads_to_the_shared_documents_and_offers_no_credential_read(hr, employer, grant):
    page = hr.get(f"{requests_url(employer)}/{grant.request_id}").content.decode()
    assert _documents_url(employer, grant) in page
    assert "Open the shared credentials" not in page  # the grant shares no credentials


def test_the_list_shows_the_shared_documents_in_words_and_reads_nothing(hr, employer, citizen, grant, stored):
    before = _last_seq(citizen)
    response = hr.get(_documents_url(employer, grant), HTTP_ACCEPT_LANGUAGE="nl-BE")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Curriculum vitae" in page  # the type in words (not translated: the same in Dutch)
    assert f"/documents/{stored['cv'][0].pk}" in page
    assert str(stored["scan"][0].pk) not in page  # not shared
    assert str(stored["other_pod"].pk) not in page
    assert "Curriculum Vitae" not in page  # the name is sealed until a download
    assert _events(citizen, since=before) == []
    assert Grant.objects.get(pk=grant.pk).reads_used == 0


def test_a_shared_document_downloads_as_a_safe_attachment_counted_and_logged(
    hr, employer, citizen, grant, stored
):
    document, content = stored["cv"]
    before = _last_seq(citizen)
    response = hr.post(f"{_documents_url(employer, grant)}/{document.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Curriculum Vitae.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Length"] == str(len(content))
    # Counted and logged by the read itself, before a byte is sent.
    assert Grant.objects.get(pk=grant.pk).reads_used == 1
    assert _events(citizen, since=before) == [
        ("document.read", "allowed", employer.organisation.name, "cv", "", grant.pk, document.pk)
    ]
    assert b"".join(response.streaming_content) == content


def test_a_download_is_a_post_so_no_link_or_prefetch_uses_a_read(hr, employer, citizen, grant, stored):
    response = hr.get(f"{_documents_url(employer, grant)}/{stored['cv'][0].pk}")
    assert response.status_code == 405
    assert Grant.objects.get(pk=grant.pk).reads_used == 0


def test_the_read_limit_is_checked_on_the_download(hr, employer, grant, stored):
    url = f"{_documents_url(employer, grant)}/{stored['cv'][0].pk}"
    for _ in range(3):
        assert hr.post(url).status_code == 200
    refused = hr.post(url, follow=True)
    with translation.override("en"):
        assert str(READ_REFUSALS["grant-exhausted"]) in _messages(refused)


def _revoke(citizen, grant):
    revoke_grant(citizen=citizen.user, grant_id=grant.pk)


def _expire(citizen, grant):
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=timezone.now() - timedelta(days=2), valid_until=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize(("end", "code"), [(_revoke, "grant-revoked"), (_expire, "grant-expired")])
def test_an_ended_grant_refuses_the_download_and_the_list_in_the_members_language(
    hr, employer, citizen, grant, stored, end, code, language
):
    end(citizen, grant)
    before = _last_seq(citizen)
    url = f"{_documents_url(employer, grant)}/{stored['cv'][0].pk}"
    downloaded = hr.post(url, follow=True, HTTP_ACCEPT_LANGUAGE=LANGUAGES[language])
    listed = hr.get(_documents_url(employer, grant), follow=True, HTTP_ACCEPT_LANGUAGE=LANGUAGES[language])
    with translation.override(language):
        words = str(READ_REFUSALS[code])
    for response in (downloaded, listed):
        assert response.redirect_chain[-1][0] == f"{requests_url(employer)}/{grant.request_id}"
        assert words in _messages(response)
        assert b"my career" not in response.content
    assert [(a, o, r) for a, o, _, _, r, *_ in _events(citizen, since=before)] == [
        ("access.denied", "denied", code),
        ("access.denied", "denied", code),
    ]


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("which", ["scan", "other_pod"])
def test_a_document_of_another_type_or_another_pod_is_refused_in_the_members_language(
    hr, employer, citizen, grant, stored, which, language
):
    document = stored["scan"][0] if which == "scan" else stored["other_pod"]
    before = _last_seq(citizen)
    response = hr.post(
        f"{_documents_url(employer, grant)}/{document.pk}",
        follow=True,
        HTTP_ACCEPT_LANGUAGE=LANGUAGES[language],
    )
    assert response.status_code == 200
    assert NO_SUCH_DOCUMENT[language] in _messages(response)
    assert b"id card" not in response.content and b"not yours" not in response.content
    assert Grant.objects.get(pk=grant.pk).reads_used == 0
    # Logged in the candidate's pod as the refusal it is; nothing in the other citizen's.
    reason = "out-of-scope" if which == "scan" else "document-not-found"
    assert [(a, r) for a, _, _, _, r, *_ in _events(citizen, since=before)] == [("access.denied", reason)]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_another_organisations_member_gets_a_not_found_page_in_their_language(
    other_employer, employer, citizen, grant, stored, language
):
    other_hr = member_client(other_employer.organisation, "hr@other.example")
    before = _last_seq(citizen)
    accept = {"HTTP_ACCEPT_LANGUAGE": LANGUAGES[language]}
    own_console = f"{requests_url(other_employer)}/{grant.request_id}/documents"
    for response in (
        other_hr.get(_documents_url(employer, grant), **accept),
        other_hr.get(own_console, **accept),
        other_hr.post(f"{_documents_url(employer, grant)}/{stored['cv'][0].pk}", **accept),
        other_hr.post(f"{own_console}/{stored['cv'][0].pk}", **accept),
    ):
        assert response.status_code == 404
        with translation.override(language):
            assert str(translation.gettext("Page not found")) in response.content.decode()
        assert b"my career" not in response.content
    assert _events(citizen, since=before) == []
    assert Grant.objects.get(pk=grant.pk).reads_used == 0


def test_a_grant_that_shares_no_documents_has_no_documents_page(hr, employer, citizen, issued):
    filed = file_access_request(
        requester=employer.organisation,
        national_id=NATIONAL_ID,
        credential_types=["DiplomaCredential"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="Degree check",
        valid_until=timezone.now() + timedelta(days=30),
    )
    grant = approve_request(citizen=citizen.user, request_id=filed.pk)
    assert hr.get(_documents_url(employer, grant)).status_code == 404
    assert (
        _documents_url(employer, grant)
        not in hr.get(f"{requests_url(employer)}/{grant.request_id}").content.decode()
    )
