"""credentials.remote.fetch_json against real servers on 127.0.0.1: what it fetches, what it refuses."""

import ipaddress
import json

import pytest

from credentials.errors import RemoteFetchFailed
from credentials.remote import address_is_allowed, embedded_ipv4, fetch_json
from tests.credentials.localserver import (
    make_certificates,
    respond,
    respond_json,
    run_server,
    stall,
    stream_forever,
)

DOCUMENT = {"id": "did:web:localhost", "list": [1, 2, 3], "nested": {"ok": True}}


@pytest.fixture
def insecure_localhost(settings):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = True
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    return settings


@pytest.fixture
def server(insecure_localhost):
    yield from run_server()


@pytest.fixture
def certificates(tmp_path):
    return make_certificates(tmp_path)


@pytest.fixture
def tls_server(certificates):
    yield from run_server(certificates)


def test_fetches_a_json_document(server):
    server.routes["/doc.json"] = respond_json(DOCUMENT)
    assert fetch_json(server.url("/doc.json")) == DOCUMENT
    (request,) = server.seen
    assert request.headers["Host"] == f"127.0.0.1:{server.port}"
    assert request.headers["Accept-Encoding"] == "identity"


def test_keeps_the_query_string(server):
    server.routes["/list"] = respond_json([1])
    fetch_json(server.url("/list?page=2"))
    assert server.paths_seen() == ["/list?page=2"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/did+json",
        "application/ld+json; charset=utf-8",
        "application/vc",
        "application/vc+ld+json",
    ],
)
def test_json_media_types_are_accepted(server, content_type):
    server.routes["/doc"] = respond_json(DOCUMENT, content_type)
    assert fetch_json(server.url("/doc")) == DOCUMENT


def test_an_extra_media_type_is_accepted_only_when_asked_for(server):
    server.routes["/raw"] = respond_json(DOCUMENT, "text/plain; charset=utf-8")
    with pytest.raises(RemoteFetchFailed, match="not JSON"):
        fetch_json(server.url("/raw"))
    assert fetch_json(server.url("/raw"), extra_media_types=["text/plain"]) == DOCUMENT


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        pytest.param({"Content-Type": "text/html"}, "not JSON", id="html"),
        pytest.param({}, "no content type", id="no content type"),
        pytest.param({"Content-Type": "application/json; charset=iso-8859-1"}, "charset", id="latin-1"),
        pytest.param({"Content-Type": "application/json", "Content-Encoding": "gzip"}, "gzip", id="gzip"),
    ],
)
def test_non_json_answers_are_refused(server, headers, reason):
    server.routes["/doc"] = respond(body=json.dumps(DOCUMENT).encode(), headers=headers)
    with pytest.raises(RemoteFetchFailed, match=reason):
        fetch_json(server.url("/doc"))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b'{"id": 1', "Malformed JSON", id="truncated"),
        pytest.param(b'{"id": 1, "id": 2}', "Duplicate key 'id'", id="duplicate key"),
        pytest.param(b'{"n": NaN}', "NaN is not valid JSON", id="NaN"),
        pytest.param(b'{"n": -Infinity}', "Infinity is not valid JSON", id="Infinity"),
        pytest.param(b'{"n": 1e999}', "out of range", id="number out of range"),
        pytest.param(b'{"s": "\\ud800"}', "lone surrogate", id="lone surrogate"),
        pytest.param('{"name": "Zoë"}'.encode("latin-1"), "not UTF-8", id="latin-1 bytes"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested deeper than", id="deep nesting"),
        pytest.param(b"", "Malformed JSON", id="empty"),
    ],
)
def test_bodies_that_are_not_strict_json_are_refused(server, body, reason):
    server.routes["/doc"] = respond(body=body, headers={"Content-Type": "application/json"})
    with pytest.raises(RemoteFetchFailed, match=reason):
        fetch_json(server.url("/doc"), max_bytes=len(body) + 1)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_not_followed(server, status):
    server.routes["/old"] = respond(status, headers={"Location": "/new"})
    server.routes["/new"] = respond_json(DOCUMENT)
    with pytest.raises(RemoteFetchFailed, match="redirect") as caught:
        fetch_json(server.url("/old"))
    assert caught.value.extra["location"] == "/new"
    assert server.paths_seen() == ["/old"]


@pytest.mark.parametrize("status", [404, 500, 204])
def test_other_statuses_are_refused(server, status):
    server.routes["/doc"] = respond(status, headers={"Content-Type": "application/json"})
    with pytest.raises(RemoteFetchFailed, match=f"HTTP {status}"):
        fetch_json(server.url("/doc"))


