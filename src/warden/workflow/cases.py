"""Inbound messages and the cases that hold them.

One case per message thread, opened or updated idempotently: receiving the
same network message twice changes nothing. Moderators act on cases with the
actions offered for their role and the case's state; every action, every
verdict on a finding and every look at a hidden message is audited.

A reply (``reply``) is a draft answering one message of the case: checked as
an outbound post of the case's account and moved through the organisation's
draft workflow (``workflow.drafts.create_reply``), so a risky reply waits for
an approver and an allowed one is published through the outbox, once, as a
reply to that message.
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
from warden.domain.errors import InvalidInput
from warden.domain.messages import Incoming
from warden.engine import MAX_TEXT_CHARS, validate_text
from warden.policy.schema import Settings as PolicySettings
from warden.storage.database import insert_ignoring_conflicts
from warden.storage.tables import Approval, Case, DecisionRow, Draft, FindingVerdict, Member, Message, SocialAccount
from warden.workflow import automatic_actions, checking, drafts, network_actions
from warden.workflow.errors import InvalidState, LockedDown, ReasonRequired
from warden.workflow.loading import get_owned, member_principal, organisation, require_version
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal, Role
from warden.workflow.unit import Clock, Unit, utcnow

__all__ = ["Incoming", "Received", "Replied", "ReplyView", "TargetView", "act", "assign", "available_actions",
           "check_reply", "close", "receive", "reopen", "replies", "reply", "reply_problem", "reply_problems",
           "reply_target", "reply_targets", "verdict", "view_message"]

SEVERITY = {InboundAction.NONE: 0, InboundAction.REDIRECT: 1, InboundAction.REVIEW: 1, InboundAction.HIDE: 2,
            InboundAction.HIDE_AND_ESCALATE: 3, InboundAction.ESCALATE_URGENT: 4}
SLA = {4: timedelta(minutes=15), 3: timedelta(hours=1), 2: timedelta(hours=4), 1: timedelta(hours=24)}
NETWORK_ACTIONS = frozenset({"hide", "unhide", "delete", "reply", "block_author"})
NETWORK_TASKS = {"hide": "hide", "unhide": "unhide", "delete": "delete", "block_author": "block"}
CASE_ACTIONS = ("hide", "unhide", "delete", "reply", "block_author", "escalate", "mark_lawful")
#: ``act`` takes these; a reply carries its text and goes through ``reply``.
ACT_ACTIONS = tuple(a for a in CASE_ACTIONS if a != "reply")
#: Networks whose publishing answers a message publicly, under it (each connector's ``publish`` with
#: ``in_reply_to``; Instagram's reply is a text comment, so it needs no image).
REPLIES = frozenset({"x", "facebook", "instagram", "mastodon", "bluesky", "replay"})
#: Networks where Warden can answer a direct message privately. None yet: every connector's ``publish``
#: posts in public, so a reply to a DM through it would publish a private conversation.
DM_REPLIES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Received:
    message_id: uuid.UUID
    case_id: uuid.UUID
    decision: str
    duplicate: bool


def _case_object(case: Case, account: str) -> AuditObject:
    return AuditObject(type="case", id=str(case.id), name=f"{account} thread {case.thread_key[:60]}")


def _case_state(case: Case) -> dict[str, object]:
    return {"state": case.state, "severity": case.severity,
            "assignee": str(case.assignee_id) if case.assignee_id else None}


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


def available_actions(principal: Principal, case: Case, team_id: uuid.UUID, locked_down: bool) -> list[str]:
    """What this viewer may do to this case now (the console shows exactly these)."""
    if not allowed(principal, Permission.CASE_WORK, team_id) or case.organisation_id != principal.organisation_id:
        return []
    if case.state == "closed":
        return ["reopen"]
    offered = ["assign", *CASE_ACTIONS, "close"]
    if locked_down:
        offered = [a for a in offered if a not in NETWORK_ACTIONS]
    return offered


def _load_case(unit: Unit, case_id: uuid.UUID, expected_version: int | None) -> tuple[Case, SocialAccount]:
    case = get_owned(unit.session, Case, case_id, unit.principal.organisation_id, lock=True)
    account = get_owned(unit.session, SocialAccount, case.account_id, unit.principal.organisation_id)
    authorize(unit.principal, Permission.CASE_WORK, account.team_id)  # before the version: no hint to outsiders
    require_version(case.version, expected_version, "case")
    return case, account


def assign(sessions: sessionmaker[Session], principal: Principal, case_id: uuid.UUID, assignee_id: uuid.UUID,
           expected_version: int, clock: Clock = utcnow) -> None:
    with Unit(sessions, principal, clock) as unit:
        case, account = _load_case(unit, case_id, expected_version)
        if case.state == "closed":
            raise InvalidState("the case is closed")
        assignee = get_owned(unit.session, Member, assignee_id, principal.organisation_id)
        if not member_principal(unit.session, assignee.id).has_role(Role.MODERATOR, account.team_id):
            raise InvalidInput("cases are assigned to moderators of the account's team")
        before = _case_state(case)
        case.assignee_id, case.state, case.updated_at = assignee.id, "assigned", clock()
        unit.session.flush()
        unit.record("case.assigned", _case_object(case, account.handle), before=before, after=_case_state(case),
                    details={"assignee": assignee.display_name})


def act(sessions: sessionmaker[Session], principal: Principal, case_id: uuid.UUID, action: str,
        expected_version: int, reason: str = "", message_id: uuid.UUID | None = None,
        clock: Clock = utcnow) -> None:
    """hide / unhide / delete / block_author / escalate / mark_lawful (a reply: ``reply``).

    Network actions are queued here (``network_actions``) and carried out by
    the network-task worker after commit; unhiding (an appeal) needs a reason.
    """
    if action == "reply":
        raise InvalidInput("a reply needs its text, checked before it goes out: write it in the case's reply "
                           "form (POST /api/v1/cases/{id}/replies)")
    if action not in ACT_ACTIONS:
        raise InvalidInput(f"unknown action {action!r}; one of {', '.join(ACT_ACTIONS)}")
    if action in ("unhide", "delete", "block_author", "mark_lawful") and not reason.strip():
        raise ReasonRequired(f"say why ({action.replace('_', ' ')})")
    with Unit(sessions, principal, clock) as unit:
        case, account = _load_case(unit, case_id, expected_version)
        if case.state == "closed":
            raise InvalidState("the case is closed")
        if action in NETWORK_ACTIONS and organisation(unit.session, principal.organisation_id).locked_down:
            raise LockedDown("the organisation is locked down: network actions are suspended")
        target: Message | None = None
        if message_id is not None:
            target = get_owned(unit.session, Message, message_id, principal.organisation_id)
            if target.account_id != case.account_id or target.thread_key != case.thread_key:
                raise InvalidInput("that message is not in this case")
            if action in ("hide", "unhide"):
                target.hidden = action == "hide"
        elif action in ("hide", "unhide", "delete", "block_author"):
            raise InvalidInput(f"{action} needs the message it applies to")
        if target is not None and action in NETWORK_TASKS:
            network_actions.queue(unit, account, NETWORK_TASKS[action],
                                  target.author_handle if action == "block_author" else target.network_id,
                                  reason=reason, case_id=case.id)
        before = _case_state(case)
        case.state, case.updated_at = "actioned", clock()
        unit.session.flush()
        unit.record(f"case.{action}", _case_object(case, account.handle), justification=reason or None,
                    before=before, after=_case_state(case),
                    details={"message": str(target.id) if target else None})


def close(sessions: sessionmaker[Session], principal: Principal, case_id: uuid.UUID, expected_version: int,
          reason: str = "", clock: Clock = utcnow) -> None:
    with Unit(sessions, principal, clock) as unit:
        case, account = _load_case(unit, case_id, expected_version)
        if case.state == "closed":
            raise InvalidState("the case is already closed")
        before = _case_state(case)
        case.state, case.closed_at, case.updated_at = "closed", clock(), clock()
        unit.session.flush()
        unit.record("case.closed", _case_object(case, account.handle), justification=reason or None,
                    before=before, after=_case_state(case))


def reopen(sessions: sessionmaker[Session], principal: Principal, case_id: uuid.UUID, expected_version: int,
           reason: str, clock: Clock = utcnow) -> None:
    if not reason.strip():
        raise ReasonRequired("say why the case is reopened")
    with Unit(sessions, principal, clock) as unit:
        case, account = _load_case(unit, case_id, expected_version)
        if case.state != "closed":
            raise InvalidState("only a closed case can be reopened")
        before = _case_state(case)
        case.state, case.closed_at, case.updated_at = "new", None, clock()
        unit.session.flush()
        unit.record("case.reopened", _case_object(case, account.handle), justification=reason, before=before,
                    after=_case_state(case))


def verdict(sessions: sessionmaker[Session], principal: Principal, message_id: uuid.UUID, finding_index: int,
            agree: bool, clock: Clock = utcnow) -> None:
    """A moderator's agree/disagree on one finding: stored to measure detector precision."""
    with Unit(sessions, principal, clock) as unit:
        message = get_owned(unit.session, Message, message_id, principal.organisation_id)
        account = get_owned(unit.session, SocialAccount, message.account_id, principal.organisation_id)
        authorize(principal, Permission.CASE_WORK, account.team_id)
        decision = unit.session.get(DecisionRow, message.decision_id) if message.decision_id else None
        if decision is None or not 0 <= finding_index < len(decision.findings):
            raise InvalidInput("no such finding on this message")
        assert principal.member_id is not None
        existing = unit.session.execute(select(FindingVerdict).where(
            FindingVerdict.decision_id == decision.id, FindingVerdict.finding_index == finding_index,
            FindingVerdict.reviewer_id == principal.member_id)).scalar_one_or_none()
        if existing is None:
            unit.session.add(FindingVerdict(organisation_id=principal.organisation_id, decision_id=decision.id,
                                            finding_index=finding_index, reviewer_id=principal.member_id,
                                            agree=agree, created_at=clock()))
        else:
            existing.agree = agree
        finding = decision.findings[finding_index]
        unit.record("finding.verdict", AuditObject(type="message", id=str(message.id),
                                                   name=f"finding {finding_index} ({finding.get('category')})"),
                    details={"agree": agree, "category": str(finding.get("category"))})


