"""Read queries on the audit log: searching it (``search_audit``, newest first, a page at a time) and
exporting it (``export_audit``, oldest first, as JSON lines exactly as each entry was hashed), both on
the caller's organisation's entries only and with the same filters (``AuditFilter``). Reading the audit
log is itself audited: a search is recorded in the same transaction as the read, an export is recorded
(and committed) before anything is sent. Kept apart from the other reads (``web.queries``,
``web.queries_review``) because only these write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from warden.audit import AuditObject, JsonValue
from warden.storage.tables import AuditEntryRow
from warden.web.pagination import Page, PageRequest, key_int
from warden.web.queries import Sessions, _page_of
from warden.web.schemas import AuditEntryOut
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit

__all__ = ["AuditFilter", "export_audit", "search_audit"]

# ------------------------------------------------------------------------------------- audit

@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None  # exact, or a prefix when it ends with "."
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.actor is not None:
            query = query.where(AuditEntryRow.actor_id == self.actor)
        if self.object_type is not None:
            query = query.where(AuditEntryRow.object_type == self.object_type)
        if self.object_id is not None:
            query = query.where(AuditEntryRow.object_id == self.object_id)
        if self.action is not None:
            if self.action.endswith("."):
                query = query.where(AuditEntryRow.action.startswith(self.action, autoescape=True))
            else:
                query = query.where(AuditEntryRow.action == self.action)
        if self.since is not None:
            query = query.where(AuditEntryRow.occurred_at >= self.since)
        if self.until is not None:
            query = query.where(AuditEntryRow.occurred_at < self.until)
        return query

    def described(self) -> dict[str, JsonValue]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in vars(self).items() if v is not None}


def _audit_object(principal: Principal) -> AuditObject:
    return AuditObject(type="audit_log", id=str(principal.organisation_id), name="audit log")


def _entry_out(row: AuditEntryRow) -> AuditEntryOut:
    body = json.loads(row.body)
    return AuditEntryOut(seq=row.seq, occurred_at=body.get("occurred_at", ""), action=row.action,
                         actor=body.get("actor", {}), object=body.get("object", {}),
                         justification=body.get("justification"), details=body.get("details") or {},
                         policy_revision=body.get("policy_revision"), entry_hash=row.entry_hash)


def search_audit(sessions: Sessions, principal: Principal, where: AuditFilter, page: PageRequest,
                 clock: Clock) -> Page[AuditEntryOut]:
    """Newest first. The consultation is recorded in the same transaction as the read."""
    authorize(principal, Permission.AUDIT_READ)
    query = where.apply(select(AuditEntryRow).where(AuditEntryRow.organisation_id == principal.organisation_id))
    after = page.after()
    if after is not None:
        query = query.where(AuditEntryRow.seq < key_int(after))
    with Unit(sessions, principal, clock) as unit:
        rows = unit.session.execute(query.order_by(AuditEntryRow.seq.desc()).limit(page.limit + 1)).scalars().all()
        shown, cursor = _page_of(rows, page, lambda r: (r.seq,))
        result = Page[AuditEntryOut](items=[_entry_out(r) for r in shown], next_cursor=cursor)
        unit.record("audit.consulted", _audit_object(principal),
                    details={"filters": where.described(), "results": len(shown)})
        return result


def export_audit(sessions: Sessions, principal: Principal, where: AuditFilter, clock: Clock,
                 batch: int = 500) -> Iterator[bytes]:
    """Records the export (committed before anything is sent), then yields the entries as JSON lines,
    oldest first, each exactly as it was hashed (so the export can be verified on its own)."""
    authorize(principal, Permission.AUDIT_READ)
    with Unit(sessions, principal, clock) as unit:
        unit.record("audit.exported", _audit_object(principal), details={"filters": where.described()})

    def batch_after(last: int) -> list[tuple[int, str]]:
        with sessions() as session:
            return [(r.seq, r.body) for r in session.execute(where.apply(select(AuditEntryRow).where(
                AuditEntryRow.organisation_id == principal.organisation_id, AuditEntryRow.seq > last))
                .order_by(AuditEntryRow.seq).limit(batch)).scalars()]

    first = batch_after(0)  # before the response starts, so that a failure is still a clean error answer

    def lines() -> Iterator[bytes]:
        rows = first
        while rows:
            for _seq, body in rows:
                yield body.encode("utf-8") + b"\n"
            rows = batch_after(rows[-1][0])

    return lines()
