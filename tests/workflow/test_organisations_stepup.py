"""Sensitive organisation actions need a recent sign-in, in the workflow itself (not only the API)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from warden.audit import ActorKind
from warden.auth.errors import SessionRequired, StepUpRequired
from warden.storage.tables import Member, Organisation
from warden.workflow import organisations
from warden.workflow.errors import Forbidden
from warden.workflow.principal import Principal
from workflow_org import HASHER, Org

pytestmark = pytest.mark.db


def stale(org: Org) -> Principal:
    return replace(org.admin, authenticated_at=datetime.now(UTC) - timedelta(minutes=6))


def test_lockdown_needs_a_recent_sign_in(org: Org) -> None:
    for principal in (org.admin, stale(org)):  # never signed in; signed in too long ago
        with pytest.raises(StepUpRequired):
            organisations.set_lockdown(org.sessions, principal, locked=True, reason="Compromise")
    organisations.set_lockdown(org.sessions, org.fresh(org.admin), locked=True, reason="Compromise")
    with pytest.raises(StepUpRequired):
        organisations.set_lockdown(org.sessions, org.admin, locked=False, reason="All clear")
    organisations.set_lockdown(org.sessions, org.fresh(org.admin), locked=False, reason="All clear")
    with org.sessions() as session:
        assert session.get(Organisation, org.id).locked_down is False  # type: ignore[union-attr]


def test_roles_and_removal_need_a_recent_sign_in(org: Org) -> None:
    target = org.contributor.member_id
    assert target is not None
    with pytest.raises(StepUpRequired):
        organisations.set_roles(org.sessions, org.admin, target, {org.team: ["admin"]})
    with pytest.raises(StepUpRequired):
        organisations.remove_member(org.sessions, stale(org), target, reason="Left")
    with org.sessions() as session:
        assert session.get(Member, target).status == "active"  # type: ignore[union-attr]
    organisations.set_roles(org.sessions, org.fresh(org.admin), target, {org.team: ["auditor"]})
    organisations.remove_member(org.sessions, org.fresh(org.admin), target, reason="Left")
    with org.sessions() as session:
        assert session.execute(select(Member.status).where(Member.id == target)).scalar_one() == "removed"


def test_adding_a_member_needs_a_recent_sign_in(org: Org) -> None:
    """A new member can be made an admin, so adding one is as sensitive as changing roles."""
    def add(principal: Principal, email: str) -> uuid.UUID:
        return organisations.add_member(org.sessions, principal, email=email, display_name="New", password=None,
                                        roles={org.team: ["admin"]}, hasher=HASHER)
    for principal in (org.admin, stale(org)):
        with pytest.raises(StepUpRequired):
            add(principal, "intruder@north.example.com")
    with pytest.raises(SessionRequired):  # an API token cannot step up
        add(replace(org.fresh(org.admin), token_id=uuid.uuid4()), "intruder@north.example.com")
    with org.sessions() as session:
        assert session.execute(select(Member).where(Member.email == "intruder@north.example.com")).first() is None
    added = add(org.fresh(org.admin), "new.admin@north.example.com")
    with org.sessions() as session:
        assert session.get(Member, added) is not None


def test_the_second_factor_of_the_session_must_be_fresh(org: Org) -> None:
    now = datetime.now(UTC)
    half_fresh = replace(org.admin, authenticated_at=now, mfa_at=now - timedelta(minutes=6))
    with pytest.raises(StepUpRequired) as info:
        organisations.set_lockdown(org.sessions, half_fresh, locked=True, reason="Compromise")
    assert info.value.mfa is True


def test_tokens_and_the_system_cannot_step_up(org: Org) -> None:
    now = datetime.now(UTC)
    token = replace(org.admin, kind=ActorKind.API_TOKEN, token_id=uuid.uuid4(), scopes=frozenset({"members:admin"}),
                    authenticated_at=now, mfa_at=now)
    with pytest.raises(SessionRequired):
        organisations.set_lockdown(org.sessions, token, locked=True, reason="Automated")
    system = replace(org.admin, kind=ActorKind.SYSTEM, member_id=None, authenticated_at=now)
    with pytest.raises(SessionRequired):
        organisations.set_lockdown(org.sessions, system, locked=True, reason="Automated")


def test_permission_comes_before_freshness(org: Org) -> None:
    with pytest.raises(Forbidden):
        organisations.set_lockdown(org.sessions, org.publisher, locked=True, reason="Compromise")
