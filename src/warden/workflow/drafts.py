"""Outbound drafts: writing, checking and scheduling them.

An author creates a draft (``create_draft``, with its images if it has any), submits it to the risk check
(``submit_draft``), edits it (``edit_draft``: new text goes back through the check, even after approval),
acknowledges a warning on it (``acknowledge_warning``) and withdraws it (``withdraw``); an allowed draft of
a publisher, or an approved one, is scheduled through the outbox (``schedule``). A reply to a case is a
draft too (``create_reply``). Every function is one transaction that changes the draft and writes its
audit entry together; ``available_actions`` says what a viewer is offered on a draft now, for the API and
the console alike. The images of a draft are changed in ``workflow.draft_images``, approvals and
overrides given in ``workflow.draft_review``, and the steps all of them share are in
``workflow.draft_states``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from warden.domain.decision import Decision
from warden.domain.errors import InvalidInput
from warden.engine import MAX_TEXT_CHARS, validate_text
from warden.storage.tables import Draft, Message, SocialAccount
from warden.workflow import checking, draft_media, image_uploads, network_media, outbox
from warden.workflow.draft_images import _add_image, _hashes, _image_details
from warden.workflow.draft_states import (
    EDITABLE,
    TERMINAL,
    _after_check,
    _authored,
    _load,
    _move,
    _object,
    _publishes,
    _require_state,
    _send_reply,
    _state,
    _write_permission,
)
from warden.workflow.errors import Forbidden, InvalidState, LockedDown
from warden.workflow.loading import get_owned, organisation
from warden.workflow.permissions import Permission, allowed, authorize
from warden.workflow.principal import Principal, Role
from warden.workflow.unit import Clock, Unit, utcnow

__all__ = ["DraftLike", "acknowledge_warning", "available_actions", "create_draft", "create_reply", "edit_draft",
           "schedule", "submit_draft", "withdraw"]


def _accounts(session: Session, organisation_id: uuid.UUID, team_id: uuid.UUID,
              account_ids: Sequence[uuid.UUID]) -> list[SocialAccount]:
    if not account_ids:
        raise InvalidInput("choose at least one account")
    accounts = [get_owned(session, SocialAccount, a, organisation_id) for a in dict.fromkeys(account_ids)]
    for account in accounts:
        if account.team_id != team_id:
            raise Forbidden(f"account {account.handle} belongs to another team")
    return accounts


def create_draft(sessions: sessionmaker[Session], principal: Principal, *, team_id: uuid.UUID,
                 account_ids: Sequence[uuid.UUID], text: str,
                 images: Sequence[image_uploads.Upload | image_uploads.Cleaned] = (),
                 clock: Clock = utcnow) -> uuid.UUID:
    """A new draft, not yet checked (``submit_draft`` does that), with its images if it has any (uploads
    are cleaned here; images already cleaned by ``image_uploads.clean`` are taken as they are)."""
    authorize(principal, Permission.DRAFT_WRITE, team_id)
    validate_text(text, MAX_TEXT_CHARS)
    assert principal.member_id is not None
    if len(images) > image_uploads.MAX_PER_DRAFT:
        raise InvalidInput(f"a draft takes at most {image_uploads.MAX_PER_DRAFT} images")
    # before the transaction: decoding takes time
    cleaned = [i if isinstance(i, image_uploads.Cleaned) else image_uploads.clean(i) for i in images]
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
        with_media = bool(draft_media.rows(unit.session, draft.organisation_id, draft.id))
        problems = [p for a in accounts if (p := network_media.publishing_problem(a.network, a.handle, with_media))]
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
    each action (above, in ``draft_images`` and in ``draft_review``) requires. Every action still checks it
    all again when it is taken. ``edit`` covers the text and the images."""
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
