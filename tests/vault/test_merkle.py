"""vault.merkle against RFC 9162 §2.1 and the transparency-dev/merkle vectors (provenance in
tests/vault/data/transparency-dev-merkle/PROVENANCE.md)."""

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault import merkle

VECTORS = Path(__file__).parent / "data" / "transparency-dev-merkle"

# transparency-dev/merkle testonly/constants.go: LeafInputs() and RootHashes().
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAVES = [merkle.leaf_hash(entry) for entry in LEAF_INPUTS]

# transparency-dev/merkle testonly/reference_test.go: TestRefInclusionProof.
INCLUSION = [
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
    (0, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (5, 8, [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
]  # fmt: skip

# transparency-dev/merkle testonly/reference_test.go: TestRefConsistencyProof.
CONSISTENCY = [
    (1, 1, []),
    (1, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (2, 5, [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
    (6, 8, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
]  # fmt: skip


def probes(kind: str) -> list[tuple[str, dict]]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    assert files, f"no {kind} vectors under {VECTORS}"
    return [(str(path.relative_to(VECTORS)), json.loads(path.read_text())) for path in files]


def b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(value) for value in values or []]


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_root_hashes_match_the_reference_for_every_size(size):
    assert merkle.root(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION)
def test_inclusion_proofs_match_the_reference(index, size, expected):
    proof = merkle.inclusion_proof(LEAVES[:size], index)
    assert [node.hex() for node in proof] == expected
    merkle.verify_inclusion(index, size, LEAVES[index], proof, merkle.root(LEAVES[:size]))


@pytest.mark.parametrize(("old", "new", "expected"), CONSISTENCY)
def test_consistency_proofs_match_the_reference(old, new, expected):
    proof = merkle.consistency_proof(LEAVES[:new], old)
    assert [node.hex() for node in proof] == expected
    merkle.verify_consistency(old, new, merkle.root(LEAVES[:old]), merkle.root(LEAVES[:new]), proof)


@pytest.mark.parametrize(
    ("name", "probe"), probes("inclusion"), ids=lambda value: value if isinstance(value, str) else ""
)
def test_inclusion_probes_of_transparency_dev(name, probe):
    def run():
        merkle.verify_inclusion(
            probe["leafIdx"],
            probe["treeSize"],
            base64.b64decode(probe["leafHash"] or ""),
            b64(probe["proof"]),
            base64.b64decode(probe["root"] or ""),
        )

    if probe["wantErr"]:
        with pytest.raises(merkle.ProofError):
            run()
    else:
        run()


@pytest.mark.parametrize(
    ("name", "probe"), probes("consistency"), ids=lambda value: value if isinstance(value, str) else ""
)
def test_consistency_probes_of_transparency_dev(name, probe):
    def run():
        merkle.verify_consistency(
            probe["size1"],
            probe["size2"],
            base64.b64decode(probe["root1"] or ""),
            base64.b64decode(probe["root2"] or ""),
            b64(probe["proof"]),
        )

    if probe["wantErr"]:
        with pytest.raises(merkle.ProofError):
            run()
    else:
        run()


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_every_proof_the_tree_makes_verifies_and_the_frontier_matches_the_recursion(entries, data):
    leaves = [merkle.leaf_hash(entry) for entry in entries]
    size = len(leaves)
    frontier: list[bytes] = []
    for n, leaf in enumerate(leaves):
        frontier = merkle.append_leaf(frontier, n, leaf)
    assert merkle.frontier_root(frontier) == merkle.root(leaves) == reference_root(leaves)
    index = data.draw(st.integers(0, size - 1))
    merkle.verify_inclusion(
        index, size, leaves[index], merkle.inclusion_proof(leaves, index), merkle.root(leaves)
    )
    old = data.draw(st.integers(1, size))
    merkle.verify_consistency(
        old, size, merkle.root(leaves[:old]), merkle.root(leaves), merkle.consistency_proof(leaves, old)
    )


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 §2.1.1 writes it, recursively."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def test_a_proof_for_a_changed_leaf_or_another_root_is_refused():
    proof = merkle.inclusion_proof(LEAVES, 5)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(5, 8, LEAVES[4], proof, merkle.root(LEAVES))
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(
            6, 8, merkle.root(LEAVES[:5]), merkle.root(LEAVES), merkle.consistency_proof(LEAVES, 6)
        )


@given(st.integers(1, 70))
def test_all_proofs_at_once_are_each_leafs_own(size):
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(size)]
    assert merkle.all_inclusion_proofs(leaves) == [merkle.inclusion_proof(leaves, i) for i in range(size)]
