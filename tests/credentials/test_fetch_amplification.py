"""One request must not make us fetch on an attacker's behalf: proofs are capped and verified one by
one (a forged proof stops the rest before their did:web keys are fetched), status entries are
capped, and an untrusted issuer's status lists are not fetched at all. Every fetch here goes to a
server on 127.0.0.1 that counts the requests it sees."""

import copy
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from credentials.dids import resolve_verification_method
from credentials.models import Accreditation, StatusEntry
from credentials.statuslist import check_status, sign_status_list
from credentials.verification import UNTRUSTED_STATUS_DETAIL, Outcome, verify_credential
from tests.credentials.conftest import sign
from tests.credentials.localserver import make_certificates, respond_json, run_server
from vc.dataintegrity import add_proof, verify_proofs
from vc.errors import ProofInvalid, StatusListInvalid
from vc.jsonld import CREDENTIALS_V2
from vc.multikey import did_key_for, public_key_to_multikey
from vc.statuslist import MAX_STATUS_ENTRIES

SIGNER = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
STRANGER = Ed25519PrivateKey.from_private_bytes(bytes([8]) * 32)


# did:web keys: at most one fetch for a forged proof set.


@pytest.fixture
def did_web_hosts(tmp_path, settings):
    """An HTTPS server for did:web:localhost%3A<port>:h<n>, each DID listing STRANGER's key."""
    certificates = make_certificates(tmp_path / "tls")
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = True  # loopback, for localhost only
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    settings.REMOTE_FETCH_CA_BUNDLE = str(certificates.ca_file)
    settings.DID_WEB_NETWORK = True
    settings.PINNED_DID_DOCUMENTS_DIR = ""
    yield from run_server(certificates)


def _host_did(server, n: int) -> str:
    did = f"did:web:localhost%3A{server.port}:h{n}"
    server.routes[f"/h{n}/did.json"] = respond_json(
        {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [
                {
                    "id": f"{did}#k",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": public_key_to_multikey(STRANGER.public_key()),
                }
            ],
            "assertionMethod": [f"{did}#k"],
        }
    )
    return did


def _with_did_web_proofs(server, count: int) -> dict:
    """A document signed once, its proof copied ``count`` times under did:web keys that resolve
    (each DID answers with a key) but did not make the signature."""
    signed = add_proof(
        {
            "@context": [CREDENTIALS_V2],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:i",
            "credentialSubject": {"id": "did:example:s"},
        },
        private_key=SIGNER,
        verification_method=did_key_for(SIGNER.public_key()).verification_method,
    )
    forged = copy.deepcopy(signed)
    forged["proof"] = [
        dict(signed["proof"], verificationMethod=f"{_host_did(server, n)}#k") for n in range(count)
    ]
    return forged


def test_three_hundred_did_web_proofs_are_refused_before_any_fetch(did_web_hosts):
    with pytest.raises(ProofInvalid, match="carries 300 proofs; at most 8"):
        verify_proofs(_with_did_web_proofs(did_web_hosts, 300), resolve=resolve_verification_method)
    assert did_web_hosts.seen == []


def test_a_forged_proof_set_costs_one_fetch_not_one_per_proof(did_web_hosts):
    with pytest.raises(ProofInvalid, match=r"^Proof 0: The signature does not match"):
        verify_proofs(_with_did_web_proofs(did_web_hosts, 8), resolve=resolve_verification_method)
    assert did_web_hosts.paths_seen() == ["/h0/did.json"]


# Status lists: capped per credential, and never fetched for an issuer we do not trust.


@pytest.fixture
def list_host(settings):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = True
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    yield from run_server()


def _self_signed_with_status(server, count: int) -> dict:
    """A credential signed by a did:key nobody accredited, pointing at ``count`` lists on ``server``."""
    did_key = did_key_for(STRANGER.public_key())
    entries = [
        {
            "id": server.url(f"/l{n}#1"),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "1",
            "statusListCredential": server.url(f"/l{n}"),
        }
        for n in range(count)
    ]
    credential = {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiableCredential"],
        "issuer": did_key.did,
        "credentialSubject": {"id": "did:example:x"},
        "credentialStatus": entries,
    }
    return add_proof(credential, private_key=STRANGER, verification_method=did_key.verification_method)


def test_an_untrusted_issuers_status_lists_are_not_fetched(db, list_host):
    result = verify_credential(_self_signed_with_status(list_host, MAX_STATUS_ENTRIES))

    assert result.proof.passed
    assert result.issuer_trusted.outcome == Outcome.FAILED
    assert result.status.outcome == Outcome.NOT_CHECKED
    assert result.status.detail == UNTRUSTED_STATUS_DETAIL
    assert "its status lists are not fetched" in result.as_dict()["checks"]["status"]["detail"]
    assert result.statuses == ()
    assert list_host.seen == []


def test_more_status_entries_than_allowed_are_refused_before_any_fetch(db, list_host):
    credential = _self_signed_with_status(list_host, MAX_STATUS_ENTRIES + 1)
    with pytest.raises(StatusListInvalid, match="has 5 status entries; at most 4 are checked") as caught:
        check_status(credential)
    assert caught.value.extra["path"] == "/credentialStatus"
    assert list_host.seen == []


def test_a_trusted_issuers_lists_elsewhere_are_still_fetched(issuer, list_host, settings):
    """The trust gate only keeps strangers out: an accredited issuer's lists on another service are
    fetched and read as before (here: its own service at the local server's address)."""
    Accreditation.objects.create(
        organisation=issuer,
        credential_type="DiplomaCredential",
        valid_from=timezone.now() - timedelta(days=1),
    )
    settings.PUBLIC_BASE_URL = list_host.url("")
    signed = sign(issuer)
    for entry in StatusEntry.objects.filter(credential_id=signed["id"]):
        list_host.routes[f"/status-lists/{entry.status_list_id}"] = respond_json(
            sign_status_list(entry.status_list)
        )
    settings.PUBLIC_BASE_URL = "https://verifier.example"  # we are only its verifier now

    result = verify_credential(signed)

    assert result.verified, result.as_dict()
    assert sorted(status.purpose for status in result.statuses) == ["revocation", "suspension"]
    assert len(list_host.seen) == 2


def test_an_untrusted_issuers_lists_of_ours_are_still_read(issuer):
    """Lists we publish are read from the database, not fetched: a credential of ours whose issuer
    is not accredited for its type still reports its status."""
    result = verify_credential(sign(issuer))
    assert result.issuer_trusted.outcome == Outcome.FAILED
    assert result.status.passed
    assert sorted(status.purpose for status in result.statuses) == ["revocation", "suspension"]
