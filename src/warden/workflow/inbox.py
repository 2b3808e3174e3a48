"""The inbox: messages as they arrive, stored before anything else happens,
then filed (decided, put in a case, acted on) in batches.

Arrival is cheap and idempotent (a webhook answers fast; a duplicate delivery
is a no-op), filing is where the work is. A batch that fails is retried one
item at a time, and an item that keeps failing goes to the dead letters with
an alert, so one poison message never holds up the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.domain.enums import AccountType, Direction
from warden.domain.errors import WardenError
from warden.domain.messages import MAX_HANDLE, Incoming
from warden.storage.database import insert_ignoring_conflicts
from warden.storage.tables import Alert, Message, SocialAccount
from warden.storage.work_tables import InboxItem
from warden.workflow import checking
from warden.workflow import filing as filing_flow
from warden.workflow.loading import organisation
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal, system
from warden.workflow.unit import Clock, Unit, utcnow

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Filed:
    filed: int
    dead: int


def to_payload(item: Incoming) -> dict[str, Any]:
    return {"network_id": item.network_id, "thread_key": item.thread_key, "kind": item.kind,
            "author_handle": item.author_handle, "author_name": item.author_name, "text": item.text,
            "in_reply_to": item.in_reply_to, "sent_at": item.sent_at.isoformat()}


def from_payload(payload: dict[str, Any]) -> Incoming:
    try:
        return Incoming(network_id=str(payload["network_id"]), thread_key=str(payload["thread_key"]),
                        kind=str(payload["kind"]), author_handle=str(payload["author_handle"]),
                        author_name=str(payload.get("author_name") or ""), text=str(payload["text"]),
                        in_reply_to=payload.get("in_reply_to"), sent_at=datetime.fromisoformat(payload["sent_at"]))
    except (KeyError, TypeError, ValueError) as error:
        raise WardenError(f"malformed inbox payload ({type(error).__name__}: {error})",
                          code="malformed_payload") from error


def accept(session: Session, account: SocialAccount, items: Sequence[Incoming], source: str,
           clock: Clock = utcnow) -> int:
    """Store arriving items in the caller's transaction; duplicates are ignored.
    Returns how many were new."""
    if not items:
        return 0
    now = clock()
    rows = [{"id": uuid.uuid4(), "organisation_id": account.organisation_id, "account_id": account.id,
             "network_id": item.network_id[:MAX_HANDLE] or "?", "payload": to_payload(item), "source": source,
             "state": "pending", "attempts": 0, "error": "", "arrived_at": now} for item in items]
    statement = (insert_ignoring_conflicts(session, cast(Table, InboxItem.__table__), ["account_id", "network_id"])
                 .execution_options(preserve_rowcount=True))  # counted, not RETURNING ids: a far cheaper batch
    return session.connection().execute(statement, rows).rowcount


def pending_organisations(sessions: sessionmaker[Session], limit: int = 50) -> list[uuid.UUID]:
    with sessions() as session:
        return list(session.execute(select(InboxItem.organisation_id).where(InboxItem.state == "pending")
                                    .group_by(InboxItem.organisation_id).limit(limit)).scalars())


def file_pending(sessions: sessionmaker[Session], organisation_id: uuid.UUID, limit: int = 200,
                 clock: Clock = utcnow) -> Filed:
    """File up to ``limit`` pending items of one organisation in one transaction."""
    try:
        with Unit(sessions, system(organisation_id, "Warden inbox"), clock) as unit:
            items = unit.session.execute(
                select(InboxItem).where(InboxItem.organisation_id == organisation_id, InboxItem.state == "pending")
                .order_by(InboxItem.arrived_at).limit(limit).with_for_update(skip_locked=True)).scalars().all()
            return _file(unit, list(items))
    except Exception:
        return _file_one_by_one(sessions, organisation_id, limit, clock)


def _file(unit: Unit, items: list[InboxItem]) -> Filed:
    """Check every text first (the slow, lock-free part), write the messages,
    and only then lock their threads' cases and file them: two workers filing
    into the same threads overlap in everything but the last step."""
    if not items:
        return Filed(0, 0)
    session = unit.session
    session.autoflush = False  # everything is written in as few statements as possible
    org = organisation(session, unit.principal.organisation_id)
    engine = checking.engine_for(session, org.id)
    registers = checking.registers_for(session, org.id)
    accounts = {a.id: a for a in session.execute(select(SocialAccount).where(
        SocialAccount.id.in_({i.account_id for i in items}))).scalars()}
    prepared = []
    dead = 0
    for item in items:
        try:
            incoming = from_payload(item.payload)
            incoming.validate()
        except WardenError as error:
            _dead(unit, item, error.message)
            dead += 1
            continue
        prepared.append((item, incoming))
    decisions = checking.check_batch(session, org, [
        (incoming.text, AccountType(accounts[item.account_id].account_type)) for item, incoming in prepared],
        Direction.INBOUND, engine=engine, registers=registers)
    filing = filing_flow.Filing.load(session, [(item.account_id, incoming.network_id) for item, incoming in prepared])
    stored = [(item, decision, filing_flow.store_message(unit, accounts[item.account_id], incoming, decision, filing))
              for (item, incoming), decision in zip(prepared, decisions, strict=True)]
    session.flush()
    filing.lock_cases(session, org.id, [(message, decision) for _, decision, message in stored
                                        if isinstance(message, Message)])
    done: list[dict[str, Any]] = []
    for item, decision, message in stored:
        received = message if isinstance(message, filing_flow.Received) else filing_flow.file_stored(
            unit, accounts[item.account_id], message, decision, engine.policy.pack.settings, filing)
        done.append({"id": item.id, "state": "filed", "filed_at": unit.clock(), "message_id": received.message_id,
                     "attempts": item.attempts + 1})
    if done:
        session.flush()  # the messages exist before the items point at them
        filing.touch_cases(session)
        session.execute(update(InboxItem), done)  # one executemany, not one UPDATE per item
    return Filed(len(done), dead)


def _file_one_by_one(sessions: sessionmaker[Session], organisation_id: uuid.UUID, limit: int,
                     clock: Clock) -> Filed:
    with sessions() as session:
        ids = list(session.execute(select(InboxItem.id).where(
            InboxItem.organisation_id == organisation_id, InboxItem.state == "pending")
            .order_by(InboxItem.arrived_at).limit(limit)).scalars())
    filed = dead = 0
    for item_id in ids:
        try:
            with Unit(sessions, system(organisation_id, "Warden inbox"), clock) as unit:
                item = unit.session.execute(select(InboxItem).where(
                    InboxItem.id == item_id, InboxItem.state == "pending").with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if item is not None:
                    result = _file(unit, [item])
                    filed, dead = filed + result.filed, dead + result.dead
        except Exception as error:
            dead += _count_failure(sessions, organisation_id, item_id, f"{type(error).__name__}: {error}", clock)
    return Filed(filed, dead)


def _count_failure(sessions: sessionmaker[Session], organisation_id: uuid.UUID, item_id: uuid.UUID, error: str,
                   clock: Clock) -> int:
    with Unit(sessions, system(organisation_id, "Warden inbox"), clock) as unit:
        item = unit.session.get(InboxItem, item_id)
        if item is None or item.state != "pending":
            return 0
        item.attempts += 1
        item.error = error[:2000]
        if item.attempts < MAX_ATTEMPTS:
            return 0
        _dead(unit, item, error)
        return 1


def _dead(unit: Unit, item: InboxItem, error: str) -> None:
    item.state, item.error = "dead", error[:2000]
    unit.session.add(Alert(organisation_id=item.organisation_id, kind="inbox_dead_letter", severity="high",
                           subject=f"An inbound message could not be filed ({item.network_id[:80]})",
                           detail=error[:2000], created_at=unit.clock()))
    unit.record("inbox.dead_letter", AuditObject(type="inbox_item", id=str(item.id),
                                                      name=f"item {item.network_id[:80]}"),
                details={"error": error[:300]})


@dataclass(frozen=True)
class DeadLetter:
    """What a person needs to decide whether to retry: never the message's text."""
    id: uuid.UUID
    account_id: uuid.UUID
    network_id: str
    attempts: int
    error: str
    arrived_at: datetime


