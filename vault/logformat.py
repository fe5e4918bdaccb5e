"""The access log's formats on the wire: entry bytes, signed notes and checkpoints. No Django.

The offline verifier (``python -m vault.verify_log``) imports this module, so it uses the
standard library and ``cryptography`` only.

- **Entry bytes**: the JSON Canonicalization Scheme (RFC 8785) of an entry's fields. Entries
  hold only strings, integers, null and objects with ASCII keys; for those, Python's sorted,
  compact ``json.dumps`` without ASCII escaping produces exactly the RFC 8785 bytes (the suite
  checks it against the ``rfc8785`` package). The Merkle leaf is ``SHA-256(0x00 ‖ bytes)``.
- **Signed notes** (C2SP signed-note, golang.org/x/mod/sumdb/note): a text of non-empty lines,
  a blank line, then one line per signature: ``— <key name> <base64(key id ‖ Ed25519 sig)>``.
  The key id is the first 4 bytes of ``SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key)``; a verifier
  key is written ``<name>+<key id hex>+<base64(0x01 ‖ public key)>``.
- **Checkpoints** (C2SP tlog-checkpoint): the note text is the origin (one per pod), the tree
  size, the base64 root hash, and one extension line ``time <RFC 3339 UTC>``: when it was signed.
"""

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import merkle

ED25519 = b"\x01"
SIGNATURE_DASH = "\u2014 "
_NAME = re.compile(r"[^\s+]+")
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class FormatError(ValueError):
    """A note, checkpoint, key or entry that is not well formed."""


# --- entries ---------------------------------------------------------------------------------

# The exact types json.dumps writes as RFC 8785 does, and that hold nothing to check inside.
_SCALARS = frozenset({str, int, bool, type(None)})


