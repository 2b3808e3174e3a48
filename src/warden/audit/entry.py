"""One audit entry: who did what to which object, when, why, and how it links into the chain.

The hashed form of an entry (format version 1) is the canonical JSON (see
:mod:`warden.audit.canonical`) of this object, i.e. :meth:`AuditEntry.hashed_fields`::

    {"v": 1, "organisation_id": str, "seq": int >= 1,
     "occurred_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, microseconds),
     "actor": {"id": str, "kind": "member"|"system"|"api_token", "name": str},
     "action": "noun.verb" (lower-case, dotted),
     "object": {"id": str, "name": str, "type": str},
     "justification": str|null, "before_hash": hex64|null, "after_hash": hex64|null,
     "policy_revision": str|null, "detector_versions": {str: str}|null,
     "details": {str: JSON}, "prev_hash": hex64}

``entry_hash`` is not part of it; :func:`warden.audit.chain.compute_entry_hash` defines it.
Building an ``AuditEntry`` checks the *form* of every field, never the hashes: entries read
back for verification may be tampered with, and :func:`warden.audit.verify.verify_chain`
is what judges them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias

from warden.audit.canonical import JsonValue, canonical_json, check_canonical, state_hash
from warden.audit.errors import AuditFormatError, CanonicalJSONError

__all__ = [
    "ENTRY_VERSION",
    "Actor",
    "ActorKind",
    "AuditEntry",
    "AuditObject",
    "canonical_json",
    "format_timestamp",
    "parse_timestamp",
    "state_hash",
]

ENTRY_VERSION = 1

_HASH = re.compile(r"[0-9a-f]{64}")
_ACTION = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MAX_ID = 200

Row: TypeAlias = Mapping[str, Any]
"""A stored row or decoded JSON object, not yet validated."""


class ActorKind(StrEnum):
    MEMBER = "member"
    SYSTEM = "system"
    API_TOKEN = "api_token"  # noqa: S105 - an actor kind, not a secret


def utc(moment: object) -> datetime:
    """The same instant with ``tzinfo=UTC``; a naive datetime is refused (its zone is unknown)."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise AuditFormatError(f"timestamps must be timezone-aware datetimes, not {moment!r}")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC; a naive datetime is refused (its zone is unknown)."""
    return utc(moment).isoformat(timespec="microseconds")[:-6] + "Z"  # drop "+00:00"


