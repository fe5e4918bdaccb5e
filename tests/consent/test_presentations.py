"""Reads under a grant answer with a verifiable presentation: the credentials with their original
proofs, signed by the citizen's holder key over the employer's challenge and domain, so that a
replayed or redirected presentation fails verification."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from consent.services import read_under_grant
from tests.support import assert_problem, pointers
from vault import disclosure
from vault.models import AccessEvent, Pod
from vc.dataintegrity import verify_proofs
from vc.dataintegrity.sd import split_base_proofs
from vc.errors import HolderNotSubject, ProofInvalid, ProofOptionsInvalid
from vc.multikey import did_key_for, resolve_verification_method
from vc.presentations import create_presentation, verify_presentation

from .conftest import CHALLENGE, DOMAIN, HR, approve, file_request, read_url


def issuer_proofs(credential: dict):
    """What an employer checks of each credential here: its issuer's proof, as issued."""
    return verify_proofs(credential)


def read(employer, grant, **query) -> dict:
    response = employer.get(read_url(grant["id"], **query))
    assert response.status_code == 200, response.json()
    assert list(response.json()) == ["verifiablePresentation"]
    return response.json()["verifiablePresentation"]


def test_the_employer_verifies_the_presentation_with_its_challenge_and_domain(
    employer, citizen, issued, grant
):
    presentation = read(employer, grant)

    result = verify_presentation(
        presentation, challenge=CHALLENGE, domain=DOMAIN, verify_credential=issuer_proofs
    )

    assert result.holder == citizen.pod.holder_did
    # The original, its issuer's proof for whole reads untouched (the base proof stays in the pod).
    assert result.credentials == (split_base_proofs(issued["credential"])[0],)
    assert result.credentials[0]["proof"] == issued["credential"]["proof"][0]
    assert result.credentials_verified
    [proof] = result.proofs
    assert (proof.proof_purpose, proof.cryptosuite) == ("authentication", "eddsa-jcs-2022")  # the default
    assert proof.controller == citizen.pod.holder_did
    assert presentation["proof"]["verificationMethod"].startswith(citizen.pod.holder_did + "#")
    assert (presentation["proof"]["challenge"], presentation["proof"]["domain"]) == (CHALLENGE, DOMAIN)


def test_a_replay_with_another_challenge_fails(employer, issued, grant):
    presentation = read(employer, grant)
    with pytest.raises(ProofInvalid):
        verify_presentation(presentation, challenge="a-fresh-nonce-for-the-next-check", domain=DOMAIN)


def test_a_presentation_shown_to_another_domain_fails(employer, issued, grant):
    presentation = read(employer, grant)
    with pytest.raises(ProofInvalid):
        verify_presentation(presentation, challenge=CHALLENGE, domain="https://elsewhere.example")


def test_each_read_is_signed_for_its_own_challenge(employer, issued, grant):
    first = read(employer, grant, challenge="first-nonce-0000000001")
    second = read(employer, grant, challenge="second-nonce-000000002")
    assert first["proof"]["proofValue"] != second["proof"]["proofValue"]
    verify_presentation(second, challenge="second-nonce-000000002", domain=DOMAIN)
    with pytest.raises(ProofInvalid):
        verify_presentation(first, challenge="second-nonce-000000002", domain=DOMAIN)


def test_a_credential_altered_inside_the_presentation_fails(employer, issued, grant):
    presentation = read(employer, grant)
    presentation["verifiableCredential"][0]["credentialSubject"]["familyName"] = "Someone Else"
    with pytest.raises(ProofInvalid):
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)


def test_a_grant_read_is_bound_to_its_holder_and_a_rewrapped_copy_is_not(employer, citizen, issued, grant):
    presentation = read(employer, grant)
    result = verify_presentation(
        presentation,
        challenge=CHALLENGE,
        domain=DOMAIN,
        verify_credential=issuer_proofs,
        require_holder_binding=True,
    )
    assert result.holder_bound
    assert [r.holder_is_subject for r in result.credential_results] == [True]

    # Whoever got the presentation wraps the citizen's credentials in one of their own.
    attacker_key = Ed25519PrivateKey.generate()
    attacker = did_key_for(attacker_key.public_key())
    rewrapped = create_presentation(
        presentation["verifiableCredential"],
        holder=attacker.did,
        private_key=attacker_key,
        verification_method=attacker.verification_method,
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    assert not verify_presentation(rewrapped, challenge=CHALLENGE, domain=DOMAIN).holder_bound
    with pytest.raises(HolderNotSubject, match=f"is about {citizen.pod.holder_did}, not about the holder"):
        verify_presentation(rewrapped, challenge=CHALLENGE, domain=DOMAIN, require_holder_binding=True)


def test_an_empty_read_is_a_signed_presentation_with_no_credentials(employer, citizen):
    grant = approve(citizen, file_request(employer)["id"])  # nothing has been issued
    presentation = read(employer, grant)
    assert "verifiableCredential" not in presentation
    assert verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN).credentials == ()


