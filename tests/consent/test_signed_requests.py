"""Signed access requests: the requester signs, we check before storing anything, the citizen keeps
the request as sent and can prove it offline (consent.signing, vault.evidence, docs/api.md).

One test per attack: a forged proof (an unregistered key, another organisation's key, a registered
key named but another key signing), an altered body, a replay (the same bytes, the same nonce
re-signed, and on PostgreSQL two copies at once), a stale proof, a retired key, an unknown field.
Each refusal leaves nothing behind: no request, no evidence, no log entry.
"""

import hashlib
import json
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.utils import timezone

from accounts.models import RequestSigningKey
from accounts.requestkeys import unseal_custodial_key
from consent import requestformat, services
from consent.models import AccessRequest
from consent.verify_request import main as verify_request_main
from tests.portal.consoles import member_client, requests_url
from vault import keyrotation
from vault.models import AccessEvent, RequestEvidence
from vault.services import rotate_pod_data_key
from vault.verify_log import main as verify_log_main
from vc.multikey import did_key_for

from .conftest import CHALLENGE, DOMAIN, HR, approve, read_url, request_body

postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="concurrent inserts: PostgreSQL only (SQLite serialises writing transactions)",
)


def register_key(actor) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    response = actor.post(
        "/api/v1/organisation/request-keys",
        {"verificationMethod": did_key_for(key.public_key()).verification_method},
    )
    assert response.status_code == 201, response.json()
    return key


def send(actor, document: dict):
    raw = requestformat.encode(document)
    return actor.client.post("/api/v1/access-requests", data=raw, content_type="application/json"), raw


def nothing_stored(citizen) -> None:
    assert not AccessRequest.objects.exists()
    assert not RequestEvidence.objects.exists()
    assert not AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.REQUEST_FILED).exists()


def refused(response, status: int, reason: str | None = None) -> dict:
    assert response.status_code == status, response.json()
    problem = response.json()
    if reason is not None:
        assert problem["reason"] == reason, problem
    return problem


# --- filed, kept, downloaded, verified -------------------------------------------------------------


def test_a_signed_request_is_filed_and_its_bytes_kept_as_sent(employer, citizen):
    key = register_key(employer)
    response, raw = send(employer, requestformat.sign(request_body(), key))

    assert response.status_code == 201, response.json()
    evidence = response.json()["evidence"]
    assert evidence["signer"] == "organisation"
    assert evidence["sha256"] == hashlib.sha256(raw).hexdigest()
    assert evidence["verificationMethod"] == did_key_for(key.public_key()).verification_method
    kept = RequestEvidence.objects.get(request_id=response.json()["id"])
    # Sealed under the pod's key: the national identifier is not in the database in the clear.
    assert b"BE:85073003328" not in bytes(kept.sealed)


def test_the_citizen_downloads_the_request_as_sent_and_verifies_it_offline(
    employer, citizen, tmp_path, capsys
):
    key = register_key(employer)
    response, raw = send(employer, requestformat.sign(request_body(), key))
    request_id = response.json()["id"]

    download = citizen.get(f"/api/v1/pod/access-requests/{request_id}/evidence")

    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    document = json.loads(download.content)
    assert document["signedRequest"].encode() == raw  # verbatim, byte for byte
    assert document["organisation"]["name"] == employer.organisation.name
    assert document["signer"] == "organisation"
    path = tmp_path / "signed-request.json"
    path.write_bytes(download.content)
    assert verify_request_main([str(path)]) == 0  # no server, no database: the vc library only
    assert "VERIFIED" in capsys.readouterr().out


def test_an_edited_download_does_not_verify(employer, citizen, tmp_path):
    key = register_key(employer)
    response, _ = send(employer, requestformat.sign(request_body(), key))
    document = citizen.get(f"/api/v1/pod/access-requests/{response.json()['id']}/evidence").json()
    signed = json.loads(document["signedRequest"])
    signed["purposeDescription"] = "Anything we like."
    document["signedRequest"] = json.dumps(signed)
    document["sha256"] = hashlib.sha256(document["signedRequest"].encode()).hexdigest()
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))

    assert verify_request_main([str(path)]) == 1
    assert any("does not verify" in problem for problem in requestformat.verify_evidence(document))


