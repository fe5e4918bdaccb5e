"""Fetching JSON from other servers without being turned against ourselves.

``fetch_json`` is the one way this service reads a document from the network (did:web DID
documents, remote status lists). It is deliberately narrow:

- HTTPS only, with the system's (or ``REMOTE_FETCH_CA_BUNDLE``'s) trust store; plain http only for
  localhost when ``REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST`` is on (tests).
- The host name is resolved once, every address must be public (or inside
  ``REMOTE_FETCH_ALLOWED_NETWORKS``), and we connect to the checked address itself while TLS still
  verifies the name: a DNS answer that changes between check and connect cannot reach an internal
  service (SSRF, DNS rebinding). An IPv6 address that carries an IPv4 one (NAT64, 6to4) is judged
  by that IPv4 address too; tunnelling and deprecated ranges (Teredo, local-use NAT64,
  IPv4-compatible, site-local) are refused outright.
- No redirects, no proxies from the environment, no compressed bodies (no decompression bombs).
- A hard size cap counted on the bytes actually read (Content-Length is only a hint), and a
  deadline for the whole exchange that a slowly trickling server cannot stretch.
- JSON media types only, UTF-8, no duplicate keys, no NaN or Infinity.

Every failure is a RemoteFetchFailed whose detail names the URL and the reason.
"""

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from rest_framework.exceptions import ParseError
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.response import BaseHTTPResponse

from core.parsers import loads_strict as loads_api_json

from .errors import RemoteFetchFailed

LOCALHOST_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# application/vc: a VC Data Model 2.0 credential, JSON-LD compact form by definition (§6.3).
JSON_MEDIA_TYPES = frozenset({"application/json", "application/vc"})
USER_AGENT = "CitizenVault/1 (+credentials.remote)"
CHUNK_BYTES = 16 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def fetch_json(
    url: str,
    *,
    max_bytes: int | None = None,
    timeout: float | None = None,
    extra_media_types: Iterable[str] = (),
) -> Any:
    """GET ``url`` and return its JSON body, under the rules in this module's docstring.

    ``max_bytes`` defaults to REMOTE_FETCH_MAX_BYTES, ``timeout`` (the deadline for the whole
    exchange, in seconds) to REMOTE_FETCH_TIMEOUT_SECONDS. Besides application/json,
    application/vc and any ``application/*+json``, ``extra_media_types`` (e.g. ``"text/plain"``
    for a server that labels JSON badly) are accepted.
    Raises RemoteFetchFailed.
    """
    max_bytes = settings.REMOTE_FETCH_MAX_BYTES if max_bytes is None else max_bytes
    timeout = settings.REMOTE_FETCH_TIMEOUT_SECONDS if timeout is None else timeout
    if max_bytes <= 0 or timeout <= 0:
        raise ValueError("max_bytes and timeout must be positive.")
    target = _Target.parse(url)
    deadline = time.monotonic() + timeout
    addresses = _checked_addresses(target)
    extra = frozenset(media_type.lower() for media_type in extra_media_types)
    last_error: BaseException | None = None
    for address in addresses:
        try:
            body = _get(target, address, deadline=deadline, max_bytes=max_bytes, extra=extra)
        except _ConnectFailed as exc:  # this address is down: try the host's next one
            last_error = exc.__cause__
            continue
        return _parse_json(target.url, body)
    raise RemoteFetchFailed(f"Could not connect to {target.url}: {last_error}.", url=target.url)


class _ConnectFailed(Exception):
    """Connecting to one address failed; the next address may still answer."""


