"""Tamper test: 1,000 seeded random tamperings of a 300-entry chain, each must be detected.

The chain has a signed checkpoint every 50 entries (the last at 300, so every entry is covered)
and the verifier uses the exported checkpoints, as ``warden audit verify`` will. Field edits go
through the stored-row form (``to_dict`` -> edit -> ``load_entries``) like an edit in the database.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from audit_helpers import ORG, make_chain, make_entry, sign_every, signer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warden.audit import (
    AuditEntry,
    Checkpoint,
    IncrementalMerkleTree,
    MalformedEntry,
    Problem,
    ProblemKind,
    VerificationReport,
    Verifier,
    format_timestamp,
    load_entries,
    parse_timestamp,
    recompute_entry_hash,
    verify_chain,
)

N, EVERY, TRIALS, SEED = 300, 50, 1000, 20240501
KEY = signer(1)
INTRUDER_KEY = Ed25519PrivateKey.from_private_bytes(b"\x66" * 32)
VERIFIER = Verifier([KEY.public_key(), signer(2).public_key()])  # a retired key is known too
CHAIN = make_chain(N, seed=11)
CHECKPOINTS = sign_every(CHAIN, EVERY, KEY)
HASH_KINDS = {ProblemKind.MALFORMED_ENTRY, ProblemKind.ENTRY_HASH_MISMATCH, ProblemKind.PREV_HASH_MISMATCH,
              ProblemKind.SEQ_GAP, ProblemKind.SEQ_DUPLICATE, ProblemKind.SEQ_OUT_OF_ORDER,
              ProblemKind.ORGANISATION_MISMATCH}
CHECKPOINT_KINDS = {ProblemKind.CHECKPOINT_SIGNATURE_INVALID, ProblemKind.CHECKPOINT_UNKNOWN_KEY,
                    ProblemKind.CHECKPOINT_ORGANISATION_MISMATCH}

Entries = list[AuditEntry | MalformedEntry]


@dataclass
class Tampering:
    kind: str
    description: str
    entries: Entries
    checkpoints: list[Checkpoint]
    claim: Callable[[VerificationReport], bool]


def covers(problem: Problem | None, position: int) -> bool:
    if problem is None or problem.position is None:
        return False
    return problem.position <= position <= (problem.last_position or problem.position)


def first_at(position: int) -> Callable[[VerificationReport], bool]:
    return lambda report: covers(report.first_bad_entry, position)


def mutate(rng: random.Random, value: Any, key: str = "") -> Any:
    if key == "occurred_at":
        shift = timedelta(microseconds=rng.choice((-1, 1)) * rng.randrange(1, 10**9))
        return format_timestamp(parse_timestamp(value) + shift)
    if value is None:
        return rng.choice(("", "x", "ab" * 32, 0, {}))
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice((-2, -1, 1, 2, 1000))
    if isinstance(value, float):
        return value + rng.choice((-1.5, 1e-9, 3.0))
    if isinstance(value, str):
        if value and rng.random() < 0.7:
            at = rng.randrange(len(value))
            new = "0" if value[at] != "0" else "1"
            return value[:at] + new + value[at + 1:]
        return rng.choice((value + " ", "", value.upper() + "!"))
    if isinstance(value, dict):
        if value and rng.random() < 0.7:
            inner = rng.choice(sorted(value))
            return {**value, inner: mutate(rng, value[inner], inner)}
        if value and rng.random() < 0.5:
            dropped = rng.choice(sorted(value))
            return {k: v for k, v in value.items() if k != dropped}
        return {**value, f"added{rng.randrange(9)}": rng.choice((1, "x", None))}
    if isinstance(value, list):
        if value:
            at = rng.randrange(len(value))
            return [*value[:at], mutate(rng, value[at]), *value[at + 1:]]
        return [1]
    raise AssertionError(f"no mutation for {value!r}")


def rechain(entries: list[AuditEntry], start: int) -> list[AuditEntry]:
    """What an attacker with database access but no signing key can do: recompute every later link."""
    out = entries[:start]
    genesis = CHAIN[0].prev_hash
    for entry in entries[start:]:
        prev = out[-1] if out else None
        moved = replace(entry, seq=prev.seq + 1 if prev else 1, prev_hash=prev.entry_hash if prev else genesis)
        out.append(replace(moved, entry_hash=recompute_entry_hash(moved)))
    return out


def forged_after(rng: random.Random, i: int) -> AuditEntry:
    """A well-formed entry with a valid hash, linked after entry i-1 (the attacker's insertion)."""
    return make_entry(CHAIN[i - 1] if i else None, 10_000 + i, rng)


def edit_field(rng: random.Random) -> Tampering:
    i = rng.randrange(N)
    row = CHAIN[i].to_dict()
    key = rng.choice(sorted(row))
    new = mutate(rng, row[key], key)
    while new == row[key]:
        new = mutate(rng, row[key], key)
    row[key] = new
    entries: Entries = list(CHAIN)
    entries[i] = next(load_entries([row]))
    return Tampering("edit_field", f"seq {i + 1}: {key} -> {new!r}"[:160], entries, CHECKPOINTS, first_at(i + 1))


def delete(rng: random.Random) -> Tampering:
    i = rng.randrange(N)
    return Tampering("delete", f"delete seq {i + 1}", [*CHAIN[:i], *CHAIN[i + 1:]], CHECKPOINTS, first_at(i + 1))


def swap(rng: random.Random) -> Tampering:
    i, j = sorted(rng.sample(range(N), 2))
    entries: Entries = list(CHAIN)
    entries[i], entries[j] = entries[j], entries[i]
    return Tampering("swap", f"swap seq {i + 1} and {j + 1}", entries, CHECKPOINTS, first_at(i + 1))


def insert_forged(rng: random.Random) -> Tampering:
    i = rng.randrange(N)  # before an existing entry; appending at the head is an ordinary append
    entries: Entries = [*CHAIN[:i], forged_after(rng, i), *CHAIN[i:]]
    return Tampering("insert_forged", f"insert a forged seq {i + 1} before the real one", entries, CHECKPOINTS,
                     lambda report: covers(report.first_bad_entry, i + 1) or covers(report.first_bad_entry, i + 2))


def truncate_tail(rng: random.Random) -> Tampering:
    # cut just after a checkpoint (the prefix then matches every earlier checkpoint), or anywhere
    cut = rng.choice([*range(0, N, EVERY), rng.randrange(N)])
    return Tampering("truncate_tail", f"keep the first {cut} entries", list(CHAIN[:cut]), CHECKPOINTS,
                     lambda report: ProblemKind.CHECKPOINT_BEYOND_END in report.kinds and first_at(cut + 1)(report))


def rehash_later(rng: random.Random) -> Tampering:
    i = rng.randrange(N)
    how = rng.choice(("edit", "delete", "insert", "swap"))
    entries = list(CHAIN)
    if how == "edit":
        field = rng.choice(("justification", "action", "occurred_at", "details", "after_hash", "object"))
        options: dict[str, dict[str, Any]] = {
            "justification": {"justification": "rewritten later"},
            "action": {"action": "draft.withdrawn"},
            "occurred_at": {"occurred_at": entries[i].occurred_at - timedelta(seconds=1)},
            "details": {"details": {"n": -1}},
            "after_hash": {"after_hash": "cd" * 32},
            "object": {"object": replace(entries[i].object, name="Something else")},
        }
        entries[i] = replace(entries[i], **options[field])
        what = f"edit {field} of"
    elif how == "delete":
        del entries[i]
        what = "delete"
    elif how == "insert":
        entries.insert(i, forged_after(rng, i))
        what = "insert before"
    else:
        j = rng.randrange(i + 1, N) if i < N - 1 else i - 1
        i, j = min(i, j), max(i, j)
        entries[i], entries[j] = entries[j], entries[i]
        what = f"swap with seq {j + 1}"
    entries = rechain(entries, i)

    def claim(report: VerificationReport) -> bool:
        return not (report.kinds & HASH_KINDS) and covers(report.first_bad_entry, i + 1)

    return Tampering("rehash_later", f"{what} seq {i + 1} and re-hash every later entry", list(entries),
                     CHECKPOINTS, claim)


def forge_checkpoint(rng: random.Random) -> Tampering:
    k = rng.randrange(len(CHECKPOINTS))
    original = CHECKPOINTS[k]
    how = rng.choice(("root", "size", "time", "org", "signature", "key_id", "intruder_signs_as_us",
                      "intruder_resigns_everything"))
    entries: Entries = list(CHAIN)
    checkpoints = list(CHECKPOINTS)
    if how == "intruder_resigns_everything":
        # the whole attack: rewrite an entry, re-hash the rest, sign fresh checkpoints with one's own key
        i = rng.randrange(N)
        rewritten = rechain([*CHAIN[:i], replace(CHAIN[i], justification="forged"), *CHAIN[i + 1:]], i)
        entries = list(rewritten)
        tree, checkpoints = IncrementalMerkleTree(), []
        intruder = type(KEY)(INTRUDER_KEY)
        for position, entry in enumerate(rewritten, start=1):
            tree.append(bytes.fromhex(entry.entry_hash))
            if position % EVERY == 0:
                checkpoints.append(intruder.sign(ORG, position, tree.root(), entry.occurred_at))
    else:
        if how == "root":
            at = rng.randrange(64)
            digit = "0123456789abcdef"[(int(original.root_hash[at], 16) + rng.randrange(1, 16)) % 16]
            forged = replace(original, root_hash=original.root_hash[:at] + digit + original.root_hash[at + 1:])
        elif how == "size":
            forged = replace(original, tree_size=original.tree_size + rng.choice((-1, 1, 7)))
        elif how == "time":
            forged = replace(original, created_at=original.created_at + timedelta(seconds=rng.choice((-60, 1, 3600))))
        elif how == "org":
            forged = replace(original, organisation_id="org-elsewhere")
        elif how == "signature":
            at = rng.randrange(len(original.signature))
            forged = replace(original, signature=original.signature[:at] + bytes([original.signature[at] ^ 0x20])
                             + original.signature[at + 1:])
        elif how == "key_id":
            forged = replace(original, key_id="ed25519-" + "0" * 16)
        else:  # a signature by another key, claiming to be ours
            forged = replace(original, signature=INTRUDER_KEY.sign(original.signed_text().encode()))
        # the export file is edited: the line is rewritten and read back
        checkpoints[k] = Checkpoint.from_json(forged.to_json())
    return Tampering("forge_checkpoint", f"{how} (checkpoint {original.tree_size})", entries, checkpoints,
                     lambda report: bool(report.kinds & CHECKPOINT_KINDS))


KINDS = (edit_field, delete, swap, insert_forged, truncate_tail, rehash_later, forge_checkpoint)


def test_the_untampered_chain_verifies_cleanly() -> None:
    report = verify_chain(CHAIN, CHECKPOINTS, VERIFIER, organisation_id=ORG)
    assert report.ok and report.problems == ()
    assert report.covered_size == N and report.checkpoints_verified == N // EVERY


def test_every_one_of_1000_random_tamperings_is_detected() -> None:
    rng = random.Random(SEED)
    missed, misnamed, seen = [], [], Counter[str]()
    found_kinds: Counter[str] = Counter()
    for trial in range(TRIALS):
        tampering = KINDS[trial % len(KINDS)](rng)
        seen[tampering.kind] += 1
        report = verify_chain(tampering.entries, tampering.checkpoints, VERIFIER, organisation_id=ORG)
        found_kinds.update(kind.value for kind in report.kinds)
        if report.ok:
            missed.append(f"{trial} {tampering.kind}: {tampering.description}")
        elif not tampering.claim(report):
            misnamed.append(f"{trial} {tampering.kind}: {tampering.description} -> {report.summary()}")
    assert not missed, f"{len(missed)} undetected:\n" + "\n".join(missed[:10])
    assert not misnamed, f"{len(misnamed)} reported at the wrong place:\n" + "\n".join(misnamed[:5])
    assert sum(seen.values()) == TRIALS and min(seen.values()) >= TRIALS // len(KINDS)
    every_error_kind = {kind.value for kind in ProblemKind} - {
        "timestamp_decreasing", "checkpoint_time_order", "uncovered_tail", "checkpoint_conflict"}
    assert every_error_kind <= set(found_kinds), every_error_kind - set(found_kinds)
