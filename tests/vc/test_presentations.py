"""Verifiable Presentations: the citizen presents credentials, as issued, to one employer, bound to
its challenge and domain; replayed, redirected or re-signed presentations fail."""

import copy
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vc.dataintegrity import add_proof, verify_proofs
from vc.errors import HolderNotSubject, PresentationInvalid, ProofInvalid, ProofOptionsInvalid
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1
from vc.multikey import did_key_for
from vc.presentations import create_presentation, holder_is_subject, verify_presentation

ISSUER_KEY = Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
HOLDER_KEY = Ed25519PrivateKey.from_private_bytes(bytes([2]) * 32)
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)
ISSUER = did_key_for(ISSUER_KEY.public_key())
HOLDER = did_key_for(HOLDER_KEY.public_key())
OTHER = did_key_for(OTHER_KEY.public_key())
CHALLENGE = "9f1c0a3e-employer-nonce"
DOMAIN = "https://acme-recruiting.example"


def _diploma(given_name: str = "An", degree: str = "Master of Science in Computer Science") -> dict:
    return {
        "@context": [CREDENTIALS_V2, EDUCATION_V1],
        "id": f"urn:uuid:diploma-{given_name.lower()}",
        "type": ["VerifiableCredential", "DiplomaCredential"],
        "issuer": ISSUER.did,
        "validFrom": "2024-06-28T00:00:00Z",
        "credentialSubject": {
            "id": HOLDER.did,
            "givenName": given_name,
            "familyName": "Peeters",
            "degree": {"type": "MasterDegree", "name": degree},
            "awardedOn": "2024-06-28",
        },
    }


def _issued(given_name: str = "An", key: Ed25519PrivateKey = ISSUER_KEY, **options) -> dict:
    return add_proof(
        _diploma(given_name),
        private_key=key,
        verification_method=did_key_for(key.public_key()).verification_method,
        created="2024-06-28T00:00:00Z",
        **options,
    )


def issuer_verifier(credential: dict) -> str:
    """The caller's credential policy in these tests: every proof verifies, one is the issuer's."""
    proofs = verify_proofs(credential)
    if credential["issuer"] not in {proof.controller for proof in proofs}:
        raise ProofInvalid(f"Not signed by its issuer {credential['issuer']}.")
    return credential["issuer"]


def _present(credentials=None, **overrides) -> dict:
    options = {
        "holder": HOLDER.did,
        "private_key": HOLDER_KEY,
        "verification_method": HOLDER.verification_method,
        "challenge": CHALLENGE,
        "domain": DOMAIN,
    }
    options.update(overrides)
    return create_presentation(credentials if credentials is not None else [_issued()], **options)


# The story: a citizen presents a diploma to an employer.


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_presentation_of_issued_credentials_verifies_with_each_credential_result(cryptosuite):
    credentials = [_issued("An"), _issued("Bert", cryptosuite="eddsa-jcs-2022")]
    presentation = _present(credentials, cryptosuite=cryptosuite, presentation_id="urn:uuid:vp-1")

    assert presentation["verifiableCredential"] == credentials  # embedded as issued, proofs untouched
    assert presentation["holder"] == HOLDER.did
    assert presentation["id"] == "urn:uuid:vp-1"
    assert presentation["proof"]["proofPurpose"] == "authentication"
    assert presentation["proof"]["challenge"] == CHALLENGE
    assert presentation["proof"]["domain"] == DOMAIN

    verified = verify_presentation(
        presentation, challenge=CHALLENGE, domain=DOMAIN, verify_credential=issuer_verifier
    )
    assert verified.holder == HOLDER.did
    assert [proof.controller for proof in verified.proofs] == [HOLDER.did]
    assert verified.proofs[0].cryptosuite == cryptosuite
    assert [result.result for result in verified.credential_results] == [ISSUER.did, ISSUER.did]
    assert [result.credential_id for result in verified.credential_results] == [
        "urn:uuid:diploma-an",
        "urn:uuid:diploma-bert",
    ]
    assert verified.credentials_verified
    assert verified.credential_errors == []


def test_without_a_credential_verifier_nothing_is_claimed_about_the_credentials():
    verified = verify_presentation(_present(), challenge=CHALLENGE, domain=DOMAIN)
    assert len(verified.credentials) == 1
    assert verified.credential_results == ()
    assert not verified.credentials_verified


