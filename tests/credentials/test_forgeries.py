"""Every forgery the issue names, crafted against a diploma signed by an accredited issuer and put
through the whole verifier (``verify_credential``, what the VC API and the vault use).

Each must fail, and fail the right check with the right reason; the untouched diploma passes all
four checks, so a failure here is the forgery's doing, not the fixture's.
"""

import copy
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.keys import unseal_private_key
from credentials.selectors import active_issuer_key
from credentials.statuslist import set_status
from credentials.verification import Outcome, verify_credential
from tests.credentials.conftest import sign
from vc.dataintegrity import add_proof
from vc.jsonld import EXAMPLES_V2
from vc.multikey import decode_multibase, did_key_for, encode_multibase

Forgery = Callable[[dict], None]


@pytest.fixture
def diploma(accredited) -> dict:
    signed = sign(accredited)
    assert verify_credential(signed).verified
    return signed


def _set(*path_and_value) -> Forgery:
    *path, value = path_and_value

    def change(document: dict) -> None:
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _flip_signature_bit(document: dict) -> None:
    signature = bytearray(decode_multibase(document["proof"]["proofValue"]))
    signature[17] ^= 0x80
    document["proof"]["proofValue"] = encode_multibase(bytes(signature))


def _swap_contexts(document: dict) -> None:
    document["@context"] = list(reversed(document["@context"]))


def _with_vocab_claim(document: dict) -> None:
    document["@context"].append(EXAMPLES_V2)
    document["honours"] = "summa cum laude"


def _poison(document: dict) -> None:
    # Anonymous look-alikes: two identical nodes with eight identical children each, the shape
    # that sends RDFC-1.0 into factorial work (as evidence: the diploma schema polices the subject).
    child = {"type": "BachelorDegree", "name": "x"}
    document["evidence"] = [
        {"type": "MasterDegree", "name": "m", "qualificationLevel": [dict(child) for _ in range(8)]}
        for _ in range(2)
    ]


FORGERIES: dict[str, tuple[Forgery, str]] = {
    # name: (the forgery, the problem type it must be refused with)
    "changed value": (_set("credentialSubject", "familyName", "Janssens"), "invalid-proof"),
    "changed degree": (_set("credentialSubject", "degree", "name", "Doctor of Medicine"), "invalid-proof"),
    "undefined term": (_set("honours", "summa cum laude"), "undefined-term"),
    "claim the diploma schema does not know": (
        _set("credentialSubject", "honours", "summa cum laude"),
        "invalid-credential",
    ),
    "impossible award date": (_set("credentialSubject", "awardedOn", "2021-02-30"), "invalid-credential"),
    "relative type": (lambda d: d["type"].append("HonoursDiploma"), "undefined-term"),
    # The @vocab trick: a context whose @vocab "defines" any term, to slip in a claim.
    "claim added under the examples @vocab": (_with_vocab_claim, "invalid-proof"),
    "inline @vocab slipped in": (
        lambda d: d["@context"].append({"@vocab": "https://x.example/#"}),
        "invalid-json-ld",
    ),
    "wrong proof purpose": (_set("proof", "proofPurpose", "authentication"), "invalid-proof"),
    "swapped cryptosuite": (_set("proof", "cryptosuite", "eddsa-jcs-2022"), "invalid-proof"),
    "unknown cryptosuite": (_set("proof", "cryptosuite", "eddsa-2019"), "invalid-proof"),
    "flipped signature bit": (_flip_signature_bit, "invalid-proof"),
    "validFrom after validUntil": (_set("validUntil", "2000-01-01T00:00:00Z"), "invalid-credential"),
    "missing context": (lambda d: d["@context"].pop(), "undefined-term"),
    "reordered contexts": (_swap_contexts, "invalid-credential"),
    "poison graph": (_poison, "invalid-json-ld"),
    "proof removed": (lambda d: d.pop("proof"), "invalid-proof"),
}


