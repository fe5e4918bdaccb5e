"""Merkle trees as RFC 9162 (Certificate Transparency 2.0, §2.1) defines them. Standard library only.

No Django here, on purpose: the offline verifier (``python -m vault.verify_log``) imports this
module, and must run without the server, its settings or its database.

- leaf hash ``SHA-256(0x00 ‖ entry)``, interior node ``SHA-256(0x01 ‖ left ‖ right)``;
- the tree over ``n`` leaves splits at ``k``, the largest power of two below ``n``;
- the *frontier* (a compact range, in transparency-dev's words) is the list of roots of the
  perfect subtrees that make up a tree of size ``n``, largest first: one per set bit of ``n``.
  Appending a leaf merges equal-sized subtrees like a binary counter, so the service keeps a
  tree of any size in O(log n) hashes and appends in O(log n) work, without reading old leaves.
"""

import hashlib
from collections.abc import Sequence

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not verify, or its parameters are impossible."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly below ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf *hashes* (RFC 9162 §2.1.1); the empty tree's root is SHA-256("")."""
    if not leaves:
        return EMPTY_ROOT
    # Bottom-up over perfect subtrees, then fold the frontier: same result as the recursion,
    # without its depth or its repeated slicing.
    return frontier_root(frontier_of(leaves))


def frontier_of(leaves: Sequence[bytes]) -> list[bytes]:
    """The frontier of the tree over ``leaves`` (leaf hashes), largest subtree first."""
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier = append_leaf(frontier, size, leaf)
    return frontier


def append_leaf(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The frontier after appending ``leaf`` (a leaf hash) to a tree of ``size`` leaves.

    Raises ValueError if ``frontier`` does not have one hash per set bit of ``size``.
    """
    if len(frontier) != size.bit_count():
        raise ValueError(
            f"A tree of {size} leaves has {size.bit_count()} frontier hashes, not {len(frontier)}."
        )
    merged = list(frontier)
    carry = leaf
    while size & 1:  # each trailing 1 bit is a perfect subtree of the new leaf's height: merge
        carry = node_hash(merged.pop(), carry)
        size >>= 1
    merged.append(carry)
    return merged


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The root of the tree whose frontier this is: fold from the smallest subtree leftwards."""
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        acc = node_hash(subtree, acc)
    return acc


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf ``index`` in the tree over ``leaves``."""
    size = len(leaves)
    if not 0 <= index < size:
        raise ProofError(f"Leaf {index} is not in a tree of {size} leaves.")
    path: list[bytes] = []
    lo, hi = 0, size
    # Walk down from the root; the sibling subtree at each level goes on the path, deepest first.
    siblings: list[bytes] = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            siblings.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            siblings.append(root(leaves[lo : lo + k]))
            lo = lo + k
    path.extend(reversed(siblings))
    return path


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 between the first ``old_size`` leaves and all of them."""
    size = len(leaves)
    if not 0 < old_size <= size:
        raise ProofError(f"No consistency proof from size {old_size} to size {size}.")
    if old_size == size:
        return []
    return _subproof(leaves, old_size, True)


def _subproof(leaves: Sequence[bytes], m: int, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves[:k], m, complete), root(leaves[k:])]
    return [*_subproof(leaves[k:], m - k, False), root(leaves[:k])]


def _require_hashes(*hashes: bytes) -> None:
    if any(len(value) != HASH_BYTES for value in hashes):
        raise ProofError(f"Every hash in a proof is {HASH_BYTES} bytes.")


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """RFC 9162 §2.1.3.2. Raises ProofError unless ``proof`` puts ``leaf`` at ``index`` under the root."""
    if not 0 <= index < size:
        raise ProofError(f"Leaf {index} is not in a tree of {size} leaves.")
    _require_hashes(leaf, expected_root, *proof)
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("The inclusion proof is longer than the tree is deep.")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while (fn & 1) == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("The inclusion proof is shorter than the tree is deep.")
    if r != expected_root:
        raise ProofError("The inclusion proof leads to another root.")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2. Raises ProofError unless the tree of ``old_size`` is a prefix of ``new_size``'s."""
    if new_size < old_size:
        raise ProofError(f"No consistency from size {old_size} to the smaller size {new_size}.")
    if old_size <= 0:
        # As transparency-dev/merkle: every tree extends the empty one, so such a proof says nothing.
        raise ProofError("A consistency proof from the empty tree is meaningless.")
    if old_size == new_size:
        if proof:
            raise ProofError("Equal sizes take an empty consistency proof.")
        if old_root != new_root:
            raise ProofError("Two different roots for one tree size.")
        return
    if not proof:
        raise ProofError("The consistency proof is empty.")
    _require_hashes(old_root, new_root, *proof)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node on the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("The consistency proof is longer than the tree is deep.")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while (fn & 1) == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("The consistency proof is shorter than the tree is deep.")
    if fr != old_root:
        raise ProofError("The consistency proof does not lead to the old root.")
    if sr != new_root:
        raise ProofError("The consistency proof does not lead to the new root.")


def all_inclusion_proofs(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """The audit path of every leaf at once: O(n) hashes and O(n log n) path entries, where
    calling ``inclusion_proof`` for each leaf would cost O(n²) hashes."""
    proofs: list[list[bytes]] = [[] for _ in leaves]

    def walk(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        k = _split(hi - lo)
        left, right = walk(lo, lo + k), walk(lo + k, hi)
        for i in range(lo, lo + k):
            proofs[i].append(right)
        for i in range(lo + k, hi):
            proofs[i].append(left)
        return node_hash(left, right)

    if leaves:
        walk(0, len(leaves))
    return proofs
