"""Read queries on the work compliance reviews: drafts (outbound, with their stored decision and approvals)
and cases (inbound, with their messages in order and what the viewer may do now). Filtered on the
caller's organisation and authorised by ``workflow.permissions`` like every read in ``web.queries``, whose
shared helpers they use. A hidden message's text and the words its decision quotes are withheld from a
case; ``message_view`` gives them for a message ``workflow.cases.view_message`` revealed (and audited).
Kept apart from the organisation reads (``web.queries``) and the audit log (``web.queries_audit``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from warden.storage.tables import Approval, Case, DecisionRow, Draft, Message, SocialAccount
from warden.web.pagination import Page, PageRequest, key_datetime_uuid, key_int_datetime_uuid
from warden.web.queries import Sessions, _page_of, _readable_teams
from warden.web.schemas import (
    ApprovalOut,
    CaseOut,
    CaseSummary,
    DecisionOut,
    DraftOut,
    DraftSummary,
    MessageOut,
)
from warden.workflow import cases as case_flow
from warden.workflow.loading import get_owned, organisation
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal

__all__ = ["case_after_action", "draft_after_action", "get_case", "get_draft", "list_cases", "list_drafts",
           "message_view"]

# ------------------------------------------------------------------------------------ drafts

def _decision_actions(session: Session, drafts: Sequence[Draft]) -> dict[uuid.UUID, str]:
    ids = [d.decision_id for d in drafts if d.decision_id is not None]
    if not ids:
        return {}
    rows = session.execute(select(DecisionRow.id, DecisionRow.action).where(DecisionRow.id.in_(ids))).all()
    return {ident: action for ident, action in rows}


def _summary_fields(draft: Draft, decision_action: str | None) -> dict[str, Any]:
    return dict(id=draft.id, team_id=draft.team_id, author_id=draft.author_id,
                account_ids=[uuid.UUID(a) for a in draft.account_ids], text=draft.text, state=draft.state,
                version=draft.version, decision_action=decision_action, acknowledged_at=draft.acknowledged_at,
                scheduled_for=draft.scheduled_for, created_at=draft.created_at, updated_at=draft.updated_at)


def list_drafts(sessions: Sessions, principal: Principal, page: PageRequest, state: str | None,
                team_id: uuid.UUID | None, author_id: uuid.UUID | None) -> Page[DraftSummary]:
    with sessions() as session:
        teams = _readable_teams(session, principal, Permission.DRAFT_READ)
        if team_id is not None:
            authorize(principal, Permission.DRAFT_READ, team_id)
            teams = [t for t in teams if t == team_id]
        query: Select[Any] = select(Draft).where(Draft.organisation_id == principal.organisation_id,
                                                          Draft.team_id.in_(teams))
        if state is not None:
            query = query.where(Draft.state == state)
        if author_id is not None:
            query = query.where(Draft.author_id == author_id)
        after = page.after()
        if after is not None:
            query = query.where(tuple_(Draft.created_at, Draft.id) < tuple_(*key_datetime_uuid(after)))
        rows = session.execute(query.order_by(Draft.created_at.desc(), Draft.id.desc()).limit(page.limit + 1)
                               ).scalars().all()
        shown, cursor = _page_of(rows, page, lambda d: (d.created_at, d.id))
        actions = _decision_actions(session, shown)
        items = [DraftSummary(**_summary_fields(d, actions.get(d.decision_id) if d.decision_id else None))
                 for d in shown]
        return Page[DraftSummary](items=items, next_cursor=cursor)


def _draft_out(session: Session, draft: Draft) -> DraftOut:
    decision = session.get(DecisionRow, draft.decision_id) if draft.decision_id else None
    approvals = session.execute(select(Approval).where(Approval.draft_id == draft.id)
                                .order_by(Approval.created_at, Approval.id)).scalars().all()
    return DraftOut(**_summary_fields(draft, decision.action if decision else None),
                    decision=DecisionOut.model_validate(decision) if decision else None,
                    approvals=[ApprovalOut.model_validate(a) for a in approvals])


def get_draft(sessions: Sessions, principal: Principal, draft_id: uuid.UUID) -> DraftOut:
    """The draft with its stored decision and reasons (the "why" is a read, never a re-run)."""
    with sessions() as session:
        draft = get_owned(session, Draft, draft_id, principal.organisation_id)
        authorize(principal, Permission.DRAFT_READ, draft.team_id)
        return _draft_out(session, draft)


def draft_after_action(sessions: Sessions, principal: Principal, draft_id: uuid.UUID) -> DraftOut:
    """The draft as an action just left it; the action itself authorised the caller on this draft."""
    with sessions() as session:
        return _draft_out(session, get_owned(session, Draft, draft_id, principal.organisation_id))


# ------------------------------------------------------------------------------------- cases

def _case_fields(case: Case, team_id: uuid.UUID) -> dict[str, Any]:
    return dict(id=case.id, account_id=case.account_id, team_id=team_id, thread_key=case.thread_key,
                state=case.state, severity=case.severity, assignee_id=case.assignee_id, sla_due_at=case.sla_due_at,
                version=case.version, opened_at=case.opened_at, updated_at=case.updated_at, closed_at=case.closed_at)


def list_cases(sessions: Sessions, principal: Principal, page: PageRequest, account_id: uuid.UUID | None,
               state: str | None, severity_min: int | None, assignee_id: uuid.UUID | None) -> Page[CaseSummary]:
    """Most urgent first (severity, then newest); only cases on accounts of teams the caller may read."""
    with sessions() as session:
        teams = _readable_teams(session, principal, Permission.CASE_READ)
        query = (select(Case, SocialAccount.team_id)
                 .join(SocialAccount, SocialAccount.id == Case.account_id)
                 .where(Case.organisation_id == principal.organisation_id,
                        SocialAccount.organisation_id == principal.organisation_id,
                        SocialAccount.team_id.in_(teams)))
        if account_id is not None:
            query = query.where(Case.account_id == account_id)
        if state is not None:
            query = query.where(Case.state == state)
        if severity_min is not None:
            query = query.where(Case.severity >= severity_min)
        if assignee_id is not None:
            query = query.where(Case.assignee_id == assignee_id)
        after = page.after()
        if after is not None:
            query = query.where(tuple_(Case.severity, Case.opened_at, Case.id)
                                < tuple_(*key_int_datetime_uuid(after)))
        rows = session.execute(query.order_by(Case.severity.desc(), Case.opened_at.desc(), Case.id.desc())
                               .limit(page.limit + 1)).all()
        shown, cursor = _page_of(rows, page, lambda r: (r[0].severity, r[0].opened_at, r[0].id))
        return Page[CaseSummary](items=[CaseSummary(**_case_fields(c, t)) for c, t in shown], next_cursor=cursor)


def _decisions(session: Session, ids: Sequence[uuid.UUID | None]) -> dict[uuid.UUID, DecisionRow]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {d.id: d for d in session.execute(select(DecisionRow).where(DecisionRow.id.in_(wanted))).scalars()}


def _without_words(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding of a withheld message: where and what kind, never the matched words."""
    return {k: v for k, v in finding.items() if k not in ("text", "explanation")}


