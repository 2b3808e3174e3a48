from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from audit_helpers import ORG, make_chain

from warden.audit import (
    Actor,
    ActorKind,
    AuditEntry,
    AuditFormatError,
    AuditObject,
    format_timestamp,
    parse_timestamp,
)

HASH = "ab" * 32


def entry(**changes: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "organisation_id": ORG, "seq": 1, "occurred_at": datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
        "actor": Actor(id="m-1", name="PC Jo Smith", kind=ActorKind.MEMBER), "action": "draft.submitted",
        "object": AuditObject(type="draft", id="d-1", name="Road closure"), "prev_hash": HASH, "entry_hash": HASH,
    }
    fields.update(changes)
    return AuditEntry(**fields)


def test_timestamps_are_utc_with_microseconds_and_z() -> None:
    moment = datetime(2024, 5, 1, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(moment) == "2024-05-01T09:00:00.000005Z"
    assert parse_timestamp("2024-05-01T09:00:00.000005Z") == moment
    assert parse_timestamp("2024-05-01T09:00:00.000005Z").tzinfo is UTC
    assert format_timestamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000000Z"


@pytest.mark.parametrize("text", ["2024-05-01T09:00:00Z", "2024-05-01T09:00:00.000000+00:00",
                                  "2024-05-01 09:00:00.000000Z", "2024-02-30T09:00:00.000000Z", "", "now"])
def test_parse_timestamp_accepts_only_the_canonical_form(text: str) -> None:
    with pytest.raises(AuditFormatError):
        parse_timestamp(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(AuditFormatError, match="timezone-aware"):
        format_timestamp(datetime(2024, 5, 1))
    with pytest.raises(AuditFormatError, match="timezone-aware"):
        entry(occurred_at=datetime(2024, 5, 1))


def test_entry_normalises_time_to_utc() -> None:
    local = datetime(2024, 5, 1, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    made = entry(occurred_at=local)
    assert made.occurred_at.tzinfo is UTC
    assert made.hashed_fields()["occurred_at"] == "2024-05-01T09:00:00.000000Z"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"organisation_id": ""}, "organisation_id"),
        ({"organisation_id": "org\n1"}, "control"),
        ({"organisation_id": "o" * 201}, "200"),
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"seq": "1"}, "seq"),
        ({"action": "Draft Submitted"}, "action"),
        ({"action": "submitted"}, "action"),
        ({"prev_hash": "AB" * 32}, "prev_hash"),
        ({"entry_hash": "ab" * 31}, "entry_hash"),
        ({"before_hash": "xyz"}, "before_hash"),
        ({"after_hash": 5}, "after_hash"),
        ({"justification": 5}, "justification"),
        ({"policy_revision": b"x"}, "policy_revision"),
        ({"detector_versions": {"pii": 1}}, "detector"),
        ({"detector_versions": ["pii"]}, "detector_versions"),
        ({"details": {"x": float("nan")}}, "details.x"),
        ({"details": {"when": datetime(2024, 1, 1, tzinfo=UTC)}}, "details.when"),
        ({"details": []}, "details"),
        ({"version": 2}, "version"),
        ({"actor": {"id": "m-1"}}, "Actor"),
        ({"object": "draft"}, "AuditObject"),
    ],
)
def test_badly_formed_fields_are_refused(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(AuditFormatError, match=fragment):
        entry(**changes)


def test_actor_and_object_are_validated() -> None:
    with pytest.raises(AuditFormatError, match=r"actor\.kind"):
        Actor(id="m-1", name="x", kind="robot")  # type: ignore[arg-type]
    with pytest.raises(AuditFormatError, match=r"actor\.id"):
        Actor(id="", name="x", kind=ActorKind.SYSTEM)
    with pytest.raises(AuditFormatError, match=r"object\.type"):
        AuditObject(type="", id="1", name="x")
    assert Actor(id="t", name="x", kind="api_token").kind is ActorKind.API_TOKEN  # type: ignore[arg-type]


def test_entries_are_immutable_down_to_their_details() -> None:
    made = entry(details={"tags": ["a", "b"], "nested": {"k": 1}}, detector_versions={"pii": "1"})
    with pytest.raises(FrozenInstanceError):
        made.seq = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        made.details["tags"] = []  # type: ignore[index]
    with pytest.raises(TypeError):
        made.details["nested"]["k"] = 2  # type: ignore[index]
    assert made.details["tags"] == ("a", "b")
    assert made.detector_versions is not None
    with pytest.raises(TypeError):
        made.detector_versions["pii"] = "2"  # type: ignore[index]


def test_caller_mutating_its_dict_afterwards_changes_nothing() -> None:
    details: dict[str, Any] = {"n": 1}
    made = entry(details=details)
    details["n"] = 2
    assert made.details["n"] == 1


def test_hashed_fields_has_every_field_but_the_entry_hash() -> None:
    fields = entry().hashed_fields()
    assert set(fields) == {"v", "organisation_id", "seq", "occurred_at", "actor", "action", "object",
                           "justification", "before_hash", "after_hash", "policy_revision", "detector_versions",
                           "details", "prev_hash"}
    assert fields["actor"] == {"id": "m-1", "kind": "member", "name": "PC Jo Smith"}
    assert fields["object"] == {"id": "d-1", "name": "Road closure", "type": "draft"}


def test_dict_round_trip_through_json() -> None:
    for made in make_chain(30):
        row = json.loads(json.dumps(made.to_dict()))
        back = AuditEntry.from_dict(row)
        assert back == made
        assert back.canonical_bytes() == made.canonical_bytes()
        assert hash(back) == hash(made)


def test_from_dict_accepts_an_aware_datetime_from_a_timestamp_column() -> None:
    made = make_chain(1)[0]
    row = made.to_dict()
    row["occurred_at"] = made.occurred_at.astimezone(timezone(timedelta(hours=-5)))
    assert AuditEntry.from_dict(row) == made


@pytest.mark.parametrize(
    "mutate",
    [
        lambda row: row.pop("details"),
        lambda row: row.update(extra=1),
        lambda row: row.update(occurred_at="2024-05-01T09:00:00Z"),
        lambda row: row.update(actor={"id": "m-1", "name": "x"}),
        lambda row: row.update(object={"id": "1", "name": "x", "type": "d", "more": 1}),
        lambda row: row.update(details="{}"),
        lambda row: row.update(v=2),
    ],
)
def test_from_dict_is_strict(mutate: Any) -> None:
    row = make_chain(1)[0].to_dict()
    mutate(row)
    with pytest.raises(AuditFormatError):
        AuditEntry.from_dict(row)


def test_replace_revalidates() -> None:
    with pytest.raises(AuditFormatError):
        replace(entry(), seq=-1)
