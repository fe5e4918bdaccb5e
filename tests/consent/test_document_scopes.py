"""Consent scopes that name personal documents: asked for and granted like credential types
(authorizationDetails entries {"type": "document", "documentType": ...}), narrowed by the
citizen, shown in words, and read by the grantee through the consent engine only: a list of the
documents the grant covers, and a download of one, streamed, counted and logged as a read."""

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from consent import requestformat, services
from consent.models import AccessRequest, Grant
from tests.support import assert_problem, pointers
from tests.vault.documentfiles import pdf, png
from vault.models import AccessEvent

from .conftest import DIPLOMA, HR, approve, read_url, request_body
from .test_grant_credentials import holds, verify_at_vc_api
from .test_signed_requests import register_key, send

CV = {"type": "document", "documentType": "cv"}
TRANSCRIPT = {"type": "document", "documentType": "transcript"}
DIPLOMA_ENTRY = {"type": "credential", "credentialType": DIPLOMA}
PASSWORD = "correct horse battery staple"


def _file(employer, entries, **overrides):
    body = request_body(authorizationDetails=entries, **overrides)
    del body["credentialTypes"]
    return employer.post("/api/v1/access-requests", body)


def _filed(employer, entries, **overrides) -> dict:
    response = _file(employer, entries, **overrides)
    assert response.status_code == 201, response.json()
    return response.json()


def _store(citizen, kind: str, content: bytes, *, content_type="application/pdf", name="") -> str:
    query = urlencode({"type": kind, **({"name": name} if name else {})})
    response = citizen.client.post(f"/api/v1/pod/documents?{query}", data=content, content_type=content_type)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _list_url(grant_id, purpose=HR) -> str:
    return f"/api/v1/grants/{grant_id}/documents?" + urlencode({"purpose": purpose})


def _download_url(grant_id, document_id, purpose=HR) -> str:
    return f"/api/v1/grants/{grant_id}/documents/{document_id}?" + urlencode({"purpose": purpose})


def _downloaded(response) -> bytes:
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def _log(citizen, since: int = 0) -> list[tuple]:
    return [
        (e.action, e.outcome, e.actor_label, e.credential_type, e.reason, e.grant_id, e.resource_id)
        for e in AccessEvent.objects.filter(pod=citizen.pod, seq__gt=since).order_by("seq")
    ]


def _last_seq(citizen) -> int:
    return AccessEvent.objects.filter(pod=citizen.pod).order_by("-seq").values_list("seq", flat=True)[0]


# --- asking ------------------------------------------------------------------------------------


def test_a_request_names_document_types_beside_credential_types(employer, citizen):
    body = _filed(employer, [TRANSCRIPT, DIPLOMA_ENTRY, CV])
    # Credentials first, then documents, each sorted: the shape it was asked in.
    assert body["authorizationDetails"] == [DIPLOMA_ENTRY, CV, TRANSCRIPT]
    assert body["credentialTypes"] == [DIPLOMA]
    stored = AccessRequest.objects.get(pk=body["id"])
    assert stored.document_types == ["cv", "transcript"]
    filed = [(a, t) for a, _, _, t, *_ in _log(citizen) if a == "request.filed"]
    assert filed == [("request.filed", DIPLOMA), ("request.filed", "cv"), ("request.filed", "transcript")]


def test_a_signed_request_for_documents_is_kept_as_signed(employer, citizen, settings):
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = True
    body = request_body(authorizationDetails=[DIPLOMA_ENTRY, CV])
    del body["credentialTypes"]
    response, raw = send(employer, requestformat.sign(body, register_key(employer)))
    assert response.status_code == 201, response.json()
    request_id = response.json()["id"]
    assert AccessRequest.objects.get(pk=request_id).document_types == ["cv"]
    kept = citizen.get(f"/api/v1/pod/access-requests/{request_id}/evidence").json()
    assert kept["signedRequest"].encode() == raw