def _withheld_decision(decision: DecisionRow) -> DecisionOut:
    """A hidden message's decision without the evidence, which quotes the message."""
    out = DecisionOut.model_validate(decision)
    return out.model_copy(update={
        "findings": [_without_words(f) for f in out.findings],
        "reasons": [{**r, "evidence": [_without_words(e) for e in r.get("evidence", [])]} for r in out.reasons]})


def _message_out(message: Message, decision: DecisionRow | None, reveal: bool) -> MessageOut:
    withheld = message.hidden and not reveal
    shown = None if decision is None else _withheld_decision(decision) if withheld else \
        DecisionOut.model_validate(decision)
    return MessageOut(id=message.id, account_id=message.account_id, network_id=message.network_id,
                      thread_key=message.thread_key, kind=message.kind, author_handle=message.author_handle,
                      author_name=message.author_name, text=None if withheld else message.text,
                      text_withheld=withheld, in_reply_to=message.in_reply_to, sent_at=message.sent_at,
                      received_at=message.received_at, hidden=message.hidden,
                      decision=shown)


def _case_out(session: Session, principal: Principal, case: Case) -> CaseOut:
    account = get_owned(session, SocialAccount, case.account_id, principal.organisation_id)
    messages = session.execute(select(Message).where(
        Message.organisation_id == principal.organisation_id, Message.account_id == case.account_id,
        Message.thread_key == case.thread_key).order_by(Message.sent_at, Message.received_at, Message.id)
    ).scalars().all()
    decisions = _decisions(session, [m.decision_id for m in messages])
    locked = organisation(session, principal.organisation_id).locked_down
    return CaseOut(**_case_fields(case, account.team_id),
                   messages=[_message_out(m, decisions.get(m.decision_id) if m.decision_id else None, reveal=False)
                             for m in messages],
                   available_actions=case_flow.available_actions(principal, case, account.team_id, locked))


def get_case(sessions: Sessions, principal: Principal, case_id: uuid.UUID) -> CaseOut:
    """The case, its messages in order (a hidden message's text withheld: GET /messages/{id} reveals it, audited),
    each with its stored decision, and what this viewer may do now."""
    with sessions() as session:
        case = get_owned(session, Case, case_id, principal.organisation_id)
        account = get_owned(session, SocialAccount, case.account_id, principal.organisation_id)
        authorize(principal, Permission.CASE_READ, account.team_id)
        return _case_out(session, principal, case)


def case_after_action(sessions: Sessions, principal: Principal, case_id: uuid.UUID) -> CaseOut:
    """The case as an action just left it; the action itself authorised the caller on this case."""
    with sessions() as session:
        return _case_out(session, principal, get_owned(session, Case, case_id, principal.organisation_id))


def message_view(sessions: Sessions, principal: Principal, message: Message) -> MessageOut:
    """A message ``workflow.cases.view_message`` returned (authorised, and audited if hidden), text included."""
    with sessions() as session:
        decision = None
        if message.decision_id is not None:
            decision = session.execute(select(DecisionRow).where(
                DecisionRow.id == message.decision_id,
                DecisionRow.organisation_id == principal.organisation_id)).scalar_one_or_none()
        return _message_out(message, decision, reveal=True)