def view_message(sessions: sessionmaker[Session], principal: Principal, message_id: uuid.UUID,
                 clock: Clock = utcnow) -> Message:
    """Read one message; reading a hidden one is a consultation and is audited."""
    with Unit(sessions, principal, clock) as unit:
        message = get_owned(unit.session, Message, message_id, principal.organisation_id)
        account = get_owned(unit.session, SocialAccount, message.account_id, principal.organisation_id)
        authorize(principal, Permission.CASE_READ, account.team_id)
        if message.hidden:
            unit.record("message.viewed_hidden", AuditObject(type="message", id=str(message.id),
                                                             name=f"{message.kind} from {message.author_handle[:80]}"))
        unit.session.expunge(message)
        return message



# ------------------------------------------------------------------------------------- replies

def reply_problem(network: str, kind: str, handle: str = "") -> str | None:
    """Why Warden cannot answer this kind of message on this network, in words for the moderator; None
    when it can."""
    where = f"{handle} (a {network} account)" if handle else f"a {network} account"
    if network not in REPLIES:
        return f"Warden cannot publish replies from {where}: answer in the network's own app"
    if kind == "dm" and network not in DM_REPLIES:
        return (f"Warden cannot answer a direct message from {where}: {network} replies are published in "
                f"public, so answer it privately in the network's own app")
    return None


