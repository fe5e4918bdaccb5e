"""Property: any single-byte change to what a signed document says fails verification.

Hypothesis picks a key or a string value anywhere in a signed document (the credential, its
proofs, a presentation and the credentials inside it; EdDSA and ECDSA, ecdsa-sd-2023 derived
credentials included) and replaces, inserts or deletes one
ASCII character. Whatever the change, verification must end in a domain error (a bad signature,
an undefined term, an unknown context, a malformed proof...), never succeed and never crash.
"""

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import VECTORS
from vc.dataintegrity import add_proof, verify_proofs
from vc.datamodel import validate_credential
from vc.errors import CredentialInvalid, VcError
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1
from vc.multikey import did_key_for
from vc.presentations import create_presentation, verify_presentation

EDDSA = VECTORS / "vc-di-eddsa"
ISSUER_KEY = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
HOLDER_KEY = Ed25519PrivateKey.from_private_bytes(bytes([8]) * 32)
ISSUER = did_key_for(ISSUER_KEY.public_key())
HOLDER = did_key_for(HOLDER_KEY.public_key())
CHALLENGE, DOMAIN = "nonce-17", "https://employer.example"


def _vector(path: str) -> dict:
    return json.loads((EDDSA / path).read_text())


def _ecdsa(path: str) -> dict:
    return json.loads((VECTORS / "vc-di-ecdsa" / path).read_text())


def _digital_bazaar_derived(name: str) -> dict:
    fixture = json.loads((VECTORS / "interop" / "ecdsa-sd-2023" / "theirs" / f"{name}.json").read_text())
    return fixture["derived"][0]["credential"]


def _diploma() -> dict:
    # No @vocab here (unlike the W3C examples context): a misspelt term is undefined, not "new".
    return {
        "@context": [CREDENTIALS_V2, EDUCATION_V1],
        "id": "urn:uuid:0b1d3f6e-diploma",
        "type": ["VerifiableCredential", "DiplomaCredential"],
        "issuer": ISSUER.did,
        "validFrom": "2024-06-28T00:00:00Z",
        "credentialSubject": {
            "id": HOLDER.did,
            "givenName": "An",
            "familyName": "Peeters",
            "degree": {"type": "MasterDegree", "name": "Master of Science"},
            "awardedOn": "2024-06-28",
        },
    }


def _diploma_with_proof_set() -> dict:
    signed = add_proof(
        _diploma(),
        private_key=ISSUER_KEY,
        verification_method=ISSUER.verification_method,
        proof_id="urn:uuid:p1",
    )
    return add_proof(
        signed,
        private_key=HOLDER_KEY,
        verification_method=HOLDER.verification_method,
        cryptosuite="eddsa-jcs-2022",
        proof_id="urn:uuid:p2",
        previous_proof="urn:uuid:p1",
    )


def _presentation() -> dict:
    credential = add_proof(_diploma(), private_key=ISSUER_KEY, verification_method=ISSUER.verification_method)
    return create_presentation(
        [credential],
        holder=HOLDER.did,
        private_key=HOLDER_KEY,
        verification_method=HOLDER.verification_method,
        challenge=CHALLENGE,
        domain=DOMAIN,
    )


def _verify_presentation(presentation: dict) -> Any:
    return verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)


@dataclass(frozen=True)
class Signed:
    name: str
    document: dict
    verify: Callable[[dict], Any] = verify_proofs


