"""Grants as credentials: on approval the service signs an AccessGrantCredential for the grantee;
its revocation bit, in the service's public status list, is set in the transaction in which the
grant ends (revoked, withdrawn, expired, exhausted), so a third party checking it at
/credentials/verify, or offline with the vc library from the published list, sees the end."""

import copy
import json
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from consent import services
from consent.models import Grant, GrantCredential
from credentials.models import SERVICE_SLUG, StatusEntry
from vc.dataintegrity import add_proof, verify_proofs
from vc.diddocument import parse_did_document
from vc.dids import resolve_key
from vc.errors import ProofInvalid
from vc.jsonld import ACCESS_GRANT_V1, CREDENTIALS_V2
from vc.multikey import did_key_for
from vc.statuslist import ListStatus, decode_bitstring, read_statuses

from .conftest import CHALLENGE, DOMAIN, HR, approve, file_request, read_url, request_body
from .fields import AWARDED_ON, DEGREE_NAME, details

NATIONAL_ID = "BE:85073003328"


def verify_at_vc_api(credential: dict) -> dict:
    """What anyone gets from the public VC API verifier (unauthenticated: it does not know who
    asks). VCALM: a failed proof is an error (422, verified false); a set status bit is a
    warning the caller must act on (200), as are the validity period and the trust registry."""
    response = APIClient().post("/credentials/verify", {"verifiableCredential": credential}, format="json")
    assert response.status_code in (200, 422), response.content
    return response.json()


def problems(result: dict) -> dict[str, str]:
    """Each failed check and the type of its problem (errors and warnings alike)."""
    return {
        problem["check"]: problem["type"].rpartition("#")[2]
        for problem in result.get("errors", []) + result.get("warnings", [])
    }


def holds(result: dict) -> bool:
    """Whether a third party may rely on the grant: verified, and nothing to warn of."""
    return result["verified"] is True and not problems(result)


def offline_status(credential: dict) -> bool:
    """A third party with the vc library alone: the issuer's key from its DID (did:key, or the
    did:web document at /.well-known/did.json), the status list credential fetched anonymously
    (it covers every grant: fetching it says nothing of which one is checked), both proofs
    verified, the bit read. Returns whether the credential is revoked."""
    anonymous = APIClient()

    def did_web(did: str):
        return parse_did_document(did, anonymous.get("/.well-known/did.json").json())

    resolve = partial(resolve_key, did_web=did_web)
    now = datetime.now(UTC)
    verify_proofs(credential, resolve=resolve, now=now)

    def lists(url: str, *, now: datetime) -> ListStatus:
        response = anonymous.get(urlsplit(url).path)
        assert response.status_code == 200
        document = json.loads(response.content)
        assert document["id"] == url
        verify_proofs(document, resolve=resolve, now=now)
        subject = document["credentialSubject"]
        return ListStatus(
            document["issuer"], subject["statusPurpose"], decode_bitstring(subject["encodedList"])
        )

    [status] = read_statuses(credential, lists=lists, now=now)
    assert status.purpose == "revocation"
    return status.is_set


@pytest.fixture(params=["did:key", "did:web"])
def identity(request, settings):
    """The service signs as the did:key of its key, or, with hosting on, as did:web:<host>."""
    settings.ISSUER_DID_WEB_HOST = "vault.example.be" if request.param == "did:web" else ""
    return request.param


def granted(employer, citizen, **asked) -> dict:
    return approve(citizen, file_request(employer, **asked)["id"])


# --- what the credential says ------------------------------------------------------------------


