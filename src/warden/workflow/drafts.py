"""The outbound workflow: draft -> checked -> {allowed, warned, held, blocked}
-> approved / rejected -> scheduled. Every function is one transaction that
changes the draft and writes its audit entry together.

An author never approves their own draft; a block is overridden only by an
approver with a written reason and fresh re-authentication; an edit (of the
text or of the images) sends the draft back through the check; a stale
version is refused. The risk check reads the post with what its images say
(alt text, file name). ``available_actions`` says what a viewer is offered
on a draft now, for the API and the console alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import flag_modified

from warden.audit import AuditObject, JsonValue
from warden.auth.errors import StepUpRequired
from warden.auth.stepup import AuthTimes, require_recent_auth
from warden.domain.decision import Decision
from warden.domain.enums import AccountType, Direction, OutboundAction, action_rank
from warden.domain.errors import InvalidInput
from warden.engine import MAX_TEXT_CHARS, validate_text
from warden.storage.tables import Approval, Draft, DraftMedia, Message, Organisation, SocialAccount
from warden.workflow import checking, media, outbox
from warden.workflow.errors import Forbidden, InvalidState, LockedDown, NotFound, ReasonRequired
from warden.workflow.loading import get_owned, organisation, require_version
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal, Role
from warden.workflow.unit import Clock, Unit, utcnow

TERMINAL = frozenset({"rejected", "withdrawn", "published", "publish_failed"})
EDITABLE = frozenset({"draft", "allowed", "warned", "held", "blocked", "approved", "changes_requested"})
STEP_UP_AGE = timedelta(minutes=5)


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


def _accounts(session: Session, organisation_id: uuid.UUID, team_id: uuid.UUID,
              account_ids: Sequence[uuid.UUID]) -> list[SocialAccount]:
    if not account_ids:
        raise InvalidInput("choose at least one account")
    accounts = [get_owned(session, SocialAccount, a, organisation_id) for a in dict.fromkeys(account_ids)]
    for account in accounts:
        if account.team_id != team_id:
            raise Forbidden(f"account {account.handle} belongs to another team")
    return accounts


def _check(unit: Unit, org: Organisation, draft: Draft) -> tuple[Decision, AccountType]:
    """The strictest decision across the draft's account types."""
    accounts = unit.session.execute(
        select(SocialAccount.account_type).where(SocialAccount.id.in_([uuid.UUID(a) for a in draft.account_ids]))
    ).scalars().all()
    text, _ = media.check_text(draft.text, media.rows(unit.session, draft.organisation_id, draft.id))
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


def create_draft(sessions: sessionmaker[Session], principal: Principal, *, team_id: uuid.UUID,
                 account_ids: Sequence[uuid.UUID], text: str,
                 images: Sequence[media.Upload | media.Cleaned] = (), clock: Clock = utcnow) -> uuid.UUID:
    """A new draft, not yet checked (``submit_draft`` does that), with its images if it has any (uploads
    are cleaned here; images already cleaned by ``media.clean`` are taken as they are)."""
    authorize(principal, Permission.DRAFT_WRITE, team_id)
    validate_text(text, MAX_TEXT_CHARS)
    assert principal.member_id is not None
    if len(images) > media.MAX_PER_DRAFT:
        raise InvalidInput(f"a draft takes at most {media.MAX_PER_DRAFT} images")
    # before the transaction: decoding takes time
    cleaned = [i if isinstance(i, media.Cleaned) else media.clean(i) for i in images]
    with Unit(sessions, principal, clock) as unit:
        accounts = _accounts(unit.session, principal.organisation_id, team_id, account_ids)
        draft = Draft(organisation_id=principal.organisation_id, team_id=team_id, author_id=principal.member_id,
                      account_ids=[str(a.id) for a in accounts], text=text, state="draft", created_at=clock(),
                      updated_at=clock())
        unit.session.add(draft)
        unit.session.flush()
        unit.record("draft.created", _object(draft), after=_state(draft))
        for position, image in enumerate(cleaned, start=1):
            row = _add_image(unit, draft, image, position)
            unit.record("draft.media_attached", _object(draft), after={**_state(draft), "media": _hashes(
                unit.session, draft)}, details={"image": _image_details(row)})
        return draft.id


def submit_draft(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID,
                 expected_version: int | None = None, clock: Clock = utcnow) -> Decision:
    """Run the risk check and move the draft to what its decision requires."""
    with Unit(sessions, principal, clock) as unit:
        draft = _load(unit, draft_id, expected_version)
        authorize(principal, _write_permission(draft), draft.team_id)
        if draft.author_id != principal.member_id:
            raise Forbidden("only the author submits a draft")
        _require_state(draft, "draft", "changes_requested")
        return _after_check(unit, organisation(unit.session, principal.organisation_id), draft, "draft.submitted")