def reply_problems(sessions: sessionmaker[Session], principal: Principal,
                   case_id: uuid.UUID) -> dict[uuid.UUID, str | None]:
    """For each message of the case: why Warden cannot answer it (``reply_problem``), or None."""
    with sessions() as session:
        case = get_owned(session, Case, case_id, principal.organisation_id)
        account = get_owned(session, SocialAccount, case.account_id, principal.organisation_id)
        authorize(principal, Permission.CASE_READ, account.team_id)
        kinds = session.execute(select(Message.id, Message.kind).where(
            Message.organisation_id == principal.organisation_id, Message.account_id == case.account_id,
            Message.thread_key == case.thread_key)).all()
        return {ident: reply_problem(account.network, kind, account.handle) for ident, kind in kinds}


def _case_message(unit: Unit, case: Case, message_id: uuid.UUID) -> Message:
    message = get_owned(unit.session, Message, message_id, unit.principal.organisation_id)
    if message.account_id != case.account_id or message.thread_key != case.thread_key:
        raise InvalidInput("that message is not in this case")
    return message


@dataclass(frozen=True)
class Replied:
    draft_id: uuid.UUID
    state: str  # the reply draft's: scheduled, warned, held or blocked
    decision: Decision


def reply(sessions: sessionmaker[Session], principal: Principal, case_id: uuid.UUID, message_id: uuid.UUID,
          text: str, expected_version: int, *, acknowledge_warnings: bool = False,
          clock: Clock = utcnow) -> Replied:
    """Reply to one message of the case, in one transaction: the reply is a draft of the case's account
    (``drafts.create_reply``: checked as an outbound post, held or blocked for an approver when risky,
    scheduled at once through the outbox when allowed, or warned and acknowledged), and the case records
    ``case.replied`` with the draft's id and moves to actioned. Refused while the organisation is locked
    down, on a closed case, and where the network cannot answer that message (``reply_problem``)."""
    if not text.strip():
        raise InvalidInput("write the reply")
    validate_text(text, MAX_TEXT_CHARS)
    with Unit(sessions, principal, clock) as unit:
        case, account = _load_case(unit, case_id, expected_version)
        if case.state == "closed":
            raise InvalidState("the case is closed: reopen it to reply")
        if organisation(unit.session, principal.organisation_id).locked_down:
            raise LockedDown("the organisation is locked down: replies are suspended")
        target = _case_message(unit, case, message_id)
        problem = reply_problem(account.network, target.kind, account.handle)
        if problem is not None:
            raise InvalidState(problem)
        draft, decision = drafts.create_reply(unit, account, target, text, acknowledge_warnings=acknowledge_warnings)
        before = _case_state(case)
        case.state, case.updated_at = "actioned", clock()
        unit.session.flush()
        unit.record("case.replied", _case_object(case, account.handle), before=before, after=_case_state(case),
                    policy_revision=decision.policy_revision,
                    details={"message": str(target.id), "draft": str(draft.id), "draft_state": draft.state,
                             "decision": decision.action.value, "categories": list(decision.categories)})
        return Replied(draft.id, draft.state, decision)