def test_approval_gives_the_grantee_a_credential_that_verifies(employer, citizen, identity):
    grant = granted(employer, citizen, maxReads=3)
    credential = grant["accessGrantCredential"]

    result = verify_at_vc_api(credential)
    assert holds(result), result
    assert result["checks"] == ["proof", "issuer_trusted", "validity", "status"]
    assert offline_status(credential) is False
    assert credential["@context"] == [CREDENTIALS_V2, ACCESS_GRANT_V1]
    assert credential["type"] == ["VerifiableCredential", "AccessGrantCredential"]
    assert credential["issuer"].startswith(identity)
    if identity == "did:web":
        assert credential["issuer"] == "did:web:vault.example.be"
    subject = credential["credentialSubject"]
    assert subject["id"] == f"urn:uuid:{grant['id']}"
    assert subject["grantee"] == {
        "id": f"urn:uuid:{employer.organisation.pk}",
        "name": employer.organisation.name,
    }
    assert subject["purpose"] == HR
    assert subject["scope"] == [{"credentialType": "DiplomaCredential"}]
    assert subject["maxReads"] == 3
    stored = Grant.objects.get(pk=grant["id"])
    assert credential["validUntil"] == stored.valid_until.replace(microsecond=0).isoformat().replace(
        "+00:00", "Z"
    )


def test_the_credential_names_the_citizen_by_a_pseudonym_of_this_grantee_alone(
    employer, other_employer, citizen, other_citizen
):
    first = granted(employer, citizen)["accessGrantCredential"]
    second = granted(employer, citizen)["accessGrantCredential"]
    other = granted(other_employer, citizen)["accessGrantCredential"]
    other_person = approve(
        other_citizen,
        file_request(employer, citizen={"nationalId": "BE:90020199902"})["id"],
    )["accessGrantCredential"]

    pseudonym = first["credentialSubject"]["dataSubject"]
    assert pseudonym.startswith("urn:uuid:")
    assert second["credentialSubject"]["dataSubject"] == pseudonym  # one grantee: one name
    assert other["credentialSubject"]["dataSubject"] != pseudonym  # unlinkable across grantees
    assert other_person["credentialSubject"]["dataSubject"] != pseudonym
    text = json.dumps(first)
    assert NATIONAL_ID not in text and "85073003328" not in text
    assert str(citizen.pod.pk) not in text and str(citizen.user.pk) not in text


def test_a_field_scoped_grant_names_its_fields(employer, citizen):
    body = request_body(authorizationDetails=details(claims=[DEGREE_NAME, AWARDED_ON]))
    del body["credentialTypes"]
    filed = employer.post("/api/v1/access-requests", body).json()
    grant = approve(citizen, filed["id"])
    subject = grant["accessGrantCredential"]["credentialSubject"]
    assert subject["scope"] == [
        {"credentialType": "DiplomaCredential", "claims": sorted([AWARDED_ON, DEGREE_NAME])}
    ]
    assert "maxReads" not in subject
    assert holds(verify_at_vc_api(grant["accessGrantCredential"]))


def test_the_grantee_and_the_citizen_fetch_it_and_nobody_else(
    employer, other_employer, citizen, other_citizen
):
    grant = granted(employer, citizen)
    credential = grant["accessGrantCredential"]

    response = employer.get(f"/api/v1/grants/{grant['id']}")
    assert response.status_code == 200
    assert response.json()["accessGrantCredential"] == credential
    [listed] = citizen.get("/api/v1/pod/grants").json()["results"]
    assert listed["accessGrantCredential"] == credential
    assert other_employer.get(f"/api/v1/grants/{grant['id']}").status_code == 404
    assert citizen.get(f"/api/v1/grants/{grant['id']}").status_code == 403
    assert other_citizen.get("/api/v1/pod/grants").json()["results"] == []
    assert APIClient().get(f"/api/v1/grants/{grant['id']}").status_code == 401


# --- a grant that ends: its credential no longer verifies --------------------------------------


def _revoke(employer, citizen, grant):
    assert citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke").status_code == 200


def _withdraw(employer, citizen, grant):
    assert employer.post(f"/api/v1/grants/{grant['id']}/withdraw").status_code == 200


