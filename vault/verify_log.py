"""Check a downloaded access log offline: ``python -m vault.verify_log export.json [--checkpoint f]``.

Standard library and ``cryptography`` only: no Django, no server, no database. It trusts
nothing in the download but what a log key signed, and checks that

- every entry's content hashes to its leaf, and links to the entry before it;
- the entries add up (RFC 9162 Merkle tree) to the signed root of every checkpoint given: the
  download's own, and each one you kept (from the portal, an API response or an e-mail digest):
  so an edited, deleted, inserted or reordered entry, a cut tail, a wholly deleted log or a
  chain recomputed by someone with database access cannot go unseen;
- no two signed checkpoints give one tree size two roots (a fork: two different logs shown);
- every entry is covered by a signed checkpoint, and each inclusion proof in the download holds;
- every opened sealed entry (a legal read whose detail was sealed until a date) comes with the
  detail its entry committed to: SHA-256 of the detail's RFC 8785 bytes is the entry's
  ``legal.digest``. A sealed entry not yet open shows its date and digest only.

Pin the operator's published log key with ``--key`` (docs/operations.md, or
/.well-known/citizen-vault/log-keys); without it the keys listed in the download are used, and
the report says so. Exit codes: 0 intact; 1 the log does not match what was signed (tampered);
2 unreadable input; 3 forked checkpoints; 4 nothing validly signed to check against.
"""

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vault import logformat, merkle

FORMAT = "citizen-vault/access-log/v1"
OK, TAMPERED, UNREADABLE, FORKED, UNSIGNED = 0, 1, 2, 3, 4


class Unreadable(Exception):
    """The input is not an access-log download or checkpoint this verifier can read."""


@dataclass
class Report:
    notes: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    forks: list[str] = field(default_factory=list)
    unsigned: list[str] = field(default_factory=list)

    @property
    def code(self) -> int:
        if self.forks:
            return FORKED
        if self.tampered:
            return TAMPERED
        return UNSIGNED if self.unsigned else OK

    def lines(self) -> list[str]:
        verdict = {
            OK: "INTACT: the log matches every signed checkpoint given.",
            TAMPERED: "TAMPERED: the log does not match what Citizen Vault signed.",
            FORKED: "FORKED: Citizen Vault signed two different logs of the same size.",
            UNSIGNED: "UNVERIFIED: nothing validly signed to check the log against.",
        }[self.code]
        return (
            self.notes
            + [f"fork: {line}" for line in self.forks]
            + [f"tampered: {line}" for line in self.tampered]
            + [f"unsigned: {line}" for line in self.unsigned]
            + [verdict]
        )


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise Unreadable(f"{what} is not base64.") from exc


def read_kept(text: str) -> list[str]:
    """Signed checkpoints from a file a citizen kept: a signed note as text, or JSON holding one
    (an API response with ``checkpoint``, a ``{"note": ...}``, a download, or a list of those)."""
    try:
        data = json.loads(text)
    except ValueError:
        return [text]
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and "\n\n\u2014 " in value:
            found.append(value)
        elif isinstance(value, dict):
            for key in ("note", "checkpoint"):
                if key in value:
                    walk(value[key])
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    if not found:
        raise Unreadable("No signed checkpoint in this file.")
    return found


