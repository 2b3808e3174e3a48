"""A unit of work: one transaction in which state changes AND their audit
entries are written together; side effects run only after commit.

Audit entries are built (and validated) as they are recorded but chained at
commit: the state changes are flushed first, then the organisation's chain
head is locked, the entries linked after it and the transaction committed, so
the head (one per organisation) is held only for that last step and
concurrent units overlap in everything else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditEntry, AuditObject, JsonValue, draft_entry, link, state_hash
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
        self._entries: list[AuditEntry] = []
        self._after_commit: list[Callable[[], None]] = []
        self.audited = 0

    def __enter__(self) -> Unit:
        self.session.begin()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None:
                self._chain_entries()
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
        """Append one audit entry in this transaction (chained at commit)."""
        entry = draft_entry(
            organisation_id=str(self.principal.organisation_id), actor=self.principal.actor, action=action,
            object=obj, occurred_at=self.clock(), justification=justification,
            before_hash=state_hash(before) if before is not None else None,
            after_hash=state_hash(after) if after is not None else None,
            policy_revision=policy_revision, detector_versions=detector_versions, details=details,
        )
        self._entries.append(entry)
        self.audited += 1

    def _chain_entries(self) -> None:
        if not self._entries:
            return
        self.session.flush()  # the changes take their row locks before the chain head is taken
        head = audit_log.lock_head(self.session, self.principal.organisation_id)
        audit_log.append_all(self.session, link(head, self._entries, self.clock()))
        self._entries = []