def _authored(unit: Unit, draft_id: uuid.UUID, expected_version: int) -> Draft:
    """The draft, for a change of its content by its author."""
    draft = _load(unit, draft_id, expected_version)
    authorize(unit.principal, _write_permission(draft), draft.team_id)
    if draft.author_id != unit.principal.member_id:
        raise Forbidden("only the author edits a draft")
    _require_state(draft, *sorted(EDITABLE))
    return draft


def edit_draft(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID, text: str,
               expected_version: int, clock: Clock = utcnow) -> Decision:
    """New text goes back through the check, even after approval."""
    validate_text(text, MAX_TEXT_CHARS)
    with Unit(sessions, principal, clock) as unit:
        draft = _authored(unit, draft_id, expected_version)
        unit.record("draft.edited", _object(draft), before=_state(draft),
                    after={**_state(draft), "text": text})
        draft.text = text
        return _after_check(unit, organisation(unit.session, principal.organisation_id), draft, "draft.rechecked")


# ----------------------------------------------------------------------------- images

def _hashes(session: Session, draft: Draft) -> list[str]:
    return [row.sha256 for row in media.rows(session, draft.organisation_id, draft.id)]


def _image_details(row: DraftMedia) -> dict[str, JsonValue]:
    return {"id": str(row.id), "position": row.position, "filename": row.filename,
            "content_type": row.content_type, "byte_size": row.byte_size, "width": row.width,
            "height": row.height, "sha256": row.sha256, "alt_text": row.alt_text}


def _add_image(unit: Unit, draft: Draft, image: media.Cleaned, position: int) -> DraftMedia:
    assert unit.principal.member_id is not None
    row = DraftMedia(organisation_id=draft.organisation_id, draft_id=draft.id, position=position,
                     filename=image.filename, content_type=image.content_type, byte_size=len(image.data),
                     width=image.width, height=image.height, sha256=image.sha256, alt_text=image.alt_text,
                     data=image.data, added_by=unit.principal.member_id, created_at=unit.clock())
    unit.session.add(row)
    unit.session.flush()
    return row


def _images_changed(unit: Unit, draft: Draft, action: str, row: DraftMedia, before: dict[str, object]) -> None:
    """Audit the change, then send the draft back through the check as a text edit does (approvals start
    again). A draft not yet submitted is checked when it is; its version moves on all the same."""
    unit.record(action, _object(draft), before=before,
                after={**_state(draft), "media": _hashes(unit.session, draft)}, details={"image": _image_details(row)})
    if draft.state == "draft":
        draft.updated_at = unit.clock()
        flag_modified(draft, "updated_at")
        unit.session.flush()
        return
    _after_check(unit, organisation(unit.session, unit.principal.organisation_id), draft, "draft.rechecked")


def attach_media(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID, image: media.Upload,
                 expected_version: int, clock: Clock = utcnow) -> uuid.UUID:
    """Add a cleaned image (see ``workflow.media``) to the author's draft; returns the image's id."""
    cleaned = media.clean(image)  # before the transaction: decoding takes time
    with Unit(sessions, principal, clock) as unit:
        draft = _authored(unit, draft_id, expected_version)
        present = media.rows(unit.session, draft.organisation_id, draft.id)
        if len(present) >= media.MAX_PER_DRAFT:
            raise InvalidInput(f"a draft takes at most {media.MAX_PER_DRAFT} images; remove one first")
        before = {**_state(draft), "media": [r.sha256 for r in present]}
        row = _add_image(unit, draft, cleaned, len(present) + 1)
        _images_changed(unit, draft, "draft.media_attached", row, before)
        return row.id


def remove_media(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID, media_id: uuid.UUID,
                 expected_version: int, clock: Clock = utcnow) -> None:
    with Unit(sessions, principal, clock) as unit:
        draft = _authored(unit, draft_id, expected_version)
        present = media.rows(unit.session, draft.organisation_id, draft.id)
        row = next((r for r in present if r.id == media_id), None)
        if row is None:
            raise NotFound("no such image on this draft")
        before = {**_state(draft), "media": [r.sha256 for r in present]}
        unit.session.delete(row)
        for position, other in enumerate((r for r in present if r.id != media_id), start=1):
            other.position = position
        unit.session.flush()
        _images_changed(unit, draft, "draft.media_removed", row, before)


def acknowledge_warning(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID,
                        expected_version: int, clock: Clock = utcnow) -> None:
    with Unit(sessions, principal, clock) as unit:
        draft = _load(unit, draft_id, expected_version)
        if draft.author_id != principal.member_id:
            raise Forbidden("only the author acknowledges a warning on their draft")
        _require_state(draft, "warned")
        _acknowledged(unit, draft)


def _acknowledged(unit: Unit, draft: Draft) -> None:
    state = "allowed" if _publishes(unit.principal, draft) else "held"
    _move(unit, draft, state, "draft.warning_acknowledged", acknowledged_at=unit.clock())
    if state == "allowed":
        _send_reply(unit, draft)


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