def test_a_credential_failing_its_verification_is_reported_not_raised():
    forged = _issued("Mallory", key=OTHER_KEY)  # a valid proof, but not the issuer's key
    presentation = _present([_issued("An"), forged])
    verified = verify_presentation(
        presentation, challenge=CHALLENGE, domain=DOMAIN, verify_credential=issuer_verifier
    )
    assert not verified.credentials_verified
    (failed,) = verified.credential_errors
    assert failed.index == 1
    assert failed.credential_id == "urn:uuid:diploma-mallory"
    assert isinstance(failed.error, ProofInvalid)
    assert "Not signed by its issuer" in failed.error.detail
    assert verified.credential_results[0].verified


class _Result:
    verified = False


@pytest.mark.parametrize(
    "failed_result", [_Result(), {"verified": False, "errors": ["..."]}], ids=["attribute", "key"]
)
def test_a_credential_verifier_returning_a_failed_result_counts_as_failed(failed_result):
    verified = verify_presentation(
        _present(), challenge=CHALLENGE, domain=DOMAIN, verify_credential=lambda credential: failed_result
    )
    assert not verified.credentials_verified
    assert len(verified.credential_errors) == 1
    assert verified.credential_errors[0].result is failed_result


def test_a_presentation_without_credentials_verifies_as_proof_of_control():
    presentation = _present([])
    assert "verifiableCredential" not in presentation
    verified = verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert verified.credentials == ()
    assert verified.holder == HOLDER.did


# Replayed, redirected, re-signed: the holder proof binds the presentation to one request.


def test_replayed_presentation_with_another_challenge_fails():
    with pytest.raises(ProofInvalid, match="challenge is not the one expected"):
        verify_presentation(_present(), challenge="a-later-nonce", domain=DOMAIN)


def test_presentation_redirected_to_another_verifier_fails():
    with pytest.raises(ProofInvalid, match="domain is not the one expected"):
        verify_presentation(_present(), challenge=CHALLENGE, domain="https://other-employer.example")


@pytest.mark.parametrize(("challenge", "domain"), [(None, DOMAIN), (CHALLENGE, None)])
def test_verifier_must_give_its_challenge_and_domain(challenge, domain):
    with pytest.raises(ProofInvalid, match="challenge and domain the verifier issued"):
        verify_presentation(_present(), challenge=challenge, domain=domain)


def test_presentation_signed_with_an_assertion_proof_fails():
    presentation = {key: value for key, value in _present().items() if key != "proof"}
    signed = add_proof(presentation, private_key=HOLDER_KEY, verification_method=HOLDER.verification_method)
    with pytest.raises(ProofInvalid, match="purpose is 'assertionMethod'"):
        verify_presentation(signed, challenge=CHALLENGE, domain=DOMAIN)


def test_presentation_signed_by_someone_other_than_the_holder_fails():
    presentation = _present(private_key=OTHER_KEY, verification_method=OTHER.verification_method)
    with pytest.raises(ProofInvalid, match=f"key of {OTHER.did}, not of its holder {HOLDER.did}"):
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)


def test_holder_as_object_with_id_is_bound_too():
    presentation = {key: value for key, value in _present().items() if key != "proof"}
    presentation["holder"] = {"id": OTHER.did}
    signed = add_proof(
        presentation,
        private_key=HOLDER_KEY,
        verification_method=HOLDER.verification_method,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    with pytest.raises(ProofInvalid, match="not of its holder"):
        verify_presentation(signed, challenge=CHALLENGE, domain=DOMAIN)


def test_swapping_an_embedded_credential_breaks_the_holder_proof():
    presentation = _present([_issued("An")])
    presentation["verifiableCredential"] = [_issued("Bert")]  # validly issued, but not what was presented
    with pytest.raises(ProofInvalid, match="signature does not match"):
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)


def test_changing_an_embedded_credential_breaks_the_holder_proof():
    presentation = _present()
    presentation["verifiableCredential"][0]["credentialSubject"]["degree"]["name"] = "PhD in Physics"
    with pytest.raises(ProofInvalid, match="signature does not match"):
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)


def test_expired_presentation_proof_fails():
    presentation = {key: value for key, value in _present().items() if key != "proof"}
    signed = add_proof(
        presentation,
        private_key=HOLDER_KEY,
        verification_method=HOLDER.verification_method,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
        created="2025-01-01T00:00:00Z",
        expires="2025-01-01T00:05:00Z",
    )
    assert datetime.now(UTC) > datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
    with pytest.raises(ProofInvalid, match="expired"):
        verify_presentation(signed, challenge=CHALLENGE, domain=DOMAIN)


# Shape (VCDM 2.0 §4.13), every violation listed by path.


