"""The inbound workflow: messages arriving for an account, the cases that hold them, and moderators' work,
replies included (a reply is a draft of the case's account, checked and approved as any draft)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from warden.domain.messages import MAX_HANDLE
from warden.web import queries_review
from warden.web.api.deps import Caller, PageParams, State
from warden.web.idempotency import IdempotentRoute
from warden.web.pagination import Page
from warden.web.schemas import CaseOut, CaseSummary, DraftOut, MessageOut, ReceivedOut
from warden.workflow import case_replies, cases, filing
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import system

router = APIRouter(prefix="/cases", tags=["cases"], route_class=IdempotentRoute)
messages = APIRouter(prefix="/messages", tags=["cases"], route_class=IdempotentRoute)
inbound = APIRouter(prefix="/accounts", tags=["cases"], route_class=IdempotentRoute)
CaseState = Literal["new", "assigned", "actioned", "closed"]
REASON = Field(default="", max_length=4000)
HANDLE = Field(min_length=1, max_length=MAX_HANDLE)


class Versioned(BaseModel):
    expected_version: int = Field(ge=1, description="The version you saw: a stale one is refused (409).")


class AssignIn(Versioned):
    assignee_id: uuid.UUID


class ActionIn(Versioned):
    action: Literal["hide", "unhide", "delete", "block_author", "escalate", "mark_lawful"] = Field(
        description="A reply carries its text: POST /cases/{case_id}/replies.")
    reason: str = REASON
    message_id: uuid.UUID | None = None


class ReplyIn(Versioned):
    message_id: uuid.UUID = Field(description="The message of this case the reply answers.")
    text: str = Field(min_length=1, max_length=65_536)
    acknowledge_warnings: bool = Field(default=False, description="If the check warns, send it all the same "
                                                                   "(the acknowledgement is audited).")


class ReplyOut(DraftOut):
    """The reply's draft, with its decision: ``scheduled`` (it goes out now), ``warned`` (acknowledge the
    warning: POST /drafts/{id}/acknowledge), ``held`` or ``blocked`` (an approver decides)."""

    case_id: uuid.UUID
    message_id: uuid.UUID
    in_reply_to: str = Field(description="The answered message's id on the network.")


class ReplySummary(BaseModel):
    draft_id: uuid.UUID
    message_id: uuid.UUID
    in_reply_to: str
    author_id: uuid.UUID
    text: str
    state: str
    version: int
    decision_action: str | None
    reasons: list[dict[str, Any]]
    review_reason: str = Field(description="The approver's words on a rejection or a request for changes.")
    scheduled_for: datetime | None
    created_at: datetime


class CloseIn(Versioned):
    reason: str = REASON


class ReopenIn(Versioned):
    reason: str = Field(min_length=1, max_length=4000)


class VerdictIn(BaseModel):
    agree: bool


class MessageIn(BaseModel):
    network_id: str = HANDLE
    thread_key: str = HANDLE
    kind: Literal["reply", "mention", "comment", "dm"]
    author_handle: str = HANDLE
    author_name: str = Field(default="", max_length=MAX_HANDLE)
    text: str = Field(min_length=1, max_length=65_536)
    sent_at: AwareDatetime
    in_reply_to: str | None = Field(default=None, max_length=MAX_HANDLE)


@router.get("", response_model=Page[CaseSummary])
def list_cases(principal: Caller, state: State, page: PageParams,
               state_is: Annotated[CaseState | None, Query(alias="state")] = None,
               account_id: Annotated[uuid.UUID | None, Query()] = None,
               severity_min: Annotated[int | None, Query(ge=0, le=4)] = None,
               assignee_id: Annotated[uuid.UUID | None, Query()] = None) -> Page[CaseSummary]:
    """The queue, most urgent first (severity, then newest); only the teams whose cases the caller may read."""
    return queries_review.list_cases(state.sessions, principal, page, account_id, state_is, severity_min, assignee_id)


@router.get("/{case_id}", response_model=CaseOut)
def get_case(case_id: uuid.UUID, principal: Caller, state: State) -> CaseOut:
    """The case, its messages in order with their stored decisions, and the actions this viewer may take now.
    A hidden message's text is withheld here: GET /messages/{id} shows it, and that look is audited."""
    return queries_review.get_case(state.sessions, principal, case_id)


@router.post("/{case_id}/assign", response_model=CaseOut)
def assign(case_id: uuid.UUID, body: AssignIn, principal: Caller, state: State) -> CaseOut:
    cases.assign(state.sessions, principal, case_id, body.assignee_id, body.expected_version, clock=state.clock)
    return queries_review.case_after_action(state.sessions, principal, case_id)