def check_reply(sessions: sessionmaker[Session], principal: Principal, case_id: uuid.UUID, text: str) -> Decision:
    """The live check of a reply being written: the case's account's rules for an outbound post. Nothing
    is stored; the reply is checked again when it is sent."""
    validate_text(text, MAX_TEXT_CHARS)
    with sessions() as session:
        case = get_owned(session, Case, case_id, principal.organisation_id)
        account = get_owned(session, SocialAccount, case.account_id, principal.organisation_id)
        authorize(principal, Permission.CASE_WORK, account.team_id)
        return checking.check(session, organisation(session, principal.organisation_id), text, Direction.OUTBOUND,
                              AccountType(account.account_type))


# ------------------------------------------------------------------------------- reply reads

@dataclass(frozen=True)
class ReplyView:
    """One reply of a case as its moderators see it."""

    draft_id: uuid.UUID
    message_id: uuid.UUID
    in_reply_to: str
    author_id: uuid.UUID
    text: str
    state: str
    version: int
    decision_action: str | None
    reasons: list[dict[str, object]]
    review_reason: str  # the approver's words on a rejection or a request for changes
    scheduled_for: datetime | None
    created_at: datetime


def replies(sessions: sessionmaker[Session], principal: Principal, case_id: uuid.UUID) -> list[ReplyView]:
    """The case's replies, oldest first, with where each stands."""
    with sessions() as session:
        case = get_owned(session, Case, case_id, principal.organisation_id)
        account = get_owned(session, SocialAccount, case.account_id, principal.organisation_id)
        authorize(principal, Permission.CASE_READ, account.team_id)
        rows = session.execute(
            select(Draft, DecisionRow).join(Message, Message.id == Draft.reply_to_message_id)
            .outerjoin(DecisionRow, DecisionRow.id == Draft.decision_id)
            .where(Draft.organisation_id == principal.organisation_id, Message.account_id == case.account_id,
                   Message.thread_key == case.thread_key)
            .order_by(Draft.created_at, Draft.id)).all()
        reviews: dict[uuid.UUID, str] = {}
        if rows:
            for draft_id, reason in session.execute(
                    select(Approval.draft_id, Approval.reason).where(
                        Approval.draft_id.in_([d.id for d, _ in rows]),
                        Approval.verdict.in_(("rejected", "changes_requested"))).order_by(Approval.created_at)):
                reviews[draft_id] = reason
        return [ReplyView(draft_id=d.id, message_id=cast(uuid.UUID, d.reply_to_message_id),
                          in_reply_to=d.in_reply_to or "", author_id=d.author_id, text=d.text, state=d.state,
                          version=d.version, decision_action=r.action if r else None,
                          reasons=list(r.reasons) if r else [], review_reason=reviews.get(d.id, ""),
                          scheduled_for=d.scheduled_for, created_at=d.created_at) for d, r in rows]


