"""The whole story, end to end, through HTTP: a diploma goes into a pod, an employer reads it
under a grant, the citizen sees every act in the log, revokes, and the next read is denied."""

from datetime import timedelta
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Organisation
from inbox.kinds import text_of
from inbox.models import Notification
from tests.conftest import Actor, diploma
from tests.support import checked_log
from vc.dataintegrity import verify_proofs
from vc.dataintegrity.sd import split_base_proofs
from vc.errors import ProofInvalid
from vc.presentations import verify_presentation

NATIONAL_ID = "BE:85.07.30-033.28"  # separators are accepted and normalised
CHALLENGE = "3b9f6c0e-vacancy-17-nonce"  # the employer's fresh nonce for this read
DOMAIN = "https://hr.acme.example"
READ_QUERY = urlencode({"purpose": "dpv:HumanResourceManagement", "challenge": CHALLENGE, "domain": DOMAIN})


def _onboard(name: str, kind: str) -> tuple[Actor, str]:
    out = StringIO()
    call_command("onboard_organisation", name, kind=kind, stdout=out, stderr=StringIO())
    lines = dict(line.split(":", 1) for line in out.getvalue().splitlines())
    return Actor(lines["api token"].strip(), organisation=Organisation.objects.get(name=name)), lines


def test_diploma_story_end_to_end(db, django_capture_on_commit_callbacks):
    # 1. An operator onboards a university (which gets a did:key signing key) and an employer.
    university, printed = _onboard("Universiteit Demo", Organisation.Kind.ISSUER)
    assert printed["signing key"].strip().startswith("did:key:z6Mk")
    employer, _ = _onboard("Acme Recruiting", Organisation.Kind.EMPLOYER)
    stranger, _ = _onboard("Other Employer", Organisation.Kind.EMPLOYER)
    call_command("create_citizen", "an@example.org", "BE:85073003328", token=True, stdout=(out := StringIO()))
    citizen = Actor(out.getvalue().split("api token:")[1].strip())

    # 2. The university issues a diploma into the citizen's pod; the service signs it.
    with django_capture_on_commit_callbacks(execute=True):
        response = university.post(
            "/api/v1/issuer/credentials",
            {"recipient": {"nationalId": NATIONAL_ID}, "credential": diploma()},
        )
    assert response.status_code == 201, response.json()
    issued = response.json()
    # A proof set: eddsa-rdfc-2022 to be read whole, an ecdsa-sd-2023 base proof to derive from.
    assert [p["cryptosuite"] for p in issued["credential"]["proof"]] == ["eddsa-rdfc-2022", "ecdsa-sd-2023"]
    assert issued["credential"]["issuer"] == printed["signing key"].strip()
    assert [m.subject for m in mail.outbox] == ["A new Diploma is in your pod"]

    # 3. The employer files an access request; the citizen sees it pending and approves.
    with django_capture_on_commit_callbacks(execute=True):
        response = employer.post(
            "/api/v1/access-requests",
            {
                "citizen": {"nationalId": NATIONAL_ID},
                "credentialTypes": ["DiplomaCredential"],
                "purpose": "dpv:HumanResourceManagement",
                "purposeDescription": "Checking the degree for the data engineer vacancy.",
                "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
            },
        )
    assert response.status_code == 201, response.json()
    request_id = response.json()["id"]
    assert response.json()["status"] == "pending"
    # E-mail says only that something happened; the inbox, behind the login, says who.
    assert mail.outbox[-1].subject == "Citizen Vault: New access request"
    assert text_of(Notification.objects.get(request_id=request_id)).startswith(
        "Acme Recruiting asks to read some of your data"
    )

    # Without a grant, the employer gets nothing: a pending request is not a grant.
    response = employer.get(f"/api/v1/grants/{request_id}/credentials?{READ_QUERY}")
    assert response.status_code == 404
    assert response.json()["type"].endswith("#grant-not-found")

    pending = citizen.get("/api/v1/pod/access-requests?status=pending").json()["results"]
    assert [r["id"] for r in pending] == [request_id]
    assert pending[0]["requester"] == "Acme Recruiting"

    response = citizen.post(f"/api/v1/pod/access-requests/{request_id}/approve", {})
    assert response.status_code == 201, response.json()
    grant = response.json()
    assert grant["status"] == "active"
    assert grant["credentialTypes"] == ["DiplomaCredential"]
    assert grant["purpose"] == "dpv:HumanResourceManagement"
    assert employer.get(f"/api/v1/access-requests/{request_id}").json()["grantId"] == grant["id"]

    # 4. The employer reads under the grant, with a fresh challenge and its domain, and gets a
    #    presentation signed by the citizen's holder key, holding the diploma with its original
    #    proof for whole reads (the base proof stays in the pod).
    read_url = f"/api/v1/grants/{grant['id']}/credentials?{READ_QUERY}"
    response = employer.get(read_url)
    assert response.status_code == 200, response.json()
    presentation = response.json()["verifiablePresentation"]
    # Verifies offline, with no trust in the vault: the holder's proof, then the issuer's.
    verified = verify_presentation(
        presentation, challenge=CHALLENGE, domain=DOMAIN, verify_credential=verify_proofs
    )
    assert verified.credentials == (split_base_proofs(issued["credential"])[0],)
    assert verified.credentials_verified
    assert verified.holder == issued["credential"]["credentialSubject"]["id"]
    # ... and the same presentation, replayed to another verifier or for another challenge, fails.
    with pytest.raises(ProofInvalid):
        verify_presentation(presentation, challenge=CHALLENGE, domain="https://other.example")
    with pytest.raises(ProofInvalid):
        verify_presentation(presentation, challenge="another-nonce-0000000042", domain=DOMAIN)

    # ... another employer gets nothing, and neither does a read with the wrong purpose.
    response = stranger.get(read_url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    response = employer.get(read_url.replace("HumanResourceManagement", "ResearchAndDevelopment"))
    assert response.status_code == 403
    assert response.json()["reason"] == "purpose-mismatch"

    # 6. The citizen revokes; the very next read is denied (and that denial is logged).
    response = citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    response = employer.get(read_url)
    assert response.status_code == 403
    assert response.json()["reason"] == "grant-revoked"

    # 5. Every act is in the pod's log: who, what (never the contents), why, under which grant.
    log = citizen.get("/api/v1/pod/log").json()["results"]
    story = [(e["action"], e["outcome"], e["actor"]["name"], e["reason"]) for e in reversed(log)]
    assert story == [
        ("pod.opened", "allowed", "Citizen Vault", ""),
        ("credential.issued", "allowed", "Universiteit Demo", ""),
        ("request.filed", "allowed", "Acme Recruiting", ""),
        ("request.approved", "allowed", "the pod owner", ""),
        ("credential.read", "allowed", "Acme Recruiting", ""),
        ("access.denied", "denied", "Other Employer", "not-grantee"),
        ("access.denied", "denied", "Acme Recruiting", "purpose-mismatch"),
        ("grant.revoked", "allowed", "the pod owner", ""),
        ("access.denied", "denied", "Acme Recruiting", "grant-revoked"),
    ]
    read = next(e for e in log if e["action"] == "credential.read")
    assert read["credentialId"] == issued["credentialId"]
    assert read["credentialType"] == "DiplomaCredential"
    assert read["purpose"] == "dpv:HumanResourceManagement"
    assert read["grantId"] == grant["id"]
    assert "Peeters" not in str(log) and "Computer Science" not in str(log)

    check = checked_log(citizen)
    assert {key: check[key] for key in ("valid", "entries", "head", "firstBrokenSeq", "problem")} == {
        "valid": True,
        "entries": len(log),
        "head": log[0]["hash"],
        "firstBrokenSeq": None,
        "problem": "",
    }
    assert check["checkpoint"]["treeSize"] == len(log)  # the signed checkpoint the citizen can keep
