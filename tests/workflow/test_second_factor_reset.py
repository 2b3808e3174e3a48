"""Resetting a member's second factor (they lost their authenticator app and their recovery codes): admins
only, with a recent sign-in and a reason, never for oneself, only in their own organisation. The app's
secret, the recovery codes and the last step used are cleared, every session and API token of the member
revoked, and one audit entry records it with the reason, never a secret; all in one transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from warden.audit import ActorKind
from warden.auth.errors import SessionRequired, StepUpRequired
from warden.storage.tables import ApiToken, AuditEntryRow, Member, RecoveryCode
from warden.storage.tables import Session as SessionRow
from warden.workflow import organisations
from warden.workflow.errors import Forbidden, InvalidState, NotFound, ReasonRequired
from workflow_org import Org, build_org

pytestmark = pytest.mark.db
SECRET = b"sealed-authenticator-secret-bytes"
CODE_HASH = "recovery-code-hash-0123456789abcdef"


def with_second_factor(org: Org, member_id: uuid.UUID) -> None:
    """The member has an authenticator app, recovery codes, two sessions (one revoked already) and a token."""
    now = datetime.now(UTC)
    with org.sessions.begin() as session:
        member = session.get(Member, member_id)
        assert member is not None
        member.totp_secret, member.totp_last_step = SECRET, 58_000_000
        session.add_all([RecoveryCode(organisation_id=org.id, member_id=member_id, code_hash=f"{CODE_HASH}{i}")
                         for i in range(3)])
        for revoked in (None, now - timedelta(days=1), None):
            session.add(SessionRow(id=uuid.uuid4().hex, organisation_id=org.id, member_id=member_id,
                                   expires_at=now + timedelta(hours=8), revoked_at=revoked,
                                   csrf_secret=uuid.uuid4().hex, mfa_at=now))
        session.add(ApiToken(organisation_id=org.id, member_id=member_id, name="SIEM", prefix=uuid.uuid4().hex,
                             secret_hash="token-hash", scopes=["inbox:read"]))


def state(org: Org, member_id: uuid.UUID) -> dict[str, object]:
    with org.sessions() as session:
        member = session.get(Member, member_id)
        assert member is not None
        return {
            "secret": member.totp_secret, "last_step": member.totp_last_step,
            "codes": len(session.execute(select(RecoveryCode.id).where(RecoveryCode.member_id == member_id)).all()),
            "live_sessions": len(session.execute(select(SessionRow.id).where(
                SessionRow.member_id == member_id, SessionRow.revoked_at.is_(None))).all()),
            "live_tokens": len(session.execute(select(ApiToken.id).where(
                ApiToken.member_id == member_id, ApiToken.revoked_at.is_(None))).all()),
        }


UNTOUCHED = {"secret": SECRET, "last_step": 58_000_000, "codes": 3, "live_sessions": 2, "live_tokens": 1}


def entries(org: Org) -> list[AuditEntryRow]:
    with org.sessions() as session:
        return list(session.execute(select(AuditEntryRow).where(
            AuditEntryRow.organisation_id == org.id, AuditEntryRow.action == "member.second_factor_reset")
            .order_by(AuditEntryRow.seq)).scalars())


def test_cleared_signed_out_everywhere_and_audited(org: Org) -> None:
    target = org.moderator.member_id
    assert target is not None
    with_second_factor(org, target)
    bystander = org.auditor.member_id
    assert bystander is not None
    with_second_factor(org, bystander)
    organisations.reset_second_factor(org.sessions, org.fresh(org.admin), target,
                                      reason="  Lost phone and recovery codes (ticket 4411)  ")
    assert state(org, target) == {"secret": None, "last_step": None, "codes": 0, "live_sessions": 0,
                                  "live_tokens": 0}
    assert state(org, bystander) == UNTOUCHED  # nobody else's
    [entry] = entries(org)
    body = json.loads(entry.body)
    assert entry.actor_id == str(org.admin.member_id) and entry.object_id == str(target)
    assert body["justification"] == "Lost phone and recovery codes (ticket 4411)"
    assert body["details"] == {"authenticator_app": True, "recovery_codes_removed": 3, "sessions_revoked": 2,
                               "tokens_revoked": 1}
    for secret in (SECRET.decode(), CODE_HASH, "token-hash", "58000000"):
        assert secret not in entry.body
    with pytest.raises(InvalidState, match="no second factor"):  # nothing left to reset
        organisations.reset_second_factor(org.sessions, org.fresh(org.admin), target, reason="Again")
    assert len(entries(org)) == 1


def test_recovery_codes_alone_are_reset_too(org: Org) -> None:
    target = org.publisher.member_id
    assert target is not None
    with_second_factor(org, target)
    with org.sessions.begin() as session:
        member = session.get(Member, target)
        assert member is not None
        member.totp_secret = None
    organisations.reset_second_factor(org.sessions, org.fresh(org.admin), target, reason="Codes leaked")
    assert state(org, target)["codes"] == 0
    assert json.loads(entries(org)[0].body)["details"]["authenticator_app"] is False


def test_only_admins_with_a_recent_sign_in_and_a_reason(org: Org) -> None:
    target = org.moderator.member_id
    assert target is not None
    with_second_factor(org, target)
    for principal in (org.moderator, org.auditor, org.approver, org.publisher, org.contributor):
        with pytest.raises(Forbidden):
            organisations.reset_second_factor(org.sessions, org.fresh(principal), target, reason="Lost phone")
    with pytest.raises(Forbidden):  # permission comes before the reason and freshness
        organisations.reset_second_factor(org.sessions, org.publisher, target, reason="")
    with pytest.raises(ReasonRequired):
        organisations.reset_second_factor(org.sessions, org.fresh(org.admin), target, reason="  ")
    stale = replace(org.admin, authenticated_at=datetime.now(UTC) - timedelta(minutes=6),
                    mfa_at=datetime.now(UTC) - timedelta(minutes=6))
    half_fresh = replace(org.admin, authenticated_at=datetime.now(UTC), mfa_at=datetime.now(UTC) - timedelta(minutes=6))
    for principal in (org.admin, stale, half_fresh):  # never signed in; too long ago; the second factor too old
        with pytest.raises(StepUpRequired):
            organisations.reset_second_factor(org.sessions, principal, target, reason="Lost phone")
    now = datetime.now(UTC)
    token = replace(org.admin, kind=ActorKind.API_TOKEN, token_id=uuid.uuid4(), scopes=frozenset({"members:admin"}),
                    authenticated_at=now, mfa_at=now)
    with pytest.raises(SessionRequired):
        organisations.reset_second_factor(org.sessions, token, target, reason="Automated")
    assert state(org, target) == UNTOUCHED and entries(org) == []


def test_not_for_oneself(org: Org) -> None:
    me = org.admin.member_id
    assert me is not None
    with_second_factor(org, me)
    with pytest.raises(Forbidden, match="your own"):
        organisations.reset_second_factor(org.sessions, org.fresh(org.admin), me, reason="Lost my phone")
    assert state(org, me) == UNTOUCHED and entries(org) == []


def test_another_organisations_member_is_not_found(org: Org, db_engine: Engine) -> None:
    south = build_org(db_engine, "south")
    target = south.moderator.member_id
    assert target is not None
    with_second_factor(south, target)
    with pytest.raises(NotFound):
        organisations.reset_second_factor(org.sessions, org.fresh(org.admin), target, reason="Lost phone")
    with pytest.raises(NotFound):
        organisations.reset_second_factor(org.sessions, org.fresh(org.admin), uuid.uuid4(), reason="Lost phone")
    assert state(south, target) == UNTOUCHED and entries(org) == [] and entries(south) == []


def test_a_removed_member_is_not_reset(org: Org) -> None:
    target = org.approver2.member_id
    assert target is not None
    with_second_factor(org, target)
    organisations.remove_member(org.sessions, org.fresh(org.admin), target, reason="Left")
    with pytest.raises(InvalidState, match="removed"):
        organisations.reset_second_factor(org.sessions, org.fresh(org.admin), target, reason="Lost phone")
    assert entries(org) == []
