"""Speed of the tamper-evident audit core, in ONE process on this machine.

    .venv/bin/python benchmarks/audit_verify.py [--entries 100000] [--every 1000]

Builds a chain of realistic entries (hash computation), signs a checkpoint every ``--every``
entries, then verifies it: from entry objects and from stored rows (JSON text, as the database
will hand them back), and times Merkle roots and proofs over the whole chain. The streaming
verifier's own memory is measured with tracemalloc (rows already in memory) at two chain
lengths, to show it does not grow with the chain.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warden.audit import (
    Actor,
    ActorKind,
    AuditEntry,
    AuditObject,
    IncrementalMerkleTree,
    Signer,
    Verifier,
    load_entries,
    merkle_root,
    next_entry,
    recompute_entry_hash,
    state_hash,
    verify_chain,
)
from warden.audit.merkle import consistency_proof, inclusion_proof, verify_consistency, verify_inclusion

ORG = "org-bench"
ACTORS = [Actor(id=f"m-{i}", name=f"PC Officer {i}", kind=ActorKind.MEMBER) for i in range(50)]
ACTORS.append(Actor(id="system:publisher", name="Publisher", kind=ActorKind.SYSTEM))
ACTIONS = ["draft.submitted", "draft.approved", "draft.published", "case.opened", "case.hidden", "message.viewed"]


def build(n: int) -> list[AuditEntry]:
    rng = random.Random(1)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    entries: list[AuditEntry] = []
    previous = None
    for i in range(n):
        state = {"text": f"Road closure on the A{i % 999}, expect delays", "state": "approved", "version": i % 7}
        previous = next_entry(
            previous, organisation_id=ORG, occurred_at=start + timedelta(seconds=i), actor=rng.choice(ACTORS),
            action=rng.choice(ACTIONS), object=AuditObject(type="draft", id=f"d-{i // 3}", name=f"Draft {i // 3}"),
            justification="Meets policy section 4.2" if i % 10 == 0 else None,
            before_hash=state_hash(state), after_hash=state_hash({**state, "version": state["version"] + 1}),
            policy_revision="uk-policing@3f2a9c", detector_versions={"pii": "1.2.0", "lexicon": "2024.05", "ml": "0.3"},
            details={"decision": "allow", "score": i % 100, "findings": [{"category": "pii.phone", "count": 1}]},
        )
        entries.append(previous)
    return entries


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def streaming_peak_kib(rows_text: list[str], checkpoints: list[Any], verifier: Verifier) -> float:
    """Peak memory allocated while verifying (tracemalloc; the rows themselves already exist), in KiB."""
    gc.collect()
    tracemalloc.start()
    report = verify_chain(load_entries(json.loads(r) for r in rows_text), checkpoints, verifier, organisation_id=ORG)
    peak = tracemalloc.get_traced_memory()[1] / 1024
    tracemalloc.stop()
    assert report.ok, report.summary()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=1000)
    args = parser.parse_args()
    n = args.entries

    # state_hash is computed inside build(); time it apart so "append" is the chain's own cost too
    append_s, entries = timed(lambda: build(n))
    state_s, _ = timed(lambda: [state_hash({"text": "Road closure", "state": "approved", "version": i})
                                for i in range(n)])
    rehash_s, _ = timed(lambda: [recompute_entry_hash(e) for e in entries])
    leaves = [bytes.fromhex(e.entry_hash) for e in entries]

    signer = Signer(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
    verifier = Verifier([signer.public_key()])
    tree = IncrementalMerkleTree()
    checkpoints = []
    for position, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        if position % args.every == 0 or position == n:
            checkpoints.append(signer.sign(ORG, position, tree.root(), entries[position - 1].occurred_at))
    rows_text = [json.dumps(e.to_dict()) for e in entries]

    verify_objects_s, report = timed(lambda: verify_chain(entries, checkpoints, verifier, organisation_id=ORG))
    assert report.ok and report.covered_size == n, report.summary()
    verify_rows_s, report = timed(lambda: verify_chain(load_entries(json.loads(r) for r in rows_text),
                                                       checkpoints, verifier, organisation_id=ORG))
    assert report.ok, report.summary()
    peaks = {size: streaming_peak_kib(rows_text[:size], [c for c in checkpoints if c.tree_size <= size], verifier)
             for size in sorted({min(n, 10_000), min(n, 30_000)})}

    recursive_s, root = timed(lambda: merkle_root(leaves))
    incremental_s, tree2 = timed(lambda: IncrementalMerkleTree().extend(leaves))
    assert root == tree.root()
    rng = random.Random(2)
    indices = [rng.randrange(n) for _ in range(20)]
    inclusion_gen = []
    inclusion_ver = []
    for index in indices:
        t, proof = timed(lambda index=index: inclusion_proof(index, leaves))
        inclusion_gen.append(t)
        t, ok = timed(lambda index=index, proof=proof: verify_inclusion(leaves[index], index, n, proof, root))
        assert ok
        inclusion_ver.append(t)
    old = n // 3 + 7
    old_root = merkle_root(leaves[:old])
    consistency_gen_s, cproof = timed(lambda: consistency_proof(old, leaves))
    consistency_ver_s, ok = timed(lambda: verify_consistency(old, n, old_root, root, cproof))
    assert ok
    sign_s, _ = timed(lambda: [signer.sign(ORG, n, root) for _ in range(1000)])
    check_s, _ = timed(lambda: [verifier.is_valid(checkpoints[-1]) for _ in range(1000)])

    print(f"Warden audit core — {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"one process, {n:,} entries, a signed checkpoint every {args.every:,} ({len(checkpoints)} in all)")
    print(f"{'measure':<60}{'value':>14}")
    table = [
        ("append: next_entry + 2 state_hash + test data (entries/s)", f"{n / append_s:,.0f}"),
        ("state_hash alone (hashes/s)", f"{n / state_s:,.0f}"),
        ("entry hash recomputation alone (entries/s)", f"{n / rehash_s:,.0f}"),
        ("verify_chain from entry objects (entries/s)", f"{n / verify_objects_s:,.0f}"),
        ("verify_chain from stored JSON rows (entries/s)", f"{n / verify_rows_s:,.0f}"),
        ("verify_chain from rows, whole run (s)", f"{verify_rows_s:.2f}"),
        *((f"verify_chain working memory at {size:,} entries (KiB)", f"{peak:.0f}") for size, peak in peaks.items()),
        ("Merkle root, recursive RFC form (ms)", f"{recursive_s * 1000:.0f}"),
        ("Merkle root, incremental (ms)", f"{incremental_s * 1000:.0f}"),
        ("inclusion proof, generate, mean of 20 (ms)", f"{statistics.mean(inclusion_gen) * 1000:.0f}"),
        ("inclusion proof, verify, mean of 20 (µs)", f"{statistics.mean(inclusion_ver) * 1e6:.0f}"),
        (f"consistency proof {old:,} -> {n:,}, generate (ms)", f"{consistency_gen_s * 1000:.0f}"),
        (f"consistency proof {old:,} -> {n:,}, verify (µs)", f"{consistency_ver_s * 1e6:.0f}"),
        ("checkpoint sign (µs each)", f"{sign_s * 1000:.0f}"),
        ("checkpoint signature check (µs each)", f"{check_s * 1000:.0f}"),
    ]
    del tree2
    for name, value in table:
        print(f"{name:<60}{value:>14}")


if __name__ == "__main__":
    main()
