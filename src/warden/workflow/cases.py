"""Cases and what moderators do to them.

A case holds one message thread of an account (opened and updated as messages are filed, by
``workflow.filing``). Moderators act on cases with the actions offered for their role and the case's
state (``available_actions``): assign, act (hide, unhide, delete, block the author, escalate, mark
lawful), close and reopen, each one function that audits the change in the same transaction; every
verdict on a finding and every look at a hidden message is audited too. Replies to a case live in
``workflow.case_replies``; both it and filing use this module's private helpers that load a case and
describe it for the audit log.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.domain.errors import InvalidInput
from warden.storage.tables import Case, DecisionRow, FindingVerdict, Member, Message, SocialAccount
from warden.workflow import network_actions
from warden.workflow.errors import InvalidState, LockedDown, ReasonRequired
from warden.workflow.loading import get_owned, member_principal, organisation, require_version
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal, Role
from warden.workflow.unit import Clock, Unit, utcnow

__all__ = ["act", "assign", "available_actions", "close", "reopen", "verdict", "view_message"]

NETWORK_ACTIONS = frozenset({"hide", "unhide", "delete", "reply", "block_author"})
NETWORK_TASKS = {"hide": "hide", "unhide": "unhide", "delete": "delete", "block_author": "block"}
CASE_ACTIONS = ("hide", "unhide", "delete", "reply", "block_author", "escalate", "mark_lawful")
#: ``act`` takes these; a reply carries its text and goes through ``case_replies.reply``.
ACT_ACTIONS = tuple(a for a in CASE_ACTIONS if a != "reply")


def _case_object(case: Case, account: str) -> AuditObject:
    return AuditObject(type="case", id=str(case.id), name=f"{account} thread {case.thread_key[:60]}")


def _case_state(case: Case) -> dict[str, object]:
    return {"state": case.state, "severity": case.severity,
            "assignee": str(case.assignee_id) if case.assignee_id else None}


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
    """hide / unhide / delete / block_author / escalate / mark_lawful (a reply: ``case_replies.reply``).

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
