"""Read queries behind the API. Every one is filtered on the caller's
organisation (tenant isolation), and every one asks ``workflow.permissions``
whether the caller may read it: no role logic lives here or in the routes.

Another organisation's object is indistinguishable from a missing one (404).
Reading the audit log is itself audited, in the same transaction as the read.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject, JsonValue
from warden.domain.enums import AccountType, Direction
from warden.engine import MAX_TEXT_CHARS, validate_text
from warden.storage.tables import (
    Approval,
    AuditEntryRow,
    Case,
    DecisionRow,
    Draft,
    Member,
    Membership,
    Message,
    SocialAccount,
    Team,
)
from warden.web.pagination import (
    Page,
    PageRequest,
    encode_cursor,
    key_datetime_uuid,
    key_int,
    key_int_datetime_uuid,
    key_text_uuid,
)
from warden.web.schemas import (
    AccountOut,
    ApprovalOut,
    AuditEntryOut,
    CaseOut,
    CaseSummary,
    CheckOut,
    DecisionOut,
    DraftOut,
    DraftSummary,
    MemberOut,
    MessageOut,
    OrganisationOut,
    RoleOut,
    TeamOut,
)
from warden.workflow import cases as case_flow
from warden.workflow import checking
from warden.workflow.loading import get_owned, organisation
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit

Sessions = sessionmaker[Session]


def _readable_teams(session: Session, principal: Principal, permission: Permission) -> list[uuid.UUID]:
    """The caller's organisation's teams in which ``permission`` is granted (Forbidden when none)."""
    authorize(principal, permission)
    teams = session.execute(select(Team.id).where(Team.organisation_id == principal.organisation_id)).scalars()
    return [team for team in teams if allowed(principal, permission, team)]


def _page_of(rows: Sequence[Any], page: PageRequest, key: Any) -> tuple[Sequence[Any], str | None]:
    if len(rows) > page.limit:
        return rows[: page.limit], encode_cursor(*key(rows[page.limit - 1]))
    return rows, None


# ------------------------------------------------------------------------------ organisation

def organisation_view(sessions: Sessions, principal: Principal) -> OrganisationOut:
    with sessions() as session:
        return OrganisationOut.model_validate(organisation(session, principal.organisation_id))


def list_teams(sessions: Sessions, principal: Principal, page: PageRequest) -> Page[TeamOut]:
    """Team names are visible to every member of the organisation (needed to draft and to file)."""
    query = select(Team).where(Team.organisation_id == principal.organisation_id)
    after = page.after()
    if after is not None:
        query = query.where(tuple_(Team.name, Team.id) > tuple_(*key_text_uuid(after)))
    with sessions() as session:
        rows = session.execute(query.order_by(Team.name, Team.id).limit(page.limit + 1)).scalars().all()
        shown, cursor = _page_of(rows, page, lambda t: (t.name, t.id))
        return Page[TeamOut](items=[TeamOut.model_validate(t) for t in shown], next_cursor=cursor)


def _roles_of(session: Session, member_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """Every listed member's (team, role) pairs in one query (not one per member)."""
    roles: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {m: [] for m in member_ids}
    if member_ids:
        for member_id, team_id, role in session.execute(
                select(Membership.member_id, Membership.team_id, Membership.role)
                .where(Membership.member_id.in_(member_ids)).order_by(Membership.team_id, Membership.role)):
            roles[member_id].append((team_id, role))
    return roles


def _member_out(session: Session, member: Member,
                roles: Sequence[tuple[uuid.UUID, str]] | None = None) -> MemberOut:
    if roles is None:
        roles = _roles_of(session, [member.id])[member.id]
    return MemberOut(id=member.id, email=member.email, display_name=member.display_name, status=member.status,
                     mfa_enabled=member.totp_secret is not None, single_sign_on_only=member.password_hash is None,
                     roles=[RoleOut(team_id=t, role=r) for t, r in roles], created_at=member.created_at,
                     removed_at=member.removed_at)


