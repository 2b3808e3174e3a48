"""Requiring a second factor of every member: admins only, with a recent sign-in, the admin's own session
signed in with a second factor to switch it on, a reason to switch it off; the change and its audit entry
in one transaction; setting what is set already changes and records nothing."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from warden.audit import ActorKind
from warden.auth.errors import SessionRequired, StepUpRequired
from warden.storage.tables import AuditEntryRow, Member, Organisation
from warden.workflow import organisations
from warden.workflow.errors import Forbidden, InvalidState, ReasonRequired
from warden.workflow.principal import Principal
from workflow_org import Org

pytestmark = pytest.mark.db


def required(org: Org) -> bool:
    with org.sessions() as session:
        return bool(session.execute(select(Organisation.mfa_required).where(Organisation.id == org.id)).scalar_one())


def entries(org: Org) -> list[AuditEntryRow]:
    with org.sessions() as session:
        return list(session.execute(select(AuditEntryRow).where(AuditEntryRow.organisation_id == org.id,
                                                                AuditEntryRow.action.like("organisation.mfa%"))
                                    .order_by(AuditEntryRow.seq)).scalars())


def password_only(principal: Principal) -> Principal:
    """Signed in just now, with the password alone."""
    return replace(principal, authenticated_at=datetime.now(UTC), mfa_at=None)


def test_switched_on_and_off_with_audit_entries(org: Org) -> None:
    assert required(org) is False
    assert organisations.set_mfa_required(org.sessions, org.fresh(org.admin), required=True,
                                          reason="Force policy from 1 May") is True
    assert required(org) is True
    assert organisations.set_mfa_required(org.sessions, org.fresh(org.admin), required=True) is False
    with pytest.raises(ReasonRequired):
        organisations.set_mfa_required(org.sessions, org.fresh(org.admin), required=False, reason="  ")
    assert required(org) is True
    assert organisations.set_mfa_required(org.sessions, org.fresh(org.admin), required=False,
                                          reason="Authenticator outage") is True
    assert required(org) is False
    on, off = entries(org)  # the no-op recorded nothing
    body_on, body_off = json.loads(on.body), json.loads(off.body)
    assert on.action == "organisation.mfa_required" and body_on["justification"] == "Force policy from 1 May"
    assert off.action == "organisation.mfa_no_longer_required" and body_off["justification"] == "Authenticator outage"
    assert on.actor_id == str(org.admin.member_id)
    # Nobody in the little organisation has an authenticator app.
    with org.sessions() as session:
        members = len(session.execute(select(Member.id).where(Member.organisation_id == org.id)).all())
    assert body_on["details"] == {"members_without_authenticator_app": members}


def test_the_admin_must_have_signed_in_with_a_second_factor_to_require_one(org: Org) -> None:
    with pytest.raises(InvalidState, match="your own authenticator app"):
        organisations.set_mfa_required(org.sessions, password_only(org.admin), required=True)
    assert required(org) is False and entries(org) == []
    # Switching it off is possible without one (when it is on, such a session could not get this far anyway).
    organisations.set_mfa_required(org.sessions, org.fresh(org.admin), required=True)
    organisations.set_mfa_required(org.sessions, password_only(org.admin), required=False, reason="Rolled back")
    assert required(org) is False


def test_only_admins_with_a_recent_sign_in(org: Org) -> None:
    for principal in (org.moderator, org.auditor, org.approver):
        with pytest.raises(Forbidden):
            organisations.set_mfa_required(org.sessions, org.fresh(principal), required=True)
    stale = replace(org.admin, authenticated_at=datetime.now(UTC) - timedelta(minutes=6),
                    mfa_at=datetime.now(UTC) - timedelta(minutes=6))
    for principal in (org.admin, stale):  # never signed in; signed in too long ago
        with pytest.raises(StepUpRequired):
            organisations.set_mfa_required(org.sessions, principal, required=True)
    now = datetime.now(UTC)
    token = replace(org.admin, kind=ActorKind.API_TOKEN, token_id=uuid.uuid4(), scopes=frozenset({"members:admin"}),
                    authenticated_at=now, mfa_at=now)
    with pytest.raises(SessionRequired):
        organisations.set_mfa_required(org.sessions, token, required=True)
    assert required(org) is False and entries(org) == []


def test_permission_and_reason_come_before_freshness(org: Org) -> None:
    with pytest.raises(Forbidden):
        organisations.set_mfa_required(org.sessions, org.publisher, required=False, reason="")
    with pytest.raises(ReasonRequired):
        organisations.set_mfa_required(org.sessions, org.admin, required=False, reason="")
