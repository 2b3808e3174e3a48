"""RFC 9162 Merkle hashing: published vectors, an independent reference, and exhaustive proof checks."""

from __future__ import annotations

import hashlib

import pytest

from warden.audit.merkle import (
    EMPTY_ROOT,
    IncrementalMerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# RFC 6962 / 9162 reference vectors (Certificate Transparency, transparency-dev/merkle testonly).
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
H = {
    "96a2": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f08": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca85": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37e": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "fac5": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "6e34": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "0ebc": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
}
CT_INCLUSION = [  # (leaf index, tree size, path)
    (0, 8, ["96a2", "5f08", "6b47"]),
    (5, 8, ["bc1a", "ca85", "d37e"]),
    (2, 3, ["fac5"]),
    (1, 5, ["6e34", "5f08", "bc1a"]),
]
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a2", "5f08", "6b47"]),
    (6, 8, ["0ebc", "ca85", "d37e"]),
    (2, 5, ["5f08", "bc1a"]),
]


def reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 written independently: slices, and the split found by doubling."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_mth(leaves[:k]) + reference_mth(leaves[k:])).digest()


def leaves_of(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def path(names: list[str]) -> list[bytes]:
    return [bytes.fromhex(H[name]) for name in names]


def test_hash_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT


def test_published_roots() -> None:
    for n, root in enumerate(CT_ROOTS):
        assert merkle_root(CT_LEAVES[:n]) == root, n
    tree = IncrementalMerkleTree()
    assert tree.root() == CT_ROOTS[0]
    for n, leaf in enumerate(CT_LEAVES, start=1):
        tree.append(leaf)
        assert tree.root() == CT_ROOTS[n], n


@pytest.mark.parametrize(("index", "size", "names"), CT_INCLUSION)
def test_published_inclusion_proofs(index: int, size: int, names: list[str]) -> None:
    assert inclusion_proof(index, CT_LEAVES[:size]) == path(names)
    assert verify_inclusion(CT_LEAVES[index], index, size, path(names), CT_ROOTS[size])


@pytest.mark.parametrize(("old", "new", "names"), CT_CONSISTENCY)
def test_published_consistency_proofs(old: int, new: int, names: list[str]) -> None:
    assert consistency_proof(old, CT_LEAVES[:new]) == path(names)
    assert verify_consistency(old, new, CT_ROOTS[old], CT_ROOTS[new], path(names))


def test_recursive_incremental_and_reference_agree_for_every_size_up_to_64() -> None:
    leaves = leaves_of(64)
    tree = IncrementalMerkleTree()
    assert tree.root() == merkle_root([]) == reference_mth([])
    for n in range(1, 65):
        tree.append(leaves[n - 1])
        expected = reference_mth(leaves[:n])
        assert merkle_root(leaves[:n]) == expected, n
        assert tree.root() == expected, n
        assert tree.size == n
        assert len(tree.frontier()) == bin(n).count("1")


def test_incremental_tree_resumes_from_its_frontier() -> None:
    leaves = leaves_of(50)
    tree = IncrementalMerkleTree()
    tree.extend(leaves[:37])
    resumed = IncrementalMerkleTree.resume(tree.size, tree.frontier())
    resumed.extend(leaves[37:])
    assert resumed.root() == reference_mth(leaves)
    with pytest.raises(ValueError, match="frontier"):
        IncrementalMerkleTree.resume(37, tree.frontier()[:-1])
    with pytest.raises(ValueError, match="frontier"):
        IncrementalMerkleTree.resume(-1, ())


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def test_inclusion_proofs_for_every_leaf_of_every_size_up_to_40() -> None:
    leaves = leaves_of(40)
    for n in range(1, 41):
        root = reference_mth(leaves[:n])
        for i in range(n):
            proof = inclusion_proof(i, leaves[:n])
            assert verify_inclusion(leaves[i], i, n, proof, root), (i, n)
            # any wrong input fails
            assert not verify_inclusion(flip(leaves[i], i % 32), i, n, proof, root)
            assert not verify_inclusion(leaves[i], i, n, proof, flip(root, i % 32))
            if n > 1:
                assert not verify_inclusion(leaves[i], (i + 1) % n, n, proof, root)
                assert not verify_inclusion(leaves[(i + 1) % n], i, n, proof, root)
            # a wrong tree size (the size is not bound by the path itself, so probe as RFC 6962 suites do)
            assert not verify_inclusion(leaves[i], i, n * 2, proof, root)
            if i < n // 2:
                assert not verify_inclusion(leaves[i], i, n // 2, proof, root)
            assert not verify_inclusion(leaves[i], i, n, [*proof, root], root)
            assert not verify_inclusion(leaves[i], n, n, proof, root)
            for k in range(len(proof)):
                assert not verify_inclusion(leaves[i], i, n, proof[:k] + proof[k + 1:], root)
                for byte in (0, 17, 31):
                    bad = [*proof]
                    bad[k] = flip(bad[k], byte)
                    assert not verify_inclusion(leaves[i], i, n, bad, root), (i, n, k, byte)


def test_consistency_proofs_for_every_pair_up_to_40() -> None:
    leaves = leaves_of(40)
    roots = [reference_mth(leaves[:n]) for n in range(41)]
    for n in range(0, 41):
        for m in range(0, n + 1):
            proof = consistency_proof(m, leaves[:n])
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)
            if m in (0, n):
                assert proof == []
            if m == n or m == 0:
                continue
            assert not verify_consistency(m, n, flip(roots[m], 3), roots[n], proof)
            assert not verify_consistency(m, n, roots[m], flip(roots[n], 3), proof)
            assert not verify_consistency(m, n, roots[n], roots[m], proof)
            assert not verify_consistency(m, n, roots[m], roots[n], [])
            assert not verify_consistency(m, n, roots[m], roots[n], [*proof, roots[m]])
            assert not verify_consistency(m, n, roots[m], roots[n], [roots[m], *proof])
            assert not verify_consistency(n, m, roots[n], roots[m], proof)
            if m > 1:
                assert not verify_consistency(m - 1, n, roots[m - 1], roots[n], proof)
            if m + 1 < n:
                assert not verify_consistency(m + 1, n, roots[m + 1], roots[n], proof)
            for k in range(len(proof)):
                assert not verify_consistency(m, n, roots[m], roots[n], proof[:k] + proof[k + 1:])
                for byte in (0, 17, 31):
                    bad = [*proof]
                    bad[k] = flip(bad[k], byte)
                    assert not verify_consistency(m, n, roots[m], roots[n], bad), (m, n, k, byte)


def test_trivial_consistency_cases() -> None:
    root = reference_mth(leaves_of(3))
    assert verify_consistency(0, 3, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 3, root, root, [])
    assert not verify_consistency(0, 3, EMPTY_ROOT, root, [root])
    assert verify_consistency(3, 3, root, root, [])
    assert not verify_consistency(3, 3, root, root, [root])
    assert not verify_consistency(3, 3, root, EMPTY_ROOT, [])
    assert not verify_consistency(4, 3, root, root, [])
    assert not verify_consistency(-1, 3, root, root, [])


def test_proof_arguments_are_checked() -> None:
    leaves = leaves_of(5)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(5, leaves)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(-1, leaves)
    with pytest.raises(ValueError, match="consistent"):
        consistency_proof(6, leaves)
    assert not verify_inclusion(leaves[0], 0, 0, [], EMPTY_ROOT)
    assert inclusion_proof(0, leaves[:1]) == []
    assert verify_inclusion(leaves[0], 0, 1, [], leaf_hash(leaves[0]))
