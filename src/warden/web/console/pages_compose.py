"""Compose (with the live risk check and images), my drafts, and one draft with its images and what its
viewer may do."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from warden.domain.enums import AccountType, Direction, OutboundAction, action_rank
from warden.domain.errors import InvalidInput, WardenError
from warden.engine import MAX_TEXT_CHARS
from warden.web import queries, queries_review
from warden.web.console import forms, reads
from warden.web.console.explain import Explained, explain
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, see_other
from warden.web.console.highlight import Piece, pieces
from warden.web.console.pages_inbox import reply_targets
from warden.web.console.templating import LOCAL, render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.pagination import PageRequest
from warden.web.state import WebState, get_state
from warden.workflow import draft_images, draft_media, drafts, image_uploads, network_media
from warden.workflow.drafts import available_actions
from warden.workflow.errors import InvalidState
from warden.workflow.principal import Principal, Role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Text = Annotated[str, Form(max_length=MAX_TEXT_CHARS)]
Short = Annotated[str, Form(max_length=4000)]
Many = Annotated[list[str] | None, Form()]
ImageFile = Annotated[UploadFile | None, File()]
AltText = Annotated[str, Form(max_length=image_uploads.MAX_ALT_CHARS)]
SLOTS = range(1, image_uploads.MAX_PER_DRAFT + 1)
#: Image files travel only with a submit, never with the live check.
NOT_FILES = "not " + ",".join(f"image_{n}" for n in SLOTS)

STATE_LABELS: Mapping[str, str] = {
    "draft": "Not submitted", "allowed": "Ready to publish", "warned": "Warning to acknowledge",
    "held": "Waiting for approval", "blocked": "Blocked", "approved": "Approved",
    "changes_requested": "Changes requested", "rejected": "Rejected", "scheduled": "Scheduled",
    "withdrawn": "Withdrawn", "published": "Published",
}
STATE_TONES: Mapping[str, str] = {
    "draft": "info", "allowed": "ok", "warned": "warn", "held": "hold", "blocked": "bad", "approved": "ok",
    "changes_requested": "warn", "rejected": "bad", "scheduled": "ok", "withdrawn": "info", "published": "ok",
}


def _chosen(state: WebState, principal: Principal, account_ids: list[str] | None) -> list[reads.AccountChoice]:
    wanted = {forms.optional_identifier(a) for a in account_ids or []}
    return [a for a in reads.writable_accounts(state.sessions, principal) if a.id in wanted]


@dataclass(frozen=True)
class Described:
    alt_text: str
    filename: str = ""


@dataclass(frozen=True)
class ImageSlots:
    """Compose's image fields: a file and its description per slot (the pair stays together)."""

    files: tuple[UploadFile | None, ...]
    alts: tuple[str, ...]

    def uploads(self) -> list[image_uploads.Upload]:
        """The chosen images, read (bounded); ``InvalidInput`` when a description has no image."""
        chosen = []
        for number, (file, alt) in enumerate(zip(self.files, self.alts, strict=True), start=1):
            if file is None or (not file.filename and not file.size):
                if alt.strip():
                    raise InvalidInput(f"choose image {number}, or clear its description")
                continue
            data = file.file.read(image_uploads.MAX_FILE_BYTES + 1)
            chosen.append(image_uploads.Upload(filename=file.filename or "", data=data, alt_text=alt))
        return chosen


def image_slots(image_1: ImageFile = None, image_2: ImageFile = None, image_3: ImageFile = None,
                image_4: ImageFile = None, alt_text_1: AltText = "", alt_text_2: AltText = "",
                alt_text_3: AltText = "", alt_text_4: AltText = "") -> ImageSlots:
    return ImageSlots((image_1, image_2, image_3, image_4), (alt_text_1, alt_text_2, alt_text_3, alt_text_4))


Slots = Annotated[ImageSlots, Depends(image_slots)]


