"""The outbound workflow: drafts, their checks, approvals, overrides and scheduling."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from warden.web import queries
from warden.web.api.deps import Caller, PageParams, State
from warden.web.idempotency import IdempotentRoute
from warden.web.pagination import Page
from warden.web.schemas import DraftOut, DraftSummary
from warden.workflow import drafts

router = APIRouter(prefix="/drafts", tags=["drafts"], route_class=IdempotentRoute)
DraftState = Literal["draft", "allowed", "warned", "held", "blocked", "approved", "changes_requested", "rejected",
                     "scheduled", "withdrawn", "published"]
TEXT = Field(min_length=1, max_length=65_536)


class DraftIn(BaseModel):
    team_id: uuid.UUID
    account_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    text: str = TEXT


class Versioned(BaseModel):
    expected_version: int = Field(ge=1, description="The version you saw: a stale one is refused (409).")


class SubmitIn(BaseModel):
    expected_version: int | None = Field(default=None, ge=1)


class EditIn(Versioned):
    text: str = TEXT


class ReasonIn(Versioned):
    reason: str = Field(min_length=1, max_length=4000)


class ScheduleIn(Versioned):
    scheduled_for: AwareDatetime


@router.post("", response_model=DraftOut, status_code=201)
def create_draft(body: DraftIn, principal: Caller, state: State) -> DraftOut:
    draft_id = drafts.create_draft(state.sessions, principal, team_id=body.team_id, account_ids=body.account_ids,
                                   text=body.text, clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.get("", response_model=Page[DraftSummary])
def list_drafts(principal: Caller, state: State, page: PageParams,
                state_is: Annotated[DraftState | None, Query(alias="state")] = None,
                team_id: Annotated[uuid.UUID | None, Query()] = None,
                author_id: Annotated[uuid.UUID | None, Query()] = None) -> Page[DraftSummary]:
    """Newest first; only the teams whose drafts the caller may read."""
    return queries.list_drafts(state.sessions, principal, page, state_is, team_id, author_id)


@router.get("/{draft_id}", response_model=DraftOut)
def get_draft(draft_id: uuid.UUID, principal: Caller, state: State) -> DraftOut:
    """The draft with its stored decision: the reasons, in the policy's words, and the evidence."""
    return queries.get_draft(state.sessions, principal, draft_id)


@router.patch("/{draft_id}", response_model=DraftOut)
def edit_draft(draft_id: uuid.UUID, body: EditIn, principal: Caller, state: State) -> DraftOut:
    """New text goes back through the check, even after approval."""
    drafts.edit_draft(state.sessions, principal, draft_id, body.text, body.expected_version, clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.post("/{draft_id}/submit", response_model=DraftOut)
def submit_draft(draft_id: uuid.UUID, body: SubmitIn, principal: Caller, state: State) -> DraftOut:
    drafts.submit_draft(state.sessions, principal, draft_id, body.expected_version, clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.post("/{draft_id}/acknowledge", response_model=DraftOut)
def acknowledge_warning(draft_id: uuid.UUID, body: Versioned, principal: Caller, state: State) -> DraftOut:
    drafts.acknowledge_warning(state.sessions, principal, draft_id, body.expected_version, clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.post("/{draft_id}/approve", response_model=DraftOut)
def approve(draft_id: uuid.UUID, body: Versioned, principal: Caller, state: State) -> DraftOut:
    drafts.approve(state.sessions, principal, draft_id, body.expected_version, clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.post("/{draft_id}/reject", response_model=DraftOut)
def reject(draft_id: uuid.UUID, body: ReasonIn, principal: Caller, state: State) -> DraftOut:
    drafts.reject(state.sessions, principal, draft_id, body.expected_version, body.reason, clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.post("/{draft_id}/request-changes", response_model=DraftOut)
def request_changes(draft_id: uuid.UUID, body: ReasonIn, principal: Caller, state: State) -> DraftOut:
    drafts.request_changes(state.sessions, principal, draft_id, body.expected_version, body.reason,
                           clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.post("/{draft_id}/override", response_model=DraftOut)
def override_block(draft_id: uuid.UUID, body: ReasonIn, principal: Caller, state: State) -> DraftOut:
    """Approve a blocked draft: an approver, with a written reason and a recent step-up (POST /auth/reauth)."""
    drafts.override_block(state.sessions, principal, draft_id, body.expected_version, body.reason,
                          clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.post("/{draft_id}/schedule", response_model=DraftOut)
def schedule(draft_id: uuid.UUID, body: ScheduleIn, principal: Caller, state: State) -> DraftOut:
    when: datetime = body.scheduled_for
    drafts.schedule(state.sessions, principal, draft_id, body.expected_version, when, clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)


@router.post("/{draft_id}/withdraw", response_model=DraftOut)
def withdraw(draft_id: uuid.UUID, body: Versioned, principal: Caller, state: State) -> DraftOut:
    drafts.withdraw(state.sessions, principal, draft_id, body.expected_version, clock=state.clock)
    return queries.draft_after_action(state.sessions, principal, draft_id)
