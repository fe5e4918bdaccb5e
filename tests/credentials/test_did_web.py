"""did:web: URL mapping, DID documents, resolution over real HTTPS on 127.0.0.1, caching, pinning,
verification relationships, and a credential signed by a did:web key verified end to end."""

import copy
import hashlib
import json
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.core.management import CommandError, call_command

from credentials.dids import resolve_did_document, resolve_verification_method
from credentials.didweb import forget_did_document
from credentials.pinned import file_name_for, pin_did_document
from tests.conftest import VECTORS
from tests.credentials.localserver import (
    make_certificates,
    respond,
    respond_json,
    run_server,
    stall,
    stream_forever,
)
from vc.dataintegrity import add_proof, verify_proof
from vc.diddocument import parse_did_document
from vc.dids import did_web_to_url
from vc.errors import DidDocumentInvalid, ProofInvalid, UnresolvableKey
from vc.multikey import encode_multibase, public_key_to_multikey

UNSIGNED = json.loads((VECTORS / "vc-di-eddsa" / "unsigned.json").read_text())
CREATED = "2025-01-01T00:00:00Z"
ISSUER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ROTATED_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(32))
WELL_KNOWN = "/.well-known/did.json"
DID_KEY = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def did_document(did: str, keys: dict[str, tuple[Ed25519PrivateKey, tuple[str, ...]]], **extra) -> dict:
    """A DID document with one Multikey per fragment, listed (by reference) under its relationships."""
    document: dict = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#{fragment}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public_key_to_multikey(key.public_key()),
            }
            for fragment, (key, _) in keys.items()
        ],
    }
    for fragment, (_, relationships) in keys.items():
        for relationship in relationships:
            document.setdefault(relationship, []).append(f"{did}#{fragment}")
    return {**document, **extra}


ASSERTING = ("assertionMethod",)


def publish(site, did: str, keys: dict[str, tuple[Ed25519PrivateKey, tuple[str, ...]]]) -> None:
    """Serve the DID document of the site's root did:web DID at /.well-known/did.json."""
    site.routes[WELL_KNOWN] = respond_json(did_document(did, keys))


def document_bytes(did: str, key: Ed25519PrivateKey) -> bytes:
    return json.dumps(did_document(did, {"key-1": (key, ASSERTING)})).encode()


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


# --- DID → URL (did:web method, §3.2 Read, and its examples) ---------------------------------


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
        ("did:web:example.com%3a8443", "https://example.com:8443/.well-known/did.json"),
        ("did:web:Example.COM:Issuers:Uni_1", "https://example.com/Issuers/Uni_1/did.json"),
        ("did:web:localhost", "https://localhost/.well-known/did.json"),
    ],
)
def test_did_maps_to_the_url_of_its_document(did, url):
    assert did_web_to_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        pytest.param("did:web:", id="empty"),
        pytest.param("did:web:192.168.1.10", id="IPv4 address"),
        pytest.param("did:web:[::1]", id="IPv6 address"),
        pytest.param("did:web:example.com:..:admin", id="dot-dot segment"),
        pytest.param("did:web:example.com:a%2Fb", id="encoded slash"),
        pytest.param("did:web:example.com::user", id="empty segment"),
        pytest.param("did:web:example.com%3A", id="empty port"),
        pytest.param("did:web:example.com%3A70000", id="port out of range"),
        pytest.param("did:web:example.com%3Ahttp", id="port not a number"),
        pytest.param("did:web:user%40example.com", id="userinfo"),
        pytest.param("did:web:-example.com", id="label starts with a hyphen"),
        pytest.param("did:web:example.com?service=x", id="query"),
        pytest.param("did:web:example.com#key-1", id="fragment"),
        pytest.param(DID_KEY, id="not did:web"),
    ],
)
def test_malformed_did_web_is_refused(did):
    with pytest.raises(UnresolvableKey):
        did_web_to_url(did)


# --- DID documents -----------------------------------------------------------------------------

DID = "did:web:university.example"