def _expire(employer, citizen, grant):
    Grant.objects.filter(pk=grant["id"]).update(
        valid_from=timezone.now() - timedelta(days=2), valid_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.sweep_lifecycle()["grantsExpired"] == 1


def _exhaust(employer, citizen, grant):
    assert employer.get(read_url(grant["id"])).status_code == 200  # the last of its one read


def _lower_to_the_reads_made(employer, citizen, grant):
    assert employer.get(read_url(grant["id"])).status_code == 200
    response = citizen.post(f"/api/v1/pod/grants/{grant['id']}/read-limit", {"maxReads": 1})
    assert response.status_code == 200 and response.json()["status"] == "exhausted"


@pytest.mark.parametrize(
    ("end", "status", "reads"),
    [
        (_revoke, "revoked", 3),
        (_withdraw, "withdrawn", 3),
        (_expire, "expired", 3),
        (_exhaust, "exhausted", 1),
        (_lower_to_the_reads_made, "exhausted", 3),
    ],
)
def test_a_grant_that_ended_has_a_credential_that_no_longer_verifies(
    employer, citizen, issued, identity, end, status, reads
):
    grant = granted(employer, citizen, maxReads=reads)
    credential = GrantCredential.objects.get(grant_id=grant["id"]).document
    assert holds(verify_at_vc_api(credential))

    end(employer, citizen, grant)

    assert Grant.objects.get(pk=grant["id"]).status == status
    result = verify_at_vc_api(credential)
    # (The expiry is made by moving the grant's end, not the clock: only the bit tells.)
    assert problems(result) == {"status": "credential-revoked"}, result
    assert not holds(result)
    assert offline_status(credential) is True


def test_a_revocation_rolled_back_leaves_the_bit_unset(employer, citizen):
    grant = granted(employer, citizen)
    credential = grant["accessGrantCredential"]

    with pytest.raises(RuntimeError), transaction.atomic():
        services.revoke_grant(citizen=citizen.user, grant_id=grant["id"])
        assert offline_status(credential) is True  # inside: the bit is set with the grant's end
        raise RuntimeError("the citizen's revocation fails after the flip")

    assert Grant.objects.get(pk=grant["id"]).status == "active"
    assert offline_status(credential) is False
    assert holds(verify_at_vc_api(credential))


def test_a_read_that_fails_after_exhausting_leaves_the_grant_and_the_bit_as_they_were(
    employer, citizen, issued, monkeypatch
):
    grant = granted(employer, citizen, maxReads=1)
    credential = grant["accessGrantCredential"]
    from consent import grantcredentials

    def flip_then_fail(grant):
        original(grant)
        raise RuntimeError("the read's transaction fails after the flip")

    original = grantcredentials.revoke_for
    monkeypatch.setattr(grantcredentials, "revoke_for", flip_then_fail)
    with pytest.raises(RuntimeError):
        services.read_under_grant(
            organisation=employer.organisation,
            grant_id=grant["id"],
            purpose=HR,
            challenge=CHALLENGE,
            domain=DOMAIN,
        )
    stored = Grant.objects.get(pk=grant["id"])
    assert (stored.status, stored.reads_used) == ("active", 0)
    assert offline_status(credential) is False


def test_a_lowered_limit_revokes_the_credential_and_issues_one_that_says_it(employer, citizen):
    grant = granted(employer, citizen, maxReads=5)
    before = grant["accessGrantCredential"]

    response = citizen.post(f"/api/v1/pod/grants/{grant['id']}/read-limit", {"maxReads": 2})

    assert response.status_code == 200
    after = response.json()["accessGrantCredential"]
    assert after["credentialSubject"]["maxReads"] == 2 and after["id"] != before["id"]
    assert offline_status(before) is True
    assert holds(verify_at_vc_api(after))
    assert employer.get(f"/api/v1/grants/{grant['id']}").json()["accessGrantCredential"] == after


def test_an_erased_pod_takes_its_grants_credentials_with_it(employer, citizen):
    from vault import erasure
    from vault.models import PodErasure

    credential = granted(employer, citizen)["accessGrantCredential"]
    PodErasure.objects.create(
        pod=citizen.pod, requested_at=timezone.now(), due_at=timezone.now() - timedelta(days=1)
    )
    assert erasure.erase(citizen.pod.pk)
    assert not GrantCredential.objects.exists()
    assert offline_status(credential) is True


# --- forgeries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        lambda subject: subject.update(maxReads=1000),
        lambda subject: subject["scope"].append({"credentialType": "LanguageCertificate"}),
        lambda subject: subject.update(purpose="dpv:ResearchAndDevelopment"),
        lambda subject: subject["grantee"].update(name="Someone Else"),
    ],
    ids=["more-reads", "wider-scope", "other-purpose", "other-grantee"],
)
def test_a_tampered_credential_fails_its_proof(employer, citizen, tamper):
    credential = copy.deepcopy(granted(employer, citizen, maxReads=3)["accessGrantCredential"])
    tamper(credential["credentialSubject"])

    result = verify_at_vc_api(credential)
    assert result["verified"] is False and problems(result) == {"proof": "invalid-proof"}
    with pytest.raises(ProofInvalid):
        verify_proofs(credential)


