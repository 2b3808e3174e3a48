"""Filing inbound messages into cases.

One case per message thread, opened or updated idempotently: receiving the same network message twice
changes nothing. Filing a message stores it with its decision (``store_message``), then, with its
thread's case locked (``Filing.lock_cases``, which opens a missing one), updates the case's state,
severity and SLA (``SEVERITY``, ``SLA``), queues the automatic actions the policy asks for and audits it
all (``file_stored``). ``receive`` files one message in its own transaction; ``workflow.inbox`` files
batches with the same two halves and one ``Filing``. Kept apart from what moderators do to a case
afterwards (``workflow.cases``), whose audit helpers it imports.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.domain.decision import Decision
from warden.domain.enums import AccountType, Direction, InboundAction
from warden.domain.messages import Incoming
from warden.policy.schema import Settings as PolicySettings
from warden.storage.database import insert_ignoring_conflicts
from warden.storage.tables import Case, DecisionRow, Message, SocialAccount
from warden.workflow import automatic_actions, checking
from warden.workflow.cases import _case_object, _case_state
from warden.workflow.loading import get_owned, organisation
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit, utcnow

__all__ = ["Incoming", "Received", "receive"]

SEVERITY = {InboundAction.NONE: 0, InboundAction.REDIRECT: 1, InboundAction.REVIEW: 1, InboundAction.HIDE: 2,
            InboundAction.HIDE_AND_ESCALATE: 3, InboundAction.ESCALATE_URGENT: 4}
SLA = {4: timedelta(minutes=15), 3: timedelta(hours=1), 2: timedelta(hours=4), 1: timedelta(hours=24)}


@dataclass(frozen=True)
class Received:
    message_id: uuid.UUID
    case_id: uuid.UUID
    decision: str
    duplicate: bool


def receive(sessions: sessionmaker[Session], principal: Principal, account_id: uuid.UUID, incoming: Incoming,
            clock: Clock = utcnow) -> Received:
    """Store, check and file one inbound message; idempotent on (account, network id)."""
    incoming.validate()
    with Unit(sessions, principal, clock) as unit:
        account = get_owned(unit.session, SocialAccount, account_id, principal.organisation_id)
        return file_message(unit, account, incoming)


@dataclass
class Filing:
    """What filing messages in one transaction has already looked up: the
    messages already stored and, once locked, the cases of their threads, so
    a batch of 500 costs a few queries, not 1,000."""

    known: set[tuple[uuid.UUID, str]]
    cases: dict[tuple[uuid.UUID, str], Case] = field(default_factory=dict)
    #: Cases this transaction created empty in ``lock_cases``: the first message filed into one opens it.
    opened: set[uuid.UUID] = field(default_factory=set)
    #: Cases a message merely joined: their new ``updated_at``, written by ``touch_cases`` in one statement
    #: (the ORM would send one versioned UPDATE per case).
    touched: dict[uuid.UUID, datetime] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, wanted: Sequence[tuple[uuid.UUID, str]]) -> Filing:
        """``wanted``: (account id, network id) of each message to file."""
        known = {(a, n) for a, n in session.execute(select(Message.account_id, Message.network_id).where(
            Message.account_id.in_({a for a, _ in wanted}), Message.network_id.in_({n for _, n in wanted})))}
        return cls(known)

    def lock_cases(self, session: Session, organisation_id: uuid.UUID,
                   stored: Sequence[tuple[Message, Decision]]) -> None:
        """Lock the cases of the threads of these stored messages, opening the missing ones as their first
        message opens them, with ``INSERT .. ON CONFLICT DO NOTHING``: two workers filing into the same new
        thread then share one case, the second waiting for the first, instead of one failing on the unique
        key. The last step before writing them, so that workers wait for each other as briefly as possible."""
        first: dict[tuple[uuid.UUID, str], tuple[Message, Decision]] = {}
        for message, decision in stored:
            first.setdefault((message.account_id, message.thread_key), (message, decision))
        self._select(session, organisation_id, set(first))
        missing = sorted(first.keys() - self.cases.keys())
        if not missing:
            return
        table = cast(Table, Case.__table__)
        rows = []
        for thread in missing:
            message, decision = first[thread]
            severity, due = _urgency(decision, message.received_at)
            rows.append({"id": uuid.uuid4(), "organisation_id": organisation_id, "account_id": thread[0],
                         "thread_key": thread[1], "state": "new", "severity": severity, "sla_due_at": due,
                         "version": 1, "opened_at": message.received_at, "updated_at": message.received_at})
        created = session.execute(insert_ignoring_conflicts(
            session, table, ["organisation_id", "account_id", "thread_key"]).returning(table.c.id), rows)
        self.opened.update(created.scalars())
        self._select(session, organisation_id, set(missing))

    def _select(self, session: Session, organisation_id: uuid.UUID, threads: set[tuple[uuid.UUID, str]]) -> None:
        found = session.execute(select(Case).where(
            Case.organisation_id == organisation_id, Case.account_id.in_({a for a, _ in threads}),
            Case.thread_key.in_({t for _, t in threads})).order_by(Case.id).with_for_update()).scalars()
        self.cases.update({(c.account_id, c.thread_key): c for c in found})

    def touch_cases(self, session: Session) -> None:
        """After the batch's flush: move the touched cases' ``updated_at`` (and version, as any change does)."""
        if self.touched:
            table = cast(Table, Case.__table__)
            session.execute(update(table).where(table.c.id == bindparam("case_id")).values(
                updated_at=bindparam("at"), version=table.c.version + 1),
                [{"case_id": case_id, "at": at} for case_id, at in self.touched.items()])
            self.touched.clear()


def file_message(unit: Unit, account: SocialAccount, incoming: Incoming) -> Received:
    """Inside ``unit``: store one message, decide, open or update its case,
    queue the automatic actions the policy asks for, and audit it all."""
    session = unit.session
    filing = Filing.load(session, [(account.id, incoming.network_id)])
    engine = checking.engine_for(session, account.organisation_id)
    decision = checking.check(session, organisation(session, account.organisation_id), incoming.text,
                              Direction.INBOUND, AccountType(account.account_type), engine=engine)
    stored = store_message(unit, account, incoming, decision, filing)
    if isinstance(stored, Received):
        return stored
    filing.lock_cases(session, account.organisation_id, [(stored, decision)])
    received = file_stored(unit, account, stored, decision, engine.policy.pack.settings, filing)
    session.flush()
    filing.touch_cases(session)
    return received


def store_message(unit: Unit, account: SocialAccount, incoming: Incoming, decision: Decision,
                  filing: Filing) -> Message | Received:
    """The first half of filing: the message and its decision (no case yet, no lock taken).
    A message already stored answers with what it was filed as."""
    session = unit.session
    if (account.id, incoming.network_id) in filing.known:
        existing = session.execute(select(Message).where(
            Message.account_id == account.id, Message.network_id == incoming.network_id)).scalar_one()
        case_id = session.execute(select(Case.id).where(
            Case.organisation_id == account.organisation_id, Case.account_id == account.id,
            Case.thread_key == existing.thread_key)).scalar_one()
        stored = session.get(DecisionRow, existing.decision_id) if existing.decision_id else None
        return Received(existing.id, case_id, stored.action if stored else "none", duplicate=True)
    # Ids are made here, not by the database, so nothing needs flushing until commit.
    message = Message(id=uuid.uuid4(), organisation_id=account.organisation_id, account_id=account.id,
                      network_id=incoming.network_id, thread_key=incoming.thread_key, kind=incoming.kind,
                      author_handle=incoming.author_handle, author_name=incoming.author_name, text=incoming.text,
                      in_reply_to=incoming.in_reply_to, sent_at=incoming.sent_at, received_at=unit.clock(),
                      hidden=InboundAction(decision.action) in automatic_actions.HIDING)
    session.add(message)
    filing.known.add((account.id, incoming.network_id))
    row = checking.store_decision(session, account.organisation_id, "message", message.id, decision,
                                  AccountType(account.account_type))
    message.decision_id = row.id
    return message


def _urgency(decision: Decision, at: datetime) -> tuple[int, datetime | None]:
    """A message's severity and, for the urgent ones, when its case must be answered by."""
    severity = SEVERITY[InboundAction(decision.action)]
    return severity, at + SLA[severity] if severity in SLA else None