def test_document_with_relative_ids_and_an_embedded_method():
    document = {
        "id": DID,
        "verificationMethod": [
            {
                "id": "#key-1",
                "type": "Ed25519VerificationKey2020",
                "controller": DID,
                "publicKeyMultibase": public_key_to_multikey(ISSUER_KEY.public_key()),
            }
        ],
        "assertionMethod": ["#key-1"],
        "authentication": [
            {
                "id": f"{DID}#auth",
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": public_key_to_multikey(OTHER_KEY.public_key()),
            }
        ],
    }
    parsed = parse_did_document(DID, document)
    assert raw(ISSUER_KEY) == parsed.public_key(f"{DID}#key-1", purpose="assertionMethod").public_bytes_raw()
    assert raw(OTHER_KEY) == parsed.public_key(f"{DID}#auth", purpose="authentication").public_bytes_raw()
    with pytest.raises(UnresolvableKey, match="not listed under assertionMethod"):
        parsed.public_key(f"{DID}#auth", purpose="assertionMethod")


def test_unusable_methods_do_not_spoil_the_document_but_say_why():
    x25519 = encode_multibase(b"\xec\x01" + X25519PrivateKey.generate().public_key().public_bytes_raw())
    document = did_document(DID, {"key-1": (ISSUER_KEY, ASSERTING)})
    document["verificationMethod"] += [
        {"id": f"{DID}#ka", "type": "Multikey", "controller": DID, "publicKeyMultibase": x25519},
        {"id": f"{DID}#jwk", "type": "JsonWebKey", "controller": DID, "publicKeyJwk": {"kty": "OKP"}},
        {
            "id": f"{DID}#theirs",
            "type": "Multikey",
            "controller": "did:web:elsewhere.example",
            "publicKeyMultibase": public_key_to_multikey(OTHER_KEY.public_key()),
        },
    ]
    document["keyAgreement"] = [f"{DID}#ka"]
    document["assertionMethod"] += [f"{DID}#jwk", f"{DID}#theirs"]
    parsed = parse_did_document(DID, document)
    assert parsed.public_key(f"{DID}#key-1").public_bytes_raw() == raw(ISSUER_KEY)
    with pytest.raises(UnresolvableKey, match="not an Ed25519, P-256 or P-384 public key"):
        parsed.public_key(f"{DID}#ka")
    with pytest.raises(UnresolvableKey, match="type JsonWebKey is not supported"):
        parsed.public_key(f"{DID}#jwk", purpose="assertionMethod")
    with pytest.raises(UnresolvableKey, match=r"controlled by did:web:elsewhere\.example"):
        parsed.public_key(f"{DID}#theirs", purpose="assertionMethod")
    with pytest.raises(UnresolvableKey, match="has no verification method"):
        parsed.public_key(f"{DID}#key-9")


def _valid() -> dict:
    return did_document(DID, {"key-1": (ISSUER_KEY, ASSERTING)})


def _with(**changes) -> dict:
    document = _valid()
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return document


def _method(**changes) -> dict:
    method = copy.deepcopy(_valid()["verificationMethod"][0])
    method.update(changes)
    return method


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        pytest.param([], "not a JSON object", id="a list"),
        pytest.param(_with(id="did:web:other.example"), "not the DID", id="another id"),
        pytest.param(_with(id=None), "not the DID", id="no id"),
        pytest.param(_with(controller=42), "controller", id="controller a number"),
        pytest.param(_with(verificationMethod={"id": "#k"}), "not a list", id="methods not a list"),
        pytest.param(_with(verificationMethod=["#key-1"]), "not an object", id="method a string"),
        pytest.param(_with(verificationMethod=[_method(id=None)]), "has no id", id="method without id"),
        pytest.param(
            _with(verificationMethod=[_method(id="did:web:other.example#key-1")]),
            "not a fragment of the DID",
            id="method of another DID",
        ),
        pytest.param(
            _with(verificationMethod=[_method(id=f"{DID}#")]), "not a fragment", id="empty fragment"
        ),
        pytest.param(_with(verificationMethod=[_method(controller=None)]), "controller", id="no controller"),
        pytest.param(_with(verificationMethod=[_method(type=None)]), "type", id="no type"),
        pytest.param(
            _with(verificationMethod=[_method(publicKeyMultibase=None)]), "no publicKeyMultibase", id="no key"
        ),
        pytest.param(
            _with(verificationMethod=[_method(), _method(id="#key-1")]), "defines .* twice", id="duplicate id"
        ),
        pytest.param(_with(assertionMethod=f"{DID}#key-1"), "not a list", id="relationship not a list"),
        pytest.param(_with(assertionMethod=["#key-2"]), "does not define", id="dangling reference"),
        pytest.param(_with(authentication=[7]), "neither a reference nor a method", id="reference a number"),
    ],
)
def test_unacceptable_documents_are_refused_with_the_reason(document, reason):
    with pytest.raises(DidDocumentInvalid, match=reason):
        parse_did_document(DID, document)


