"""The states of an outbound draft and the steps every draft action shares.

A draft goes draft -> checked -> {allowed, warned, held, blocked} -> approved / rejected -> scheduled and
ends in one of ``TERMINAL``; its author changes it only while it is ``EDITABLE``. Each action in
``workflow.drafts``, ``workflow.draft_images`` and ``workflow.draft_review`` is one transaction built from
these steps: load the draft, locked, at the version its caller saw, refusing a stale one (``_load``;
``_authored`` for a change of its content by its author), move it to a new state and audit it, before and
after (``_move``), and run the risk check on the post with what its images say (alt text, file name) and
move the draft to what the decision requires (``_after_check``; an allowed reply is scheduled at once,
``_send_reply``). Kept in a module of their own so that those three share them without importing one
another.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from warden.audit import AuditObject
from warden.domain.decision import Decision
from warden.domain.enums import AccountType, Direction, OutboundAction, action_rank
from warden.storage.tables import Draft, Organisation, SocialAccount
from warden.workflow import checking, draft_media, outbox
from warden.workflow.errors import Forbidden, InvalidState
from warden.workflow.loading import get_owned, organisation, require_version
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal, Role
from warden.workflow.unit import Unit

__all__ = ["EDITABLE", "TERMINAL"]

TERMINAL = frozenset({"rejected", "withdrawn", "published", "publish_failed"})
EDITABLE = frozenset({"draft", "allowed", "warned", "held", "blocked", "approved", "changes_requested"})


def _object(draft: Draft) -> AuditObject:
    preview = draft.text if len(draft.text) <= 60 else draft.text[:57] + "..."
    return AuditObject(type="draft", id=str(draft.id), name=preview)


def _state(draft: Draft) -> dict[str, object]:
    return {"state": draft.state, "text": draft.text, "version": draft.version,
            "scheduled_for": draft.scheduled_for.isoformat() if draft.scheduled_for else None}


def _load(unit: Unit, draft_id: uuid.UUID, expected_version: int | None) -> Draft:
    draft = get_owned(unit.session, Draft, draft_id, unit.principal.organisation_id, lock=True)
    require_version(draft.version, expected_version, "draft")
    if draft.state in TERMINAL:
        raise InvalidState(f"the draft is {draft.state}")
    return draft


def _move(unit: Unit, draft: Draft, state: str, action: str, justification: str | None = None,
          **changes: object) -> None:
    """Change the draft's state (and any other fields) and audit it, before and after."""
    before = _state(draft)
    for name, value in changes.items():
        setattr(draft, name, value)
    draft.state, draft.updated_at = state, unit.clock()
    unit.session.flush()
    unit.record(action, _object(draft), justification=justification, before=before, after=_state(draft))


def _require_state(draft: Draft, *states: str) -> None:
    if draft.state not in states:
        raise InvalidState(f"the draft is {draft.state}; this needs it to be {' or '.join(states)}")


def _check(unit: Unit, org: Organisation, draft: Draft) -> tuple[Decision, AccountType]:
    """The strictest decision across the draft's account types."""
    accounts = unit.session.execute(
        select(SocialAccount.account_type).where(SocialAccount.id.in_([uuid.UUID(a) for a in draft.account_ids]))
    ).scalars().all()
    text, _ = draft_media.check_text(draft.text, draft_media.rows(unit.session, draft.organisation_id, draft.id))
    worst: tuple[Decision, AccountType] | None = None
    for account_type in sorted({AccountType(a) for a in accounts}):
        decision = checking.check(unit.session, org, text, Direction.OUTBOUND, account_type)
        if worst is None or action_rank(decision.action) > action_rank(worst[0].action):
            worst = (decision, account_type)
    assert worst is not None
    return worst


def _publishes(principal: Principal, draft: Draft) -> bool:
    """Whether the author's allowed drafts go out without approval: publishers', and moderators' replies
    from their cases (answering the public is their work; a risky reply is still held or blocked)."""
    if principal.has_role(Role.PUBLISHER, draft.team_id):
        return True
    return draft.reply_to_message_id is not None and allowed(principal, Permission.CASE_WORK, draft.team_id)


def _write_permission(draft: Draft) -> Permission:
    """A reply is written by those who work the case; any other draft by its team's writers."""
    return Permission.CASE_WORK if draft.reply_to_message_id is not None else Permission.DRAFT_WRITE


def _after_check(unit: Unit, org: Organisation, draft: Draft, action_name: str) -> Decision:
    decision, account_type = _check(unit, org, draft)
    row = checking.store_decision(unit.session, org.id, "draft", draft.id, decision, account_type)
    before = _state(draft)
    publisher = _publishes(unit.principal, draft)
    draft.decision_id, draft.acknowledged_at, draft.updated_at = row.id, None, unit.clock()
    draft.state = {
        OutboundAction.BLOCK: "blocked",
        OutboundAction.HOLD: "held",
        OutboundAction.WARN: "warned",
        OutboundAction.ALLOW: "allowed" if publisher else "held",
    }[OutboundAction(decision.action)]
    unit.session.flush()
    unit.record(action_name, _object(draft), before=before, after=_state(draft),
                policy_revision=decision.policy_revision, detector_versions=dict(decision.detector_versions),
                details={"decision": decision.action.value, "categories": list(decision.categories),
                         "decision_id": str(row.id)})
    if draft.state == "allowed":
        _send_reply(unit, draft)
    return decision


def _authored(unit: Unit, draft_id: uuid.UUID, expected_version: int) -> Draft:
    """The draft, for a change of its content by its author."""
    draft = _load(unit, draft_id, expected_version)
    authorize(unit.principal, _write_permission(draft), draft.team_id)
    if draft.author_id != unit.principal.member_id:
        raise Forbidden("only the author edits a draft")
    _require_state(draft, *sorted(EDITABLE))
    return draft


def _send_reply(unit: Unit, draft: Draft) -> bool:
    """A reply that may go out (allowed, or approved) is scheduled at once: a case's answer is not
    held for a time. During a lockdown it stays as it is; once the lockdown is lifted a publisher or
    an approver schedules it as any draft. Ordinary drafts are left to their authors to schedule."""
    if draft.reply_to_message_id is None or draft.state not in ("allowed", "approved"):
        return False
    if organisation(unit.session, draft.organisation_id).locked_down:
        return False
    account = get_owned(unit.session, SocialAccount, uuid.UUID(str(draft.account_ids[0])), draft.organisation_id)
    settings = checking.engine_for(unit.session, draft.organisation_id).policy.pack.settings
    now = unit.clock()
    outbox.enqueue_draft(unit, draft, [account], now, timedelta(minutes=settings.late_publish_minutes))
    _move(unit, draft, "scheduled", "draft.scheduled", scheduled_for=now)
    return True