def _shape_violation(change) -> PresentationInvalid:
    presentation = copy.deepcopy(_present())
    change(presentation)
    with pytest.raises(PresentationInvalid) as caught:
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)
    return caught.value


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda p: p.update({"@context": [EDUCATION_V1, CREDENTIALS_V2]}), "/@context"),
        (lambda p: p.update({"@context": CREDENTIALS_V2 + "x"}), "/@context"),
        (lambda p: p.update({"type": ["VerifiableCredential"]}), "/type"),
        (lambda p: p.pop("type"), "/type"),
        (lambda p: p.update({"id": "vp-1"}), "/id"),
        (lambda p: p.update({"holder": "not a url"}), "/holder"),
        (lambda p: p.update({"holder": {"name": "An"}}), "/holder/id"),
        (lambda p: p.update({"verifiableCredential": "urn:uuid:diploma-an"}), "/verifiableCredential"),
        (
            lambda p: p.update({"verifiableCredential": [p["verifiableCredential"][0], 7]}),
            "/verifiableCredential/1",
        ),
        (lambda p: p.update({"verifiableCredential": []}), "/verifiableCredential"),
        (
            lambda p: p.update({"verifiableCredential": p["verifiableCredential"] * 2}),
            "/verifiableCredential/1",
        ),
    ],
    ids=[
        "context not v2 first",
        "context unknown string",
        "type without VerifiablePresentation",
        "type missing",
        "relative id",
        "holder not a URL",
        "holder object without id",
        "credential as a string",
        "credential as a number",
        "empty credential list",
        "same credential twice",
    ],
)
def test_shape_violation_is_reported_by_path(change, path):
    error = _shape_violation(change)
    assert path in [violation["path"] for violation in error.extra["errors"]]
    assert all(violation["rule"].startswith("VCDM 2.0 §") for violation in error.extra["errors"])


def test_every_shape_violation_is_listed_at_once():
    def break_three(presentation):
        presentation["type"] = "Presentation"
        presentation["holder"] = "nobody"
        presentation["verifiableCredential"] = ["a string"]

    error = _shape_violation(break_three)
    assert [v["path"] for v in error.extra["errors"]] == ["/type", "/holder", "/verifiableCredential/0"]
    assert "(and 2 more)" in error.detail


def test_a_presentation_that_is_not_an_object_is_refused():
    with pytest.raises(PresentationInvalid, match="JSON object"):
        verify_presentation(["not", "an", "object"], challenge=CHALLENGE, domain=DOMAIN)


def test_a_presentation_without_proof_is_refused():
    presentation = {key: value for key, value in _present().items() if key != "proof"}
    with pytest.raises(ProofInvalid, match="no proof"):
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)


# What create_presentation refuses.


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"challenge": ""}, "challenge is required"),
        ({"domain": ""}, "domain is required"),
        ({"holder": "An Peeters"}, "holder must be a URL"),
        ({"presentation_id": "vp 1"}, "presentation id must be a URL"),
        ({"cryptosuite": "Ed25519Signature2020"}, "not a cryptosuite this service signs with"),
    ],
)
def test_create_presentation_refuses_bad_options(overrides, match):
    with pytest.raises(ProofOptionsInvalid, match=match):
        _present(**overrides)


def test_create_presentation_refuses_a_credential_given_twice():
    credential = _issued()
    with pytest.raises(PresentationInvalid, match="same credential"):
        _present([credential, copy.deepcopy(credential)])


def test_create_presentation_does_not_change_the_credentials_given():
    credentials = [_issued()]
    original = copy.deepcopy(credentials)
    presentation = _present(credentials)
    presentation["verifiableCredential"][0]["credentialSubject"]["givenName"] = "Changed"
    assert credentials == original


# Holder binding: the holder's proof says who presented, not whom the credentials are about.


def _wrapped_by(key: Ed25519PrivateKey, credentials: list[dict]) -> dict:
    """Someone else's credentials in a presentation signed by ``key`` as the holder."""
    did_key = did_key_for(key.public_key())
    return _present(
        credentials, holder=did_key.did, private_key=key, verification_method=did_key.verification_method
    )


def _without_holder(credentials: list[dict], key: Ed25519PrivateKey = OTHER_KEY) -> dict:
    presentation: dict = {"@context": [CREDENTIALS_V2], "type": ["VerifiablePresentation"]}
    if credentials:
        presentation["verifiableCredential"] = credentials
    return add_proof(
        presentation,
        private_key=key,
        verification_method=did_key_for(key.public_key()).verification_method,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )


def test_the_holders_own_credentials_are_bound_to_the_holder():
    result = verify_presentation(
        _present([_issued("An"), _issued("Bert")]),
        challenge=CHALLENGE,
        domain=DOMAIN,
        verify_credential=issuer_verifier,
        require_holder_binding=True,
    )
    assert result.holder_bound
    assert result.unbound_credentials == []
    assert [r.holder_is_subject for r in result.credential_results] == [True, True]