# --- resolution over HTTPS ---------------------------------------------------------------------


@pytest.fixture
def issuer_site(tmp_path, settings):
    """A real HTTPS server for did:web:localhost%3A<port>, trusted through a test CA."""
    certificates = make_certificates(tmp_path / "tls")
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = True  # loopback, for localhost only
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    settings.REMOTE_FETCH_CA_BUNDLE = str(certificates.ca_file)
    settings.DID_WEB_NETWORK = True
    settings.DID_WEB_CACHE_SECONDS = 300
    settings.PINNED_DID_DOCUMENTS_DIR = ""
    yield from run_server(certificates)


def site_did(server, *path: str) -> str:
    return ":".join([f"did:web:localhost%3A{server.port}", *path])


@pytest.fixture
def pins(tmp_path, settings):
    directory = tmp_path / "pins"
    settings.PINNED_DID_DOCUMENTS_DIR = str(directory)
    return directory


def test_resolves_a_key_from_the_well_known_document(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    controller, key = resolve_verification_method(f"{did}#key-1", purpose="assertionMethod")
    assert controller == did
    assert key.public_bytes_raw() == raw(ISSUER_KEY)
    assert issuer_site.paths_seen() == [WELL_KNOWN]
    assert issuer_site.seen[0].headers["Host"] == f"localhost:{issuer_site.port}"


def test_resolves_a_did_with_a_path(issuer_site):
    did = site_did(issuer_site, "issuers", "university")
    issuer_site.routes["/issuers/university/did.json"] = respond_json(
        did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}), "application/did+json"
    )
    assert resolve_verification_method(f"{did}#key-1")[1].public_bytes_raw() == raw(ISSUER_KEY)


def test_a_resolved_document_is_cached(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    for _ in range(3):
        resolve_verification_method(f"{did}#key-1")
    assert issuer_site.paths_seen() == [WELL_KNOWN]
    forget_did_document(did)
    resolve_verification_method(f"{did}#key-1")
    assert issuer_site.paths_seen() == [WELL_KNOWN, WELL_KNOWN]


def test_without_a_cache_lifetime_every_resolution_fetches(issuer_site, settings):
    settings.DID_WEB_CACHE_SECONDS = 0
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    resolve_verification_method(f"{did}#key-1")
    resolve_verification_method(f"{did}#key-1")
    assert len(issuer_site.seen) == 2


def test_a_refused_document_is_not_cached(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document("did:web:someone.else", {}))
    for _ in range(2):
        with pytest.raises(DidDocumentInvalid, match="not the DID"):
            resolve_verification_method(f"{did}#key-1")
    assert len(issuer_site.seen) == 2


def test_a_key_not_listed_under_the_required_purpose_is_refused(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(
        did_document(did, {"login": (OTHER_KEY, ("authentication",)), "key-1": (ISSUER_KEY, ASSERTING)})
    )
    with pytest.raises(UnresolvableKey, match="not listed under assertionMethod"):
        resolve_verification_method(f"{did}#login", purpose="assertionMethod")
    assert resolve_verification_method(f"{did}#login", purpose="authentication")[1].public_bytes_raw() == raw(
        OTHER_KEY
    )
    with pytest.raises(UnresolvableKey, match="not listed under authentication"):
        resolve_verification_method(f"{did}#key-1", purpose="authentication")


def test_an_unknown_purpose_is_refused(issuer_site):
    with pytest.raises(UnresolvableKey, match="not a verification relationship"):
        resolve_verification_method(f"{site_did(issuer_site)}#key-1", purpose="signing")
    assert issuer_site.seen == []


def test_a_did_web_method_must_name_its_key(issuer_site):
    with pytest.raises(UnresolvableKey, match="fragment"):
        resolve_verification_method(site_did(issuer_site))
    assert issuer_site.seen == []


def test_a_document_over_the_size_cap_is_refused(issuer_site, settings):
    did = site_did(issuer_site)
    document = did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}, padding="x" * 5000)
    issuer_site.routes[WELL_KNOWN] = respond_json(document)
    settings.DID_WEB_MAX_BYTES = 4096
    with pytest.raises(UnresolvableKey, match="larger than 4096 bytes"):
        resolve_verification_method(f"{did}#key-1")