def _check(item: Any) -> None:
    """Raise FormatError unless ``item`` holds only what RFC 8785 and json.dumps write alike."""
    if type(item) in _SCALARS:  # most of an entry: its strings, integers and nulls
        return
    if isinstance(item, float):
        raise FormatError("Log entries hold no floating-point numbers.")
    if isinstance(item, Mapping):
        for key, member in item.items():
            if not isinstance(key, str) or not key.isascii():
                raise FormatError("Log entry keys are ASCII strings.")
            _check(member)
    elif isinstance(item, list | tuple):
        for member in item:
            _check(member)


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` (strings, integers, null, booleans, lists, objects only)."""
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_leaf_hash(payload: Mapping[str, Any]) -> bytes:
    """The Merkle leaf hash of a log entry."""
    return merkle.leaf_hash(canonical_json(payload))


def entry_hash(payload: Mapping[str, Any]) -> str:
    """The hash-chain hash of a log entry (hex SHA-256 of its canonical bytes)."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def entry_hashes(payload: Mapping[str, Any]) -> tuple[str, bytes]:
    """``entry_hash`` and ``entry_leaf_hash`` of a log entry, its canonical bytes made once."""
    data = canonical_json(payload)
    return hashlib.sha256(data).hexdigest(), merkle.leaf_hash(data)


# --- signed notes ----------------------------------------------------------------------------


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """The signed-note verifier key string for an Ed25519 public key."""
    return f"{name}+{key_id(name, public_key).hex()}+{base64.b64encode(ED25519 + public_key).decode()}"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> "VerifierKey":
        """Parse ``name+hash+base64key``; raises FormatError if malformed or inconsistent."""
        parts = text.strip().split("+", 2)  # a name holds no '+'; the base64 key may
        if len(parts) != 3 or not _NAME.fullmatch(parts[0]):
            raise FormatError(f"Not a verifier key (name+hash+key): {text!r}")
        name, hash_hex, rest = parts
        try:
            raw = base64.b64decode(rest, validate=True)
            wanted = bytes.fromhex(hash_hex)
        except (binascii.Error, ValueError) as exc:
            raise FormatError(f"Not a verifier key (bad hash or base64): {text!r}") from exc
        if len(raw) != 33 or raw[:1] != ED25519:
            raise FormatError(f"Not an Ed25519 verifier key: {text!r}")
        if key_id(name, raw[1:]) != wanted:
            raise FormatError(f"The verifier key's hash does not match its key: {text!r}")
        return cls(name, wanted, raw[1:])

    def __str__(self) -> str:
        return verifier_key(self.name, self.public_key)


def sign_note(text: str, *, name: str, private_key: Ed25519PrivateKey) -> str:
    """A signed note: ``text`` (non-empty lines, ending in a newline), a blank line, one signature."""
    _check_text(text)
    public = private_key.public_key().public_bytes_raw()
    signature = private_key.sign(text.encode())
    line = f"{SIGNATURE_DASH}{name} {base64.b64encode(key_id(name, public) + signature).decode()}\n"
    return f"{text}\n{line}"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise FormatError("A note's text is non-empty lines, each ending in a newline.")
    if any(ch < " " and ch != "\n" for ch in text):
        raise FormatError("A note's text holds no control characters.")


@dataclass(frozen=True)
class OpenedNote:
    text: str
    signers: tuple[VerifierKey, ...]  # the known keys whose signature verified


def open_note(note: str, keys: Iterable[VerifierKey]) -> OpenedNote:
    """Split a signed note and verify its signatures against ``keys``.

    Raises FormatError if malformed, or if no known key signed it, or if a known key's
    signature does not verify (a forged line is never silently skipped).
    """
    text, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise FormatError("A signed note has a blank line before its signatures.")
    text += "\n"
    _check_text(text)
    by_id = {(key.name, key.key_id): key for key in keys}
    signers: list[VerifierKey] = []
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_DASH):
            raise FormatError(f"Not a signature line: {line!r}")
        name, _, encoded = line[len(SIGNATURE_DASH) :].rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise FormatError("A signature line's signature is not base64.") from exc
        key = by_id.get((name, raw[:4]))
        if key is None:
            continue  # a cosigner we do not know: allowed, and proves nothing
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[4:], text.encode())
        except InvalidSignature as exc:
            raise FormatError(f"The signature of {key.name} ({key.key_id.hex()}) does not verify.") from exc
        signers.append(key)
    if not signers:
        raise FormatError("No known log key signed this note.")
    return OpenedNote(text, tuple(signers))


# --- checkpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: str = ""

    def text(self) -> str:
        if not _NAME.fullmatch(self.origin):
            raise FormatError(f"A checkpoint origin has no spaces or '+': {self.origin!r}")
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        if self.time:
            lines.append(f"time {self.time}")
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        lines = text.splitlines()
        if len(lines) < 3 or not _SIZE.fullmatch(lines[1]):
            raise FormatError("A checkpoint is an origin, a tree size and a base64 root hash.")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except binascii.Error as exc:
            raise FormatError("A checkpoint's root hash is not base64.") from exc
        if len(root) != merkle.HASH_BYTES:
            raise FormatError("A checkpoint's root hash is 32 bytes.")
        time = next((line[5:] for line in lines[3:] if line.startswith("time ")), "")
        return cls(lines[0], int(lines[1]), root, time)


def checkpoint_of(note: str) -> Checkpoint:
    """The checkpoint a signed note carries, read without checking its signatures."""
    text, sep, _ = note.rpartition("\n\n")
    if not sep:
        raise FormatError("A signed note has a blank line before its signatures.")
    return Checkpoint.parse(text + "\n")


def sign_checkpoint(checkpoint: Checkpoint, *, name: str, private_key: Ed25519PrivateKey) -> str:
    return sign_note(checkpoint.text(), name=name, private_key=private_key)


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: str
    signers: tuple[VerifierKey, ...]


def open_checkpoint(note: str, keys: Iterable[VerifierKey]) -> SignedCheckpoint:
    """Verify a signed checkpoint; raises FormatError (malformed, unsigned or badly signed)."""
    opened = open_note(note, keys)
    return SignedCheckpoint(Checkpoint.parse(opened.text), note, opened.signers)
