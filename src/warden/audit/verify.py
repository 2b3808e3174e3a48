"""Verify an organisation's audit chain and its signed checkpoints, streaming.

What is checked, entry by entry in the order given (the storage layer reads by ``seq``):
the entry hash is recomputed; ``prev_hash`` links to the previous entry (the first to the
organisation's genesis hash); ``seq`` runs 1, 2, 3 ... with no gap, duplicate or reordering;
every entry belongs to the organisation; and each entry hash is appended to an incremental
Merkle tree (O(log n) memory), whose root is compared with every checkpoint of that size.
Each checkpoint's signature is checked first (unknown key or bad signature: error), and
checkpoints must agree with each other (two valid ones of one size with different roots: error;
a valid one larger than the chain: error, the tail was truncated).

**What the guarantee covers.** The hash chain alone catches any edit, deletion, insertion
or reordering made without recomputing hashes. An attacker with write access to the
database can, however, edit an entry and recompute every later hash and link: the chain is
then internally perfect. That rewrite is caught by the signed checkpoints, because the
recomputed Merkle root at each checkpoint's size no longer equals the signed root, and the
attacker cannot sign a new one without the private key (kept outside the database). So the
guarantee covers every entry up to the latest valid checkpoint; entries appended since are
covered once the next checkpoint is signed (reported as an ``uncovered_tail`` warning, or an
error beyond ``max_unsigned_tail``). Verify against checkpoints exported outside the database:
an attacker who can write the database can also delete the checkpoints stored in it.

**Timestamps.** An entry earlier than its predecessor is a *warning*, not an error: the
timestamp is covered by the hash, so it cannot be changed unseen, and appenders on several
machines may disagree by a little. The same holds for checkpoints signed "before" the
entries they cover or out of order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from warden.audit.chain import genesis_hash, recompute_entry_hash
from warden.audit.checkpoints import Checkpoint, Verifier
from warden.audit.entry import AuditEntry, format_timestamp, hex_hash
from warden.audit.errors import AuditError
from warden.audit.merkle import IncrementalMerkleTree
from warden.audit.report import Problem, ProblemKind, Severity, VerificationReport

__all__ = ["MalformedEntry", "load_entries", "verify_chain"]

_ERROR, _WARNING = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True, slots=True)
class MalformedEntry:
    """A stored row that is not a valid entry; what could be read of it is kept for the checks."""

    reason: str
    seq: int | None = None
    organisation_id: str | None = None
    entry_hash: str | None = None


def load_entries(rows: Iterable[Mapping[str, Any]]) -> Iterator[AuditEntry | MalformedEntry]:
    """Turn stored rows (:meth:`AuditEntry.to_dict` form) into entries, lazily; bad rows become
    :class:`MalformedEntry` so that verification reports them instead of stopping."""
    for row in rows:
        try:
            yield AuditEntry.from_dict(row)
        except AuditError as exc:
            yield _malformed(row, exc.message)


def _malformed(row: object, reason: str) -> MalformedEntry:
    data: Mapping[str, Any] = row if isinstance(row, Mapping) else {}
    seq, organisation_id, entry_hash = data.get("seq"), data.get("organisation_id"), data.get("entry_hash")
    try:
        entry_hash = hex_hash(entry_hash, "entry_hash")
    except AuditError:
        entry_hash = None
    return MalformedEntry(reason=reason, seq=seq if type(seq) is int else None,
                          organisation_id=organisation_id if isinstance(organisation_id, str) else None,
                          entry_hash=entry_hash)


class _Findings:
    def __init__(self, max_problems: int) -> None:
        self.max_problems = max_problems
        self.kept: list[Problem] = []
        self.counts: Counter[ProblemKind] = Counter()
        self.errors = 0
        self.first_exact: Problem | None = None
        self.first_range: Problem | None = None

    def add(self, kind: ProblemKind, message: str, *, severity: Severity = _ERROR, position: int | None = None,
            seq: int | None = None, last_position: int | None = None) -> None:
        problem = Problem(kind, severity, message, position, seq, last_position)
        self.counts[kind] += 1
        if len(self.kept) < self.max_problems:
            self.kept.append(problem)
        if severity is not _ERROR:
            return
        self.errors += 1
        if position is None:
            return
        if last_position is None:
            if self.first_exact is None or position < (self.first_exact.position or 0):
                self.first_exact = problem
        elif self.first_range is None or position < (self.first_range.position or 0):
            self.first_range = problem


def _accept_checkpoints(checkpoints: Iterable[Checkpoint], organisation_id: str | None, verifier: Verifier,
                        found: _Findings) -> tuple[int, dict[int, list[Checkpoint]]]:
    """Signature and organisation checks; returns the number read and the valid ones by tree size."""
    received, by_size = 0, dict[int, list[Checkpoint]]()
    for checkpoint in checkpoints:
        received += 1
        where = f"checkpoint at tree size {checkpoint.tree_size} ({format_timestamp(checkpoint.created_at)})"
        if organisation_id is not None and checkpoint.organisation_id != organisation_id:
            found.add(ProblemKind.CHECKPOINT_ORGANISATION_MISMATCH,
                      f"{where} belongs to organisation {checkpoint.organisation_id!r}")
        elif not verifier.knows(checkpoint.key_id):
            found.add(ProblemKind.CHECKPOINT_UNKNOWN_KEY, f"{where} is signed by unknown key {checkpoint.key_id!r}")
        elif not verifier.is_valid(checkpoint):
            found.add(ProblemKind.CHECKPOINT_SIGNATURE_INVALID, f"{where} has an invalid signature")
        else:
            same = by_size.setdefault(checkpoint.tree_size, [])
            if any(other.root_hash != checkpoint.root_hash for other in same):
                found.add(ProblemKind.CHECKPOINT_CONFLICT,
                          f"two validly signed checkpoints at tree size {checkpoint.tree_size} disagree on the root")
            same.append(checkpoint)
    previous: Checkpoint | None = None
    for size in sorted(by_size):
        earliest = min(by_size[size], key=lambda c: c.created_at)
        if previous is not None and earliest.created_at < previous.created_at:
            found.add(ProblemKind.CHECKPOINT_TIME_ORDER, f"checkpoint at tree size {size} is dated before the "
                      f"one at tree size {previous.tree_size}", severity=_WARNING)
        previous = max(by_size[size], key=lambda c: c.created_at)
    return received, by_size


def verify_chain(
    entries: Iterable[AuditEntry | MalformedEntry],
    checkpoints: Iterable[Checkpoint],
    verifier: Verifier,
    *,
    organisation_id: str | None = None,
    max_unsigned_tail: int | None = None,
    max_problems: int = 1000,
) -> VerificationReport:
    """Recompute the chain and the checkpoints (see the module docstring); never raises on bad data.

    ``entries`` is consumed once, lazily, in the order the chain should have (``seq``).
    ``organisation_id`` defaults to the first entry's. ``max_unsigned_tail``: more entries than
    this after the latest verified checkpoint is an error (default: only a warning).
    """
    found = _Findings(max_problems)
    stream = iter(entries)
    first = next(stream, None)
    org = organisation_id if organisation_id is not None else (first.organisation_id if first is not None else None)
    received, by_size = _accept_checkpoints(checkpoints, org, verifier, found)

    tree = IncrementalMerkleTree()
    position = 0
    expected_seq, last_seq, last_time = 1, None, None
    link: str | None = genesis_hash(org) if org is not None else None
    head_hash: str | None = None
    verified, covered, seq_after_covered = 0, 0, None
    item = first
    while item is not None:
        position += 1
        if isinstance(item, MalformedEntry):
            found.add(ProblemKind.MALFORMED_ENTRY, f"unreadable entry: {item.reason}", position=position, seq=item.seq)
            seq, entry_hash = item.seq, item.entry_hash
        else:
            seq, entry_hash = item.seq, item.entry_hash
            if org is None:  # only when nothing before named the organisation (an unreadable first row)
                org = item.organisation_id
            _check_entry(item, position, org, expected_seq, last_seq, link, found)
            if last_time is not None and item.occurred_at < last_time:
                found.add(ProblemKind.TIMESTAMP_DECREASING, f"occurred_at {format_timestamp(item.occurred_at)} is "
                          f"earlier than the previous entry's {format_timestamp(last_time)}",
                          severity=_WARNING, position=position, seq=seq)
            last_time = item.occurred_at
        expected_seq = expected_seq + 1 if seq is None else seq + 1
        last_seq = seq
        link = head_hash = entry_hash
        tree.append(bytes.fromhex(entry_hash) if entry_hash is not None else b"")
        if position == covered + 1:
            seq_after_covered = seq
        for checkpoint in by_size.get(position, ()):
            if checkpoint.root_hash == tree.root().hex():
                verified += 1
                covered = position
                if last_time is not None and checkpoint.created_at < last_time:
                    found.add(ProblemKind.CHECKPOINT_TIME_ORDER, f"checkpoint at tree size {position} is dated "
                              "before the last entry it covers", severity=_WARNING, position=position, seq=seq)
            else:
                found.add(ProblemKind.CHECKPOINT_ROOT_MISMATCH,
                          f"the Merkle root of entries {covered + 1}..{position} differs from the checkpoint signed "
                          f"at tree size {position}: an entry in that range was changed, removed, added or the "
                          "chain was re-hashed", position=covered + 1, seq=seq_after_covered, last_position=position)
        item = next(stream, None)

    for size in sorted(s for s in by_size if s > position):
        found.add(ProblemKind.CHECKPOINT_BEYOND_END, f"a valid checkpoint covers {size} entries but only {position} "
                  f"are present: entries after {covered} were removed or rewritten",
                  position=covered + 1, seq=seq_after_covered if position > covered else expected_seq,
                  last_position=size)
    if position > covered:
        over = max_unsigned_tail is not None and position - covered > max_unsigned_tail
        found.add(ProblemKind.UNCOVERED_TAIL, f"{position - covered} entries after the last verified checkpoint "
                  f"(tree size {covered}) are protected by the hash chain only until the next checkpoint",
                  severity=_ERROR if over else _WARNING, position=covered + 1 if over else None)
    return VerificationReport(
        organisation_id=org, entries=position, last_seq=last_seq, head_hash=head_hash,
        root_hash=tree.root().hex() if position else None, checkpoints=received, checkpoints_verified=verified,
        covered_size=covered, problems=tuple(found.kept), counts=dict(found.counts), error_count=found.errors,
        first_exact_error=found.first_exact, first_range_error=found.first_range,
    )


def _check_entry(entry: AuditEntry, position: int, org: str | None, expected_seq: int, last_seq: int | None,
                 link: str | None, found: _Findings) -> None:
    seq = entry.seq
    if entry.organisation_id != org:
        found.add(ProblemKind.ORGANISATION_MISMATCH, f"entry belongs to organisation {entry.organisation_id!r}",
                  position=position, seq=seq)
    try:
        recomputed = recompute_entry_hash(entry)
    except AuditError as exc:
        found.add(ProblemKind.MALFORMED_ENTRY, f"entry cannot be hashed: {exc.message}", position=position, seq=seq)
    else:
        if recomputed != entry.entry_hash:
            found.add(ProblemKind.ENTRY_HASH_MISMATCH, "the stored entry_hash does not match the entry's content",
                      position=position, seq=seq)
    if seq != expected_seq:
        if seq > expected_seq:
            found.add(ProblemKind.SEQ_GAP, f"seq {seq} follows seq {expected_seq - 1}: "
                      f"entries {expected_seq}..{seq - 1} are missing", position=position, seq=seq)
        elif seq == last_seq:
            found.add(ProblemKind.SEQ_DUPLICATE, f"seq {seq} appears twice", position=position, seq=seq)
        else:
            found.add(ProblemKind.SEQ_OUT_OF_ORDER, f"seq {seq} comes after seq {last_seq}",
                      position=position, seq=seq)
    if link is not None and entry.prev_hash != link:
        what = "the organisation's genesis hash" if position == 1 else "the previous entry's hash"
        found.add(ProblemKind.PREV_HASH_MISMATCH, f"prev_hash does not link to {what}", position=position, seq=seq)
