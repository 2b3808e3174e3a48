"""Replies to a case.

A reply (``reply``) is a draft answering one message of the case: checked as an outbound post of the
case's account and moved through the organisation's draft workflow (``workflow.drafts.create_reply``), so
a risky reply waits for an approver and an allowed one is published through the outbox, once, as a reply
to that message; the case records ``case.replied`` in the same transaction. It also holds where Warden
can answer at all (``reply_problem``), the live check of a reply being written, and the reads of a
case's replies and of the message a reply draft answers. Kept apart from the case's other actions
(``workflow.cases``), whose case loading and audit helpers it uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from warden.domain.decision import Decision
from warden.domain.enums import AccountType, Direction
from warden.domain.errors import InvalidInput
from warden.engine import MAX_TEXT_CHARS, validate_text
from warden.storage.tables import Approval, Case, DecisionRow, Draft, Message, SocialAccount
from warden.workflow import checking, drafts
from warden.workflow.cases import _case_object, _case_state, _load_case
from warden.workflow.errors import InvalidState, LockedDown
from warden.workflow.loading import get_owned, organisation
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit, utcnow

__all__ = ["Replied", "ReplyView", "TargetView", "check_reply", "replies", "reply", "reply_problem",
           "reply_problems", "reply_target", "reply_targets"]

#: Networks whose publishing answers a message publicly, under it (each connector's ``publish`` with
#: ``in_reply_to``; Instagram's reply is a text comment, so it needs no image).
REPLIES = frozenset({"x", "facebook", "instagram", "mastodon", "bluesky", "replay"})
#: Networks where Warden can answer a direct message privately. None yet: every connector's ``publish``
#: posts in public, so a reply to a DM through it would publish a private conversation.
DM_REPLIES: frozenset[str] = frozenset()


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