def test_a_body_of_exactly_the_cap_is_accepted(server):
    body = json.dumps({"pad": "x" * 100}).encode()
    server.routes["/doc"] = respond(body=body, headers={"Content-Type": "application/json"})
    assert fetch_json(server.url("/doc"), max_bytes=len(body)) == {"pad": "x" * 100}
    with pytest.raises(RemoteFetchFailed, match=f"larger than {len(body) - 1} bytes"):
        fetch_json(server.url("/doc"), max_bytes=len(body) - 1)


def test_an_endless_body_is_cut_at_the_cap(server):
    server.routes["/endless"] = stream_forever(server, b" " * 8192)
    with pytest.raises(RemoteFetchFailed, match="larger than 100000 bytes"):
        fetch_json(server.url("/endless"), max_bytes=100_000, timeout=30)


def test_a_declared_oversized_body_is_refused_before_reading_it(server):
    server.routes["/declared"] = respond(
        body=b"", headers={"Content-Type": "application/json", "Content-Length": "5000000"}
    )
    with pytest.raises(RemoteFetchFailed, match="larger than 1000 bytes"):
        fetch_json(server.url("/declared"), max_bytes=1000)


def test_a_server_that_never_answers_times_out(server):
    server.routes["/stall"] = stall(server)
    with pytest.raises(RemoteFetchFailed, match="timed out"):
        fetch_json(server.url("/stall"), timeout=0.3)


def test_a_server_that_trickles_is_cut_at_the_deadline(server):
    # Each byte arrives well inside a per-read timeout; only a deadline for the whole fetch stops it.
    server.routes["/trickle"] = stream_forever(server, b" ", pause=0.02)
    with pytest.raises(RemoteFetchFailed, match="timed out"):
        fetch_json(server.url("/trickle"), timeout=0.5, max_bytes=10_000_000)


def test_a_closed_port_is_a_clear_failure(insecure_localhost):
    servers = run_server()
    closed = next(servers)
    port_url = closed.url("/doc")
    servers.close()
    with pytest.raises(RemoteFetchFailed, match="Could not connect"):
        fetch_json(port_url)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://university.example/did.json", id="http to a public host"),
        pytest.param("ftp://university.example/did.json", id="ftp"),
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("https://user:secret@university.example/did.json", id="credentials in the URL"),
        pytest.param("https:///did.json", id="no host"),
        pytest.param("https://university.example:99999/", id="port out of range"),
        pytest.param("https://universität.example/", id="non-ASCII host"),
        pytest.param("https://university.example/a b", id="space"),
        pytest.param("", id="empty"),
    ],
)
def test_urls_outside_the_rules_are_refused_before_any_connection(insecure_localhost, url):
    with pytest.raises(RemoteFetchFailed):
        fetch_json(url)


def test_plain_http_to_localhost_needs_the_test_setting(server, settings):
    server.routes["/doc"] = respond_json(DOCUMENT)
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = False
    with pytest.raises(RemoteFetchFailed, match="Only https"):
        fetch_json(server.url("/doc"))
    assert server.seen == []


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "[::1]",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address we refuse, not one we bind)
        "[::ffff:127.0.0.1]",
        "[fe80::1]",
        "[fd00::1]",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(settings, host):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = False
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    with pytest.raises(RemoteFetchFailed, match="non-public address"):
        fetch_json(f"https://{host}/did.json")


def test_a_name_resolving_to_loopback_is_refused_without_the_test_setting(tls_server, settings):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = False
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    with pytest.raises(RemoteFetchFailed, match="non-public address"):
        fetch_json(tls_server.url("/doc", host="localhost"))
    assert tls_server.seen == []


def test_allowed_networks_open_a_private_range_and_nothing_else(settings):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = False
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert address_is_allowed(ipaddress.ip_address("10.20.3.4"), host="issuer.internal")
    assert not address_is_allowed(ipaddress.ip_address("10.21.3.4"), host="issuer.internal")
    assert not address_is_allowed(ipaddress.ip_address("127.0.0.1"), host="localhost")
    assert address_is_allowed(ipaddress.ip_address("93.184.215.14"), host="public.example")


def test_loopback_is_allowed_only_for_localhost_names(settings):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = True
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    assert address_is_allowed(ipaddress.ip_address("127.0.0.1"), host="localhost")
    assert not address_is_allowed(ipaddress.ip_address("127.0.0.1"), host="rebind.attacker.example")
    assert not address_is_allowed(ipaddress.ip_address("10.0.0.1"), host="localhost")