@router.post("/{case_id}/actions", response_model=CaseOut)
def act(case_id: uuid.UUID, body: ActionIn, principal: Caller, state: State) -> CaseOut:
    """Network actions (hide, unhide, delete, reply, block_author) are refused during a lockdown (423)."""
    cases.act(state.sessions, principal, case_id, body.action, body.expected_version, body.reason,
              body.message_id, clock=state.clock)
    return queries_review.case_after_action(state.sessions, principal, case_id)


@router.post("/{case_id}/replies", response_model=ReplyOut, status_code=201)
def reply(case_id: uuid.UUID, body: ReplyIn, principal: Caller, state: State) -> ReplyOut:
    """Reply to one message of the case. The reply is checked as an outbound post of the case's account and
    follows the draft workflow: an allowed reply (or a warned one, acknowledged) is scheduled at once and
    published once, as a reply to the message; a held or blocked one waits in the approvals queue. Refused
    during a lockdown (423), on a closed case and where the network cannot answer that message, such as a
    direct message (409)."""
    done = case_replies.reply(state.sessions, principal, case_id, body.message_id, body.text,
                              body.expected_version, acknowledge_warnings=body.acknowledge_warnings, clock=state.clock)
    draft = queries_review.draft_after_action(state.sessions, principal, done.draft_id)
    [view] = [r for r in case_replies.replies(state.sessions, principal, case_id) if r.draft_id == done.draft_id]
    return ReplyOut(**draft.model_dump(), case_id=case_id, message_id=view.message_id, in_reply_to=view.in_reply_to)


@router.get("/{case_id}/replies", response_model=list[ReplySummary])
def list_replies(case_id: uuid.UUID, principal: Caller, state: State) -> list[ReplySummary]:
    """The case's replies, oldest first, with where each stands."""
    return [ReplySummary.model_validate(r, from_attributes=True)
            for r in case_replies.replies(state.sessions, principal, case_id)]


@router.post("/{case_id}/close", response_model=CaseOut)
def close(case_id: uuid.UUID, body: CloseIn, principal: Caller, state: State) -> CaseOut:
    cases.close(state.sessions, principal, case_id, body.expected_version, body.reason, clock=state.clock)
    return queries_review.case_after_action(state.sessions, principal, case_id)


@router.post("/{case_id}/reopen", response_model=CaseOut)
def reopen(case_id: uuid.UUID, body: ReopenIn, principal: Caller, state: State) -> CaseOut:
    cases.reopen(state.sessions, principal, case_id, body.expected_version, body.reason, clock=state.clock)
    return queries_review.case_after_action(state.sessions, principal, case_id)


@messages.get("/{message_id}", response_model=MessageOut)
def view_message(message_id: uuid.UUID, principal: Caller, state: State) -> MessageOut:
    """One message with its text, even if hidden: looking at a hidden message is recorded in the audit log."""
    message = cases.view_message(state.sessions, principal, message_id, clock=state.clock)
    return queries_review.message_view(state.sessions, principal, message)


@messages.post("/{message_id}/findings/{index}/verdict", status_code=204)
def verdict(message_id: uuid.UUID, index: Annotated[int, Path(ge=0, le=10_000)], body: VerdictIn,
            principal: Caller, state: State) -> Response:
    """Agree or disagree with one finding (kept to measure each detector's precision)."""
    cases.verdict(state.sessions, principal, message_id, index, body.agree, clock=state.clock)
    return Response(status_code=204)


@inbound.post("/{account_id}/messages", response_model=ReceivedOut, status_code=201)
def receive(account_id: uuid.UUID, body: MessageIn, principal: Caller, state: State,
            response: Response) -> ReceivedOut:
    """An integration delivers one inbound message for an account (needs account administration). It is
    checked and filed on its thread's case by the system; the same network_id again changes nothing and
    answers 200 with duplicate true."""
    authorize(principal, Permission.ACCOUNT_ADMIN)
    incoming = filing.Incoming(network_id=body.network_id, thread_key=body.thread_key, kind=body.kind,
                               author_handle=body.author_handle, author_name=body.author_name, text=body.text,
                               sent_at=body.sent_at, in_reply_to=body.in_reply_to)
    got = filing.receive(state.sessions, system(principal.organisation_id, name=f"inbound via {principal.name}"),
                         account_id, incoming, clock=state.clock)
    if got.duplicate:
        response.status_code = 200
    return ReceivedOut(message_id=got.message_id, case_id=got.case_id, decision=got.decision,
                       duplicate=got.duplicate)