def test_another_citizen_cannot_download_it(employer, citizen, other_citizen):
    key = register_key(employer)
    response, _ = send(employer, requestformat.sign(request_body(), key))
    request_id = response.json()["id"]
    grant = approve(citizen, request_id)

    assert other_citizen.get(f"/api/v1/pod/access-requests/{request_id}/evidence").status_code == 404
    assert other_citizen.get(f"/api/v1/pod/grants/{grant['id']}/evidence").status_code == 404
    assert employer.get(f"/api/v1/pod/access-requests/{request_id}/evidence").status_code == 403
    assert citizen.get(f"/api/v1/pod/grants/{grant['id']}/evidence").status_code == 200


def test_an_unsigned_request_has_no_evidence_to_download(employer, citizen):
    response = employer.post("/api/v1/access-requests", request_body())
    assert response.status_code == 201
    assert response.json()["evidence"] is None
    assert citizen.get(f"/api/v1/pod/access-requests/{response.json()['id']}/evidence").status_code == 404


def test_every_log_entry_a_request_causes_links_to_its_evidence(employer, citizen, issued):
    key = register_key(employer)
    response, _ = send(employer, requestformat.sign(request_body(), key))
    request_id = response.json()["id"]
    grant = approve(citizen, request_id)
    read = employer.get(read_url(grant["id"]))
    assert read.status_code == 200
    assert employer.post(f"/api/v1/grants/{grant['id']}/withdraw", {}).status_code == 200

    entries = citizen.get("/api/v1/pod/log").json()["results"]
    caused = [entry for entry in entries if entry["action"] != "credential.issued" and entry["requestId"]]
    assert {entry["action"] for entry in caused} == {
        "request.filed",
        "request.approved",
        "credential.read",
        "grant.withdrawn",
    }
    link = f"/api/v1/pod/access-requests/{request_id}/evidence"
    assert all(entry["requestId"] == request_id and entry["evidence"] == link for entry in caused)
    assert citizen.get(link).status_code == 200
    issued_entry = next(entry for entry in entries if entry["action"] == "credential.issued")
    assert issued_entry["evidence"] is None


# --- refused, with nothing stored ------------------------------------------------------------------


def test_a_proof_by_an_unregistered_key_is_refused(employer, citizen):
    response, _ = send(employer, requestformat.sign(request_body(), Ed25519PrivateKey.generate()))
    refused(response, 400, "unregistered-key")
    nothing_stored(citizen)


def test_a_proof_by_another_organisations_key_is_refused(employer, other_employer, citizen):
    theirs = register_key(other_employer)
    response, _ = send(employer, requestformat.sign(request_body(), theirs))
    refused(response, 400, "unregistered-key")
    nothing_stored(citizen)


def test_a_proof_naming_a_registered_key_but_made_by_another_is_refused(employer, citizen):
    registered = register_key(employer)
    method = did_key_for(registered.public_key()).verification_method
    forged = requestformat.sign(request_body(), Ed25519PrivateKey.generate(), verification_method=method)
    response, _ = send(employer, forged)
    refused(response, 400, "bad-signature")
    nothing_stored(citizen)


@pytest.mark.parametrize(
    "change",
    [
        {"purposeDescription": "Something else entirely."},
        {"credentialTypes": ["DiplomaCredential", "IdentityCardCredential"]},
        {"citizen": {"nationalId": "BE:90020199902"}},
        {"maxReads": 1},
    ],
)
def test_a_request_changed_after_signing_is_refused(employer, citizen, other_citizen, identity_type, change):
    signed = requestformat.sign(request_body(), register_key(employer))
    response, _ = send(employer, {**signed, **change})
    refused(response, 400, "bad-signature")
    nothing_stored(citizen)
    nothing_stored(other_citizen)


def test_the_same_signed_request_sent_again_is_refused(employer, citizen):
    signed = requestformat.sign(request_body(), register_key(employer))
    first, _ = send(employer, signed)
    assert first.status_code == 201
    again, _ = send(employer, signed)
    problem = refused(again, 409)
    assert problem["type"].endswith("signed-request-replayed")
    assert AccessRequest.objects.count() == RequestEvidence.objects.count() == 1


def test_a_nonce_used_before_is_refused_even_re_signed(employer, citizen):
    key = register_key(employer)
    first, _ = send(employer, requestformat.sign(request_body(), key, nonce="the-same-nonce-0001"))
    assert first.status_code == 201
    other_body = request_body(purposeDescription="A second, different request.")
    again, _ = send(employer, requestformat.sign(other_body, key, nonce="the-same-nonce-0001"))
    refused(again, 409)
    assert AccessRequest.objects.count() == 1


def test_a_proof_older_than_the_window_is_refused(employer, citizen, settings):
    old = datetime.now(UTC) - timedelta(seconds=settings.ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS + 60)
    created = old.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    response, _ = send(employer, requestformat.sign(request_body(), register_key(employer), created=created))
    refused(response, 400, "stale")
    nothing_stored(citizen)


