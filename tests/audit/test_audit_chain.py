from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime

import pytest
from audit_helpers import ORG, make_chain

from warden.audit import (
    Actor,
    AuditFormatError,
    AuditObject,
    CanonicalJSONError,
    ChainError,
    ChainHead,
    canonical_json,
    compute_entry_hash,
    genesis_hash,
    next_entry,
    recompute_entry_hash,
)

ACTOR = Actor(id="system:worker", name="Worker", kind="system")  # type: ignore[arg-type]
OBJECT = AuditObject(type="case", id="c-1", name="Case 1")


def test_genesis_is_per_organisation_and_documented() -> None:
    assert genesis_hash("a") == hashlib.sha256(b"warden.audit.genesis.v1\x00a").hexdigest()
    assert genesis_hash("a") != genesis_hash("b")
    with pytest.raises(AuditFormatError):
        genesis_hash("")


def test_entry_hash_is_sha256_of_raw_prev_hash_and_canonical_json() -> None:
    first = make_chain(1)[0]
    expected = hashlib.sha256(bytes.fromhex(first.prev_hash) + canonical_json(first.hashed_fields())).hexdigest()
    assert first.entry_hash == expected == compute_entry_hash(first.prev_hash, first.hashed_fields())
    assert recompute_entry_hash(first) == expected


def test_compute_entry_hash_guards_its_inputs() -> None:
    first = make_chain(1)[0]
    with pytest.raises(AuditFormatError, match="itself"):
        compute_entry_hash(first.prev_hash, first.to_dict())
    with pytest.raises(AuditFormatError, match="different prev_hash"):
        compute_entry_hash("00" * 32, first.hashed_fields())
    with pytest.raises(AuditFormatError, match="prev_hash"):
        compute_entry_hash("zz", {})
    with pytest.raises(CanonicalJSONError):
        compute_entry_hash("00" * 32, {"x": float("nan")})


def test_next_entry_links_and_numbers_the_chain() -> None:
    chain = make_chain(20)
    assert chain[0].seq == 1 and chain[0].prev_hash == genesis_hash(ORG)
    for before, after in itertools.pairwise(chain):
        assert after.seq == before.seq + 1
        assert after.prev_hash == before.entry_hash
        assert recompute_entry_hash(after) == after.entry_hash
    assert len({e.entry_hash for e in chain}) == 20


def test_next_entry_from_a_head_row_equals_from_the_entry() -> None:
    last = make_chain(3)[-1]
    when = datetime(2024, 6, 1, tzinfo=UTC)
    kwargs = {"organisation_id": ORG, "actor": ACTOR, "action": "case.closed", "object": OBJECT, "occurred_at": when}
    assert next_entry(last, **kwargs) == next_entry(  # type: ignore[arg-type]
        ChainHead(organisation_id=ORG, seq=last.seq, entry_hash=last.entry_hash), **kwargs)  # type: ignore[arg-type]


def test_next_entry_refuses_another_organisations_head() -> None:
    last = make_chain(1)[0]
    with pytest.raises(ChainError) as caught:
        next_entry(last, organisation_id="org-other", actor=ACTOR, action="case.closed", object=OBJECT)
    assert caught.value.code == "audit_chain_error"


def test_next_entry_defaults_to_now_in_utc() -> None:
    before = datetime.now(UTC)
    made = next_entry(None, organisation_id=ORG, actor=ACTOR, action="case.closed", object=OBJECT)
    assert before <= made.occurred_at <= datetime.now(UTC)
    assert made.details == {}


def test_next_entry_refuses_values_without_canonical_form() -> None:
    with pytest.raises(AuditFormatError):
        next_entry(None, organisation_id=ORG, actor=ACTOR, action="case.closed", object=OBJECT,
                   details={"score": float("inf")})
    with pytest.raises(CanonicalJSONError):
        next_entry(None, organisation_id=ORG, actor=ACTOR, action="case.closed",
                   object=AuditObject(type="case", id="c-1", name="\ud800"))


def test_chain_head_is_validated() -> None:
    with pytest.raises(ChainError):
        ChainHead(organisation_id=ORG, seq=0, entry_hash="00" * 32)
    with pytest.raises(AuditFormatError):
        ChainHead(organisation_id=ORG, seq=1, entry_hash="00")


def test_any_field_change_changes_the_hash() -> None:
    first = make_chain(1)[0]
    fields = first.hashed_fields()
    base = compute_entry_hash(first.prev_hash, fields)
    for key in fields:
        if key == "prev_hash":
            continue
        changed = dict(fields)
        changed[key] = "different"
        assert compute_entry_hash(first.prev_hash, changed) != base, key
