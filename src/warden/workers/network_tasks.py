"""Carry out queued moderation actions (hide, unhide, delete, block, mute,
report) on the networks. These are idempotent on the network side, so a task
interrupted by a crash is simply done again."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.connectors.base import Connector
from warden.connectors.errors import AuthFailed, ConnectorError, RateLimited, Transient
from warden.storage.tables import Alert, SocialAccount
from warden.storage.work_tables import NetworkTask
from warden.workers.connecting import ConnectorSource
from warden.workflow.principal import system
from warden.workflow.unit import Clock, Unit, utcnow

MAX_ATTEMPTS = 8


def _call(connector: Connector, task: NetworkTask) -> None:
    if task.action in ("hide", "unhide"):
        connector.set_reply_hidden(task.target, task.action == "hide")
    elif task.action == "delete":
        connector.delete(task.target)
    elif task.action == "block":
        connector.block(task.target)
    elif task.action == "mute":
        connector.mute(task.target)
    elif task.action == "report":
        connector.report(task.target, "", task.reason or "breaks the house rules")
    else:
        raise ValueError(f"unknown network action {task.action!r}")


def _claim(sessions: sessionmaker[Session], worker: str, lease: timedelta, limit: int,
           clock: Clock) -> list[uuid.UUID]:
    now = clock()
    with sessions() as session, session.begin():
        tasks = session.execute(select(NetworkTask).where(
            NetworkTask.state == "pending", NetworkTask.due_at <= now,
            or_(NetworkTask.lease_until.is_(None), NetworkTask.lease_until <= now))
            .order_by(NetworkTask.due_at).limit(limit).with_for_update(skip_locked=True)).scalars().all()
        for task in tasks:
            task.lease_owner, task.lease_until, task.attempts = worker, now + lease, task.attempts + 1
        return [task.id for task in tasks]


def run_due(sessions: sessionmaker[Session], connectors: ConnectorSource, worker: str, *,
            lease: timedelta = timedelta(minutes=2), limit: int = 20, clock: Clock = utcnow) -> int:
    done = 0
    for task_id in _claim(sessions, worker, lease, limit, clock):
        with sessions() as session:
            task = session.get(NetworkTask, task_id)
            account = session.get(SocialAccount, task.account_id) if task else None
            if task is None or account is None:
                continue
            session.expunge_all()
        error: ConnectorError | None = None
        try:
            _call(connectors(account), task)
        except ConnectorError as caught:
            error = caught
        done += _settle(sessions, task_id, worker, error, clock)
    return done


def _settle(sessions: sessionmaker[Session], task_id: uuid.UUID, worker: str, error: ConnectorError | None,
            clock: Clock) -> int:
    with sessions() as session:
        organisation_id = session.execute(select(NetworkTask.organisation_id).where(NetworkTask.id == task_id)
                                          ).scalar_one()
    with Unit(sessions, system(organisation_id, "Warden moderator"), clock) as unit:
        task = unit.session.execute(select(NetworkTask).where(NetworkTask.id == task_id).with_for_update()
                                    ).scalar_one()
        if task.lease_owner != worker or task.state != "pending":
            return 0
        account = unit.session.get(SocialAccount, task.account_id)
        assert account is not None
        now = clock()
        task.lease_owner, task.lease_until = None, None
        retry = isinstance(error, RateLimited | Transient | AuthFailed) and task.attempts < MAX_ATTEMPTS
        if error is None:
            task.state, task.done_at, task.detail = "done", now, ""
        elif retry:
            wait = error.retry_at if isinstance(error, RateLimited) else now + timedelta(seconds=30 * task.attempts)
            task.due_at, task.detail = max(wait, now), error.message[:2000]
            return 0
        else:
            task.state, task.done_at, task.detail = "failed", now, error.message[:2000]
            unit.session.add(Alert(organisation_id=task.organisation_id, kind="network_action_failed",
                                   severity="medium", subject=f"Could not {task.action} on {account.handle[:80]}",
                                   detail=task.detail, created_at=now))
        unit.record(f"network.{task.action}_{task.state}",
                    AuditObject(type="network_task", id=str(task.id),
                                name=f"{task.action} {task.target[:60]} on {account.network}:{account.handle}"),
                    justification=task.reason or None,
                    details={"case": str(task.case_id) if task.case_id else None, "error": task.detail[:300] or None})
        return 1 if error is None else 0