def test_an_endless_document_is_cut_at_the_size_cap(issuer_site, settings):
    settings.DID_WEB_MAX_BYTES = 50_000
    issuer_site.routes[WELL_KNOWN] = stream_forever(issuer_site, b"[" * 4096)
    with pytest.raises(UnresolvableKey, match="larger than 50000 bytes"):
        resolve_verification_method(f"{site_did(issuer_site)}#key-1")


def test_a_stalled_server_times_out(issuer_site, settings):
    settings.REMOTE_FETCH_TIMEOUT_SECONDS = 0.3
    issuer_site.routes[WELL_KNOWN] = stall(issuer_site)
    with pytest.raises(UnresolvableKey, match="timed out"):
        resolve_verification_method(f"{site_did(issuer_site)}#key-1")


def test_a_redirect_is_refused(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond(302, headers={"Location": "/elsewhere/did.json"})
    issuer_site.routes["/elsewhere/did.json"] = respond_json(did_document(did, {"key-1": (OTHER_KEY, ())}))
    with pytest.raises(UnresolvableKey, match="redirect"):
        resolve_verification_method(f"{did}#key-1")
    assert issuer_site.paths_seen() == [WELL_KNOWN]


def test_a_missing_document_is_refused(issuer_site):
    with pytest.raises(UnresolvableKey, match="HTTP 404"):
        resolve_verification_method(f"{site_did(issuer_site)}#key-1")


def test_network_resolution_can_be_switched_off(issuer_site, settings):
    settings.DID_WEB_NETWORK = False
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    with pytest.raises(UnresolvableKey, match="not pinned"):
        resolve_verification_method(f"{did}#key-1")
    assert issuer_site.seen == []


# --- pinned documents --------------------------------------------------------------------------


def _pin_by_hand(directory, did: str, document: dict, sha256: str | None = None) -> bytes:
    directory.mkdir(parents=True, exist_ok=True)
    content = json.dumps(document).encode()
    (directory / f"{quote(did, safe='')}.json").write_bytes(content)
    if sha256 is not None:
        (directory / "index.json").write_text(json.dumps({did: {"sha256": sha256}}))
    return content


def test_a_pinned_document_wins_over_the_network(issuer_site, pins):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (OTHER_KEY, ASSERTING)}))
    _pin_by_hand(pins, did, did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    assert resolve_verification_method(f"{did}#key-1")[1].public_bytes_raw() == raw(ISSUER_KEY)
    assert issuer_site.seen == []


def test_pinned_documents_resolve_when_the_network_is_off(settings, pins):
    settings.DID_WEB_NETWORK = False
    did = "did:web:registry.gov.example:issuers:42"
    _pin_by_hand(pins, did, did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    assert file_name_for(did) == "did%3Aweb%3Aregistry.gov.example%3Aissuers%3A42.json"
    controller, key = resolve_verification_method(f"{did}#key-1", purpose="assertionMethod")
    assert (controller, key.public_bytes_raw()) == (did, raw(ISSUER_KEY))


def test_a_pin_with_the_expected_hash_resolves(settings, pins):
    settings.DID_WEB_NETWORK = False
    did = "did:web:university.example"
    content = document_bytes(did, ISSUER_KEY)
    _pin_by_hand(pins, did, json.loads(content), sha256=hashlib.sha256(content).hexdigest())
    assert resolve_verification_method(f"{did}#key-1")[1].public_bytes_raw() == raw(ISSUER_KEY)


def test_an_altered_pin_is_refused_and_never_falls_back_to_the_network(issuer_site, pins):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (OTHER_KEY, ASSERTING)}))
    _pin_by_hand(pins, did, did_document(did, {"key-1": (OTHER_KEY, ASSERTING)}), sha256="ab" * 32)
    with pytest.raises(DidDocumentInvalid, match=r"index\.json pins abab"):
        resolve_verification_method(f"{did}#key-1")
    assert issuer_site.seen == []