@dataclass(frozen=True)
class TargetView:
    """The message a reply answers, for its reviewers: a hidden message's text is withheld (revealing it
    is a moderator's audited look, from the case)."""

    draft_id: uuid.UUID
    case_id: uuid.UUID | None
    message_id: uuid.UUID
    account_handle: str
    kind: str
    author_handle: str
    author_name: str
    sent_at: datetime
    hidden: bool
    text: str | None
    decision_action: str | None
    reasons: list[dict[str, object]]
    case_readable: bool  # whether the viewer may open the case


def reply_targets(sessions: sessionmaker[Session], principal: Principal,
                  draft_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, TargetView]:
    """For those of ``draft_ids`` that are replies the caller may read (as a draft or as a case), the
    message each answers."""
    if not draft_ids:
        return {}
    with sessions() as session:
        rows = session.execute(
            select(Draft.id, Draft.team_id, Message, SocialAccount.handle, DecisionRow, Case.id)
            .join(Message, Message.id == Draft.reply_to_message_id)
            .join(SocialAccount, SocialAccount.id == Message.account_id)
            .outerjoin(DecisionRow, DecisionRow.id == Message.decision_id)
            .outerjoin(Case, (Case.organisation_id == Message.organisation_id)
                       & (Case.account_id == Message.account_id) & (Case.thread_key == Message.thread_key))
            .where(Draft.organisation_id == principal.organisation_id, Draft.id.in_(list(draft_ids)))).all()
        found = {}
        for draft_id, team_id, message, handle, decision, found_case in rows:
            case_readable = allowed(principal, Permission.CASE_READ, team_id)
            if not (case_readable or allowed(principal, Permission.DRAFT_READ, team_id)):
                continue
            found[draft_id] = TargetView(
                draft_id=draft_id, case_id=found_case, message_id=message.id, account_handle=handle,
                kind=message.kind, author_handle=message.author_handle, author_name=message.author_name,
                sent_at=message.sent_at, hidden=message.hidden, text=None if message.hidden else message.text,
                decision_action=decision.action if decision else None,
                reasons=list(decision.reasons) if decision else [], case_readable=case_readable)
        return found


def reply_target(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID) -> TargetView | None:
    """The message one draft answers; None for an ordinary draft (or one the caller may not read)."""
    return reply_targets(sessions, principal, [draft_id]).get(draft_id)
