"""The outbound workflow: drafts, their images, their checks, approvals, overrides and scheduling.

A draft is answered with its images (without their bytes: ``GET .../media/{media_id}`` serves
them) and the actions the caller is offered on it now (``workflow.drafts.available_actions``,
as the console offers them).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field

from warden.web import queries, queries_review
from warden.web.api.deps import Caller, PageParams, State
from warden.web.idempotency import IdempotentRoute
from warden.web.pagination import Page
from warden.web.schemas import DraftOut, DraftSummary
from warden.web.state import WebState
from warden.workflow import draft_images, draft_media, draft_review, drafts, image_uploads
from warden.workflow.principal import Principal

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


class MediaOut(BaseModel):
    id: uuid.UUID
    position: int
    filename: str = Field(description="As sent, cleaned and bounded: show it escaped, like any text from outside.")
    content_type: str
    byte_size: int
    width: int
    height: int
    alt_text: str
    sha256: str = Field(description="Of the stored (cleaned) image; the audit log names images by it.")
    url: str


class DraftView(DraftOut):
    media: list[MediaOut]
    available_actions: list[str] = Field(description="What the caller may do to the draft now.")


#: An image is served as its own type, sandboxed: it can never run as a page.
IMAGE_HEADERS = {"Content-Security-Policy": "default-src 'none'; sandbox", "Content-Disposition": "inline"}
IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"description": "The image, cleaned of its metadata.",
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(image_uploads.CONTENT_TYPES)}}}


def _view(state: WebState, principal: Principal, draft: DraftOut) -> DraftView:
    images = draft_media.list_media(state.sessions, principal, draft.id)
    locked = queries.organisation_view(state.sessions, principal).locked_down
    return DraftView(**draft.model_dump(), available_actions=drafts.available_actions(principal, draft, locked),
                     media=[MediaOut(id=i.id, position=i.position, filename=i.filename, content_type=i.content_type,
                                     byte_size=i.byte_size, width=i.width, height=i.height, alt_text=i.alt_text,
                                     sha256=i.sha256, url=f"/api/v1/drafts/{draft.id}/media/{i.id}")
                            for i in images])


def _after(state: WebState, principal: Principal, draft_id: uuid.UUID) -> DraftView:
    return _view(state, principal, queries_review.draft_after_action(state.sessions, principal, draft_id))


@router.post("", response_model=DraftView, status_code=201)
def create_draft(body: DraftIn, principal: Caller, state: State) -> DraftView:
    draft_id = drafts.create_draft(state.sessions, principal, team_id=body.team_id, account_ids=body.account_ids,
                                   text=body.text, clock=state.clock)
    return _after(state, principal, draft_id)


@router.get("", response_model=Page[DraftSummary])
def list_drafts(principal: Caller, state: State, page: PageParams,
                state_is: Annotated[DraftState | None, Query(alias="state")] = None,
                team_id: Annotated[uuid.UUID | None, Query()] = None,
                author_id: Annotated[uuid.UUID | None, Query()] = None) -> Page[DraftSummary]:
    """Newest first; only the teams whose drafts the caller may read."""
    return queries_review.list_drafts(state.sessions, principal, page, state_is, team_id, author_id)


@router.get("/{draft_id}", response_model=DraftView)
def get_draft(draft_id: uuid.UUID, principal: Caller, state: State) -> DraftView:
    """The draft with its stored decision: the reasons, in the policy's words, and the evidence."""
    return _view(state, principal, queries_review.get_draft(state.sessions, principal, draft_id))