def test_the_console_signs_a_document_request_with_its_entries(employer, citizen, settings):
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = True
    request = services.file_access_request(
        requester=employer.organisation,
        national_id="BE:85073003328",
        credential_types=[],
        document_types=["cv"],
        purpose=HR,
        purpose_description="The CV for the vacancy.",
        valid_until=timezone.now() + timedelta(days=3),
    )
    kept = citizen.get(f"/api/v1/pod/access-requests/{request.pk}/evidence").json()
    assert kept["signer"] == "custodial"
    assert json.loads(kept["signedRequest"])["authorizationDetails"] == [CV]


def test_a_request_may_ask_for_documents_alone(employer, citizen):
    body = _filed(employer, [CV])
    assert body["credentialTypes"] == []
    assert body["authorizationDetails"] == [CV]


@pytest.mark.parametrize(
    ("entries", "where"),
    [
        ([{"type": "document", "documentType": "passport"}], "/authorizationDetails/0/documentType"),
        ([{"type": "document"}], "/authorizationDetails/0/documentType"),
        ([{"type": "document", "documentType": 7}], "/authorizationDetails/0/documentType"),
        ([{"type": "document", "documentType": "CV"}], "/authorizationDetails/0/documentType"),  # spelt so
        ([CV, DIPLOMA_ENTRY, CV], "/authorizationDetails/2/documentType"),  # a type twice
        ([{**CV, "claims": ["/name"]}], "/authorizationDetails/0/claims"),  # a document is whole
        ([{**CV, "credentialType": DIPLOMA}], "/authorizationDetails/0/credentialType"),
        ([{**CV, "locations": ["https://x.example"]}], "/authorizationDetails/0/locations"),
        ([{"type": "documents", "documentType": "cv"}], "/authorizationDetails/0/type"),
    ],
)
def test_a_document_entry_that_is_not_understood_is_a_400_naming_it(employer, citizen, entries, where):
    body = assert_problem(_file(employer, entries), 400, "validation-error")
    assert where in pointers(body), body
    assert not AccessRequest.objects.exists()


def test_an_unknown_document_type_is_named_with_the_ones_there_are(employer, citizen):
    body = assert_problem(_file(employer, [{"type": "document", "documentType": "passport"}]), 400)
    [error] = body["errors"]
    assert "'passport'" in error["detail"] and "cv, scan, transcript" in error["detail"]


# --- granting ----------------------------------------------------------------------------------


def test_the_citizen_approves_documents_as_asked_or_drops_them(employer, citizen):
    as_asked = approve(citizen, _filed(employer, [DIPLOMA_ENTRY, CV, TRANSCRIPT])["id"])
    assert as_asked["authorizationDetails"] == [DIPLOMA_ENTRY, CV, TRANSCRIPT]
    assert Grant.objects.get(pk=as_asked["id"]).document_types == ["cv", "transcript"]

    narrowed = approve(
        citizen, _filed(employer, [DIPLOMA_ENTRY, CV, TRANSCRIPT])["id"], authorizationDetails=[CV]
    )
    assert narrowed["authorizationDetails"] == [CV]
    assert narrowed["credentialTypes"] == []
    assert Grant.objects.get(pk=narrowed["id"]).document_types == ["cv"]

    # Narrowing by credentialTypes keeps the document types as asked.
    kept = approve(citizen, _filed(employer, [DIPLOMA_ENTRY, CV])["id"], credentialTypes=[DIPLOMA])
    assert kept["authorizationDetails"] == [DIPLOMA_ENTRY, CV]


def test_a_document_type_not_asked_for_cannot_be_granted(employer, citizen):
    request_id = _filed(employer, [DIPLOMA_ENTRY, CV])["id"]
    response = citizen.post(
        f"/api/v1/pod/access-requests/{request_id}/approve", {"authorizationDetails": [CV, TRANSCRIPT]}
    )
    body = assert_problem(response, 422, "invalid-narrowing")
    assert "transcript" in body["detail"]
    assert not Grant.objects.exists()
    with pytest.raises(Exception, match="transcript"):
        services.approve_request(citizen=citizen.user, request_id=request_id, document_types=["transcript"])