def test_a_proof_by_a_retired_key_is_refused(employer, citizen):
    key = register_key(employer)
    row = RequestSigningKey.objects.get(organisation=employer.organisation)
    assert employer.post(f"/api/v1/organisation/request-keys/{row.pk}/retire").status_code == 200
    response, _ = send(employer, requestformat.sign(request_body(), key))
    refused(response, 400, "retired-key")
    nothing_stored(citizen)


def test_an_unknown_field_is_refused_signed_or_not(employer, citizen):
    # Our context defines no 'salary', so no signer can sign one in (JSON-LD is strict); added
    # after signing, it is refused by name before the proof is even looked at.
    signed = requestformat.sign(request_body(), register_key(employer))
    response, _ = send(employer, {**signed, "salary": "negotiable"})
    problem = refused(response, 400)
    assert "salary" in json.dumps(problem)
    nothing_stored(citizen)


@pytest.mark.parametrize(
    "change",
    [
        {"@context": ["https://www.w3.org/ns/credentials/v2"]},
        {"nonce": "short"},
        {"proof": [{"type": "DataIntegrityProof"}]},
    ],
)
def test_a_malformed_signature_is_refused(employer, citizen, change):
    signed = requestformat.sign(request_body(), register_key(employer))
    response, _ = send(employer, {**signed, **change})
    assert response.status_code == 400, response.json()
    nothing_stored(citizen)


def test_an_unsigned_request_is_refused_where_signatures_are_required(employer, citizen, settings):
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = True
    response = employer.post("/api/v1/access-requests", request_body())
    problem = refused(response, 400)
    assert problem["type"].endswith("signature-required")
    nothing_stored(citizen)
    signed, _ = send(employer, requestformat.sign(request_body(), register_key(employer)))
    assert signed.status_code == 201


# --- the key registry -------------------------------------------------------------------------


def test_a_key_is_one_organisations_for_ever(employer, other_employer):
    key = Ed25519PrivateKey.generate()
    method = did_key_for(key.public_key()).verification_method
    assert (
        employer.post("/api/v1/organisation/request-keys", {"verificationMethod": method}).status_code == 201
    )
    taken = other_employer.post(
        "/api/v1/organisation/request-keys", {"verificationMethod": method.split("#")[0]}
    )
    assert taken.status_code == 409
    listed = employer.get("/api/v1/organisation/request-keys").json()
    assert [item["verificationMethod"] for item in listed] == [method]
    assert other_employer.get("/api/v1/organisation/request-keys").json() == []