@router.patch("/{draft_id}", response_model=DraftView)
def edit_draft(draft_id: uuid.UUID, body: EditIn, principal: Caller, state: State) -> DraftView:
    """New text goes back through the check, even after approval."""
    drafts.edit_draft(state.sessions, principal, draft_id, body.text, body.expected_version, clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/submit", response_model=DraftView)
def submit_draft(draft_id: uuid.UUID, body: SubmitIn, principal: Caller, state: State) -> DraftView:
    drafts.submit_draft(state.sessions, principal, draft_id, body.expected_version, clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/acknowledge", response_model=DraftView)
def acknowledge_warning(draft_id: uuid.UUID, body: Versioned, principal: Caller, state: State) -> DraftView:
    drafts.acknowledge_warning(state.sessions, principal, draft_id, body.expected_version, clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/approve", response_model=DraftView)
def approve(draft_id: uuid.UUID, body: Versioned, principal: Caller, state: State) -> DraftView:
    draft_review.approve(state.sessions, principal, draft_id, body.expected_version, clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/reject", response_model=DraftView)
def reject(draft_id: uuid.UUID, body: ReasonIn, principal: Caller, state: State) -> DraftView:
    draft_review.reject(state.sessions, principal, draft_id, body.expected_version, body.reason, clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/request-changes", response_model=DraftView)
def request_changes(draft_id: uuid.UUID, body: ReasonIn, principal: Caller, state: State) -> DraftView:
    draft_review.request_changes(state.sessions, principal, draft_id, body.expected_version, body.reason,
                                 clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/override", response_model=DraftView)
def override_block(draft_id: uuid.UUID, body: ReasonIn, principal: Caller, state: State) -> DraftView:
    """Approve a blocked draft: an approver, with a written reason and a recent step-up (POST /auth/reauth)."""
    draft_review.override_block(state.sessions, principal, draft_id, body.expected_version, body.reason,
                                clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/schedule", response_model=DraftView)
def schedule(draft_id: uuid.UUID, body: ScheduleIn, principal: Caller, state: State) -> DraftView:
    when: datetime = body.scheduled_for
    drafts.schedule(state.sessions, principal, draft_id, body.expected_version, when, clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/withdraw", response_model=DraftView)
def withdraw(draft_id: uuid.UUID, body: Versioned, principal: Caller, state: State) -> DraftView:
    drafts.withdraw(state.sessions, principal, draft_id, body.expected_version, clock=state.clock)
    return _after(state, principal, draft_id)


@router.post("/{draft_id}/media", response_model=DraftView, status_code=201)
def attach_media(draft_id: uuid.UUID, principal: Caller, state: State,
                 file: Annotated[UploadFile, File(description="PNG, JPEG, GIF or WebP, at most 5 MB: the type is "
                                                               "read from the content, and metadata (EXIF, GPS) "
                                                               "is removed before it is stored.")],
                 alt_text: Annotated[str, Form(min_length=1, max_length=image_uploads.MAX_ALT_CHARS,
                                               description="What the image shows, for people who cannot see "
                                                           "it; checked with the post.")],
                 expected_version: Annotated[int, Form(ge=1)]) -> DraftView:
    """Attach an image (at most 4 per draft). Like a text edit, it sends the draft back through the check
    and an approved draft needs approval again."""
    data = file.file.read(image_uploads.MAX_FILE_BYTES + 1)
    draft_images.attach_media(state.sessions, principal, draft_id,
                              image_uploads.Upload(filename=file.filename or "", data=data, alt_text=alt_text),
                              expected_version, clock=state.clock)
    return _after(state, principal, draft_id)


@router.delete("/{draft_id}/media/{media_id}", response_model=DraftView)
def remove_media(draft_id: uuid.UUID, media_id: uuid.UUID, principal: Caller, state: State,
                 expected_version: Annotated[int, Query(ge=1)]) -> DraftView:
    """Remove an image; the draft goes back through the check."""
    draft_images.remove_media(state.sessions, principal, draft_id, media_id, expected_version, clock=state.clock)
    return _after(state, principal, draft_id)


@router.get("/{draft_id}/media/{media_id}", response_class=Response, responses=IMAGE_RESPONSES)
def get_media(draft_id: uuid.UUID, media_id: uuid.UUID, principal: Caller, state: State) -> Response:
    """The stored image (cleaned when it was attached)."""
    info, data = draft_media.read_image(state.sessions, principal, draft_id, media_id)
    return Response(content=data, media_type=info.content_type, headers=IMAGE_HEADERS)