def test_a_later_end_date_fails_its_proof(employer, citizen):
    credential = copy.deepcopy(granted(employer, citizen)["accessGrantCredential"])
    credential["validUntil"] = "2099-01-01T00:00:00Z"
    assert problems(verify_at_vc_api(credential)) == {"proof": "invalid-proof"}


def test_an_undefined_term_is_refused_not_ignored(employer, citizen):
    """Strict JSON-LD: a term our context does not define would be dropped unsigned by a lax
    processor; here it is an error, so nobody can add a claim beside the signed ones."""
    credential = copy.deepcopy(granted(employer, citizen)["accessGrantCredential"])
    credential["credentialSubject"]["readsAnything"] = True
    result = verify_at_vc_api(credential)
    assert result["verified"] is False and problems(result) == {"proof": "undefined-term"}


def test_only_the_service_is_trusted_for_access_grants(university, employer, citizen):
    """An issuer signing an AccessGrantCredential with its own key is not trusted for it."""
    from credentials.keys import unseal_private_key
    from credentials.selectors import active_issuer_key

    genuine = granted(employer, citizen)["accessGrantCredential"]
    key = active_issuer_key(university.organisation)
    unsecured = {k: v for k, v in genuine.items() if k not in ("proof", "credentialStatus")}
    forged = add_proof(
        unsecured | {"issuer": key.did},
        private_key=unseal_private_key(key),
        verification_method=key.verification_method,
    )
    result = verify_at_vc_api(forged)
    assert result["verified"] is True  # a sound proof, by someone not trusted for it
    assert problems(result) == {"issuer_trusted": "issuer-not-trusted"}
    assert "only this service issues AccessGrantCredential" in result["warnings"][0]["detail"]
    # An unknown key is no better.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = Ed25519PrivateKey.generate()
    did = did_key_for(stranger.public_key())
    forged = add_proof(
        unsecured | {"issuer": did.did}, private_key=stranger, verification_method=f"{did.did}#{did.multikey}"
    )
    assert problems(verify_at_vc_api(forged)) == {"issuer_trusted": "issuer-not-trusted"}


def test_the_service_identity_is_one_organisation_with_one_list_entry_per_grant(employer, citizen):
    granted(employer, citizen)
    granted(employer, citizen)
    entries = StatusEntry.objects.filter(organisation__slug=SERVICE_SLUG)
    assert entries.count() == 2
    assert set(entries.values_list("status_purpose", flat=True)) == {"revocation"}


def test_the_service_did_document_is_served_only_with_hosting_on(employer, citizen, settings):
    settings.ISSUER_DID_WEB_HOST = ""
    granted(employer, citizen)
    assert APIClient().get("/.well-known/did.json").status_code == 404
    settings.ISSUER_DID_WEB_HOST = "vault.example.be"
    credential = granted(employer, citizen)["accessGrantCredential"]
    response = APIClient().get("/.well-known/did.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/did+ld+json"
    document = response.json()
    assert document["id"] == "did:web:vault.example.be"
    assert credential["proof"]["verificationMethod"] in document["assertionMethod"]
