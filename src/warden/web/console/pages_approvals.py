"""Approvals: the queue of held and blocked drafts (with their images), and the reviewer's actions
(approve, reject with a reason, request changes, override a block with a reason
and fresh re-authentication, bulk approve of low-risk drafts)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import SecretStr

from warden.auth.errors import InvalidCredentials, InvalidMfaCode, MfaRequired, StepUpRequired, TooManyAttempts
from warden.domain.errors import WardenError
from warden.web import authn
from warden.web.console import forms, queues
from warden.web.console.explain import ACTION_LABELS, ACTION_TONES
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, see_other
from warden.web.console.pages_compose import _refused, draft_page, fitted
from warden.web.console.pages_inbox import reply_targets
from warden.web.console.templating import render
from warden.web.identity import Caller, resolve_session
from warden.web.state import get_state
from warden.workflow import draft_media, draft_review
from warden.workflow.drafts import available_actions

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Short = Annotated[str, Form(max_length=4000)]
Many = Annotated[list[str] | None, Form()]
RISK_LABELS = {"allow": "Low", "warn": "Medium", "hold": "High", "block": "Blocked"}
THUMBNAIL = (96, 96)


def _queue_page(request: Request, caller: Caller, status: int = 200, **extra: Any) -> Response:
    state = get_state(request)
    items = queues.approval_queue(state.sessions, caller.principal)
    offered = {item.draft.id: available_actions(caller.principal, item.draft) for item in items}
    with state.sessions() as session:  # the queue holds only drafts the caller approves for
        found = draft_media.of_drafts(session, caller.principal.organisation_id, [item.draft.id for item in items])
    images = {draft_id: [(info, fitted(info.width, info.height, THUMBNAIL)) for info in infos]
              for draft_id, infos in found.items()}
    replies = reply_targets(state.sessions, caller.principal, [item.draft.id for item in items])
    return render(request, "approvals.html", status=status, items=items, offered=offered, images=images,
                  risk_labels=RISK_LABELS, action_labels=ACTION_LABELS, tones=ACTION_TONES, current="approvals",
                  replies=replies, **extra)


@router.get("/approvals")
def queue(request: Request, caller: PageCaller) -> Response:
    return _queue_page(request, caller)


@router.post("/approvals/bulk-approve")
def bulk_approve(request: Request, caller: FormCaller, draft: Many = None) -> Response:
    """Approve the chosen drafts that are still low risk (held with no concern found) and still at the version
    the reviewer saw; anything else is left in the queue and reported."""
    state = get_state(request)
    chosen: dict[uuid.UUID, int] = {}
    for value in draft or []:
        ident, _, seen = value.partition(":")
        chosen[forms.identifier(ident, "draft")] = forms.version(seen)
    low = {item.draft.id for item in queues.approval_queue(state.sessions, caller.principal) if item.low_risk}
    approved, skipped = 0, []
    for draft_id, expected in chosen.items():
        if draft_id not in low:
            skipped.append("a draft that is no longer low risk was left for review")
            continue
        try:
            draft_review.approve(state.sessions, caller.principal, draft_id, expected, clock=state.clock)
            approved += 1
        except WardenError as error:
            skipped.append(error.message)
    if not skipped:
        return see_other("/approvals?done=bulk_approved" if approved else "/approvals")
    return _queue_page(request, caller, status=409, bulk_result=(approved, skipped))


@router.post("/drafts/{draft_id}/approve")
def approve(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "") -> Response:
    state = get_state(request)
    draft_review.approve(state.sessions, caller.principal, draft_id, forms.version(version), clock=state.clock)
    return see_other("/approvals?done=approved")


@router.post("/drafts/{draft_id}/reject")
def reject(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "",
           reason: Short = "") -> Response:
    state = get_state(request)
    try:
        draft_review.reject(state.sessions, caller.principal, draft_id, forms.version(version),
                            forms.text(reason, "reason"), clock=state.clock)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input"):
            raise
        return _refused(request, caller, draft_id, "reject", error, {"reject_reason": reason})
    return see_other("/approvals?done=rejected")


@router.post("/drafts/{draft_id}/request-changes")
def request_changes(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "",
                    reason: Short = "") -> Response:
    state = get_state(request)
    try:
        draft_review.request_changes(state.sessions, caller.principal, draft_id, forms.version(version),
                                     forms.text(reason, "reason"), clock=state.clock)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input"):
            raise
        return _refused(request, caller, draft_id, "request_changes", error, {"changes_reason": reason})
    return see_other("/approvals?done=changes_requested")


def step_up(request: Request, caller: Caller, password: str, code: str) -> Caller:
    """Re-authenticate (``POST /auth/reauth``'s own function) and return the caller as the session now is."""
    state = get_state(request)
    authn.reauthenticate(authn.ReauthIn(password=SecretStr(password or "-"),
                                        totp_code=SecretStr(code.replace(" ", "")) if code.strip() else None),
                         caller, state)
    assert caller.session_id is not None
    return resolve_session(state, caller.session_id.reveal())


@router.post("/drafts/{draft_id}/override")
def override(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "", reason: Short = "",
             password: Annotated[str, Form(max_length=4096)] = "", code: Short = "") -> Response:
    state = get_state(request)
    values = {"override_reason": reason}
    try:
        forms.text(reason, "reason")
        fresh = step_up(request, caller, password, code)
        draft_review.override_block(state.sessions, fresh.principal, draft_id, forms.version(version), reason,
                                    clock=state.clock)
    except (InvalidCredentials, InvalidMfaCode, MfaRequired) as error:
        message = ("Enter the code from your authenticator app as well." if isinstance(error, MfaRequired)
                   else "The password or code is not right.")
        return _refused(request, caller, draft_id, "override", InvalidCredentials(message), values)
    except (TooManyAttempts, StepUpRequired) as error:
        return _refused(request, caller, draft_id, "override", error, values)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input"):
            raise
        return _refused(request, caller, draft_id, "override", error, values)
    return see_other("/approvals?done=overridden")


@router.get("/approvals/{draft_id}")
def review(request: Request, draft_id: uuid.UUID, caller: PageCaller) -> Response:
    return draft_page(request, caller, draft_id)
