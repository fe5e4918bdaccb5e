"""Consent records in the fields of ISO/IEC TS 27560 (consent.receipts), from the API and the
portal, and the portal's links to the signed request (docs/api.md)."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from consent import requestformat, services
from consent.models import AccessRequest
from vault.models import AccessEvent

from .conftest import approve, read_url, request_body
from .test_signed_requests import register_key, send

PASSWORD = "correct horse battery staple"


def records_of(citizen) -> dict:
    response = citizen.get("/api/v1/pod/consent-records")
    assert response.status_code == 200, response.json()
    return response.json()


def record(export: dict, request_id: str) -> dict:
    return next(item for item in export["records"] if item["recordId"] == f"urn:uuid:{request_id}")


def test_the_export_holds_every_state_change_in_order_tied_to_the_log(employer, citizen, issued):
    response, raw = send(employer, requestformat.sign(request_body(maxReads=5), register_key(employer)))
    request_id = response.json()["id"]
    grant = approve(citizen, request_id, maxReads=3)
    assert employer.get(read_url(grant["id"])).status_code == 200  # a read: not a change of consent
    assert citizen.post(f"/api/v1/pod/grants/{grant['id']}/read-limit", {"maxReads": 2}).status_code == 200
    assert citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke", {}).status_code == 200

    export = records_of(citizen)

    assert export["conformsTo"] == "https://w3id.org/dpv/schema/dpv-27560#record"
    item = record(export, request_id)
    assert [(e["eventType"], e["consentStatus"], e["eventBy"]) for e in item["events"]] == [
        ("request.filed", "dpv:ConsentRequested", "pii-controller"),
        ("request.approved", "dpv:ConsentGiven", "pii-principal"),
        ("grant.limit_lowered", "dpv:ConsentGiven", "pii-principal"),
        ("grant.revoked", "dpv:ConsentWithdrawn", "pii-principal"),
    ]
    for event in item["events"]:  # each one is the log's own entry
        entry = AccessEvent.objects.get(pod=citizen.pod, seq=event["logEntry"]["seq"])
        assert (entry.action, entry.entry_hash) == (event["eventType"], event["logEntry"]["hash"])
    assert item["consentStatus"] == "dpv:ConsentWithdrawn"
    assert item["piiPrincipalId"] == citizen.pod.holder_did
    assert item["piiControllers"][0]["name"] == employer.organisation.name
    assert item["legalBasis"] == "dpv:Consent"
    assert item["purposes"] == [
        {"purpose": "dpv:HumanResourceManagement", "description": request_body()["purposeDescription"]}
    ]
    assert item["piiCategoriesGranted"] == [{"credentialType": "DiplomaCredential", "claims": "whole"}]
    assert item["processingLimits"] == {"maxReadsRequested": 5, "maxReadsGranted": 2, "readsUsed": 1}
    signed = item["notice"]["signedRequest"]
    assert signed["signer"] == "organisation"
    assert signed["sha256"] == hashlib.sha256(raw).hexdigest()
    assert citizen.get(signed["download"]).status_code == 200


def test_refused_withdrawn_and_expired_requests_each_end_in_their_status(employer, citizen, issued):
    denied = employer.post("/api/v1/access-requests", request_body()).json()["id"]
    withdrawn = employer.post("/api/v1/access-requests", request_body()).json()["id"]
    expired = employer.post("/api/v1/access-requests", request_body()).json()["id"]
    pending = employer.post("/api/v1/access-requests", request_body()).json()["id"]
    assert citizen.post(f"/api/v1/pod/access-requests/{denied}/deny", {"reason": "No."}).status_code == 200
    assert employer.post(f"/api/v1/access-requests/{withdrawn}/withdraw", {}).status_code == 200
    AccessRequest.objects.filter(pk=expired).update(
        answer_by=timezone.now() - timedelta(minutes=1), created_at=timezone.now() - timedelta(days=1)
    )
    services.expire_request(request_id=expired)

    export = records_of(citizen)

    statuses = {
        key: (
            record(export, value)["consentStatus"],
            [e["eventType"] for e in record(export, value)["events"]],
        )
        for key, value in {
            "denied": denied,
            "withdrawn": withdrawn,
            "expired": expired,
            "pending": pending,
        }.items()
    }
    assert statuses == {
        "denied": ("dpv:ConsentRefused", ["request.filed", "request.denied"]),
        "withdrawn": ("dpv:ConsentRevoked", ["request.filed", "request.withdrawn"]),
        "expired": ("dpv:ConsentExpired", ["request.filed", "request.expired"]),
        "pending": ("dpv:ConsentRequested", ["request.filed"]),
    }
    assert record(export, denied)["events"][1]["reason"] == "denied-by-citizen"
    assert record(export, pending)["notice"]["signedRequest"] is None  # filed unsigned


def test_a_citizen_sees_only_their_own_records(employer, citizen, other_citizen):
    employer.post("/api/v1/access-requests", request_body())
    assert len(records_of(citizen)["records"]) == 1
    assert records_of(other_citizen)["records"] == []
    assert employer.get("/api/v1/pod/consent-records").status_code == 403


# --- the portal -----------------------------------------------------------------------------------


def logged_in(actor) -> Client:
    actor.user.set_password(PASSWORD)
    actor.user.save()
    client = Client()
    assert client.login(username=actor.user.username, password=PASSWORD)
    return client


@pytest.fixture
def signed_request(employer, citizen) -> str:
    response, _ = send(employer, requestformat.sign(request_body(), register_key(employer)))
    return response.json()["id"]


def test_the_portal_shows_who_signed_and_offers_the_signed_request(citizen, signed_request, employer):
    browser = logged_in(citizen)
    page = browser.get("/portal/requests").content.decode()
    assert "with its own key: it cannot deny asking" in page
    assert f"/portal/requests/{signed_request}/signed-request" in page
    assert "/portal/consent-records" in page

    download = browser.get(f"/portal/requests/{signed_request}/signed-request")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert requestformat.verify_evidence(json.loads(download.content)) == []

    records = browser.get("/portal/consent-records")
    assert records.status_code == 200
    assert json.loads(records.content)["records"][0]["recordId"] == f"urn:uuid:{signed_request}"


def test_the_log_page_links_each_entry_to_the_signed_request(citizen, signed_request):
    page = logged_in(citizen).get("/portal/log").content.decode()
    assert f"/portal/requests/{signed_request}/signed-request" in page


def test_another_citizen_gets_a_404_for_the_signed_request(other_citizen, signed_request):
    response = logged_in(other_citizen).get(f"/portal/requests/{signed_request}/signed-request")
    assert response.status_code == 404


def test_an_unsigned_request_says_so_in_the_portal(employer, citizen):
    employer.post("/api/v1/access-requests", request_body())
    page = logged_in(citizen).get("/portal/requests").content.decode()
    assert "Not signed: kept only as filed" in page