def test_a_malformed_index_entry_breaks_the_pin_rather_than_skipping_the_hash(settings, pins):
    did = "did:web:university.example"
    _pin_by_hand(pins, did, did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    (pins / "index.json").write_text(json.dumps({did: "not an object"}))
    with pytest.raises(DidDocumentInvalid, match="no sha256 string"):
        resolve_did_document(did)


def test_an_unreadable_index_breaks_every_pin(settings, pins):
    did = "did:web:university.example"
    _pin_by_hand(pins, did, did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    (pins / "index.json").write_text("{oops")
    with pytest.raises(DidDocumentInvalid, match=r"index\.json is unreadable"):
        resolve_did_document(did)


def test_a_pin_whose_file_is_missing_is_refused(issuer_site, pins):
    did = site_did(issuer_site)
    pins.mkdir()
    (pins / "index.json").write_text(json.dumps({did: {"sha256": "00" * 32}}))
    with pytest.raises(DidDocumentInvalid, match="is missing"):
        resolve_verification_method(f"{did}#key-1")
    assert issuer_site.seen == []


def test_a_pinned_document_for_another_did_is_refused(settings, pins):
    did = "did:web:university.example"
    _pin_by_hand(pins, did, did_document("did:web:impostor.example", {"key-1": (OTHER_KEY, ASSERTING)}))
    with pytest.raises(DidDocumentInvalid, match=r"pinned DID document .* is unusable"):
        resolve_did_document(did)


def test_a_changed_pin_directory_is_read_again(settings, pins):
    settings.DID_WEB_NETWORK = False
    did = "did:web:university.example"
    with pytest.raises(UnresolvableKey, match="not pinned"):
        resolve_did_document(did)
    _pin_by_hand(pins, did, did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    assert resolve_did_document(did).public_key(f"{did}#key-1").public_bytes_raw() == raw(ISSUER_KEY)


# --- the pin_did_document command --------------------------------------------------------------


def test_command_validates_pins_and_records_the_hash(tmp_path, settings, pins, capsys):
    settings.DID_WEB_NETWORK = False
    did = "did:web:university.example"
    source = tmp_path / "did.json"
    source.write_text(json.dumps(did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)})))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    call_command("pin_did_document", did, str(source), "--sha256", digest.upper())
    output = capsys.readouterr().out
    assert f"sha256:  {digest}" in output
    assert f"{did}#key-1 (Multikey; assertionMethod; usable)" in output
    assert (pins / file_name_for(did)).read_bytes() == source.read_bytes()
    assert json.loads((pins / "index.json").read_text()) == {did: {"sha256": digest}}
    assert resolve_verification_method(f"{did}#key-1")[1].public_bytes_raw() == raw(ISSUER_KEY)


def test_command_keeps_earlier_pins_and_replaces_a_repinned_document(tmp_path, settings, pins):
    settings.DID_WEB_NETWORK = False
    first, second = "did:web:university.example", "did:web:college.example"
    pin_did_document(first, document_bytes(first, ISSUER_KEY))
    pin_did_document(second, document_bytes(second, OTHER_KEY))
    rotated = did_document(first, {"key-2": (ROTATED_KEY, ASSERTING)})
    source = tmp_path / "rotated.json"
    source.write_text(json.dumps(rotated))
    call_command("pin_did_document", first, str(source))
    assert set(json.loads((pins / "index.json").read_text())) == {first, second}
    assert resolve_verification_method(f"{first}#key-2")[1].public_bytes_raw() == raw(ROTATED_KEY)
    with pytest.raises(UnresolvableKey, match="no verification method"):
        resolve_verification_method(f"{first}#key-1")
    assert resolve_verification_method(f"{second}#key-1")[1].public_bytes_raw() == raw(OTHER_KEY)


@pytest.mark.parametrize(
    ("did", "content", "reason"),
    [
        pytest.param(
            DID, json.dumps(_with(id="did:web:other.example")), "not the DID", id="another DID's document"
        ),
        pytest.param(DID, '{"id": "x", "id": "y"}', "Duplicate key", id="duplicate keys"),
        pytest.param(DID, "not json", "Malformed JSON", id="not JSON"),
        pytest.param(
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "{}", "not a did:web", id="did:key"
        ),
        pytest.param("did:web:10.0.0.1", "{}", "IP address", id="IP address"),
    ],
)
def test_command_refuses_what_it_cannot_pin_and_writes_nothing(tmp_path, pins, did, content, reason):
    source = tmp_path / "did.json"
    source.write_text(content)
    with pytest.raises(CommandError, match=reason):
        call_command("pin_did_document", did, str(source))
    assert not pins.exists()


