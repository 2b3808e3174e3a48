"""A unit of work: one transaction in which state changes AND their audit
entries are written together; side effects run only after commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject, ChainHead, JsonValue, next_entry, state_hash
from warden.storage import audit_log
from warden.workflow.principal import Principal

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Unit:
    def __init__(self, sessions: sessionmaker[Session], principal: Principal, clock: Clock = utcnow) -> None:
        self.principal = principal
        self.clock = clock
        self.session = sessions()
        self._head: ChainHead | None = None
        self._head_loaded = False
        self._after_commit: list[Callable[[], None]] = []
        self.audited = 0

    def __enter__(self) -> Unit:
        self.session.begin()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
        if kind is None:
            for hook in self._after_commit:
                hook()

    def after_commit(self, hook: Callable[[], None]) -> None:
        self._after_commit.append(hook)

    def record(self, action: str, obj: AuditObject, *, before: dict[str, Any] | None = None,
               after: dict[str, Any] | None = None, justification: str | None = None,
               policy_revision: str | None = None, detector_versions: dict[str, str] | None = None,
               details: dict[str, JsonValue] | None = None) -> None:
        """Append one audit entry in this transaction."""
        organisation_id = self.principal.organisation_id
        if not self._head_loaded:
            self._head = audit_log.lock_head(self.session, organisation_id)
            self._head_loaded = True
        entry = next_entry(
            self._head, organisation_id=str(organisation_id), actor=self.principal.actor, action=action,
            object=obj, occurred_at=self.clock(), justification=justification,
            before_hash=state_hash(before) if before is not None else None,
            after_hash=state_hash(after) if after is not None else None,
            policy_revision=policy_revision, detector_versions=detector_versions, details=details,
        )
        audit_log.append(self.session, entry)
        self._head = ChainHead(organisation_id=entry.organisation_id, seq=entry.seq, entry_hash=entry.entry_hash)
        self.audited += 1
