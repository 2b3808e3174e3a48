from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from audit_helpers import ORG, make_chain, make_entry, sign_every, signer

from warden.audit import (
    AuditEntry,
    MalformedEntry,
    ProblemKind,
    Severity,
    Verifier,
    load_entries,
    merkle_root,
    next_entry,
    recompute_entry_hash,
    verify_chain,
)

KEY = signer()
VERIFIER = Verifier([KEY.public_key()])
CHAIN = make_chain(120)
CHECKPOINTS = sign_every(CHAIN, 40, KEY)  # sizes 40, 80, 120: the whole chain is covered


def verify(entries: Any, checkpoints: Any = CHECKPOINTS, **options: Any) -> Any:
    return verify_chain(entries, checkpoints, VERIFIER, **options)


def edited(entry: AuditEntry, **changes: Any) -> AuditEntry | MalformedEntry:
    """What a database edit of one row looks like once read back."""
    row = entry.to_dict()
    row.update(changes)
    return next(load_entries([row]))


def rechain(entries: list[AuditEntry], start: int) -> list[AuditEntry]:
    """Recompute seq, prev_hash and entry_hash from ``start`` on, as an attacker without the key would."""
    out = entries[:start]
    for entry in entries[start:]:
        prev = out[-1] if out else None
        moved = replace(entry, seq=prev.seq + 1 if prev else 1,
                        prev_hash=prev.entry_hash if prev else entries[0].prev_hash)
        out.append(replace(moved, entry_hash=recompute_entry_hash(moved)))
    return out


def test_an_intact_covered_chain_verifies_with_no_problem_at_all() -> None:
    report = verify(CHAIN)
    assert report.ok, report.summary()
    assert report.problems == () and report.counts == {}
    assert report.entries == 120 and report.last_seq == 120
    assert report.head_hash == CHAIN[-1].entry_hash
    assert report.root_hash == merkle_root([bytes.fromhex(e.entry_hash) for e in CHAIN]).hex()
    assert (report.checkpoints, report.checkpoints_verified, report.covered_size) == (3, 3, 120)
    assert report.first_bad_entry is None
    assert "OK" in report.summary()
    json.dumps(report.to_dict())


def test_rows_read_back_through_load_entries_verify() -> None:
    rows = [json.loads(json.dumps(entry.to_dict())) for entry in CHAIN]
    assert verify(load_entries(rows)).ok


def test_empty_chain() -> None:
    assert verify([], []).ok
    report = verify([], CHECKPOINTS[:1])
    assert not report.ok and ProblemKind.CHECKPOINT_BEYOND_END in report.kinds


def test_entries_since_the_last_checkpoint_are_a_warning_or_an_error_past_a_limit() -> None:
    report = verify(CHAIN, CHECKPOINTS[:2])
    assert report.ok
    assert report.kinds == {ProblemKind.UNCOVERED_TAIL}
    assert report.covered_size == 80
    strict = verify(CHAIN, CHECKPOINTS[:2], max_unsigned_tail=39)
    assert not strict.ok and strict.first_bad_entry is not None and strict.first_bad_entry.position == 81
    assert verify(CHAIN, CHECKPOINTS[:2], max_unsigned_tail=40).ok
    no_checkpoints = verify(CHAIN, [])
    assert no_checkpoints.ok and no_checkpoints.kinds == {ProblemKind.UNCOVERED_TAIL}


def test_an_edited_entry_is_named_exactly() -> None:
    entries: list[Any] = list(CHAIN)
    entries[36] = edited(CHAIN[36], justification="nothing to see")
    report = verify(entries)
    assert not report.ok
    first = report.first_bad_entry
    assert first is not None and (first.position, first.seq, first.kind) == (37, 37, ProblemKind.ENTRY_HASH_MISMATCH)
    assert report.kinds == {ProblemKind.ENTRY_HASH_MISMATCH}
    assert "position 37 (seq 37)" in report.summary()


def test_an_edited_entry_hash_is_named_exactly_not_by_its_checkpoint_range() -> None:
    entries: list[Any] = list(CHAIN)
    entries[50] = edited(CHAIN[50], entry_hash="0" * 64)
    report = verify(entries)
    assert {ProblemKind.ENTRY_HASH_MISMATCH, ProblemKind.PREV_HASH_MISMATCH,
            ProblemKind.CHECKPOINT_ROOT_MISMATCH} <= report.kinds
    first = report.first_bad_entry
    assert first is not None and first.position == 51 and first.kind is ProblemKind.ENTRY_HASH_MISMATCH


