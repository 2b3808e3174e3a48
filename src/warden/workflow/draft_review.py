"""The approver's side of a draft.

An approver approves a held draft (``approve``), rejects a draft with a reason its author learns from
(``reject``) or sends it back with what should change (``request_changes``); a block is overridden
(``override_block``) only by an approver with a written reason and a sign-in or step-up within
``STEP_UP_AGE``. An author never approves or rejects their own draft, and a stale version is refused.
Each verdict is stored as an ``Approval`` of the draft's version and audited with the draft's move in the
same transaction; an approved reply to a case is scheduled at once. Kept apart from the author's side
(``workflow.drafts``); the loading and moving steps both use are in ``workflow.draft_states``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from warden.auth.errors import StepUpRequired
from warden.auth.stepup import AuthTimes, require_recent_auth
from warden.storage.tables import Approval, Draft
from warden.workflow.draft_states import _load, _move, _require_state, _send_reply
from warden.workflow.errors import Forbidden, ReasonRequired
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit, utcnow

__all__ = ["approve", "override_block", "reject", "request_changes"]

STEP_UP_AGE = timedelta(minutes=5)


def _review(unit: Unit, draft_id: uuid.UUID, expected_version: int, permission: Permission) -> Draft:
    draft = _load(unit, draft_id, expected_version)
    authorize(unit.principal, permission, draft.team_id)
    if draft.author_id == unit.principal.member_id:
        raise Forbidden("an author never approves or rejects their own draft")
    return draft


def _approval(unit: Unit, draft: Draft, verdict: str, reason: str) -> None:
    assert unit.principal.member_id is not None
    unit.session.add(Approval(organisation_id=draft.organisation_id, draft_id=draft.id, draft_version=draft.version,
                              approver_id=unit.principal.member_id, verdict=verdict, reason=reason,
                              created_at=unit.clock()))


def approve(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID, expected_version: int,
            clock: Clock = utcnow) -> None:
    with Unit(sessions, principal, clock) as unit:
        draft = _review(unit, draft_id, expected_version, Permission.DRAFT_APPROVE)
        _require_state(draft, "held")
        _approval(unit, draft, "approved", "")
        _move(unit, draft, "approved", "draft.approved")
        _send_reply(unit, draft)


def reject(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID, expected_version: int,
           reason: str, clock: Clock = utcnow) -> None:
    if not reason.strip():
        raise ReasonRequired("say why the draft is rejected; the author learns from it")
    with Unit(sessions, principal, clock) as unit:
        draft = _review(unit, draft_id, expected_version, Permission.DRAFT_APPROVE)
        _require_state(draft, "held", "blocked", "warned", "allowed")
        _approval(unit, draft, "rejected", reason)
        _move(unit, draft, "rejected", "draft.rejected", justification=reason)


def request_changes(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID,
                    expected_version: int, reason: str, clock: Clock = utcnow) -> None:
    if not reason.strip():
        raise ReasonRequired("say what should change")
    with Unit(sessions, principal, clock) as unit:
        draft = _review(unit, draft_id, expected_version, Permission.DRAFT_APPROVE)
        _require_state(draft, "held", "blocked")
        _approval(unit, draft, "changes_requested", reason)
        _move(unit, draft, "changes_requested", "draft.changes_requested", justification=reason)


def override_block(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID,
                   expected_version: int, reason: str, clock: Clock = utcnow) -> None:
    """Only an approver who is not the author, with a written reason and a
    sign-in (or step-up) within the last five minutes."""
    if len(reason.strip()) < 10:
        raise ReasonRequired("overriding a block needs a written reason (at least 10 characters)")
    if principal.authenticated_at is None:
        raise StepUpRequired("confirm your password (and second factor) to override a block", mfa=False)
    require_recent_auth(AuthTimes(principal.authenticated_at, principal.mfa_at), clock(), STEP_UP_AGE,
                        require_mfa=principal.mfa_at is not None)
    with Unit(sessions, principal, clock) as unit:
        draft = _review(unit, draft_id, expected_version, Permission.DRAFT_OVERRIDE)
        _require_state(draft, "blocked")
        _approval(unit, draft, "override", reason)
        _move(unit, draft, "approved", "draft.block_overridden", justification=reason)
        _send_reply(unit, draft)