class _Target:
    """A URL we are willing to fetch, split into the parts the connection needs."""

    def __init__(self, url: str, scheme: str, host: str, port: int, path: str) -> None:
        self.url, self.scheme, self.host, self.port, self.path = url, scheme, host, port, path

    @classmethod
    def parse(cls, url: object) -> "_Target":
        if not isinstance(url, str) or not url:
            raise RemoteFetchFailed("The URL to fetch must be a non-empty string.")
        if not url.isascii() or any(c.isspace() or ord(c) < 0x20 for c in url):
            raise RemoteFetchFailed(
                "The URL must be ASCII without spaces (use the punycode form of a host name).", url=url
            )
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError as exc:
            raise RemoteFetchFailed(f"The URL has an invalid port: {url}.", url=url) from exc
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise RemoteFetchFailed(f"The URL has no host: {url}.", url=url)
        if parts.username is not None or parts.password is not None:
            raise RemoteFetchFailed(f"The URL must not carry credentials: {url}.", url=url)
        if parts.scheme == "http":
            if not (settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST and host in LOCALHOST_NAMES):
                raise RemoteFetchFailed(f"Only https URLs are fetched, not {url}.", url=url)
        elif parts.scheme != "https":
            raise RemoteFetchFailed(f"Only https URLs are fetched, not {url}.", url=url)
        default_port = 443 if parts.scheme == "https" else 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(url, parts.scheme, host, port or default_port, path)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else f"{host}:{self.port}"


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for cidr in settings.REMOTE_FETCH_ALLOWED_NETWORKS:
        try:
            networks.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError as exc:
            raise RemoteFetchFailed(
                f"REMOTE_FETCH_ALLOWED_NETWORKS has an invalid network {cidr!r}."
            ) from exc
    return networks


# IPv6 ranges that reach an IPv4 address named in their low bits: the IPv4 rules apply to it.
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the low 32 bits
SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")  # RFC 3056: bits 16-47
# Ranges refused unless REMOTE_FETCH_ALLOWED_NETWORKS names them: no public DID or status list
# host lives there, and what they reach depends on a translator or tunnel we cannot see.
REFUSED_IPV6_NETWORKS = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215): the operator's own
    ipaddress.IPv6Network("2001::/32"),  # Teredo (RFC 4380): a tunnel to a host behind a NAT
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (RFC 4291 §2.5.5.1, deprecated)
    ipaddress.IPv6Network("fec0::/10"),  # site-local (RFC 3879, deprecated)
)


def address_is_allowed(address: IPAddress, *, host: str) -> bool:
    """Whether we may connect to ``address`` (resolved from ``host``): public, or allowed by settings.

    An IPv4 address embedded in an IPv6 one (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16) must
    pass the IPv4 rules as well; the ranges of REFUSED_IPV6_NETWORKS are refused.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    networks = _allowed_networks()
    if any(address in network for network in networks):
        return True
    if settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST and host in LOCALHOST_NAMES and address.is_loopback:
        return True
    if not _is_public(address):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in REFUSED_IPV6_NETWORKS):
            return False
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return any(embedded in network for network in networks) or _is_public(embedded)
    return True


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address leads to, else None."""
    if address in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return address.sixtofour
    return None


def _is_public(address: IPAddress) -> bool:
    return address.is_global and not address.is_multicast