def test_deletion_duplication_and_reordering() -> None:
    deleted = verify(CHAIN[:10] + CHAIN[11:])
    assert {ProblemKind.SEQ_GAP, ProblemKind.PREV_HASH_MISMATCH} <= deleted.kinds
    assert deleted.first_bad_entry is not None and deleted.first_bad_entry.position == 11
    duplicated = verify(CHAIN[:11] + CHAIN[10:])
    assert ProblemKind.SEQ_DUPLICATE in duplicated.kinds
    swapped = verify([*CHAIN[:10], CHAIN[11], CHAIN[10], *CHAIN[12:]])
    assert {ProblemKind.SEQ_GAP, ProblemKind.SEQ_OUT_OF_ORDER} <= swapped.kinds
    assert swapped.first_bad_entry is not None and swapped.first_bad_entry.position == 11
    headless = verify(CHAIN[1:])
    assert headless.first_bad_entry is not None and headless.first_bad_entry.position == 1
    assert "entries 1..1 are missing" in headless.first_bad_entry.message


def test_genesis_and_organisation() -> None:
    other = make_chain(5, org="org-other")
    report = verify(other, [], organisation_id=ORG)
    assert {ProblemKind.ORGANISATION_MISMATCH, ProblemKind.PREV_HASH_MISMATCH} <= report.kinds
    assert "genesis" in " ".join(p.message for p in report.problems)
    mixed = verify([*CHAIN[:3], other[3]], [])
    assert ProblemKind.ORGANISATION_MISMATCH in mixed.kinds
    # a chain relabelled to another organisation no longer starts at that organisation's genesis
    relabelled = rechain([replace(e, organisation_id="org-x") for e in other], 0)
    assert ProblemKind.PREV_HASH_MISMATCH in verify(relabelled, [], organisation_id="org-x").kinds


def test_rehash_without_the_key_is_caught_by_the_signed_roots() -> None:
    entries = list(CHAIN)
    entries[55] = replace(entries[55], justification="rewritten")
    entries = rechain(entries, 55)
    assert verify(entries, []).ok  # the hash chain alone is perfect again
    report = verify(entries)
    assert not report.ok
    assert report.kinds == {ProblemKind.CHECKPOINT_ROOT_MISMATCH, ProblemKind.UNCOVERED_TAIL}
    first = report.first_bad_entry
    assert first is not None and (first.position, first.last_position, first.seq) == (41, 80, 41)
    assert report.covered_size == 40


def test_rehash_after_the_last_checkpoint_is_only_covered_by_the_next_one() -> None:
    entries = list(CHAIN)
    entries[100] = replace(entries[100], justification="rewritten")
    entries = rechain(entries, 100)
    report = verify(entries, CHECKPOINTS[:2])
    assert report.ok and report.kinds == {ProblemKind.UNCOVERED_TAIL}  # the documented window
    assert not verify(entries, CHECKPOINTS).ok  # ... closed by the checkpoint at 120


def test_truncation_is_caught_by_a_checkpoint_beyond_the_end() -> None:
    report = verify(CHAIN[:80])
    assert not report.ok and report.kinds == {ProblemKind.CHECKPOINT_BEYOND_END}
    assert report.first_bad_entry is not None and report.first_bad_entry.position == 81


def test_checkpoint_problems() -> None:
    intruder = signer(9)
    forged_root = replace(CHECKPOINTS[0], root_hash="00" * 32)
    report = verify(CHAIN, [forged_root, *CHECKPOINTS[1:]])
    assert ProblemKind.CHECKPOINT_SIGNATURE_INVALID in report.kinds and report.covered_size == 120
    unknown = verify(CHAIN, [intruder.sign(ORG, 40, CHECKPOINTS[0].root_hash)])
    assert ProblemKind.CHECKPOINT_UNKNOWN_KEY in unknown.kinds
    other_org = verify(CHAIN, [KEY.sign("org-other", 40, CHECKPOINTS[0].root_hash)])
    assert ProblemKind.CHECKPOINT_ORGANISATION_MISMATCH in other_org.kinds
    fork = KEY.sign(ORG, 80, "11" * 32, created_at=CHECKPOINTS[1].created_at)
    forked = verify(CHAIN, [*CHECKPOINTS, fork])
    assert {ProblemKind.CHECKPOINT_CONFLICT, ProblemKind.CHECKPOINT_ROOT_MISMATCH} <= forked.kinds
    duplicate = verify(CHAIN, [*CHECKPOINTS, CHECKPOINTS[0]])
    assert duplicate.ok and duplicate.checkpoints_verified == 4


