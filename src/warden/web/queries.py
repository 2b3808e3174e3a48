"""Read queries behind the API: the organisation, its teams, members and accounts, and the risk check on
a text. Every one is filtered on the caller's organisation (tenant isolation), and every one asks
``workflow.permissions`` whether the caller may read it: no role logic lives here or in the routes. Another
organisation's object is indistinguishable from a missing one (404). Also holds what the other read
modules share: ``Sessions``, the teams a permission is granted in (``_readable_teams``) and cutting a page
(``_page_of``). Drafts and cases are read in ``web.queries_review``, the audit log in ``web.queries_audit``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from warden.domain.enums import AccountType, Direction
from warden.engine import MAX_TEXT_CHARS, validate_text
from warden.storage.tables import Member, Membership, SocialAccount, Team
from warden.web.pagination import Page, PageRequest, encode_cursor, key_text_uuid
from warden.web.schemas import AccountOut, CheckOut, MemberOut, OrganisationOut, RoleOut, TeamOut
from warden.workflow import checking
from warden.workflow.loading import get_owned, organisation
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal

__all__ = ["Sessions", "check_text", "get_account", "get_member", "list_accounts", "list_members", "list_teams",
           "organisation_view", "team_view"]

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
