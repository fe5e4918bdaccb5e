"""The shipped JSON-LD contexts: pinned bytes, the official copies, and a loader that never
goes to the network."""

import hashlib
import json
import shutil
import socket

import pytest
from pyld import jsonld as pyld_jsonld

from tests.conftest import VECTORS
from vc import jsonld
from vc.errors import ShippedFileInvalid, UnknownContext
from vc.jsonld import (
    ACCESS_GRANT_V1,
    ACCESS_REQUEST_V1,
    CONTEXTS,
    CONTEXTS_DIR,
    CREDENTIALS_V1,
    CREDENTIALS_V2,
    EDUCATION_V1,
    EXAMPLES_V2,
    GOOD_CONDUCT_V1,
    LANGUAGE_V1,
    ContextNotShipped,
    canonicalize,
    document_loader,
)

MANIFEST = json.loads((CONTEXTS_DIR / "manifest.json").read_text())["contexts"]
OFFICIAL = json.loads((VECTORS / "contexts" / "index.json").read_text())["contexts"]
CREDENTIALS_V2_SHA256 = "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("url", sorted(MANIFEST))
def test_manifest_pins_the_sha256_of_each_shipped_file(url):
    entry = MANIFEST[url]
    assert _sha256((CONTEXTS_DIR / entry["file"]).read_bytes()) == entry["sha256"]


def test_manifest_ships_the_eight_official_contexts_vcdm_1_1_and_our_own():
    assert len(OFFICIAL) == 8
    assert set(MANIFEST) == set(OFFICIAL) | {
        EDUCATION_V1,
        GOOD_CONDUCT_V1,
        LANGUAGE_V1,
        CREDENTIALS_V1,
        ACCESS_GRANT_V1,
        ACCESS_REQUEST_V1,
    }
    assert set(CONTEXTS) == set(MANIFEST)


@pytest.mark.parametrize("url", sorted(OFFICIAL))
def test_official_vector_context_matches_its_published_sha256(url):
    entry = OFFICIAL[url]
    raw = (VECTORS / "contexts" / entry["file"]).read_bytes()
    assert _sha256(raw) == entry["sha256"]
    assert len(raw) == entry["bytes"]


@pytest.mark.parametrize("url", sorted(OFFICIAL))
def test_shipped_context_is_byte_identical_to_the_official_copy(url):
    official = (VECTORS / "contexts" / OFFICIAL[url]["file"]).read_bytes()
    assert (CONTEXTS_DIR / MANIFEST[url]["file"]).read_bytes() == official
    assert CONTEXTS[url].raw == official
    assert MANIFEST[url]["sha256"] == OFFICIAL[url]["sha256"]


def test_credentials_v2_digest_is_the_one_printed_in_the_recommendation():
    assert CONTEXTS[CREDENTIALS_V2].sha256 == CREDENTIALS_V2_SHA256


@pytest.mark.parametrize("url", sorted(MANIFEST))
def test_loader_serves_the_parsed_shipped_file_for_its_url(url):
    loaded = document_loader(url)
    assert loaded["documentUrl"] == url
    assert loaded["document"] == json.loads((CONTEXTS_DIR / MANIFEST[url]["file"]).read_bytes())


def test_loader_hands_out_copies_so_a_caller_cannot_alter_the_shipped_context():
    document_loader(EXAMPLES_V2)["document"]["@context"]["@vocab"] = "https://evil.example/#"
    assert document_loader(EXAMPLES_V2)["document"] == json.loads(CONTEXTS[EXAMPLES_V2].raw)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/2018/credentials/v2",
        "http://www.w3.org/ns/credentials/v2",  # same path, other scheme
        "https://www.w3.org/ns/credentials/v2/",  # trailing slash
        "https://www.w3.org/ns/credentials/V2",
        "https://www.w3.org/ns/did/v1",
        "https://evil.example/context.jsonld",
        "file:///etc/passwd",
        "",
    ],
)
def test_loader_refuses_any_url_that_is_not_shipped(url):
    with pytest.raises(ContextNotShipped) as excinfo:
        document_loader(url)
    assert isinstance(excinfo.value, pyld_jsonld.JsonLdError)
    assert excinfo.value.url == url


def test_a_tampered_context_file_stops_the_service_from_starting(tmp_path, monkeypatch):
    shutil.copytree(CONTEXTS_DIR, tmp_path / "contexts")
    target = tmp_path / "contexts" / MANIFEST[CREDENTIALS_V2]["file"]
    # A harmless-looking reformat (CRLF line endings) is still a different context file.
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))
    monkeypatch.setattr(jsonld, "CONTEXTS_DIR", tmp_path / "contexts")
    with pytest.raises(ShippedFileInvalid, match="does not match its pinned SHA-256"):
        jsonld._load_shipped_contexts()


@pytest.fixture
def no_network(monkeypatch):
    """Make every attempt to open a connection fail loudly, and record it."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture
def cold_context_cache(monkeypatch):
    """Start from an empty cache of resolved contexts, and no canonical form remembered, so the
    loader really is asked."""
    monkeypatch.setattr(jsonld, "_RESOLVED_CONTEXTS", type(jsonld._RESOLVED_CONTEXTS)(maxsize=64))
    monkeypatch.setattr(jsonld, "_CANONICAL", type(jsonld._CANONICAL)(maxsize=1024 * 1024, getsizeof=len))


def test_canonicalizing_the_vector_credential_needs_no_network(no_network, cold_context_cache, monkeypatch):
    served = []

    def recording_loader(url, options=None):
        served.append(url)
        return document_loader(url, options)

    monkeypatch.setattr(jsonld, "document_loader", recording_loader)
    unsigned = json.loads((VECTORS / "vc-di-eddsa" / "unsigned.json").read_text())
    expected = (VECTORS / "vc-di-eddsa" / "eddsa-rdfc-2022" / "canonDocDataInt.txt").read_text()

    assert canonicalize(unsigned) == expected
    assert set(served) == {CREDENTIALS_V2, EXAMPLES_V2}
    assert no_network == []


@pytest.mark.parametrize(
    "document",
    [
        {"@context": [CREDENTIALS_V2, "https://evil.example/context.jsonld"], "name": "x"},
        {"@context": CREDENTIALS_V2, "credentialSubject": {"@context": "https://evil.example/v1", "a": 1}},
    ],
    ids=["top-level", "nested"],
)
def test_unknown_context_is_refused_without_a_network_attempt(no_network, cold_context_cache, document):
    with pytest.raises(UnknownContext):
        canonicalize(document)
    assert no_network == []


def test_pyld_expansion_with_our_loader_refuses_an_unknown_context_without_network(no_network):
    # Straight through pyld, bypassing our own up-front check: the loader is the last line.
    document = {"@context": "https://evil.example/context.jsonld", "name": "x"}
    with pytest.raises(pyld_jsonld.JsonLdError):
        pyld_jsonld.expand(document, {"documentLoader": document_loader})
    assert no_network == []