@pytest.mark.parametrize(
    "method",
    ["did:web:example.org#key-1", "not a did", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"],
)
def test_only_ed25519_did_keys_are_registered(employer, method):
    response = employer.post("/api/v1/organisation/request-keys", {"verificationMethod": method})
    assert response.status_code == 422, response.json()
    assert not RequestSigningKey.objects.exists()


def test_issuers_and_citizens_register_no_request_keys(university, citizen):
    method = did_key_for(Ed25519PrivateKey.generate().public_key()).verification_method
    for actor in (university, citizen):
        assert (
            actor.post("/api/v1/organisation/request-keys", {"verificationMethod": method}).status_code == 403
        )


# --- the web console: the custodial key ---------------------------------------------------------


@pytest.mark.parametrize("required", [True, False], ids=["signatures-required", "not-required"])
def test_a_request_filed_from_the_web_console_is_always_signed_by_the_custodial_key(
    employer, citizen, settings, required
):
    """ACCESS_REQUESTS_REQUIRE_SIGNATURE governs whether the API refuses unsigned requests, not
    whether the console signs: the citizen sees a console request signed either way."""
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = required
    request = services.file_access_request(
        requester=employer.organisation,
        national_id="BE:85073003328",
        credential_types=["DiplomaCredential"],
        purpose=HR,
        purpose_description="Filed from the web console.",
        valid_until=timezone.now() + timedelta(days=30),
        submitted_in_console=True,
    )

    key = RequestSigningKey.objects.get(organisation=employer.organisation, custodial=True)
    assert key.kek_id and key.private_key_sealed
    evidence = RequestEvidence.objects.get(request_id=request.pk)
    assert evidence.custodial and evidence.verification_method == key.verification_method
    document = citizen.get(f"/api/v1/pod/access-requests/{request.pk}/evidence").json()
    assert document["signer"] == "custodial"
    assert requestformat.verify_evidence(document) == []
    assert json.loads(document["signedRequest"])["purposeDescription"] == "Filed from the web console."
    # The custodial key's private half opens only under the KEK ring.
    assert did_key_for(unseal_custodial_key(key).public_key()).verification_method == key.verification_method


def test_the_consoles_form_files_a_signed_request_with_signatures_not_required(employer, citizen, settings):
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = False
    hr = member_client(employer.organisation, "hr@acme.example")
    response = hr.post(
        f"{requests_url(employer)}/new",
        {
            "national_id": "85.07.30-033.28",
            "credential_types": ["DiplomaCredential"],
            "purpose": HR,
            "purpose_description": "Degree check for vacancy 21",
            "valid_until": (timezone.now() + timedelta(days=30)).date().isoformat(),
        },
    )
    assert response.status_code == 302
    request = AccessRequest.objects.get()
    assert citizen.get(f"/api/v1/pod/access-requests/{request.pk}/evidence").json()["signer"] == "custodial"
    # The API, with the setting off, still files an unsigned request without evidence.
    unsigned = employer.post("/api/v1/access-requests", request_body())
    assert unsigned.status_code == 201 and unsigned.json()["evidence"] is None


def test_a_pods_data_key_rotation_re_encrypts_its_evidence(employer, citizen):
    response, raw = send(employer, requestformat.sign(request_body(), register_key(employer)))
    before = bytes(RequestEvidence.objects.get().sealed)
    assert "signed access requests" in [table.label for table in keyrotation.pod_sealed_tables()]

    rotate_pod_data_key(pod_id=citizen.pod.pk)

    assert bytes(RequestEvidence.objects.get().sealed) != before
    assert RequestEvidence.objects.get().key_version == 2  # under the new key; the old one dropped
    download = citizen.get(f"/api/v1/pod/access-requests/{response.json()['id']}/evidence").json()
    assert download["signedRequest"].encode() == raw


# --- PostgreSQL: two copies at once -------------------------------------------------------------


@postgresql
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_copies_of_one_signed_request_make_one_request(employer, citizen):
    raw = requestformat.encode(requestformat.sign(request_body(), register_key(employer)))
    start = threading.Barrier(2)
    statuses: list[int] = []

    def submit() -> None:
        try:
            start.wait()
            response = employer.client.post(
                "/api/v1/access-requests", data=raw, content_type="application/json"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409]
    assert AccessRequest.objects.count() == RequestEvidence.objects.count() == 1
    assert AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.REQUEST_FILED).count() == 1


def test_the_read_presents_what_the_signed_request_asked_for(employer, citizen, issued):
    """A signed request is an ordinary request once filed: approved and read as before."""
    response, _ = send(employer, requestformat.sign(request_body(), register_key(employer)))
    grant = approve(citizen, response.json()["id"])
    read = employer.get(read_url(grant["id"]))
    assert read.status_code == 200
    assert read.json()["verifiablePresentation"]["proof"]["challenge"] == CHALLENGE
    assert read.json()["verifiablePresentation"]["proof"]["domain"] == DOMAIN


def test_an_operator_registers_an_organisations_key_in_the_admin(operator, employer, citizen):
    key = Ed25519PrivateKey.generate()
    method = did_key_for(key.public_key()).verification_method
    page = operator.post(
        "/admin/accounts/requestsigningkey/add/",
        {"organisation": employer.organisation.pk, "verification_method": method.split("#")[0]},
    )
    assert page.status_code == 302, page.content.decode()[:500]
    assert RequestSigningKey.objects.get(organisation=employer.organisation).verification_method == method
    response, _ = send(employer, requestformat.sign(request_body(), key))
    assert response.status_code == 201
    refused_page = operator.post(
        "/admin/accounts/requestsigningkey/add/",
        {"organisation": employer.organisation.pk, "verification_method": "did:web:example.org"},
    )
    assert refused_page.status_code == 200 and RequestSigningKey.objects.count() == 1


def test_the_log_download_links_the_evidence_and_still_verifies_offline(employer, citizen, tmp_path):
    response, _ = send(employer, requestformat.sign(request_body(), register_key(employer)))
    request_id = response.json()["id"]
    download = citizen.get("/api/v1/pod/log/export").json()

    filed = [item for item in download["entries"] if item["entry"]["action"] == "request.filed"]
    assert filed and all(
        item["evidence"] == f"/api/v1/pod/access-requests/{request_id}/evidence" for item in filed
    )
    path = tmp_path / "log.json"
    path.write_text(json.dumps(download))
    assert verify_log_main([str(path)]) == 0