def _checked_addresses(target: _Target) -> list[str]:
    """Resolve the host once; refuse it if any of its addresses is not allowed."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RemoteFetchFailed(f"Cannot resolve the host of {target.url}.", url=target.url) from exc
    addresses: list[str] = []
    for info in infos:
        literal = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope id
        address = ipaddress.ip_address(literal)
        if not address_is_allowed(address, host=target.host):
            raise RemoteFetchFailed(
                f"Refusing to fetch {target.url}: its host resolves to the non-public address {address}.",
                url=target.url,
            )
        if literal not in addresses:
            addresses.append(literal)
    if not addresses:
        raise RemoteFetchFailed(f"Cannot resolve the host of {target.url}.", url=target.url)
    return addresses


def _connection(target: _Target, address: str, timeout: float) -> HTTPConnection:
    if target.scheme == "http":
        return HTTPConnection(address, target.port, timeout=timeout)
    return HTTPSConnection(
        address,
        target.port,
        timeout=timeout,
        server_hostname=target.host,  # SNI, and the name the certificate must carry
        assert_hostname=target.host,
        cert_reqs="CERT_REQUIRED",
        ca_certs=settings.REMOTE_FETCH_CA_BUNDLE or None,
    )


def _get(target: _Target, address: str, *, deadline: float, max_bytes: int, extra: frozenset[str]) -> bytes:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RemoteFetchFailed(f"Fetching {target.url} took longer than allowed.", url=target.url)
    connection = _connection(target, address, timeout=remaining)
    try:
        connection.connect()
    except NewConnectionError as exc:  # refused or unreachable (a subclass of ConnectTimeoutError)
        raise _ConnectFailed() from exc
    except ConnectTimeoutError as exc:
        raise RemoteFetchFailed(f"Connecting to {target.url} timed out.", url=target.url) from exc
    except (Urllib3Error, OSError, ValueError) as exc:  # TLS: certificate, name or handshake
        raise RemoteFetchFailed(f"Connecting to {target.url} failed: {exc}.", url=target.url) from exc
    # Per-read timeouts do not bound a server that sends one byte at a time; this does.
    expired = threading.Event()
    # Captured now: http.client drops connection.sock once a "Connection: close" response starts.
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _cut, args=(connection.sock, expired))
    watchdog.daemon = True
    watchdog.start()
    try:
        body = _exchange(connection, target, max_bytes=max_bytes, extra=extra)
    except RemoteFetchFailed:
        raise
    except (Urllib3Error, OSError, http.client.HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError | ReadTimeoutError):
            raise RemoteFetchFailed(f"Fetching {target.url} timed out.", url=target.url) from exc
        raise RemoteFetchFailed(f"Fetching {target.url} failed: {exc}.", url=target.url) from exc
    finally:
        watchdog.cancel()
        connection.close()
    if expired.is_set():  # the body may have been cut short: never parse a truncated document
        raise RemoteFetchFailed(f"Fetching {target.url} timed out.", url=target.url)
    return body


def _cut(sock: socket.socket | None, expired: threading.Event) -> None:
    """Deadline reached: wake the blocked read by shutting the raw socket down."""
    expired.set()
    if sock is None:
        return
    # The plain socket's shutdown, not SSLSocket's, which would race with the reading thread.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _exchange(connection: HTTPConnection, target: _Target, *, max_bytes: int, extra: frozenset[str]) -> bytes:
    connection.request(
        "GET",
        target.path,
        headers={
            "Host": target.host_header,
            "Accept": "application/json, application/did+json, application/vc, application/ld+json;q=0.9",
            "Accept-Encoding": "identity",
            "User-Agent": USER_AGENT,
        },
        preload_content=False,
        decode_content=False,
    )
    response = connection.getresponse()
    _check_headers(response, target, max_bytes=max_bytes, extra=extra)
    body = bytearray()
    while True:
        chunk = response.read1(min(CHUNK_BYTES, max_bytes + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise RemoteFetchFailed(
                f"The response from {target.url} is larger than {max_bytes} bytes.", url=target.url
            )


def _check_headers(
    response: BaseHTTPResponse, target: _Target, *, max_bytes: int, extra: frozenset[str]
) -> None:
    if 300 <= response.status < 400:
        raise RemoteFetchFailed(
            f"{target.url} answered with a redirect (HTTP {response.status}); redirects are not followed.",
            url=target.url,
            location=response.headers.get("Location", ""),
        )
    if response.status != 200:
        raise RemoteFetchFailed(f"{target.url} answered HTTP {response.status}.", url=target.url)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise RemoteFetchFailed(
            f"{target.url} sent a {encoding!r}-encoded body; only identity is accepted.", url=target.url
        )
    media_type, _, parameters = response.headers.get("Content-Type", "").partition(";")
    media_type = media_type.strip().lower()
    accepted = media_type in JSON_MEDIA_TYPES or media_type in extra
    if not accepted and not (media_type.startswith("application/") and media_type.endswith("+json")):
        raise RemoteFetchFailed(
            f"{target.url} sent {media_type or 'no content type'!r}, not JSON.", url=target.url
        )
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise RemoteFetchFailed(f"{target.url} sent a charset other than UTF-8.", url=target.url)
    length = response.headers.get("Content-Length")
    if length is not None and length.strip().isdigit() and int(length) > max_bytes:
        raise RemoteFetchFailed(
            f"The response from {target.url} is larger than {max_bytes} bytes.", url=target.url
        )


def loads_strict(body: bytes) -> Any:
    """Parse UTF-8 JSON as strictly as the API parses request bodies (core.parsers.loads_strict:
    no duplicate keys, NaN, Infinity or out-of-range numbers, no lone surrogates, bounded
    nesting). Raises ValueError saying why."""
    try:
        return loads_api_json(body)
    except ParseError as exc:
        raise ValueError(str(exc.detail)) from exc


def _parse_json(url: str, body: bytes) -> Any:
    try:
        return loads_strict(body)
    except ValueError as exc:
        raise RemoteFetchFailed(f"The response from {url} is not acceptable JSON: {exc}", url=url) from exc