def test_the_grant_credential_names_its_document_types_and_verifies(employer, citizen):
    grant = approve(citizen, _filed(employer, [DIPLOMA_ENTRY, CV])["id"])
    credential = grant["accessGrantCredential"]
    assert credential["credentialSubject"]["scope"] == [{"credentialType": DIPLOMA}, {"documentType": "cv"}]
    result = verify_at_vc_api(credential)  # strict JSON-LD: an undefined term would fail it
    assert holds(result), result


def test_consent_records_name_the_document_types(employer, citizen):
    request_id = _filed(employer, [DIPLOMA_ENTRY, CV, TRANSCRIPT])["id"]
    approve(citizen, request_id, authorizationDetails=[DIPLOMA_ENTRY, TRANSCRIPT])
    export = citizen.get("/api/v1/pod/consent-records").json()
    [record] = [r for r in export["records"] if r["recordId"] == f"urn:uuid:{request_id}"]
    assert record["piiCategoriesRequested"] == [
        {"credentialType": DIPLOMA, "claims": "whole"},
        {"documentType": "cv", "claims": "whole"},
        {"documentType": "transcript", "claims": "whole"},
    ]
    assert record["piiCategoriesGranted"] == [
        {"credentialType": DIPLOMA, "claims": "whole"},
        {"documentType": "transcript", "claims": "whole"},
    ]


def _portal(citizen) -> Client:
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert browser.login(username=citizen.user.username, password=PASSWORD)
    return browser