def schedule(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID, expected_version: int,
             when: datetime, clock: Clock = utcnow) -> None:
    """Allowed drafts of a publisher, and approved drafts, can be scheduled."""
    with Unit(sessions, principal, clock) as unit:
        draft = _load(unit, draft_id, expected_version)
        authorize(principal, Permission.DRAFT_SCHEDULE, draft.team_id)
        if organisation(unit.session, principal.organisation_id).locked_down:
            raise LockedDown("the organisation is locked down: publishing is suspended")
        _require_state(draft, "allowed", "approved")
        if draft.state == "allowed" and draft.author_id != principal.member_id and not principal.has_role(
                Role.APPROVER, draft.team_id):
            raise Forbidden("an allowed draft is scheduled by its author or an approver")
        accounts = _accounts(unit.session, principal.organisation_id, draft.team_id,
                             [uuid.UUID(str(a)) for a in draft.account_ids])
        with_media = bool(media.rows(unit.session, draft.organisation_id, draft.id))
        problems = [p for a in accounts if (p := media.publishing_problem(a.network, a.handle, with_media))]
        if problems:  # refused now, while the author can still change it, not when it is due
            raise InvalidState("; ".join(problems))
        settings = checking.engine_for(unit.session, principal.organisation_id).policy.pack.settings
        outbox.enqueue_draft(unit, draft, accounts, when, timedelta(minutes=settings.late_publish_minutes))
        _move(unit, draft, "scheduled", "draft.scheduled", scheduled_for=when)


def withdraw(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID, expected_version: int,
             clock: Clock = utcnow) -> None:
    with Unit(sessions, principal, clock) as unit:
        draft = _load(unit, draft_id, expected_version)
        if draft.author_id != principal.member_id:
            raise Forbidden("only the author withdraws a draft")
        if draft.state == "scheduled":
            outbox.cancel_for_draft(unit, draft)
        _move(unit, draft, "withdrawn", "draft.withdrawn")


# ------------------------------------------------------------------------------- replies

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


def create_reply(unit: Unit, account: SocialAccount, message: Message, text: str, *,
                 acknowledge_warnings: bool = False) -> tuple[Draft, Decision]:
    """Inside ``workflow.case_replies.reply``'s transaction (which has checked the case, the message and the
    caller): a draft from ``account`` answering ``message``, checked as an outbound post of that account
    and moved as any draft is: blocked and held replies wait for an approver; an allowed one (or a
    warned one whose author acknowledged the warning) is scheduled at once, through the outbox."""
    validate_text(text, MAX_TEXT_CHARS)
    principal = unit.principal
    assert principal.member_id is not None
    now = unit.clock()
    draft = Draft(organisation_id=account.organisation_id, team_id=account.team_id, author_id=principal.member_id,
                  account_ids=[str(account.id)], text=text, state="draft", reply_to_message_id=message.id,
                  in_reply_to=message.network_id, created_at=now, updated_at=now)
    unit.session.add(draft)
    unit.session.flush()
    unit.record("draft.created", _object(draft), after=_state(draft),
                details={"reply_to": {"message": str(message.id), "network_id": message.network_id[:200],
                                      "account": account.handle[:200]}})
    decision = _after_check(unit, organisation(unit.session, account.organisation_id), draft, "draft.submitted")
    if acknowledge_warnings and draft.state == "warned":
        _acknowledged(unit, draft)
    return draft, decision


# ------------------------------------------------------------------------ what is offered

class DraftLike(Protocol):
    @property
    def author_id(self) -> uuid.UUID: ...
    @property
    def team_id(self) -> uuid.UUID: ...
    @property
    def state(self) -> str: ...


def available_actions(principal: Principal, draft: DraftLike, locked_down: bool = False) -> list[str]:
    """What ``principal`` may do to the draft now, in the order a page offers it (a review queue's
    per-item actions): the role part is asked of ``workflow.permissions.allowed``, the state part is what
    each function above requires. Every action still checks it all again when it is taken. ``edit``
    covers the text and the images."""
    if draft.state in TERMINAL:
        return []
    offered: list[str] = []
    mine = draft.author_id == principal.member_id
    team = draft.team_id
    if mine and allowed(principal, Permission.DRAFT_WRITE, team):
        if draft.state in ("draft", "changes_requested"):
            offered.append("submit")
        if draft.state in EDITABLE:
            offered.append("edit")
    if mine and draft.state == "warned":
        offered.append("acknowledge")
    if not mine and allowed(principal, Permission.DRAFT_APPROVE, team):
        if draft.state == "held":
            offered.append("approve")
        if draft.state in ("held", "blocked"):
            offered.append("request_changes")
        if draft.state in ("held", "blocked", "warned", "allowed"):
            offered.append("reject")
    if not mine and draft.state == "blocked" and allowed(principal, Permission.DRAFT_OVERRIDE, team):
        offered.append("override")
    schedulable = not locked_down and draft.state in ("allowed", "approved")
    if schedulable and allowed(principal, Permission.DRAFT_SCHEDULE, team) and (
            draft.state == "approved" or mine or principal.has_role(Role.APPROVER, team)):
        offered.append("schedule")
    if mine:
        offered.append("withdraw")
    return offered