def test_a_revoked_grant_yields_no_presentation(employer, citizen, issued, grant):
    assert citizen.post(f"/api/v1/pod/grants/{grant['id']}/revoke").status_code == 200
    body = assert_problem(employer.get(read_url(grant["id"])), 403, "grant-revoked")
    assert "verifiablePresentation" not in body


def test_another_organisation_gets_no_presentation(other_employer, issued, grant):
    body = assert_problem(other_employer.get(read_url(grant["id"])), 404, "grant-not-found")
    assert "verifiablePresentation" not in body


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({"challenge": None}, "/challenge"),
        ({"challenge": "x" * 15}, "/challenge"),
        ({"challenge": "x" * 257}, "/challenge"),
        ({"challenge": "a nonce with spaces"}, "/challenge"),
        ({"challenge": " padded-nonce-0000001 "}, "/challenge"),
        ({"domain": None}, "/domain"),
        ({"domain": ""}, "/domain"),
        ({"domain": "https://hr.acme.example\n"}, "/domain"),
        ({"domain": "x" * 257}, "/domain"),
    ],
    ids=[
        "no challenge",
        "short challenge",
        "long challenge",
        "challenge with spaces",
        "padded challenge",
        "no domain",
        "empty domain",
        "domain with a newline",
        "long domain",
    ],
)
def test_a_read_without_a_usable_challenge_or_domain_is_a_400_and_reads_nothing(
    employer, citizen, issued, grant, query, pointer
):
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    problem = assert_problem(employer.get(read_url(grant["id"], **query)), 400, "validation-error")
    assert pointers(problem) == [pointer]
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before


@pytest.mark.parametrize(
    ("extra", "unknown"),
    [
        ("chalenge=x", ["/chalenge"]),  # a typo of a parameter the read takes
        ("claims=/credentialSubject/degree", ["/claims"]),
        ("format=json&Domain=x", ["/Domain", "/format"]),
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it_and_reads_nothing(
    employer, citizen, issued, grant, extra, unknown
):
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    problem = assert_problem(employer.get(f"{read_url(grant['id'])}&{extra}"), 400, "validation-error")
    assert pointers(problem) == unknown
    assert all(
        error["detail"].startswith("Unknown query parameter (accepted here: challenge, claim,")
        for error in problem["errors"]
    )
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before
    assert employer.get(read_url(grant["id"])).status_code == 200  # the same read without it


@pytest.mark.parametrize(
    ("challenge", "domain"),
    [
        ("short", DOMAIN),
        (CHALLENGE, ""),
        (CHALLENGE, "two words"),
        (CHALLENGE, DOMAIN + "\n"),
        (None, DOMAIN),
    ],
    ids=["short challenge", "empty domain", "domain with a space", "domain with a newline", "no challenge"],
)
def test_the_service_refuses_unusable_options_before_reading(
    employer, citizen, issued, grant, challenge, domain
):
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    with pytest.raises(ProofOptionsInvalid):
        read_under_grant(
            organisation=employer.organisation,
            grant_id=grant["id"],
            purpose=HR,
            challenge=challenge,
            domain=domain,
        )
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before


def test_a_holder_key_moved_from_another_pod_is_an_integrity_failure(
    employer, citizen, other_citizen, issued, grant
):
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    Pod.objects.filter(pk=citizen.pod.pk).update(holder_key_sealed=other_citizen.pod.holder_key_sealed)
    body = assert_problem(employer.get(read_url(grant["id"])), 500, "integrity-failure")
    assert "verifiablePresentation" not in body
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before  # the read rolled back


def test_the_holder_key_matches_the_pods_did(citizen):
    with transaction.atomic():
        private_key, verification_method = disclosure.holder_signing_key(citizen.pod)
    assert verification_method.startswith(citizen.pod.holder_did + "#")
    controller, public_key = resolve_verification_method(verification_method)
    assert controller == citizen.pod.holder_did
    public_key.verify(private_key.sign(b"challenge"), b"challenge")  # raises if not the DID's key


@pytest.mark.django_db(transaction=True)
def test_the_holder_key_is_unsealed_only_inside_a_transaction(citizen):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        disclosure.holder_signing_key(citizen.pod)


def test_an_oauth_token_with_the_read_grants_scope_reads(employer, issued, grant):
    """Requesters may use OAuth 2.0 client-credentials tokens (read:grants) beside API tokens."""
    from rest_framework.test import APIClient

    from accounts.oauth import READ_GRANTS, issue_access_token, register_oauth_client, revoke_oauth_client

    client, _ = register_oauth_client(organisation=employer.organisation, scopes=[READ_GRANTS])
    _, token = issue_access_token(client=client, scopes=[READ_GRANTS])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.get(read_url(grant["id"]))
    assert response.status_code == 200, response.json()
    presentation = response.json()["verifiablePresentation"]
    assert verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN).proofs
    revoke_oauth_client(client=client)
    assert_problem(api.get(read_url(grant["id"])), 401, "authentication-failed")
