"""Read queries the console needs beyond ``web.queries``: names for ids, accounts,
registers, the policy's own words (the queues are in ``queues``, the numbers in ``stats``).

Like ``web.queries``, every query is filtered on the caller's organisation and
asks ``workflow.permissions`` which teams the caller may read; no role logic
lives here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from warden.storage.tables import (
    Member,
    Membership,
    RegisterEntry,
    SocialAccount,
    Team,
)
from warden.storage.work_tables import AccountSync
from warden.workflow import checking
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal, Role

Sessions = sessionmaker[Session]
#: Open inbound decisions, by the severity ``workflow.filing`` files them under.
SEVERITY_LABELS: Mapping[int, str] = {0: "None", 1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}


def teams_with(session: Session, principal: Principal, permission: Permission) -> list[uuid.UUID]:
    """The caller's organisation's teams in which ``permission`` is granted (Forbidden when none)."""
    authorize(principal, permission)
    teams = session.execute(select(Team.id).where(Team.organisation_id == principal.organisation_id)).scalars()
    return [team for team in teams if allowed(principal, permission, team)]


# --------------------------------------------------------------------------------- policy

def standards(sessions: Sessions, organisation_id: uuid.UUID) -> Mapping[str, str]:
    """The Standards of Professional Behaviour (and statutes) by code, from the organisation's active pack."""
    with sessions() as session:
        return dict(checking.engine_for(session, organisation_id).policy.pack.standards)


def inbound_categories(sessions: Sessions, organisation_id: uuid.UUID) -> list[tuple[str, str]]:
    """(category, title) of the pack's inbound rules, for the inbox filter."""
    with sessions() as session:
        rules = checking.engine_for(session, organisation_id).policy.pack.rules
    chosen: dict[str, str] = {}
    for rule in rules:
        if rule.direction.value == "inbound":
            chosen.setdefault(rule.category or rule.id, rule.title)
    return sorted(chosen.items(), key=lambda item: item[1].lower())


# ------------------------------------------------------------------------------- names

def member_names(sessions: Sessions, principal: Principal, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    with sessions() as session:
        rows = session.execute(select(Member.id, Member.display_name).where(
            Member.organisation_id == principal.organisation_id, Member.id.in_(wanted))).all()
    return {ident: name for ident, name in rows}


def account_handles(sessions: Sessions, principal: Principal,
                    ids: Iterable[uuid.UUID | str]) -> dict[uuid.UUID, str]:
    wanted = {uuid.UUID(str(i)) for i in ids}
    if not wanted:
        return {}
    with sessions() as session:
        rows = session.execute(select(SocialAccount.id, SocialAccount.handle, SocialAccount.network).where(
            SocialAccount.organisation_id == principal.organisation_id, SocialAccount.id.in_(wanted))).all()
    return {ident: f"{handle} ({network})" for ident, handle, network in rows}


@dataclass(frozen=True)
class AccountChoice:
    id: uuid.UUID
    team_id: uuid.UUID
    team_name: str
    handle: str
    network: str
    display_name: str
    account_type: str


def writable_accounts(sessions: Sessions, principal: Principal) -> list[AccountChoice]:
    """Accounts the caller may draft for (DRAFT_WRITE in the account's team)."""
    with sessions() as session:
        teams = teams_with(session, principal, Permission.DRAFT_WRITE)
        rows = session.execute(select(SocialAccount, Team.name).join(Team, Team.id == SocialAccount.team_id).where(
            SocialAccount.organisation_id == principal.organisation_id, SocialAccount.team_id.in_(teams))
            .order_by(Team.name, SocialAccount.handle)).all()
        return [AccountChoice(a.id, a.team_id, name, a.handle, a.network, a.display_name, a.account_type)
                for a, name in rows]


def team_names(sessions: Sessions, principal: Principal) -> dict[uuid.UUID, str]:
    """Every team of the caller's organisation by id (team names are visible to every member)."""
    with sessions() as session:
        rows = session.execute(select(Team.id, Team.name).where(
            Team.organisation_id == principal.organisation_id)).all()
    return {ident: name for ident, name in rows}


@dataclass(frozen=True)
class SyncState:
    last_fetch_at: datetime | None
    next_fetch_at: datetime | None
    last_error: str
    failures: int


def account_sync(sessions: Sessions, principal: Principal, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, SyncState]:
    """Where fetching stands for each account (the caller already read the accounts themselves)."""
    if not ids:
        return {}
    with sessions() as session:
        rows = session.execute(select(AccountSync).where(AccountSync.organisation_id == principal.organisation_id,
                                                         AccountSync.account_id.in_(ids))).scalars().all()
        return {r.account_id: SyncState(r.last_fetch_at, r.next_fetch_at, r.last_error, r.failures) for r in rows}


def organisation_members(sessions: Sessions, principal: Principal) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of every member, removed ones too, for the audit search (auditors and administrators)."""
    authorize(principal, Permission.AUDIT_READ)
    with sessions() as session:
        rows = session.execute(select(Member.id, Member.display_name).where(
            Member.organisation_id == principal.organisation_id).order_by(Member.display_name)).all()
    return [(ident, name) for ident, name in rows]


@dataclass(frozen=True)
class RegisterView:
    id: uuid.UUID
    kind: str
    value: str
    added_by: str
    added_at: datetime


def register_entries(sessions: Sessions, principal: Principal) -> list[RegisterView]:
    """The organisation's live register entries (sensitive: administrators of the policy only)."""
    authorize(principal, Permission.POLICY_ADMIN)
    with sessions() as session:
        rows = session.execute(select(RegisterEntry, Member.display_name)
                               .outerjoin(Member, Member.id == RegisterEntry.created_by)
                               .where(RegisterEntry.organisation_id == principal.organisation_id,
                                      RegisterEntry.removed_at.is_(None))
                               .order_by(RegisterEntry.kind, RegisterEntry.value)).all()
        return [RegisterView(e.id, e.kind, e.value, name or "", e.created_at) for e, name in rows]


def readable_accounts(sessions: Sessions, principal: Principal) -> list[tuple[uuid.UUID, str]]:
    """(id, label) of the accounts whose cases the caller may read."""
    with sessions() as session:
        teams = teams_with(session, principal, Permission.CASE_READ)
        rows = session.execute(select(SocialAccount.id, SocialAccount.handle, SocialAccount.network).where(
            SocialAccount.organisation_id == principal.organisation_id, SocialAccount.team_id.in_(teams))
            .order_by(SocialAccount.handle)).all()
    return [(ident, f"{handle} ({network})") for ident, handle, network in rows]


def moderators(sessions: Sessions, principal: Principal,
               team_id: uuid.UUID | None = None) -> list[tuple[uuid.UUID, str]]:
    """Active moderators (of one team, or of the teams whose cases the caller may read): who cases go to."""
    with sessions() as session:
        teams = [team_id] if team_id is not None else teams_with(session, principal, Permission.CASE_READ)
        rows = session.execute(select(Member.id, Member.display_name).join(
            Membership, Membership.member_id == Member.id).where(
            Member.organisation_id == principal.organisation_id, Member.status == "active",
            Membership.role == Role.MODERATOR.value, Membership.team_id.in_(teams))
            .distinct().order_by(Member.display_name)).all()
    return [(ident, name) for ident, name in rows]