def live_check(state: WebState, principal: Principal, text: str, chosen: list[reads.AccountChoice],
               images: Sequence[draft_media.Described] = ()) -> tuple[Explained, str]:
    """The strictest decision over the chosen accounts' types (as a submitted draft gets), and what would happen.
    The images' descriptions are checked with the text, as they are when the draft is submitted."""
    types = sorted({a.account_type for a in chosen}) or [AccountType.CORPORATE.value]
    checked, _ = draft_media.check_text(text, images)
    worst = None
    for account_type in types:
        out = queries.check_text(state.sessions, principal, checked, Direction.OUTBOUND, AccountType(account_type))
        if worst is None or action_rank(OutboundAction(out.action)) > action_rank(OutboundAction(worst.action)):
            worst = out
    assert worst is not None
    explained = explain(text, worst.action, worst.reasons, reads.standards(state.sessions, principal.organisation_id))
    publisher = bool(chosen) and all(principal.has_role(Role.PUBLISHER, a.team_id) for a in chosen)
    return explained, _outcome(worst.action, publisher)


def _outcome(action: str, publisher: bool) -> str:
    if action == "allow":
        return ("No concerns found: it can be published once you submit it." if publisher else
                "No concerns found. Your drafts go to an approver before they are published.")
    if action == "warn":
        return ("You will be asked to acknowledge the warning before it can be published." if publisher else
                "You will be asked to acknowledge the warning; then it goes to an approver.")
    if action == "hold":
        return "An approver must approve it before it is published."
    return "Blocked: it cannot be published unless an approver overrides the block with a written reason."


def _compose_page(request: Request, caller: Caller, *, status: int = 200, text: str = "",
                  selected: frozenset[uuid.UUID] = frozenset(), error: str = "", error_field: str = "",
                  alts: Sequence[str] = ()) -> Response:
    state = get_state(request)
    accounts = reads.writable_accounts(state.sessions, caller.principal)
    teams: dict[str, list[reads.AccountChoice]] = {}
    for account in accounts:
        teams.setdefault(account.team_name, []).append(account)
    alts = [*alts, *[""] * len(SLOTS)][:len(SLOTS)]
    return render(request, "compose.html", status=status, teams=teams, text=text, selected=selected, error=error,
                  error_field=error_field, max_chars=MAX_TEXT_CHARS, current="compose", alts=alts, slots=SLOTS,
                  max_alt=image_uploads.MAX_ALT_CHARS, not_files=NOT_FILES, had_images=error_field == "images")


@router.get("/compose")
def compose_page(request: Request, caller: PageCaller) -> Response:
    return _compose_page(request, caller)


@router.post("/compose/check")
def compose_check(request: Request, caller: FormCaller, text: Text = "", account_id: Many = None,
                  alt_text_1: AltText = "", alt_text_2: AltText = "", alt_text_3: AltText = "",
                  alt_text_4: AltText = "") -> Response:
    state = get_state(request)
    forms.text(text, "text")
    chosen = _chosen(state, caller.principal, account_id)
    if not text.strip():
        return render(request, "partials/check.html", explained=None, outcome="", chosen=chosen)
    described = [Described(forms.text(a, "description")) for a in (alt_text_1, alt_text_2, alt_text_3, alt_text_4)
                 if a.strip()]
    explained, outcome = live_check(state, caller.principal, text, chosen, described)
    return render(request, "partials/check.html", explained=explained, outcome=outcome, chosen=chosen)


@router.post("/compose")
def compose_submit(request: Request, caller: FormCaller, slots: Slots, text: Text = "",
                   account_id: Many = None) -> Response:
    state = get_state(request)
    chosen = _chosen(state, caller.principal, account_id)
    selected = frozenset(a.id for a in chosen)
    again: dict[str, Any] = {"text": text, "selected": selected, "alts": slots.alts}
    try:
        forms.text(text, "text", required=True)
    except InvalidInput as error:
        return _compose_page(request, caller, status=422, error=error.message, error_field="text", **again)
    teams = {a.team_id for a in chosen}
    if len(teams) != 1:
        message = "choose at least one account" if not teams else "choose accounts of one team for each draft"
        return _compose_page(request, caller, status=422, error=message, error_field="accounts", **again)
    try:
        images = slots.uploads()
        cleaned = [image_uploads.clean(image) for image in images]  # each image's own problem, before anything is made
    except InvalidInput as error:
        return _compose_page(request, caller, status=status_for(error), error=error.message, error_field="images",
                             **again)
    try:
        draft_id = drafts.create_draft(state.sessions, caller.principal, team_id=teams.pop(),
                                       account_ids=[a.id for a in chosen], text=text, clock=state.clock,
                                       images=cleaned)
    except InvalidInput as error:
        return _compose_page(request, caller, status=422, error=error.message, error_field="text", **again)
    drafts.submit_draft(state.sessions, caller.principal, draft_id, clock=state.clock)
    return see_other(f"/drafts/{draft_id}?done=submitted")