def test_the_portal_shows_documents_in_words_and_lets_the_citizen_drop_one(employer, citizen):
    request_id = _filed(employer, [DIPLOMA_ENTRY, CV, TRANSCRIPT])["id"]
    browser = _portal(citizen)
    page = browser.get("/portal/requests").content.decode()
    assert "documents: Curriculum vitae" in page and "documents: Transcript of records" in page
    assert 'name="document_types" value="cv"' in page

    response = browser.post(
        f"/portal/requests/{request_id}/approve",
        {"credential_types": [], "document_types": ["transcript"]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = Grant.objects.get(request_id=request_id)
    assert (grant.credential_types, grant.document_types) == ([], ["transcript"])
    grants_page = browser.get("/portal/grants").content.decode()
    assert "documents: Transcript of records" in grants_page
    assert "Curriculum vitae" not in grants_page


def test_the_portal_refuses_an_approval_that_shares_nothing(employer, citizen):
    request_id = _filed(employer, [DIPLOMA_ENTRY, CV])["id"]
    response = _portal(citizen).post(f"/portal/requests/{request_id}/approve", {})
    assert response.status_code == 400
    assert "Choose at least one credential type or document type to share." in response.content.decode()
    assert not Grant.objects.exists()


# --- reading -----------------------------------------------------------------------------------


@pytest.fixture
def stored(citizen):
    """A CV (in several chunks), a scan and a transcript in the citizen's pod."""
    with override_settings(DOCUMENT_CHUNK_BYTES=256):
        cv_content = pdf("CANARY-cv-for-the-employer", padding=900)
        return {
            "cv": (_store(citizen, "cv", cv_content, name="Curriculum Vitae.pdf"), cv_content),
            "scan": (_store(citizen, "scan", png("scan"), content_type="image/png"), png("scan")),
            "transcript": (_store(citizen, "transcript", pdf("grades")), pdf("grades")),
        }


def _granted(employer, citizen, entries, **asked) -> dict:
    return approve(citizen, _filed(employer, entries, **asked)["id"])


def test_the_grantee_lists_the_documents_the_grant_covers_and_nothing_is_read(employer, citizen, stored):
    grant = _granted(employer, citizen, [CV, {"type": "document", "documentType": "scan"}], maxReads=1)
    before = _last_seq(citizen)
    response = employer.get(_list_url(grant["id"]))
    assert response.status_code == 200, response.json()
    listed = response.json()["documents"]
    assert {d["id"] for d in listed} == {stored["cv"][0], stored["scan"][0]}
    cv = next(d for d in listed if d["type"] == "cv")
    assert cv == {
        "id": stored["cv"][0],
        "type": "cv",
        "contentType": "application/pdf",
        "size": len(stored["cv"][1]),
        "uploadedBy": "citizen",
        "storedAt": cv["storedAt"],
    }
    assert "Curriculum" not in response.content.decode()  # the name is sealed: download it
    assert _log(citizen, since=before) == []
    assert Grant.objects.get(pk=grant["id"]).reads_used == 0


def test_a_download_is_the_upload_counted_and_logged_in_its_transaction(employer, citizen, stored):
    grant = _granted(employer, citizen, [DIPLOMA_ENTRY, CV], maxReads=2)
    document_id, content = stored["cv"]
    before = _last_seq(citizen)

    response = employer.get(_download_url(grant["id"], document_id))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(content))
    assert 'filename="Curriculum Vitae.pdf"' in response["Content-Disposition"]
    # Logged and counted before a byte is streamed: the read is the transaction, not the transfer.
    assert Grant.objects.get(pk=grant["id"]).reads_used == 1
    assert _log(citizen, since=before) == [
        (
            "document.read",
            "allowed",
            employer.organisation.name,
            "cv",
            "",
            _uuid(grant["id"]),
            _uuid(document_id),
        )
    ]
    assert _downloaded(response) == content
    entry = AccessEvent.objects.get(pod=citizen.pod, seq=before + 1)
    assert entry.purpose == HR and entry.actor_organisation_id == employer.organisation.pk
    assert entry.request_id == _uuid(grant["requestId"])

    # The second download takes the last read and ends the grant; a third is refused and logged.
    assert _downloaded(employer.get(_download_url(grant["id"], document_id))) == content
    assert Grant.objects.get(pk=grant["id"]).status == Grant.Status.EXHAUSTED
    assert_problem(employer.get(_download_url(grant["id"], document_id)), 403, "grant-exhausted")
    assert [(a, o, r) for a, o, _, _, r, *_ in _log(citizen, since=before + 1)] == [
        ("document.read", "allowed", ""),
        ("grant.exhausted", "allowed", ""),
        ("access.denied", "denied", "grant-exhausted"),
    ]


def _uuid(value):
    import uuid

    return uuid.UUID(str(value))


def _revoke(employer, citizen, grant):
    assert citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke", {}).status_code == 200


def _expire(employer, citizen, grant):
    Grant.objects.filter(pk=grant["id"]).update(
        valid_from=timezone.now() - timedelta(days=2), valid_until=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.parametrize(
    ("end", "code"),
    [(_revoke, "grant-revoked"), (_expire, "grant-expired")],
)
def test_an_ended_grant_reads_no_document_from_the_very_next_read(employer, citizen, stored, end, code):
    grant = _granted(employer, citizen, [CV])
    document_id, content = stored["cv"]
    assert _downloaded(employer.get(_download_url(grant["id"], document_id))) == content
    end(employer, citizen, grant)
    before = _last_seq(citizen)

    assert_problem(employer.get(_download_url(grant["id"], document_id)), 403, code)
    assert_problem(employer.get(_list_url(grant["id"])), 403, code)
    assert _log(citizen, since=before) == [
        ("access.denied", "denied", employer.organisation.name, "cv", code, _uuid(grant["id"]), None),
        ("access.denied", "denied", employer.organisation.name, "", code, _uuid(grant["id"]), None),
    ]


def test_a_document_of_a_type_not_granted_is_a_404_like_one_that_does_not_exist(employer, citizen, stored):
    grant = _granted(employer, citizen, [DIPLOMA_ENTRY, CV], maxReads=5)
    before = _last_seq(citizen)
    wrong_type = employer.get(_download_url(grant["id"], stored["transcript"][0]))
    missing = employer.get(_download_url(grant["id"], "0b1d7a37-3d0e-4d5c-9a52-6ad4d4e8a9f1"))
    for response in (wrong_type, missing):
        body = assert_problem(response, 404, "document-not-found")
        assert body["detail"] == "The grant covers no document with that id."
    assert b"grades" not in wrong_type.content
    assert [(a, t, r) for a, _, _, t, r, *_ in _log(citizen, since=before)] == [
        ("access.denied", "transcript", "out-of-scope"),
        ("access.denied", "", "document-not-found"),
    ]
    assert Grant.objects.get(pk=grant["id"]).reads_used == 0


def test_a_grant_without_documents_lists_none_and_credentials_only_grant_reads_no_documents(
    employer, citizen, stored, issued
):
    grant = _granted(employer, citizen, [DIPLOMA_ENTRY])
    body = assert_problem(employer.get(_list_url(grant["id"])), 403, "out-of-scope")
    assert "no documents" in body["detail"]
    assert_problem(employer.get(_download_url(grant["id"], stored["cv"][0])), 404, "document-not-found")

    documents_only = _granted(employer, citizen, [CV])
    body = assert_problem(employer.get(read_url(documents_only["id"])), 403, "out-of-scope")
    assert "no credentials" in body["detail"]


def test_another_organisation_reads_nothing_and_the_attempt_is_logged_once(
    employer, other_employer, citizen, stored
):
    grant = _granted(employer, citizen, [CV])
    before = _last_seq(citizen)
    for _ in range(2):
        assert_problem(
            other_employer.get(_download_url(grant["id"], stored["cv"][0])), 404, "grant-not-found"
        )
        assert_problem(other_employer.get(_list_url(grant["id"])), 404, "grant-not-found")
    assert _log(citizen, since=before) == [
        (
            "access.denied",
            "denied",
            other_employer.organisation.name,
            "",
            "not-grantee",
            _uuid(grant["id"]),
            None,
        )
    ]


def test_a_read_for_another_purpose_is_refused_and_logged(employer, citizen, stored):
    grant = _granted(employer, citizen, [CV])
    before = _last_seq(citizen)
    body = assert_problem(
        employer.get(_download_url(grant["id"], stored["cv"][0], purpose="dpv:ResearchAndDevelopment")),
        403,
        "purpose-mismatch",
    )
    assert "dpv:ResearchAndDevelopment" in body["detail"]
    assert_problem(employer.get(_download_url(grant["id"], stored["cv"][0], purpose="marketing")), 400)
    assert [(a, r) for a, _, _, _, r, *_ in _log(citizen, since=before)] == [
        ("access.denied", "purpose-mismatch"),
        ("access.denied", "unknown-purpose"),
    ]


def test_a_citizen_and_an_issuer_cannot_use_the_grantee_endpoints(employer, citizen, university, stored):
    grant = _granted(employer, citizen, [CV])
    for actor in (citizen, university):
        assert actor.get(_list_url(grant["id"])).status_code == 403
        assert actor.get(_download_url(grant["id"], stored["cv"][0])).status_code == 403


def test_the_purpose_is_required(employer, citizen, stored):
    grant = _granted(employer, citizen, [CV])
    response = employer.get(f"/api/v1/grants/{grant['id']}/documents/{stored['cv'][0]}")
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/purpose"]


def test_a_parameter_the_documents_do_not_take_is_refused_by_name_before_anything_is_read(
    employer, citizen, stored
):
    grant = _granted(employer, citizen, [CV])
    since = _last_seq(citizen)
    reads_used = Grant.objects.get(pk=grant["id"]).reads_used
    for url in (_list_url(grant["id"]), _download_url(grant["id"], stored["cv"][0])):
        response = employer.get(url + "&purpos=x&documentType=transcript")
        problem = assert_problem(response, 400, "validation-error")
        assert pointers(problem) == ["/documentType", "/purpos"]
        assert "accepted here: purpose" in json.dumps(problem)
    assert _log(citizen, since) == []
    assert Grant.objects.get(pk=grant["id"]).reads_used == reads_used
    # The same URLs without the stray parameters answer.
    assert employer.get(_list_url(grant["id"])).status_code == 200
    assert _downloaded(employer.get(_download_url(grant["id"], stored["cv"][0])))


def test_nothing_of_the_document_reaches_the_grant_or_request_json(employer, citizen, stored):
    grant = _granted(employer, citizen, [CV])
    text = json.dumps(employer.get(f"/api/v1/grants/{grant['id']}").json())
    assert "CANARY" not in text and "Curriculum Vitae" not in text