def file_stored(unit: Unit, account: SocialAccount, message: Message, decision: Decision,
                settings: PolicySettings, filing: Filing) -> Received:
    """The second half, once ``filing`` holds the thread's case locked: open or update the case, queue the
    automatic actions, and audit it all."""
    now = message.received_at
    severity, due = _urgency(decision, now)
    case = filing.cases[(account.id, message.thread_key)]
    if case.id in filing.opened:  # lock_cases inserted it as this message (its thread's first) opens it
        filing.opened.discard(case.id)
        action, before = "case.opened", None
    else:
        before = _case_state(case)
        if case.state == "closed":
            case.state, case.closed_at = "new", None
        if severity > case.severity:
            case.severity = severity
            if due is not None and (case.sla_due_at is None or due < case.sla_due_at):
                case.sla_due_at = due
        if _case_state(case) == before:
            filing.touched[case.id] = now
        else:
            case.updated_at = now
            filing.touched.pop(case.id, None)
        action = "case.updated"
    automatic = automatic_actions.apply(unit, settings, account, message, case, InboundAction(decision.action),
                                        list(decision.categories))
    unit.record("message.received", AuditObject(type="message", id=str(message.id),
                                                name=f"{message.kind} from {message.author_handle[:80]}"),
                policy_revision=decision.policy_revision, detector_versions=dict(decision.detector_versions),
                details={"decision": decision.action.value, "categories": list(decision.categories),
                         "network_id": message.network_id[:200], "case": str(case.id), "automatic": automatic})
    after = _case_state(case)
    if before != after:  # opened, reopened or raised; a message merely joining is in message.received
        unit.record(action, _case_object(case, account.handle), before=before, after=after)
    return Received(message.id, case.id, decision.action.value, duplicate=False)