@pytest.mark.parametrize(("forgery", "problem"), FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forgery_fails_the_proof_check_with_its_reason(diploma, forgery, problem):
    forged = copy.deepcopy(diploma)
    forgery(forged)
    assert forged != diploma

    result = verify_credential(forged)

    assert not result.verified
    assert result.proof.outcome == Outcome.FAILED
    assert result.proof.error.code == problem, result.proof.detail
    # A forged credential gets no further: no trust lookup, no status list fetched for it.
    assert {result.issuer_trusted.outcome, result.validity.outcome, result.status.outcome} == {
        Outcome.NOT_CHECKED
    }


def test_a_valid_signature_by_another_issuers_key_fails(diploma, other_issuer):
    """Re-signed by a key that is not the named issuer's: the proof verifies, the binding does not."""
    other_key = unseal_private_key(active_issuer_key(other_issuer))
    forged = add_proof(
        {k: v for k, v in diploma.items() if k != "proof"},
        private_key=other_key,
        verification_method=active_issuer_key(other_issuer).verification_method,
    )
    result = verify_credential(forged)
    assert not result.verified
    assert result.proof.error.code == "invalid-proof"
    assert "not of the issuer" in result.proof.detail


def test_a_forger_claiming_the_issuer_with_a_fresh_did_key_fails(diploma):
    key = Ed25519PrivateKey.generate()
    did = did_key_for(key.public_key())
    unsigned = {k: v for k, v in diploma.items() if k != "proof"}
    forged = add_proof(unsigned, private_key=key, verification_method=did.verification_method)
    assert "not of the issuer" in verify_credential(forged).proof.detail
    # and naming itself as issuer only moves the failure to the trust registry
    forged = add_proof(
        {**unsigned, "issuer": did.did}, private_key=key, verification_method=did.verification_method
    )
    result = verify_credential(forged)
    assert result.proof.passed
    assert not result.issuer_trusted.passed
    assert not result.verified


@pytest.mark.parametrize(
    ("purpose", "problem"), [("revocation", "credential-revoked"), ("suspension", "credential-suspended")]
)
def test_a_revoked_or_suspended_diploma_fails_only_the_status_check(diploma, accredited, purpose, problem):
    set_status(issuer=accredited, credential_id=diploma["id"], purpose=purpose, value=True)
    result = verify_credential(diploma)
    assert result.proof.passed and result.issuer_trusted.passed and result.validity.passed
    assert result.status.outcome == Outcome.FAILED
    assert result.status.error.code == problem
    assert not result.verified


# The same signed statements under other JSON spellings (an RDFC signature covers the RDF, not
# the JSON): a verifier that reads `credentialStatus`, `validUntil` or `expires` must find them
# where it looks, or refuse the document.

CRED = "https://www.w3.org/2018/credentials#"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


@pytest.fixture
def expired(accredited) -> dict:
    from tests.conftest import diploma as unsigned_diploma

    credential = unsigned_diploma()
    credential.update(validFrom="2019-01-01T00:00:00Z", validUntil="2020-01-01T00:00:00Z")
    signed = sign(accredited, credential)
    assert verify_credential(signed).validity.outcome == Outcome.FAILED
    return signed


def test_a_revoked_status_renamed_to_its_iri_is_refused_not_hidden(diploma, accredited):
    set_status(issuer=accredited, credential_id=diploma["id"], purpose="revocation", value=True)
    forged = copy.deepcopy(diploma)
    forged[CRED + "credentialStatus"] = forged.pop("credentialStatus")
    result = verify_credential(forged)
    assert not result.verified
    assert result.proof.error.code == "invalid-json-ld"
    assert "IRI used as a property name" in result.proof.detail


def test_a_compact_iri_property_name_is_refused(diploma):
    forged = copy.deepcopy(diploma)
    forged["cred:credentialStatus"] = forged.pop("credentialStatus")
    assert "IRI used as a property name" in verify_credential(forged).proof.detail


@pytest.mark.parametrize("key", ["validUntil", "validFrom"])
def test_an_inline_alias_of_a_validity_date_is_refused(expired, key):
    forged = copy.deepcopy(expired)
    forged["@context"].append({"alias": {"@id": CRED + key, "@type": XSD_DATETIME}})
    forged["alias"] = forged.pop(key)
    result = verify_credential(forged)
    assert not result.verified
    assert "would be another name for" in result.proof.detail


def test_an_inline_alias_of_a_proofs_expiry_is_refused(diploma, accredited):
    from credentials.keys import unseal_private_key
    from credentials.selectors import active_issuer_key

    key = active_issuer_key(accredited)
    unsigned = {k: v for k, v in diploma.items() if k != "proof"}
    signed = add_proof(
        unsigned,
        private_key=unseal_private_key(key),
        verification_method=key.verification_method,
        expires="2021-01-01T00:00:00Z",
        created="2020-01-01T00:00:00Z",
    )
    assert not verify_credential(signed).proof.passed  # the proof expired
    forged = copy.deepcopy(signed)
    forged["@context"].append(
        {"zzExpiry": {"@id": "https://w3id.org/security#expiration", "@type": XSD_DATETIME}}
    )
    forged["proof"]["zzExpiry"] = forged["proof"].pop("expires")
    result = verify_credential(forged)
    assert not result.verified
    assert "would be another name for" in result.proof.detail
