"""RDFC-1.0 canonical forms are remembered per document (vc.jsonld._CANONICAL): what is
answered from memory is exactly what a fresh canonicalization makes, a document that differs
by one byte (or only by 1 against 1.0) is canonicalized on its own, and a refused document is
refused every time, never remembered."""

import copy
import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import VECTORS, diploma
from vc import jsonld
from vc.dataintegrity import add_proof, verify_proof
from vc.errors import JsonLdInvalid, UndefinedTerm
from vc.jsonld import CREDENTIALS_V2, canonicalize, canonicalize_expanded, expand_strict
from vc.multikey import did_key_for

EDDSA = VECTORS / "vc-di-eddsa"
UNSIGNED = json.loads((EDDSA / "unsigned.json").read_text())
EXPECTED = (EDDSA / "eddsa-rdfc-2022" / "canonDocDataInt.txt").read_text()


@pytest.fixture(autouse=True)
def empty_memo(monkeypatch):
    memo = type(jsonld._CANONICAL)(maxsize=jsonld.CANONICAL_MEMO_CHARACTERS, getsizeof=len)
    monkeypatch.setattr(jsonld, "_CANONICAL", memo)
    return memo


@pytest.fixture
def expansions(monkeypatch):
    """Counts the strict expansions made (each fresh canonicalization makes one)."""
    made = []
    real = jsonld.expand_strict

    def counting(document):
        made.append(1)
        return real(document)

    monkeypatch.setattr(jsonld, "expand_strict", counting)
    return made


def fresh(document, hash_algorithm="sha256"):
    return canonicalize_expanded(expand_strict(document), hash_algorithm=hash_algorithm)


def test_the_w3c_vector_is_canonicalized_byte_for_byte_fresh_and_from_memory(expansions, empty_memo):
    assert canonicalize(copy.deepcopy(UNSIGNED)) == EXPECTED
    assert len(empty_memo) == 1
    assert canonicalize(copy.deepcopy(UNSIGNED)) == EXPECTED
    assert len(expansions) == 1  # the second answer came from memory


def test_a_remembered_form_equals_a_fresh_canonicalization(expansions):
    document = copy.deepcopy(UNSIGNED)
    first = canonicalize(document)
    remembered = canonicalize(copy.deepcopy(document))
    assert len(expansions) == 1
    assert remembered == first == fresh(document)


def test_each_hash_function_has_its_own_form(expansions):
    """RDFC-1.0 with SHA-384 labels blank nodes differently: never answered from SHA-256's."""
    document = {
        "@context": [CREDENTIALS_V2, "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"alumniOf": {"name": "A"}, "degree": {"name": "B"}},
    }
    sha256 = canonicalize(document)
    sha384 = canonicalize(document, hash_algorithm="sha384")
    assert len(expansions) == 2
    assert sha384 == fresh(document, "sha384")
    assert sha256 == fresh(document, "sha256")
    assert sha256 != sha384


def test_a_one_byte_change_is_canonicalized_anew():
    document = copy.deepcopy(UNSIGNED)
    canonicalize(document)
    changed = copy.deepcopy(document)
    changed["credentialSubject"]["alumniOf"] = changed["credentialSubject"]["alumniOf"][:-1] + "X"
    assert canonicalize(changed) == fresh(changed)
    assert canonicalize(changed) != canonicalize(document)


@pytest.mark.parametrize(("integer", "double"), [(1, 1.0), (10**21, 1e21)])
def test_an_integer_and_a_double_are_remembered_apart(empty_memo, integer, double):
    """RFC 8785 prints each pair alike; the memo's key keeps them apart, so it does not rest on
    how pyld reads numbers (today it reads each pair alike too)."""
    as_integer = {"@context": {"n": "https://example.org/n"}, "@id": "https://example.org/x", "n": integer}
    as_double = {**as_integer, "n": double}
    assert canonicalize(as_integer) == fresh(as_integer)
    assert canonicalize(as_double) == fresh(as_double)
    assert len(empty_memo) == 2


def test_true_and_one_are_different_documents():
    one = {"@context": {"n": "https://example.org/n"}, "@id": "https://example.org/x", "n": 1}
    true = {**one, "n": True}
    assert canonicalize(one) != canonicalize(true) == fresh(true)


def test_a_document_with_an_undefined_term_is_refused_every_time(expansions, empty_memo):
    defined = diploma()
    canonicalize(defined)
    undefined = diploma(degreeName="Master of Science")
    for _ in range(3):
        with pytest.raises(UndefinedTerm, match="degreeName"):
            canonicalize(undefined)
    assert len(expansions) == 4
    assert len(empty_memo) == 1  # only the diploma that canonicalized


def test_what_is_not_plain_json_is_never_remembered(expansions, empty_memo):
    """A tuple prints as the list it holds, but pyld refuses it; a subclass of str may be read
    otherwise too. Neither answers for, nor is answered by, the plain JSON it prints as."""

    class Text(str):
        pass

    canonicalize(copy.deepcopy(UNSIGNED))
    as_tuple = copy.deepcopy(UNSIGNED)
    as_tuple["type"] = tuple(as_tuple["type"])
    for _ in range(2):
        with pytest.raises(JsonLdInvalid):
            canonicalize(as_tuple)
    as_text = copy.deepcopy(UNSIGNED)
    as_text["issuer"] = Text(as_text["issuer"])
    assert canonicalize(as_text) == EXPECTED
    assert len(empty_memo) == 1
    assert len(expansions) == 4


def test_concurrent_canonicalizations_agree():
    documents = []
    for index in range(8):
        document = copy.deepcopy(UNSIGNED)
        document["credentialSubject"]["alumniOf"] = f"University {index % 3}"
        documents.append(document)
    expected = [fresh(document) for document in documents]
    results: dict[int, list[str]] = {index: [] for index in range(len(documents))}

    def work():
        for _ in range(5):
            for index, document in enumerate(documents):
                results[index].append(canonicalize(document))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(set(found) == {expected[index]} for index, found in results.items())


def test_verification_uses_the_remembered_form_and_still_catches_tampering(expansions):
    key = Ed25519PrivateKey.generate()
    signed = add_proof(
        copy.deepcopy(UNSIGNED),
        private_key=key,
        verification_method=did_key_for(key.public_key()).verification_method,
        cryptosuite="eddsa-rdfc-2022",
    )
    made = len(expansions)
    verify_proof(signed)
    verify_proof(signed)
    assert len(expansions) == made  # the document and the proof's options: both remembered from signing
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "Another University"
    with pytest.raises(Exception, match="signature"):
        verify_proof(tampered)