def parse_timestamp(text: str) -> datetime:
    """The inverse of :func:`format_timestamp`; only that exact form is accepted."""
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise AuditFormatError(f"timestamp {text!r} is not in the form YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise AuditFormatError(f"timestamp {text!r} is not a real date and time") from exc


def identifier(value: object, what: str) -> str:
    """An id as stored in the log: a non-empty string of at most 200 characters, no control characters."""
    if not isinstance(value, str) or not value or len(value) > _MAX_ID or _CONTROL.search(value):
        raise AuditFormatError(f"{what} must be a non-empty string of at most {_MAX_ID} characters "
                               f"without control characters, not {value!r}")
    return value


def hex_hash(value: object, what: str) -> str:
    """A SHA-256 digest written as 64 lower-case hexadecimal characters."""
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise AuditFormatError(f"{what} must be 64 lower-case hex characters, not {value!r}")
    return value


def _optional_hash(value: object, what: str) -> str | None:
    return None if value is None else hex_hash(value, what)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise AuditFormatError(f"{what} must be a string, not {type(value).__name__}")
    return value


def _optional_text(value: object, what: str) -> str | None:
    return None if value is None else _text(value, what)


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value


def _mapping(value: object, what: str) -> Row:
    if not isinstance(value, Mapping):
        raise AuditFormatError(f"{what} must be an object, not {type(value).__name__}")
    return value


def _exact_keys(row: Row, keys: frozenset[str], what: str) -> None:
    if row.keys() != keys:
        missing = sorted(keys - row.keys())
        unknown = sorted(str(key) for key in row.keys() - keys)
        raise AuditFormatError(f"{what}: missing {missing}, unknown {unknown}")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted, with a readable snapshot of their name as it was at the time."""

    id: str
    name: str
    kind: ActorKind

    def __post_init__(self) -> None:
        identifier(self.id, "actor.id")
        _text(self.name, "actor.name")
        try:
            object.__setattr__(self, "kind", ActorKind(self.kind))
        except ValueError as exc:
            raise AuditFormatError(f"actor.kind {self.kind!r} is not one of {[k.value for k in ActorKind]}") from exc

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind.value, "name": self.name}

    @classmethod
    def from_dict(cls, row: object) -> Actor:
        data = _mapping(row, "actor")
        _exact_keys(data, frozenset({"id", "kind", "name"}), "actor")
        return cls(id=data["id"], name=data["name"], kind=data["kind"])


@dataclass(frozen=True, slots=True)
class AuditObject:
    """What was acted on: its type (``draft``, ``case`` ...), id and a readable snapshot of its name."""

    type: str
    id: str
    name: str

    def __post_init__(self) -> None:
        identifier(self.type, "object.type")
        identifier(self.id, "object.id")
        _text(self.name, "object.name")

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "type": self.type}

    @classmethod
    def from_dict(cls, row: object) -> AuditObject:
        data = _mapping(row, "object")
        _exact_keys(data, frozenset({"id", "name", "type"}), "object")
        return cls(type=data["type"], id=data["id"], name=data["name"])


_ENTRY_KEYS = frozenset({
    "v", "organisation_id", "seq", "occurred_at", "actor", "action", "object", "justification",
    "before_hash", "after_hash", "policy_revision", "detector_versions", "details", "prev_hash", "entry_hash",
})


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One link of an organisation's audit chain (see the module docstring for the hashed form)."""

    organisation_id: str
    seq: int
    occurred_at: datetime
    actor: Actor
    action: str
    object: AuditObject
    prev_hash: str
    entry_hash: str
    justification: str | None = None
    before_hash: str | None = None
    after_hash: str | None = None
    policy_revision: str | None = None
    detector_versions: Mapping[str, str] | None = None
    details: Mapping[str, JsonValue] = field(default_factory=lambda: MappingProxyType({}))
    version: int = ENTRY_VERSION

    def __post_init__(self) -> None:
        if self.version != ENTRY_VERSION:
            raise AuditFormatError(f"audit entry format version {self.version!r} is not supported")
        identifier(self.organisation_id, "organisation_id")
        if type(self.seq) is not int or self.seq < 1:
            raise AuditFormatError(f"seq must be an integer >= 1, not {self.seq!r}")
        object.__setattr__(self, "occurred_at", utc(self.occurred_at))
        if not isinstance(self.actor, Actor):
            raise AuditFormatError("actor must be an Actor")
        if not isinstance(self.action, str) or not _ACTION.fullmatch(self.action):
            raise AuditFormatError(f"action {self.action!r} must be lower-case dotted words, e.g. 'draft.submitted'")
        if not isinstance(self.object, AuditObject):
            raise AuditFormatError("object must be an AuditObject")
        hex_hash(self.prev_hash, "prev_hash")
        hex_hash(self.entry_hash, "entry_hash")
        _optional_text(self.justification, "justification")
        _optional_hash(self.before_hash, "before_hash")
        _optional_hash(self.after_hash, "after_hash")
        _optional_text(self.policy_revision, "policy_revision")
        if self.detector_versions is not None:
            versions = _mapping(self.detector_versions, "detector_versions")
            for name, version in versions.items():
                _text(name, "a detector name")
                _text(version, f"the version of detector {name!r}")
            object.__setattr__(self, "detector_versions", MappingProxyType(dict(versions)))
        details = _mapping(self.details, "details")
        try:
            check_canonical(details, root="details")
        except CanonicalJSONError as exc:
            raise AuditFormatError(exc.message) from exc
        object.__setattr__(self, "details", _freeze(details))

    def __hash__(self) -> int:
        return hash((self.organisation_id, self.seq, self.entry_hash))

    def hashed_fields(self) -> dict[str, JsonValue]:
        """Everything the entry hash covers (every field except ``entry_hash``)."""
        return {
            "v": self.version,
            "organisation_id": self.organisation_id,
            "seq": self.seq,
            "occurred_at": format_timestamp(self.occurred_at),
            "actor": self.actor.to_dict(),
            "action": self.action,
            "object": self.object.to_dict(),
            "justification": self.justification,
            "before_hash": self.before_hash,
            "after_hash": self.after_hash,
            "policy_revision": self.policy_revision,
            "detector_versions": None if self.detector_versions is None else dict(self.detector_versions),
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-ready dict of every field (``json.dumps`` works on it); :meth:`from_dict` reverses it."""
        row: dict[str, Any] = self.hashed_fields()
        row["details"] = _thaw(self.details)
        row["entry_hash"] = self.entry_hash
        return row

    @classmethod
    def from_dict(cls, row: Row) -> AuditEntry:
        """Rebuild an entry from :meth:`to_dict` output (``occurred_at`` may also be an aware datetime).

        Unknown or missing keys raise :class:`AuditFormatError`; so does any badly formed field.
        """
        data = _mapping(row, "audit entry")
        _exact_keys(data, _ENTRY_KEYS, "audit entry")
        occurred_at = data["occurred_at"]
        if not isinstance(occurred_at, datetime):
            occurred_at = parse_timestamp(_text(occurred_at, "occurred_at"))
        detector_versions = data["detector_versions"]
        return cls(
            version=data["v"],
            organisation_id=data["organisation_id"],
            seq=data["seq"],
            occurred_at=occurred_at,
            actor=Actor.from_dict(data["actor"]),
            action=data["action"],
            object=AuditObject.from_dict(data["object"]),
            justification=data["justification"],
            before_hash=data["before_hash"],
            after_hash=data["after_hash"],
            policy_revision=data["policy_revision"],
            detector_versions=None if detector_versions is None else _mapping(detector_versions, "detector_versions"),
            details=_mapping(data["details"], "details"),
            prev_hash=data["prev_hash"],
            entry_hash=data["entry_hash"],
        )

    def canonical_bytes(self) -> bytes:
        """The canonical JSON of :meth:`hashed_fields`."""
        return canonical_json(self.hashed_fields())