def test_checkpoint_time_oddities_are_warnings() -> None:
    late, early = CHECKPOINTS[0], replace(CHECKPOINTS[1], created_at=CHECKPOINTS[0].created_at - timedelta(days=1))
    resigned = KEY.sign(ORG, 80, early.root_hash, created_at=early.created_at)
    report = verify(CHAIN, [late, resigned, CHECKPOINTS[2]])
    assert report.ok
    assert report.kinds == {ProblemKind.CHECKPOINT_TIME_ORDER}
    assert all(p.severity is Severity.WARNING for p in report.problems)


def test_a_timestamp_going_backwards_is_a_warning() -> None:
    entries = CHAIN[:10]
    earlier = next_entry(entries[-1], organisation_id=ORG, actor=entries[0].actor, action="case.closed",
                         object=entries[0].object, occurred_at=entries[-1].occurred_at - timedelta(seconds=2))
    report = verify([*entries, earlier], [])
    assert report.ok
    assert ProblemKind.TIMESTAMP_DECREASING in report.kinds
    warning = next(p for p in report.problems if p.kind is ProblemKind.TIMESTAMP_DECREASING)
    assert warning.severity is Severity.WARNING and warning.position == 11


def test_malformed_rows_are_reported_not_raised() -> None:
    rows = [entry.to_dict() for entry in CHAIN]
    rows[5]["occurred_at"] = "yesterday"
    rows[9]["entry_hash"] = "not a hash"
    rows[12] = {"garbage": True}
    report = verify(load_entries(rows))
    assert not report.ok
    malformed = [p for p in report.problems if p.kind is ProblemKind.MALFORMED_ENTRY]
    assert [p.position for p in malformed] == [6, 10, 13]
    assert malformed[0].seq == 6 and malformed[2].seq is None
    assert report.first_bad_entry is not None and report.first_bad_entry.position == 6


def test_problem_list_is_capped_but_counted() -> None:
    report = verify(list(reversed(CHAIN)), [], max_problems=10)
    assert len(report.problems) == 10
    assert sum(report.counts.values()) > 10 and report.error_count > 10


def test_verification_streams_entries_without_keeping_them() -> None:
    alive: list[weakref.ref[AuditEntry]] = []
    peak = 0

    def entries() -> Iterator[AuditEntry]:
        nonlocal peak
        import random

        rng = random.Random(1)
        previous = None
        for i in range(3000):
            previous = make_entry(previous, i, rng)
            alive.append(weakref.ref(previous))
            if i % 500 == 0:
                gc.collect()
                peak = max(peak, sum(ref() is not None for ref in alive))
            yield previous

    report = verify(entries(), [])
    assert report.ok and report.entries == 3000
    assert peak <= 3


def test_report_json_and_summary_name_the_first_bad_entry() -> None:
    entries: list[Any] = list(CHAIN)
    entries[3] = edited(CHAIN[3], action="case.deleted")
    report = verify(entries)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False and data["first_bad_entry"]["position"] == 4
    assert data["counts"] == {"entry_hash_mismatch": 1}
    assert report.errors and not report.warnings


@pytest.mark.parametrize("organisation_id", [None, ORG])
def test_organisation_defaults_to_the_first_entry(organisation_id: str | None) -> None:
    assert verify(CHAIN, organisation_id=organisation_id).organisation_id == ORG


def test_an_unreadable_first_row_does_not_make_every_entry_foreign() -> None:
    rows: list[dict[str, Any]] = [entry.to_dict() for entry in CHAIN]
    rows[0] = {"garbage": True}
    report = verify(load_entries(rows))
    assert report.organisation_id == ORG
    assert ProblemKind.ORGANISATION_MISMATCH not in report.kinds
    assert report.first_bad_entry is not None and report.first_bad_entry.position == 1