def test_command_refuses_a_file_with_another_hash(tmp_path, pins):
    source = tmp_path / "did.json"
    source.write_text(json.dumps(_valid()))
    with pytest.raises(CommandError, match="not the expected"):
        call_command("pin_did_document", DID, str(source), "--sha256", "00" * 32)
    assert not pins.exists()


def test_command_refuses_an_oversized_document(tmp_path, settings, pins):
    settings.DID_WEB_MAX_BYTES = 1000
    source = tmp_path / "did.json"
    source.write_text(json.dumps({**_valid(), "padding": "x" * 1000}))
    with pytest.raises(CommandError, match="larger than 1000 bytes"):
        call_command("pin_did_document", DID, str(source))


def test_command_needs_a_pin_directory(tmp_path, settings):
    settings.PINNED_DID_DOCUMENTS_DIR = ""
    source = tmp_path / "did.json"
    source.write_text(json.dumps(_valid()))
    with pytest.raises(CommandError, match="PINNED_DID_DOCUMENTS_DIR is not set"):
        call_command("pin_did_document", DID, str(source))


def test_command_reports_an_unreadable_file(tmp_path, pins):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("pin_did_document", DID, str(tmp_path / "missing.json"))


# --- end to end: a credential signed by a did:web key ------------------------------------------


def _signed(
    did: str, key: Ed25519PrivateKey, fragment: str = "key-1", purpose: str = "assertionMethod"
) -> dict:
    return add_proof(
        {**UNSIGNED, "issuer": did},
        private_key=key,
        verification_method=f"{did}#{fragment}",
        proof_purpose=purpose,
        created=CREATED,
    )


def test_a_credential_signed_by_a_did_web_key_verifies(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    verified = verify_proof(_signed(did, ISSUER_KEY), resolve=resolve_verification_method)
    assert verified.controller == did
    assert verified.verification_method == f"{did}#key-1"


def test_a_tampered_did_web_credential_does_not_verify(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    signed = _signed(did, ISSUER_KEY)
    signed["credentialSubject"]["alumniOf"] = "Another School"
    with pytest.raises(ProofInvalid):
        verify_proof(signed, resolve=resolve_verification_method)


def test_a_credential_signed_with_another_key_than_the_document_lists_does_not_verify(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(did_document(did, {"key-1": (ISSUER_KEY, ASSERTING)}))
    with pytest.raises(ProofInvalid):
        verify_proof(_signed(did, OTHER_KEY), resolve=resolve_verification_method)


def test_after_rotation_credentials_signed_with_the_old_key_still_verify(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(
        did_document(did, {"key-1": (ISSUER_KEY, ASSERTING), "key-2": (ROTATED_KEY, ASSERTING)})
    )
    assert (
        verify_proof(
            _signed(did, ISSUER_KEY, "key-1"), resolve=resolve_verification_method
        ).verification_method
        == f"{did}#key-1"
    )
    assert (
        verify_proof(
            _signed(did, ROTATED_KEY, "key-2"), resolve=resolve_verification_method
        ).verification_method
        == f"{did}#key-2"
    )


def test_a_pinned_did_web_issuer_verifies_air_gapped(settings, pins):
    settings.DID_WEB_NETWORK = False
    did = "did:web:university.example"
    pin_did_document(did, document_bytes(did, ISSUER_KEY))
    assert verify_proof(_signed(did, ISSUER_KEY), resolve=resolve_verification_method).controller == did


def test_a_proof_by_a_key_listed_only_for_authentication_is_refused_as_an_assertion(issuer_site):
    did = site_did(issuer_site)
    issuer_site.routes[WELL_KNOWN] = respond_json(
        did_document(did, {"key-1": (ISSUER_KEY, ("authentication",))})
    )
    with pytest.raises(UnresolvableKey, match="not listed under assertionMethod"):
        verify_proof(_signed(did, ISSUER_KEY), resolve=resolve_verification_method)