def list_members(sessions: Sessions, principal: Principal, page: PageRequest, status: str | None) -> Page[MemberOut]:
    authorize(principal, Permission.MEMBER_ADMIN)
    query = select(Member).where(Member.organisation_id == principal.organisation_id)
    if status is not None:
        query = query.where(Member.status == status)
    after = page.after()
    if after is not None:
        query = query.where(tuple_(Member.email, Member.id) > tuple_(*key_text_uuid(after)))
    with sessions() as session:
        rows = session.execute(query.order_by(Member.email, Member.id).limit(page.limit + 1)).scalars().all()
        shown, cursor = _page_of(rows, page, lambda m: (m.email, m.id))
        roles = _roles_of(session, [m.id for m in shown])
        return Page[MemberOut](items=[_member_out(session, m, roles[m.id]) for m in shown], next_cursor=cursor)


def get_member(sessions: Sessions, principal: Principal, member_id: uuid.UUID) -> MemberOut:
    authorize(principal, Permission.MEMBER_ADMIN)
    with sessions() as session:
        return _member_out(session, get_owned(session, Member, member_id, principal.organisation_id))


# ---------------------------------------------------------------------------------- accounts

def _account_out(account: SocialAccount) -> AccountOut:
    return AccountOut(id=account.id, team_id=account.team_id, network=account.network, handle=account.handle,
                      display_name=account.display_name, account_type=account.account_type, health=account.health,
                      health_detail=account.health_detail, has_credentials=account.credentials is not None,
                      created_at=account.created_at)


def list_accounts(sessions: Sessions, principal: Principal, page: PageRequest, team_id: uuid.UUID | None,
                  network: str | None) -> Page[AccountOut]:
    with sessions() as session:
        teams = _readable_teams(session, principal, Permission.ACCOUNT_READ)
        if team_id is not None:
            authorize(principal, Permission.ACCOUNT_READ, team_id)
            teams = [t for t in teams if t == team_id]
        query = select(SocialAccount).where(SocialAccount.organisation_id == principal.organisation_id,
                                            SocialAccount.team_id.in_(teams))
        if network is not None:
            query = query.where(SocialAccount.network == network)
        after = page.after()
        if after is not None:
            query = query.where(tuple_(SocialAccount.handle, SocialAccount.id) > tuple_(*key_text_uuid(after)))
        rows = session.execute(query.order_by(SocialAccount.handle, SocialAccount.id).limit(page.limit + 1)
                               ).scalars().all()
        shown, cursor = _page_of(rows, page, lambda a: (a.handle, a.id))
        return Page[AccountOut](items=[_account_out(a) for a in shown], next_cursor=cursor)


def get_account(sessions: Sessions, principal: Principal, account_id: uuid.UUID) -> AccountOut:
    with sessions() as session:
        account = get_owned(session, SocialAccount, account_id, principal.organisation_id)
        authorize(principal, Permission.ACCOUNT_READ, account.team_id)
        return _account_out(account)


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


# ------------------------------------------------------------------------------------- check

def check_text(sessions: Sessions, principal: Principal, text: str, direction: Direction,
               account_type: AccountType) -> CheckOut:
    """The risk engine on a text, with the organisation's pack and registers; nothing is stored."""
    authorize(principal, Permission.DRAFT_WRITE if direction is Direction.OUTBOUND else Permission.CASE_WORK)
    validate_text(text, MAX_TEXT_CHARS)
    with sessions() as session:
        decision = checking.check(session, organisation(session, principal.organisation_id), text, direction,
                                  account_type)
    return CheckOut.model_validate(decision.to_dict())


def team_view(sessions: Sessions, principal: Principal, team_id: uuid.UUID) -> TeamOut:
    with sessions() as session:
        return TeamOut.model_validate(get_owned(session, Team, team_id, principal.organisation_id))
