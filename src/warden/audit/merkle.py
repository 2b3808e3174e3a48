"""Merkle tree hashing, inclusion and consistency proofs as RFC 9162 (CT v2) §2.1 defines them.

Leaves are the audit entries' hashes as raw bytes (32 each), in ``seq`` order. Every function
takes leaf *data*; ``leaf_hash`` is applied inside.

* ``MTH({}) = SHA-256()``; ``MTH({d}) = SHA-256(0x00 || d)``;
  ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``, k the largest power of two < n.
* :class:`IncrementalMerkleTree` keeps only the roots of the perfect subtrees that make up
  the tree so far (at most log2 n hashes), so a verifier can stream millions of leaves and
  read the root at any size; its state can be saved and restored by the storage layer.
* Proof generation recomputes subtree hashes from the leaves (O(n) hashing);
  verification is O(log n).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "IncrementalMerkleTree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of leaves ``start..end-1`` given their leaf hashes (RFC 9162 §2.1.1, recursively)."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[start]
    k = _split(n)
    return node_hash(_subtree_root(hashes, start, start + k), _subtree_root(hashes, start + k, end))


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves, computed as the RFC writes it."""
    return _subtree_root([leaf_hash(leaf) for leaf in leaves], 0, len(leaves))


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1, ``n = len(leaves)``."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of size {n}")
    hashes = [leaf_hash(leaf) for leaf in leaves]
    path: list[bytes] = []
    start, end, m = 0, n, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(_subtree_root(hashes, start + k, end))
            end = start + k
        else:
            path.append(_subtree_root(hashes, start, start + k))
            start, m = start + k, m - k
    path.reverse()
    return path


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``leaf`` sit at ``index`` in the tree of ``tree_size`` with ``root``?"""
    if not 0 <= index < tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1, ``n = len(leaves)``; empty when old_size is 0 or n."""
    n = len(leaves)
    if not 0 <= old_size <= n:
        raise ValueError(f"cannot prove size {old_size} consistent with size {n}")
    if old_size in (0, n):
        return []
    hashes = [leaf_hash(leaf) for leaf in leaves]
    path: list[bytes] = []
    start, end, m, whole = 0, n, old_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(_subtree_root(hashes, start + k, end))
            end = start + k
        else:
            path.append(_subtree_root(hashes, start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        path.append(_subtree_root(hashes, start, end))
    path.reverse()
    return path


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (new_size, new_root) an append-only extension of (old_size, old_root)?"""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is itself a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class IncrementalMerkleTree:
    """The tree grown one leaf at a time, keeping only the perfect subtrees' roots (a compact range).

    After ``n`` leaves it holds one root per set bit of ``n``, largest (leftmost) first, so its
    memory is O(log n) however many leaves stream through. ``root()`` folds them right to left,
    which equals MTH(D[n]).
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        node = leaf_hash(leaf)
        stack = self._stack
        size = self._size
        while size & 1:
            node = node_hash(stack.pop(), node)
            size >>= 1
        stack.append(node)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node

    def frontier(self) -> tuple[bytes, ...]:
        """The subtree roots, largest first: save them with :attr:`size` to resume later."""
        return tuple(self._stack)

    @classmethod
    def resume(cls, size: int, frontier: Sequence[bytes]) -> IncrementalMerkleTree:
        """A tree continuing from a saved ``(size, frontier)``."""
        if size < 0 or len(frontier) != size.bit_count() or any(len(h) != 32 for h in frontier):
            raise ValueError(f"a frontier of {len(frontier)} hashes does not fit a tree of size {size}")
        tree = cls()
        tree._size = size
        tree._stack = list(frontier)
        return tree