SIGNED = [
    Signed("eddsa-rdfc-2022 alumni vector", _vector("eddsa-rdfc-2022/signedDataInt.json")),
    Signed("eddsa-rdfc-2022 employment vector", _vector("eddsa-rdfc-2022/employ/signedDataInt.json")),
    Signed("eddsa-jcs-2022 vector", _vector("eddsa-jcs-2022/signedJCS.json")),
    Signed("Ed25519Signature2020 vector", _vector("Ed25519Signature2020/signedEdSig.json")),
    Signed("proof set and chains vector", _vector("proof-set-chain/signedProofChain2.json")),
    Signed("diploma with rdfc proof and chained jcs proof", _diploma_with_proof_set()),
    Signed("presentation of a diploma", _presentation(), _verify_presentation),
    Signed("ecdsa-rdfc-2019 P-256 vector", _ecdsa("ecdsa-rdfc-2019-p256/signedECDSAP256.json")),
    Signed("ecdsa-sd-2023 derived vector", _ecdsa("ecdsa-sd-2023/prc/derivedRevealDocument.json")),
    Signed("ecdsa-sd-2023 derived by Digital Bazaar's library", _digital_bazaar_derived("diploma")),
]

# "id" and "type" are aliases of the keywords "@id" and "@type" in credentials/v2: inserting "@"
# re-spells the key without changing a single RDF statement, so an RDFC signature still covers
# it. That is not a change of meaning; it is left out of the property (and shown below).
KEYWORD_ALIASES = {"id": "@id", "type": "@type"}


def _sites(node: Any, path: tuple = ()) -> Iterator[tuple[str, tuple]]:
    """Every key and every string value of a JSON document, as (kind, path)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield "key", (*path, key)
            yield from _sites(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _sites(item, (*path, index))
    elif isinstance(node, str):
        yield "value", path


def _apply(document: dict, kind: str, path: tuple, new: str) -> dict:
    changed = copy.deepcopy(document)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if kind == "value":
        parent[last] = new
    else:
        items = [(new if key == last else key, value) for key, value in parent.items()]
        parent.clear()
        parent.update(items)
    return changed


ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@st.composite
def single_byte_changes(draw: st.DrawFn, document: dict) -> dict:
    kind, path = draw(st.sampled_from(list(_sites(document))))
    old = path[-1] if kind == "key" else _value_at(document, path)
    operation = draw(st.sampled_from(["replace", "insert", "delete"]))
    if operation == "insert":
        at = draw(st.integers(0, len(old)))
        new = old[:at] + draw(ASCII) + old[at:]
    else:
        assume(old)
        at = draw(st.integers(0, len(old) - 1))
        new = old[:at] + (draw(ASCII) if operation == "replace" else "") + old[at + 1 :]
    assume(new != old)
    if kind == "key":
        parent = _value_at(document, path[:-1])
        assume(new not in parent)
        assume(KEYWORD_ALIASES.get(old) != new)
    return _apply(document, kind, path, new)


def _value_at(document: Any, path: tuple) -> Any:
    for step in path:
        document = document[step]
    return document


@pytest.mark.parametrize("signed", SIGNED, ids=lambda s: s.name)
def test_signed_document_verifies_unchanged(signed):
    assert signed.verify(signed.document)


@pytest.mark.parametrize("signed", SIGNED, ids=lambda s: s.name)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_single_byte_change_fails_verification(signed, data):
    changed = data.draw(single_byte_changes(signed.document), label="changed document")
    with pytest.raises(VcError):
        signed.verify(changed)


def test_respelling_id_as_its_keyword_keeps_the_rdf_and_so_the_rdfc_signature():
    # Why the aliases are excluded above: same statements, same signature. Readers of a verified
    # credential must read it as JSON-LD (or require compact form), not trust the key spelling.
    signed = _vector("eddsa-rdfc-2022/signedDataInt.json")
    signed["credentialSubject"] = {
        "@id" if key == "id" else key: value for key, value in signed["credentialSubject"].items()
    }
    assert verify_proofs(signed)
    # ... so the data model refuses the re-spelling: a reader of the JSON must find the subject
    # where the signed data names it.
    with pytest.raises(CredentialInvalid) as excinfo:
        validate_credential(signed)
    assert {
        "path": "/credentialSubject/@id",
        "rule": "VCDM 2.0 §4.4 Identifiers",
        "detail": "Write 'id', not '@id'.",
    } in excinfo.value.extra["errors"]