def verify(
    export: dict[str, Any], kept: Sequence[str] = (), keys: Sequence[logformat.VerifierKey] | None = None
) -> Report:
    """Check ``export`` (a parsed download) against its checkpoint and those ``kept``.

    Raises Unreadable if the download is not one this verifier reads.
    """
    report = Report()
    if not isinstance(export, dict) or export.get("format") != FORMAT:
        raise Unreadable(f"Not a Citizen Vault access-log download (format {FORMAT!r}).")
    origin, entries = export.get("origin"), export.get("entries")
    if not isinstance(origin, str) or not isinstance(entries, list):
        raise Unreadable("The download has no origin or no entries list.")
    if keys is None:
        try:
            keys = [logformat.VerifierKey.parse(text) for text in export.get("logKeys") or []]
        except logformat.FormatError as exc:
            raise Unreadable(str(exc)) from exc
        report.notes.append(
            "keys: taken from the download itself; pin the operator's published key with --key."
        )

    # 1. The entries: content → leaf, chain links, order.
    leaves: list[bytes] = []
    prev, pruned, sealed, opened = "0" * 64, 0, 0, 0
    for position, item in enumerate(entries, start=1):
        if not isinstance(item, dict) or item.get("seq") != position:
            report.tampered.append(
                f"entry {position}: the download's entry at this position is numbered "
                f"{item.get('seq') if isinstance(item, dict) else '?'} (missing, inserted or reordered)"
            )
            if not isinstance(item, dict):
                continue
        leaf = _b64(item.get("leafHash"), f"entry {position}'s leafHash")
        payload = item.get("entry")
        if payload is None:  # pruned after the retention window: only its leaf and hash remain
            pruned += 1
            this_hash = item.get("hash")
        else:
            if not isinstance(payload, dict):
                raise Unreadable(f"Entry {position} is neither an object nor null.")
            try:
                computed = logformat.entry_leaf_hash(payload)
                this_hash = logformat.entry_hash(payload)
            except logformat.FormatError as exc:
                raise Unreadable(f"Entry {position}: {exc}") from exc
            if computed != leaf or this_hash != item.get("hash"):
                report.tampered.append(f"entry {position}: its content does not match its hashes (edited)")
                leaf = computed
            if payload.get("seq") != item.get("seq") or payload.get("pod") != export.get("pod"):
                report.tampered.append(f"entry {position}: it names another position or pod")
            if payload.get("prev") != prev:
                report.tampered.append(f"entry {position}: it does not link to the entry before it")
            legal = payload.get("legal")
            if isinstance(legal, dict) and "digest" in legal:
                sealed += 1
                detail = item.get("sealedDetail")
                if detail is not None:
                    try:
                        digest = hashlib.sha256(logformat.canonical_json(detail)).hexdigest()
                    except logformat.FormatError as exc:
                        raise Unreadable(f"Entry {position}'s sealed detail: {exc}") from exc
                    if digest != legal["digest"]:
                        report.tampered.append(
                            f"entry {position}: its opened sealed detail is not the one the entry "
                            "committed to"
                        )
                    opened += 1
            elif "sealedDetail" in item:
                report.tampered.append(
                    f"entry {position}: a sealed detail given for an entry that sealed none"
                )
        prev = this_hash if isinstance(this_hash, str) else ""
        leaves.append(leaf)
    size = len(leaves)

    # 2. The signed checkpoints: the download's and the kept ones.
    notes = ([export["checkpoint"]] if export.get("checkpoint") else []) + list(kept)
    signed: dict[int, dict[bytes, str]] = {}
    for note in notes:
        try:
            checkpoint = logformat.open_checkpoint(note, keys).checkpoint
        except logformat.FormatError as exc:
            report.unsigned.append(f"a checkpoint was skipped: {exc}")
            continue
        if checkpoint.origin != origin:
            raise Unreadable(f"A checkpoint is of another log ({checkpoint.origin}), not {origin}.")
        signed.setdefault(checkpoint.size, {})[checkpoint.root] = checkpoint.time
    for tree_size, roots in sorted(signed.items()):
        if len(roots) > 1:
            report.forks.append(f"{len(roots)} different roots were signed for a log of {tree_size} entries")
    if not signed:
        report.unsigned.append("neither the download nor any checkpoint given carries a valid signature")
        return report

    # 3. Every signed root against the entries: one pass over the leaves.
    wanted = {s for s in signed if 0 < s <= size}
    roots_at: dict[int, bytes] = {}
    frontier: list[bytes] = []
    for n, leaf in enumerate(leaves):
        frontier = merkle.append_leaf(frontier, n, leaf)
        if n + 1 in wanted:
            roots_at[n + 1] = merkle.frontier_root(frontier)
    for tree_size, roots in sorted(signed.items()):
        if tree_size > size:
            gone = (
                "the whole log was deleted"
                if size == 0
                else f"entries {size + 1} to {tree_size} were removed"
            )
            report.tampered.append(
                f"a checkpoint signed the log at {tree_size} entries; the download holds {size}: {gone}"
            )
        elif tree_size and roots_at[tree_size] not in roots:
            report.tampered.append(
                f"the first {tree_size} entries do not add up to the root signed for {tree_size} entries: "
                "an entry up to there was edited, removed, inserted or reordered (or the chain recomputed)"
            )
    largest = max(signed)
    if largest < size:
        report.tampered.append(
            f"entries {largest + 1} to {size} are covered by no signed checkpoint (added without the service)"
        )

    # 4. The download's inclusion proofs, against the largest signed root that matches the log.
    proofs = export.get("inclusionProofs")
    if isinstance(proofs, list) and size and largest == size and roots_at.get(size) in signed[size]:
        for index, path in enumerate(proofs[:size]):
            try:
                merkle.verify_inclusion(
                    index, size, leaves[index], [_b64(node, "a proof node") for node in path], roots_at[size]
                )
            except merkle.ProofError as exc:
                report.tampered.append(f"entry {index + 1}: its inclusion proof fails ({exc})")

    report.notes.append(
        f"log {origin}: {size} entries ({pruned} pruned of their detail after the retention window); "
        f"{len(notes)} checkpoint(s) given, signed sizes: {', '.join(str(s) for s in sorted(signed))}"
    )
    if sealed:
        report.notes.append(
            f"sealed entries: {sealed} (legal reads), {opened} opened and checked against their digest, "
            f"{sealed - opened} still sealed"
        )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vault.verify_log",
        description="Check a Citizen Vault access-log download against signed checkpoints, offline.",
        epilog="Exit codes: 0 intact, 1 tampered, 2 unreadable, 3 forked checkpoints, 4 nothing signed.",
    )
    parser.add_argument("export", type=Path, help="the downloaded log (JSON)")
    parser.add_argument(
        "--checkpoint",
        "-c",
        type=Path,
        action="append",
        default=[],
        help="a checkpoint you kept (repeat)",
    )
    parser.add_argument(
        "--key",
        "-k",
        action="append",
        default=None,
        help="a pinned log key, name+hash+key (repeat)",
    )
    args = parser.parse_args(argv)
    try:
        export = json.loads(args.export.read_text(encoding="utf-8"))
        kept = [note for path in args.checkpoint for note in read_kept(path.read_text(encoding="utf-8"))]
        keys = [logformat.VerifierKey.parse(text) for text in args.key] if args.key else None
        report = verify(export, kept, keys)
    except (OSError, ValueError, Unreadable, logformat.FormatError) as exc:
        print(f"unreadable: {exc}", file=sys.stderr)
        return UNREADABLE
    for line in report.lines():
        print(line)
    return report.code


if __name__ == "__main__":
    sys.exit(main())