def dead_letters(sessions: sessionmaker[Session], principal: Principal, limit: int = 200) -> list[DeadLetter]:
    authorize(principal, Permission.ACCOUNT_ADMIN)
    with sessions() as session:
        rows = session.execute(select(InboxItem).where(
            InboxItem.organisation_id == principal.organisation_id, InboxItem.state == "dead")
            .order_by(InboxItem.arrived_at).limit(limit)).scalars().all()
        return [DeadLetter(r.id, r.account_id, r.network_id, r.attempts, r.error, r.arrived_at) for r in rows]


def retry_dead(sessions: sessionmaker[Session], principal: Principal, ids: Sequence[uuid.UUID] | None = None,
               clock: Clock = utcnow) -> int:
    """Put dead letters back in the queue (after a fix): these ``ids``, or all of the organisation's."""
    authorize(principal, Permission.ACCOUNT_ADMIN)
    with Unit(sessions, principal, clock) as unit:
        chosen = update(InboxItem).where(InboxItem.organisation_id == principal.organisation_id,
                                         InboxItem.state == "dead")
        if ids is not None:
            chosen = chosen.where(InboxItem.id.in_(list(ids)))
        result = unit.session.execute(chosen.values(state="pending", attempts=0).returning(InboxItem.id))
        count = len(result.all())
        unit.record("inbox.dead_letters_retried", AuditObject(type="organisation", id=str(principal.organisation_id),
                                                             name="inbox"),
                    details={"items": count, "chosen": "all" if ids is None else "some"})
        return count