# ----------------------------------------------------------------------------- my drafts

@router.get("/drafts")
def my_drafts(request: Request, caller: PageCaller, cursor: str | None = None) -> Response:
    state = get_state(request)
    page = queries_review.list_drafts(state.sessions, caller.principal, PageRequest(limit=50, cursor=cursor), None,
                                      None, caller.member_id)
    handles = reads.account_handles(state.sessions, caller.principal,
                                    [a for d in page.items for a in d.account_ids])
    return render(request, "drafts.html", page=page, handles=handles, labels=STATE_LABELS, tones=STATE_TONES,
                  current="drafts")


@dataclass(frozen=True)
class ImageView:
    """An attached image on a page: its description and file name cut into pieces that mark the findings
    in them (as the post's text is), and a size to show it at."""

    info: draft_media.MediaInfo
    alt_pieces: tuple[Piece, ...]
    name_pieces: tuple[Piece, ...]
    width: int
    height: int


def fitted(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    scale = min(1.0, box[0] / max(width, 1), box[1] / max(height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def image_views(text: str, images: Sequence[draft_media.MediaInfo], reasons: Sequence[Mapping[str, Any]],
                box: tuple[int, int] = (320, 240)) -> list[ImageView]:
    """``reasons`` as stored; their evidence spans index the checked text (``draft_media.check_text``)."""
    spans = [(e.get("start"), e.get("end"), number) for number, reason in enumerate(reasons, start=1)
             for e in reason.get("evidence") or [] if isinstance(e, Mapping)]
    _, segments = draft_media.check_text(text, images)
    found: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
    for segment in segments:
        found[(segment.position, segment.part)] = [
            (s - segment.start, e - segment.start, n) for s, e, n in spans
            if isinstance(s, int) and isinstance(e, int) and segment.start <= s < e <= segment.end]
    views = []
    for image in images:
        width, height = fitted(image.width, image.height, box)
        views.append(ImageView(image, tuple(pieces(image.alt_text, found.get((image.position, "alt_text"), []))),
                               tuple(pieces(image.filename, found.get((image.position, "filename"), []))),
                               width, height))
    return views


def draft_page(request: Request, caller: Caller, draft_id: uuid.UUID, *, status: int = 200,
               errors: Mapping[str, str] | None = None, values: Mapping[str, str] | None = None) -> Response:
    state = get_state(request)
    principal = caller.principal
    draft = queries_review.get_draft(state.sessions, principal, draft_id)
    images = draft_media.list_media(state.sessions, principal, draft_id)
    explained = None
    if draft.decision is not None:
        explained = explain(draft.text, draft.decision.action, draft.decision.reasons,
                            reads.standards(state.sessions, principal.organisation_id))
    names = reads.member_names(state.sessions, principal, [draft.author_id, *(a.approver_id for a in draft.approvals)])
    handles = reads.account_handles(state.sessions, principal, draft.account_ids)
    organisation = queries.organisation_view(state.sessions, principal)
    return render(request, "draft.html", status=status, draft=draft, explained=explained, names=names,
                  handles=handles, actions=available_actions(principal, draft, organisation.locked_down),
                  labels=STATE_LABELS, tones=STATE_TONES, errors=errors or {}, values=values or {},
                  mine=draft.author_id == caller.member_id, mfa_enabled=caller.mfa_enabled,
                  current="drafts" if draft.author_id == caller.member_id else "approvals",
                  images=image_views(draft.text, images, draft.decision.reasons if draft.decision else []),
                  max_images=image_uploads.MAX_PER_DRAFT, max_alt=image_uploads.MAX_ALT_CHARS,
                  refused=network_media.publishing_problems(state.sessions, principal.organisation_id,
                                                            draft.account_ids, bool(images)),
                  reply=reply_targets(state.sessions, principal, [draft_id]).get(draft_id))


@router.get("/drafts/{draft_id}")
def draft_view(request: Request, draft_id: uuid.UUID, caller: PageCaller) -> Response:
    return draft_page(request, caller, draft_id)


def _after(request: Request, caller: Caller, draft_id: uuid.UUID, done: str) -> Response:
    """Authors go back to their draft; reviewers to the queue."""
    draft = queries_review.draft_after_action(get_state(request).sessions, caller.principal, draft_id)
    if draft.author_id == caller.member_id:
        return see_other(f"/drafts/{draft_id}?done={done}")
    return see_other(f"/approvals?done={done}")


def _refused(request: Request, caller: Caller, draft_id: uuid.UUID, field: str, error: WardenError,
             values: Mapping[str, str]) -> Response:
    return draft_page(request, caller, draft_id, status=status_for(error), errors={field: error.message},
                      values=values)


@router.post("/drafts/{draft_id}/submit")
def submit(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "") -> Response:
    state = get_state(request)
    drafts.submit_draft(state.sessions, caller.principal, draft_id, forms.version(version), clock=state.clock)
    return _after(request, caller, draft_id, "submitted")


@router.post("/drafts/{draft_id}/edit")
def edit(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "", text: Text = "") -> Response:
    state = get_state(request)
    try:
        forms.text(text, "text", required=True)
        drafts.edit_draft(state.sessions, caller.principal, draft_id, text, forms.version(version), clock=state.clock)
    except InvalidInput as error:
        return _refused(request, caller, draft_id, "edit", error, {"text": text})
    return _after(request, caller, draft_id, "edited")


@router.post("/drafts/{draft_id}/media")
def add_image(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "", image: ImageFile = None,
              alt_text: AltText = "") -> Response:
    state = get_state(request)
    try:
        if image is None or (not image.filename and not image.size):
            raise InvalidInput("choose an image")
        upload = image_uploads.Upload(filename=image.filename or "",
                                      data=image.file.read(image_uploads.MAX_FILE_BYTES + 1),
                                      alt_text=forms.text(alt_text, "description"))
        draft_images.attach_media(state.sessions, caller.principal, draft_id, upload, forms.version(version),
                                  clock=state.clock)
    except InvalidInput as error:
        return _refused(request, caller, draft_id, "media", error, {"alt_text": alt_text})
    return _after(request, caller, draft_id, "edited")


@router.post("/drafts/{draft_id}/media/{media_id}/remove")
def remove_image(request: Request, draft_id: uuid.UUID, media_id: uuid.UUID, caller: FormCaller,
                 version: Short = "") -> Response:
    state = get_state(request)
    draft_images.remove_media(state.sessions, caller.principal, draft_id, media_id, forms.version(version),
                              clock=state.clock)
    return _after(request, caller, draft_id, "edited")


@router.get("/drafts/{draft_id}/media/{media_id}")
def image_file(request: Request, draft_id: uuid.UUID, media_id: uuid.UUID, caller: PageCaller) -> Response:
    """The stored (cleaned) image, as its own type and sandboxed: it can never run as a page."""
    info, data = draft_media.read_image(get_state(request).sessions, caller.principal, draft_id, media_id)
    return Response(content=data, media_type=info.content_type,
                    headers={"Content-Security-Policy": "default-src 'none'; sandbox", "Content-Disposition": "inline"})


@router.post("/drafts/{draft_id}/acknowledge")
def acknowledge(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "") -> Response:
    state = get_state(request)
    drafts.acknowledge_warning(state.sessions, caller.principal, draft_id, forms.version(version), clock=state.clock)
    return _after(request, caller, draft_id, "acknowledged")


@router.post("/drafts/{draft_id}/withdraw")
def withdraw(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "") -> Response:
    state = get_state(request)
    drafts.withdraw(state.sessions, caller.principal, draft_id, forms.version(version), clock=state.clock)
    return see_other(f"/drafts/{draft_id}?done=withdrawn")


@router.post("/drafts/{draft_id}/schedule")
def schedule(request: Request, draft_id: uuid.UUID, caller: FormCaller, version: Short = "",
             when: Short = "") -> Response:
    state = get_state(request)
    try:
        moment = datetime.fromisoformat(when.strip()).replace(tzinfo=LOCAL)
    except ValueError:
        return _refused(request, caller, draft_id, "schedule", InvalidInput("enter a date and time"), {"when": when})
    if moment <= state.now():
        return _refused(request, caller, draft_id, "schedule", InvalidInput("choose a time in the future"),
                        {"when": when})
    try:
        drafts.schedule(state.sessions, caller.principal, draft_id, forms.version(version), moment,
                        clock=state.clock)
    except InvalidState as error:  # e.g. images for an account whose network takes none: said by the form
        return _refused(request, caller, draft_id, "schedule", error, {"when": when})
    return _after(request, caller, draft_id, "scheduled")

