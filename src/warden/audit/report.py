"""What :func:`warden.audit.verify.verify_chain` found: problems by kind, and the first bad entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Problem", "ProblemKind", "Severity", "VerificationReport"]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class ProblemKind(StrEnum):
    # entries
    MALFORMED_ENTRY = "malformed_entry"
    ENTRY_HASH_MISMATCH = "entry_hash_mismatch"
    PREV_HASH_MISMATCH = "prev_hash_mismatch"
    SEQ_GAP = "seq_gap"
    SEQ_DUPLICATE = "seq_duplicate"
    SEQ_OUT_OF_ORDER = "seq_out_of_order"
    ORGANISATION_MISMATCH = "organisation_mismatch"
    TIMESTAMP_DECREASING = "timestamp_decreasing"
    # checkpoints
    CHECKPOINT_ORGANISATION_MISMATCH = "checkpoint_organisation_mismatch"
    CHECKPOINT_UNKNOWN_KEY = "checkpoint_unknown_key"
    CHECKPOINT_SIGNATURE_INVALID = "checkpoint_signature_invalid"
    CHECKPOINT_CONFLICT = "checkpoint_conflict"
    CHECKPOINT_ROOT_MISMATCH = "checkpoint_root_mismatch"
    CHECKPOINT_BEYOND_END = "checkpoint_beyond_end"
    CHECKPOINT_TIME_ORDER = "checkpoint_time_order"
    UNCOVERED_TAIL = "uncovered_tail"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding. ``position`` is the 1-based place in the stream read in ``seq`` order (for an
    intact chain it equals ``seq``); a checkpoint mismatch spans ``position..last_position``."""

    kind: ProblemKind
    severity: Severity
    message: str
    position: int | None = None
    seq: int | None = None
    last_position: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "severity": self.severity.value, "message": self.message,
                "position": self.position, "seq": self.seq, "last_position": self.last_position}


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of a verification; ``ok`` is False as soon as any error was found.

    ``problems`` keeps the first ``max_problems`` found, ``counts`` counts them all.
    """

    organisation_id: str | None
    entries: int
    last_seq: int | None
    head_hash: str | None
    root_hash: str | None
    checkpoints: int
    checkpoints_verified: int
    covered_size: int
    problems: tuple[Problem, ...]
    counts: Mapping[ProblemKind, int]
    error_count: int
    first_exact_error: Problem | None = field(default=None, repr=False)
    first_range_error: Problem | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def kinds(self) -> frozenset[ProblemKind]:
        return frozenset(self.counts)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def first_bad_entry(self) -> Problem | None:
        """The error nearest the start of the chain.

        An error pinned to one entry wins over a checkpoint mismatch whose range contains it
        (the mismatch only says "somewhere in this range"); a range that ends before the first
        pinned error wins, since a rewrite (re-hash) starts there.
        """
        exact, span = self.first_exact_error, self.first_range_error
        if span is None:
            return exact
        if exact is None or exact.position is None or span.last_position is None:
            return span
        return exact if exact.position <= span.last_position else span

    def summary(self) -> str:
        lines = [f"audit chain of organisation {self.organisation_id}: {self.entries} entries, "
                 f"{self.checkpoints_verified}/{self.checkpoints} checkpoints verified, "
                 f"signed up to entry {self.covered_size}: {'OK' if self.ok else 'FAILED'}"]
        first = self.first_bad_entry
        if first is not None:
            lines.append(f"first bad entry: position {first.position} (seq {first.seq}): {first.message}")
        lines.extend(f"  {kind.value}: {count}" for kind, count in sorted(self.counts.items()))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        first = self.first_bad_entry
        return {
            "ok": self.ok, "organisation_id": self.organisation_id, "entries": self.entries,
            "last_seq": self.last_seq, "head_hash": self.head_hash, "root_hash": self.root_hash,
            "checkpoints": self.checkpoints, "checkpoints_verified": self.checkpoints_verified,
            "covered_size": self.covered_size, "error_count": self.error_count,
            "first_bad_entry": None if first is None else first.to_dict(),
            "counts": {kind.value: count for kind, count in sorted(self.counts.items())},
            "problems": [problem.to_dict() for problem in self.problems],
        }
