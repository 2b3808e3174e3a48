"""A small organisation on a real database for workflow tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from warden.auth.passwords import Argon2Parameters, PasswordHasher
from warden.storage.database import session_factory
from warden.storage.tables import SocialAccount
from warden.workflow import organisations
from warden.workflow.loading import member_principal
from warden.workflow.principal import Principal

# Cheap hashing: these tests are about workflow, not password cost.
HASHER = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1, allow_below_minimum=True))
PASSWORD = "Quartz-Lantern-Meadow-9172"


@dataclass
class Org:
    sessions: sessionmaker[Session]
    id: uuid.UUID
    team: uuid.UUID
    corporate: uuid.UUID
    personal: uuid.UUID
    admin: Principal
    contributor: Principal
    publisher: Principal
    approver: Principal
    approver2: Principal
    moderator: Principal
    auditor: Principal

    def fresh(self, principal: Principal) -> Principal:
        """The principal just after signing in (for step-up checks)."""
        now = datetime.now(UTC)
        return replace(principal, authenticated_at=now, mfa_at=now)


def build_org(engine: Engine, slug: str) -> Org:
    sessions = session_factory(engine)
    org_id, admin_id = organisations.create_organisation(
        sessions, name=f"{slug.title()} Police", slug=slug, admin_email=f"admin@{slug}.example.com",
        admin_name="Ada Admin", admin_password=PASSWORD, hasher=HASHER)
    with sessions() as session:
        admin = member_principal(session, admin_id)
    team = organisations.create_team(sessions, admin, "Corporate comms")

    def member(name: str, *roles: str) -> Principal:
        signed_in = replace(admin, authenticated_at=datetime.now(UTC))  # adding a member is a step-up action
        member_id = organisations.add_member(sessions, signed_in, email=f"{name}@{slug}.example.com",
                                             display_name=name.title(), password=None, roles={team: roles},
                                             hasher=HASHER)
        with sessions() as session:
            return member_principal(session, member_id)

    with sessions.begin() as session:
        corporate = SocialAccount(organisation_id=org_id, team_id=team, network="replay", handle=f"{slug}_police",
                                  account_type="corporate")
        personal = SocialAccount(organisation_id=org_id, team_id=team, network="replay", handle=f"{slug}_pc_jones",
                                 account_type="personal_officer")
        session.add_all([corporate, personal])
        session.flush()
        corporate_id, personal_id = corporate.id, personal.id
    return Org(sessions, org_id, team, corporate_id, personal_id, admin,
               contributor=member("carol", "contributor"), publisher=member("pat", "publisher"),
               approver=member("alex", "approver", "contributor"), approver2=member("abby", "approver"),
               moderator=member("mo", "moderator"), auditor=member("aud", "auditor"))


