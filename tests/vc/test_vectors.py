"""The W3C vectors in tests/vectors are the bytes their SHA256SUMS records: no silent edit, no stray file."""

import hashlib
from pathlib import Path

from tests.conftest import VECTORS

REPOSITORY = Path(__file__).resolve().parents[2]
# Written for this repository, not copied from upstream: not checksummed.
OURS = {"SHA256SUMS", "PROVENANCE.md", "LICENCE.md", ".gitattributes", "interop/ecdsa-sd-2023/PROVENANCE.md"}


def _recorded() -> dict[str, str]:
    recorded = {}
    for line in (VECTORS / "SHA256SUMS").read_text(encoding="ascii").splitlines():
        digest, name = line.split("  ", 1)
        recorded[name] = digest
    return recorded


def test_the_vectors_live_inside_the_repository():
    assert VECTORS.is_relative_to(REPOSITORY)
    assert (VECTORS / "PROVENANCE.md").is_file()
    assert (VECTORS / "LICENCE.md").is_file()


def test_every_recorded_vector_has_its_recorded_sha256():
    actual = {
        name: hashlib.sha256((VECTORS / name).read_bytes()).hexdigest()
        if (VECTORS / name).is_file()
        else "missing"
        for name in _recorded()
    }
    assert {name: digest for name, digest in actual.items() if digest != _recorded()[name]} == {}


def test_no_file_in_the_vectors_folder_is_left_unrecorded():
    on_disk = {path.relative_to(VECTORS).as_posix() for path in VECTORS.rglob("*") if path.is_file()}
    assert on_disk - OURS - set(_recorded()) == set()
