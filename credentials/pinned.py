"""Pinned DID documents: resolved from a directory, never from the network.

``PINNED_DID_DOCUMENTS_DIR`` holds one file per DID, named ``<url-encoded DID>.json`` (so
``did:web:example.com`` is ``did%3Aweb%3Aexample.com.json``), and optionally ``index.json``
mapping DIDs to the SHA-256 of their file: ``{"did:web:example.com": {"sha256": "<hex>"}}``.
A DID in the index is pinned even if its file is missing or altered: then it does not resolve at
all, rather than falling back to the network. The directory is read again only when its
listing changes (names, sizes, modification times), so a pin made by the management command is
seen by running processes without a restart.
"""

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from django.conf import settings

from vc.diddocument import DidDocument, parse_did_document
from vc.dids import did_web_to_url
from vc.errors import DidDocumentInvalid

from .remote import loads_strict

INDEX_NAME = "index.json"


@dataclass(frozen=True)
class PinnedDocument:
    did: str
    sha256: str
    document: DidDocument | None  # None when the pin is broken
    problem: str = ""


def file_name_for(did: str) -> str:
    return quote(did, safe="") + ".json"


def pinned_document(did: str) -> DidDocument | None:
    """The pinned document of ``did``, or None if it is not pinned.

    Raises DidDocumentInvalid when the DID is pinned but its pin is broken (bad file, hash mismatch).
    """
    pin = load_pinned_documents().get(did)
    if pin is None:
        return None
    if pin.document is None:
        raise DidDocumentInvalid(f"The pinned DID document of {did} is unusable: {pin.problem}", did=did)
    return pin.document


_lock = threading.Lock()
_loaded: tuple[object, dict[str, PinnedDocument]] = (None, {})


def load_pinned_documents() -> dict[str, PinnedDocument]:
    """Every pin in PINNED_DID_DOCUMENTS_DIR, by DID; read again only when the directory changed."""
    global _loaded
    directory = settings.PINNED_DID_DOCUMENTS_DIR
    if not directory:
        return {}
    signature = (directory, _listing(Path(directory)))
    with _lock:
        if _loaded[0] != signature:
            _loaded = (signature, _read_directory(Path(directory)))
        return _loaded[1]


def _listing(directory: Path) -> tuple[tuple[str, int, int], ...]:
    try:
        with os.scandir(directory) as entries:
            return tuple(
                sorted(
                    (e.name, e.stat().st_size, e.stat().st_mtime_ns)
                    for e in entries
                    if e.name.endswith(".json")
                )
            )
    except FileNotFoundError:
        return ()


def _read_directory(directory: Path) -> dict[str, PinnedDocument]:
    if not directory.is_dir():
        return {}
    expected, index_problem = _read_index(directory)
    pins: dict[str, PinnedDocument] = {}
    for path in sorted(directory.glob("*.json")):
        if path.name == INDEX_NAME:
            continue
        did = unquote(path.name.removesuffix(".json"))
        if not did.startswith("did:"):
            continue  # not a pin; index problems are reported through the DIDs they name
        pins[did] = _read_pin(did, path, expected.get(did), index_problem)
    for did in expected.keys() - pins.keys():
        pins[did] = PinnedDocument(
            did, expected[did], None, f"index.json pins it but {file_name_for(did)} is missing."
        )
    return pins


def _read_index(directory: Path) -> tuple[dict[str, str], str]:
    path = directory / INDEX_NAME
    if not path.exists():
        return {}, ""
    try:
        index = loads_strict(path.read_bytes())
    except (OSError, ValueError) as exc:
        return {}, f"index.json is unreadable ({exc})."
    if not isinstance(index, dict):
        return {}, "index.json is not a JSON object."
    expected = {}
    for did, entry in index.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        # A malformed entry still pins its DID: "" matches no file, so the pin reads as broken.
        expected[did] = digest.lower() if isinstance(digest, str) else ""
    return expected, ""


def _read_pin(did: str, path: Path, expected_sha256: str | None, index_problem: str) -> PinnedDocument:
    try:
        content = path.read_bytes()
    except OSError as exc:
        return PinnedDocument(did, "", None, f"{path.name} is unreadable ({exc}).")
    digest = hashlib.sha256(content).hexdigest()
    if index_problem:
        return PinnedDocument(did, digest, None, index_problem)
    if expected_sha256 == "":
        return PinnedDocument(did, digest, None, "its index.json entry has no sha256 string.")
    if expected_sha256 is not None and digest != expected_sha256:
        return PinnedDocument(
            did, digest, None, f"{path.name} has SHA-256 {digest}, index.json pins {expected_sha256}."
        )
    try:
        return PinnedDocument(did, digest, validate_pinnable(did, content))
    except DidDocumentInvalid as exc:
        return PinnedDocument(did, digest, None, exc.detail)


def validate_pinnable(did: str, content: bytes) -> DidDocument:
    """Check ``content`` as the DID document of the did:web ``did``. Raises DidDocumentInvalid."""
    did_web_to_url(did)
    if len(content) > settings.DID_WEB_MAX_BYTES:
        raise DidDocumentInvalid(
            f"The DID document is larger than {settings.DID_WEB_MAX_BYTES} bytes.", did=did
        )
    try:
        document: Any = loads_strict(content)
    except ValueError as exc:
        raise DidDocumentInvalid(f"The DID document of {did} is {exc}.", did=did) from exc
    return parse_did_document(did, document)


def pin_did_document(did: str, content: bytes) -> PinnedDocument:
    """Validate ``content`` as the DID document of ``did`` and pin it, with its SHA-256, in the directory.

    Each file is replaced atomically. Raises DidDocumentInvalid (also when no directory is set).
    """
    directory_setting = settings.PINNED_DID_DOCUMENTS_DIR
    if not directory_setting:
        raise DidDocumentInvalid("PINNED_DID_DOCUMENTS_DIR is not set: there is nowhere to pin.", did=did)
    document = validate_pinnable(did, content)
    directory = Path(directory_setting)
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()
    with _lock:
        index, problem = _read_index(directory)
        if problem:
            raise DidDocumentInvalid(f"Cannot pin: {problem}", did=did)
        index[did] = digest
        _write_atomically(directory / file_name_for(did), content)
        entries = {pinned: {"sha256": sha} for pinned, sha in sorted(index.items())}
        _write_atomically(directory / INDEX_NAME, (json.dumps(entries, indent=2) + "\n").encode())
    return PinnedDocument(did, digest, document)


def _write_atomically(path: Path, content: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".pin-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
