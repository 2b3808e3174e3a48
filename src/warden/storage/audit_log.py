"""Storing the audit chain: append inside the caller's transaction, stream
for verification, keep signed checkpoints."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from warden.audit import AuditEntry, ChainHead, Checkpoint, canonical_json
from warden.storage.tables import AuditCheckpointRow, AuditEntryRow, Organisation


def lock_head(session: Session, organisation_id: uuid.UUID) -> ChainHead | None:
    """The chain's last entry, with the organisation row locked so that
    appends to one chain are serialised (SQLite holds its write lock already)."""
    # FOR NO KEY UPDATE (key_share=True), not FOR UPDATE: inserting any row that references the organisation
    # takes FOR KEY SHARE on it, which FOR UPDATE waits for; two such transactions then deadlock on PostgreSQL.
    session.execute(select(Organisation.id).where(Organisation.id == organisation_id)
                    .with_for_update(key_share=True))
    row = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.entry_hash)
        .where(AuditEntryRow.organisation_id == organisation_id)
        .order_by(AuditEntryRow.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return ChainHead(organisation_id=str(organisation_id), seq=row.seq, entry_hash=row.entry_hash)


def append_all(session: Session, entries: list[AuditEntry]) -> None:
    """Insert linked entries (one executemany, not one ORM object each)."""
    session.execute(insert(AuditEntryRow), [{
        "organisation_id": uuid.UUID(entry.organisation_id), "seq": entry.seq, "occurred_at": entry.occurred_at,
        "action": entry.action, "actor_id": entry.actor.id, "object_type": entry.object.type,
        "object_id": entry.object.id, "entry_hash": entry.entry_hash,
        "body": canonical_json(entry.to_dict()).decode("utf-8")} for entry in entries])


def stream_rows(session: Session, organisation_id: uuid.UUID, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every stored entry body in sequence order, in bounded batches. A row
    whose search columns disagree with its body yields a body altered to say
    so, which verification reports as a bad entry."""
    last = 0
    while True:
        rows = session.execute(
            select(AuditEntryRow)
            .where(AuditEntryRow.organisation_id == organisation_id, AuditEntryRow.seq > last)
            .order_by(AuditEntryRow.seq)
            .limit(batch)
        ).scalars().all()
        if not rows:
            return
        for row in rows:
            last = row.seq
            try:
                body: dict[str, Any] = json.loads(row.body)
            except (json.JSONDecodeError, TypeError):
                yield {"seq": row.seq, "malformed": "body is not JSON"}
                continue
            if not isinstance(body, dict):
                yield {"seq": row.seq, "malformed": "body is not an object"}
                continue
            if (body.get("seq") != row.seq or body.get("entry_hash") != row.entry_hash
                    or body.get("action") != row.action or body.get("organisation_id") != str(row.organisation_id)):
                body["__columns_disagree__"] = True
            yield body
        session.expunge_all()


def save_checkpoint(session: Session, checkpoint: Checkpoint) -> None:
    session.add(AuditCheckpointRow(organisation_id=uuid.UUID(checkpoint.organisation_id),
                                   tree_size=checkpoint.tree_size, body=checkpoint.to_json()))


def stored_checkpoints(session: Session, organisation_id: uuid.UUID) -> list[Checkpoint]:
    rows = session.execute(
        select(AuditCheckpointRow.body)
        .where(AuditCheckpointRow.organisation_id == organisation_id)
        .order_by(AuditCheckpointRow.tree_size)
    ).scalars()
    return [Checkpoint.from_json(body) for body in rows]
