"""The hash chain: genesis, entry hashes, and building the next entry for an appender.

* **Genesis.** The first entry of an organisation's chain (``seq`` 1) links to
  ``genesis_hash(organisation_id) = SHA-256("warden.audit.genesis.v1" || 0x00 || UTF-8 id)``
  rather than to 64 zeros, so a chain (or its first entry) cannot be passed off as another
  organisation's.
* **Entry hash.** ``entry_hash = SHA-256(prev_hash as its 32 raw bytes || canonical JSON of
  the entry without entry_hash)``; the canonical JSON also repeats ``prev_hash``.
* **Appending.** The storage layer, inside the transaction that makes the change, locks the
  organisation's chain head (``SELECT ... FOR UPDATE`` on PostgreSQL, the write lock on SQLite),
  calls :func:`next_entry` with the head (or ``None`` for the first entry), inserts the result
  and moves the head. A unique ``(organisation_id, seq)`` constraint backs the lock up. To hold
  the head for as short a time as possible, an appender may build its entries first
  (:func:`draft_entry`, validated) and :func:`link` them after the head once it holds the lock.
* **Time.** ``occurred_at`` is whatever the caller says (default: now, UTC). Appenders should
  read the clock *after* taking the head lock. Entries are not refused for a time earlier than
  their predecessor's: on several machines clocks differ by a little, and the hash covers the
  timestamp anyway; :func:`warden.audit.verify.verify_chain` reports it as a warning.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from warden.audit.canonical import JsonValue, canonical_json, encode_checked
from warden.audit.entry import Actor, AuditEntry, AuditObject, hex_hash, identifier, utc
from warden.audit.errors import AuditFormatError, ChainError

__all__ = ["GENESIS_DOMAIN", "ChainHead", "HasHead", "compute_entry_hash", "draft_entry", "genesis_hash", "link",
           "next_entry", "recompute_entry_hash"]

GENESIS_DOMAIN = b"warden.audit.genesis.v1\x00"
_UNLINKED = "0" * 64  # a draft's hashes until it is linked


def genesis_hash(organisation_id: str) -> str:
    """The ``prev_hash`` of an organisation's first entry."""
    identifier(organisation_id, "organisation_id")
    return hashlib.sha256(GENESIS_DOMAIN + organisation_id.encode("utf-8")).hexdigest()


def compute_entry_hash(prev_hash: str, entry_fields: Mapping[str, JsonValue]) -> str:
    """``SHA-256(bytes.fromhex(prev_hash) || canonical_json(entry_fields))`` as lower-case hex.

    ``entry_fields`` is :meth:`AuditEntry.hashed_fields` (everything but ``entry_hash``); when
    it holds a ``prev_hash`` it must be the same one.
    """
    hex_hash(prev_hash, "prev_hash")
    if "entry_hash" in entry_fields:
        raise AuditFormatError("the entry hash cannot cover itself; leave entry_hash out")
    if "prev_hash" in entry_fields and entry_fields["prev_hash"] != prev_hash:
        raise AuditFormatError("entry_fields holds a different prev_hash")
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(entry_fields)).hexdigest()


def recompute_entry_hash(entry: AuditEntry) -> str:
    """What ``entry.entry_hash`` should be, given its other fields (same as :func:`compute_entry_hash`,
    without re-walking fields that building the frozen entry already validated)."""
    return hashlib.sha256(bytes.fromhex(entry.prev_hash) + encode_checked(entry.hashed_fields())).hexdigest()


class HasHead(Protocol):
    """What an appender needs of the current head: an :class:`AuditEntry` or a :class:`ChainHead`."""

    @property
    def organisation_id(self) -> str: ...

    @property
    def seq(self) -> int: ...

    @property
    def entry_hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last entry's position and hash, e.g. from a small per-organisation head row."""

    organisation_id: str
    seq: int
    entry_hash: str

    def __post_init__(self) -> None:
        identifier(self.organisation_id, "organisation_id")
        if type(self.seq) is not int or self.seq < 1:
            raise ChainError(f"a chain head's seq must be an integer >= 1, not {self.seq!r}")
        hex_hash(self.entry_hash, "entry_hash")


def next_entry(
    previous: HasHead | None,
    *,
    organisation_id: str,
    actor: Actor,
    action: str,
    object: AuditObject,  # the audit vocabulary's word; shadows the builtin here
    occurred_at: datetime | None = None,
    justification: str | None = None,
    before_hash: str | None = None,
    after_hash: str | None = None,
    policy_revision: str | None = None,
    detector_versions: Mapping[str, str] | None = None,
    details: Mapping[str, JsonValue] | None = None,
) -> AuditEntry:
    """The entry that follows ``previous`` (``None``: the first entry of the chain), hash included."""
    entry = draft_entry(organisation_id=organisation_id, actor=actor, action=action, object=object,
                        occurred_at=occurred_at, justification=justification, before_hash=before_hash,
                        after_hash=after_hash, policy_revision=policy_revision,
                        detector_versions=detector_versions, details=details)
    return link(previous, [entry])[0]


def draft_entry(
    *,
    organisation_id: str,
    actor: Actor,
    action: str,
    object: AuditObject,
    occurred_at: datetime | None = None,
    justification: str | None = None,
    before_hash: str | None = None,
    after_hash: str | None = None,
    policy_revision: str | None = None,
    detector_versions: Mapping[str, str] | None = None,
    details: Mapping[str, JsonValue] | None = None,
) -> AuditEntry:
    """An entry validated but not yet in a chain (no position, no hashes): give it to :func:`link`."""
    return AuditEntry(
        organisation_id=organisation_id, seq=1, occurred_at=occurred_at or datetime.now(UTC), actor=actor,
        action=action, object=object, justification=justification, before_hash=before_hash,
        after_hash=after_hash, policy_revision=policy_revision, detector_versions=detector_versions,
        details={} if details is None else details, prev_hash=_UNLINKED, entry_hash=_UNLINKED,
    )


def link(previous: HasHead | None, drafts: list[AuditEntry], occurred_at: datetime | None = None) -> list[AuditEntry]:
    """Chain ``drafts`` (from :func:`draft_entry`, in order) after ``previous``, with their hashes; all at
    ``occurred_at`` when given (an appender reads the clock after taking the head lock).

    The drafts must be the caller's alone: they are sealed in place (their fields were validated when
    they were built, and are not validated twice)."""
    for draft in drafts:
        organisation_id = draft.organisation_id
        if previous is None:
            seq, prev_hash = 1, genesis_hash(organisation_id)
        else:
            if previous.organisation_id != organisation_id:
                raise ChainError(f"cannot append to organisation {previous.organisation_id!r}'s chain "
                                 f"an entry of organisation {organisation_id!r}")
            seq, prev_hash = previous.seq + 1, hex_hash(previous.entry_hash, "previous entry_hash")
        builtins.object.__setattr__(draft, "seq", seq)
        builtins.object.__setattr__(draft, "prev_hash", prev_hash)
        if occurred_at is not None:
            builtins.object.__setattr__(draft, "occurred_at", utc(occurred_at))
        builtins.object.__setattr__(draft, "entry_hash", recompute_entry_hash(draft))
        previous = draft
    return drafts