def test_someone_elses_credential_rewrapped_by_an_attacker_is_not_bound():
    presentation = _wrapped_by(OTHER_KEY, [_issued()])  # the diploma is about HOLDER, signed by OTHER

    result = verify_presentation(
        presentation, challenge=CHALLENGE, domain=DOMAIN, verify_credential=issuer_verifier
    )
    assert result.credentials_verified  # both proofs are sound: only the binding says it is stolen
    assert result.holder == OTHER.did
    assert not result.holder_bound
    assert result.unbound_credentials == [0]
    assert [r.holder_is_subject for r in result.credential_results] == [False]

    with pytest.raises(HolderNotSubject) as caught:
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN, require_holder_binding=True)
    assert isinstance(caught.value, PresentationInvalid)
    assert caught.value.code == "holder-not-subject"
    assert f"is about {HOLDER.did}, not about the holder {OTHER.did}" in caught.value.detail
    assert [e["path"] for e in caught.value.extra["errors"]] == ["/verifiableCredential/0/credentialSubject"]


def test_a_presentation_without_a_holder_is_not_bound():
    presentation = _without_holder([_issued()])

    result = verify_presentation(
        presentation, challenge=CHALLENGE, domain=DOMAIN, verify_credential=issuer_verifier
    )
    assert result.holder is None
    assert not result.holder_bound
    assert result.unbound_credentials == [0]
    assert [r.holder_is_subject for r in result.credential_results] == [False]
    with pytest.raises(HolderNotSubject, match=r"^/holder: The presentation names no holder") as caught:
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN, require_holder_binding=True)
    assert [e["path"] for e in caught.value.extra["errors"]] == ["/holder"]


def test_one_foreign_credential_among_the_holders_own_breaks_the_binding_and_is_named():
    foreign = add_proof(
        {
            **_diploma("Carla"),
            "credentialSubject": {**_diploma()["credentialSubject"], "id": "did:example:carla"},
        },
        private_key=ISSUER_KEY,
        verification_method=ISSUER.verification_method,
    )
    presentation = _present([_issued("An"), foreign])

    result = verify_presentation(
        presentation, challenge=CHALLENGE, domain=DOMAIN, verify_credential=issuer_verifier
    )
    assert not result.holder_bound
    assert result.unbound_credentials == [1]
    assert [r.holder_is_subject for r in result.credential_results] == [True, False]
    with pytest.raises(
        HolderNotSubject, match=r"^/verifiableCredential/1/credentialSubject: .*did:example:carla"
    ):
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN, require_holder_binding=True)


@pytest.mark.parametrize(
    "subject",
    [
        [{"id": HOLDER.did, "givenName": "An"}, {"id": "did:example:carla", "givenName": "Carla"}],
        {"givenName": "An"},
        [],
        "did:key:not-an-object",
    ],
    ids=["one of two subjects is someone else", "a subject without id", "no subject", "not an object"],
)
def test_a_credential_is_bound_only_when_every_subject_is_the_holder(subject):
    credential = {**_diploma(), "credentialSubject": subject}
    assert not holder_is_subject(credential, HOLDER.did)
    assert holder_is_subject(_diploma(), HOLDER.did)
    assert holder_is_subject({**_diploma(), "credentialSubject": [{"id": HOLDER.did}] * 2}, HOLDER.did)
    assert not holder_is_subject(_diploma(), None)


def test_a_holder_given_as_an_object_binds_too():
    presentation = _present([_issued()])
    presentation = add_proof(
        {**{k: v for k, v in presentation.items() if k != "proof"}, "holder": {"id": HOLDER.did}},
        private_key=HOLDER_KEY,
        verification_method=HOLDER.verification_method,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    result = verify_presentation(
        presentation, challenge=CHALLENGE, domain=DOMAIN, require_holder_binding=True
    )
    assert result.holder_bound


def test_a_presentation_with_no_credentials_is_bound_when_it_names_its_holder():
    assert verify_presentation(
        _present([]), challenge=CHALLENGE, domain=DOMAIN, require_holder_binding=True
    ).holder_bound
    with pytest.raises(HolderNotSubject, match="names no holder"):
        verify_presentation(
            _without_holder([]), challenge=CHALLENGE, domain=DOMAIN, require_holder_binding=True
        )


def test_holder_binding_is_checked_before_the_proof():
    # A stolen credential in a presentation whose proof is also broken: the binding is the cheap
    # refusal, made before anything is canonicalized or resolved.
    presentation = _wrapped_by(OTHER_KEY, [_issued()])
    presentation["proof"]["proofValue"] = "z" + "1" * 86
    with pytest.raises(HolderNotSubject):
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN, require_holder_binding=True)
    with pytest.raises(ProofInvalid):
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)