def test_https_verifies_the_certificate_against_the_name(tls_server, certificates, settings):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = False
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.REMOTE_FETCH_CA_BUNDLE = str(certificates.ca_file)
    tls_server.routes["/doc"] = respond_json(DOCUMENT)
    assert fetch_json(tls_server.url("/doc", host="localhost")) == DOCUMENT
    assert tls_server.seen[0].headers["Host"] == f"localhost:{tls_server.port}"


def test_https_refuses_a_certificate_for_another_name(tls_server, certificates, settings):
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.REMOTE_FETCH_CA_BUNDLE = str(certificates.ca_file)
    tls_server.routes["/doc"] = respond_json(DOCUMENT)
    # The certificate names localhost only, not the address.
    with pytest.raises(RemoteFetchFailed, match="doesn't match 'localhost'"):
        fetch_json(tls_server.url("/doc", host="127.0.0.1"))
    assert tls_server.seen == []


def test_https_refuses_an_untrusted_certificate(tls_server, settings):
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.REMOTE_FETCH_CA_BUNDLE = ""  # the system's trust store does not know the test CA
    tls_server.routes["/doc"] = respond_json(DOCUMENT)
    with pytest.raises(RemoteFetchFailed, match="certificate verify failed"):
        fetch_json(tls_server.url("/doc", host="localhost"))
    assert tls_server.seen == []


# IPv6 addresses that lead to an IPv4 one: judged by that address too, or refused outright.


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 (RFC 6052) to 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 to 169.254.169.254, cloud metadata
        "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64 (RFC 8215)
        "64:ff9b:1:ffff::808:808",  # local-use NAT64, whatever it embeds
        "2002:7f00:1::1",  # 6to4 (RFC 3056) to 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 to 169.254.169.254
        "2002:c0a8:101::1",  # 6to4 to 192.168.1.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo (RFC 4380)
        "2001:0:808:808:0:0:f7f7:f7f7",  # Teredo, server and client public
        "::7f00:1",  # IPv4-compatible (deprecated) 127.0.0.1
        "::808:808",  # IPv4-compatible 8.8.8.8: deprecated, refused whatever it embeds
        "fec0::1",  # site-local (deprecated)
        "feff:ffff::1",  # site-local, top of the range
    ],
)
def test_ipv6_transition_addresses_are_refused_unless_they_lead_somewhere_public(settings, address):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = True  # even then: loopback only as localhost
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    assert not address_is_allowed(ipaddress.ip_address(address), host="issuer.example")
    assert not address_is_allowed(ipaddress.ip_address(address), host="localhost")


@pytest.mark.parametrize(
    ("address", "ipv4"),
    [
        ("64:ff9b::808:808", "8.8.8.8"),
        ("2002:808:808::1", "8.8.8.8"),
        ("64:ff9b::5db8:d70e", "93.184.215.14"),
    ],
)
def test_nat64_and_6to4_addresses_of_public_hosts_are_allowed(settings, address, ipv4):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = False
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    assert embedded_ipv4(ipaddress.IPv6Address(address)) == ipaddress.IPv4Address(ipv4)
    assert address_is_allowed(ipaddress.ip_address(address), host="issuer.example")
    assert address_is_allowed(ipaddress.ip_address("2606:4700::1111"), host="issuer.example")  # plain IPv6


def test_allowed_networks_can_open_a_transition_range_or_what_it_embeds(settings):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = False
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = ["64:ff9b:1::/48", "10.20.0.0/16"]
    assert address_is_allowed(ipaddress.ip_address("64:ff9b:1::a00:1"), host="issuer.internal")
    assert address_is_allowed(ipaddress.ip_address("64:ff9b::a14:304"), host="issuer.internal")  # 10.20.3.4
    assert not address_is_allowed(ipaddress.ip_address("64:ff9b::a15:304"), host="issuer.internal")


@pytest.mark.parametrize("host", ["[64:ff9b::7f00:1]", "[2002:7f00:1::1]", "[::7f00:1]", "[fec0::1]"])
def test_a_url_naming_a_transition_address_is_refused_before_connecting(settings, host):
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = False
    settings.REMOTE_FETCH_ALLOWED_NETWORKS = []
    with pytest.raises(RemoteFetchFailed, match="non-public address"):
        fetch_json(f"https://{host}/did.json")
