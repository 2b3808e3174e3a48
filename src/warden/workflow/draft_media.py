"""A draft's images as stored: read back, and the words they add to the draft's risk check.

Reads of a draft's stored (cleaned) images, without their bytes (``rows``; ``of_drafts`` for a queue page;
``list_media``, as ``MediaInfo``, for a member who may read the draft) or with them (``read_image``, and
``for_outbox``: what a connector publishes with an outbox post, each image under ``publish_name``), and
``check_text``, which makes the post and what its images say (alt text, file name as words) one text for
the risk engine, with the ``Segment`` where each image's words sit. Kept apart from cleaning an upload
(``workflow.image_uploads``) and from the draft's state changes (``workflow.draft_images``), which read
the rows here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker, undefer

from warden.connectors.base import Media
from warden.storage.tables import Draft, DraftMedia
from warden.storage.work_tables import OutboxPost
from warden.workflow.errors import NotFound
from warden.workflow.image_uploads import TYPES
from warden.workflow.loading import get_owned
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal

__all__ = ["Described", "MediaInfo", "Segment", "check_text", "for_outbox", "list_media", "name_words", "of_drafts",
           "publish_name", "read_image", "rows"]


@dataclass(frozen=True)
class MediaInfo:
    """An attached image without its bytes."""

    id: uuid.UUID
    draft_id: uuid.UUID
    position: int
    filename: str
    content_type: str
    byte_size: int
    width: int
    height: int
    alt_text: str
    sha256: str


class Described(Protocol):
    @property
    def filename(self) -> str: ...
    @property
    def alt_text(self) -> str: ...


# ------------------------------------------------------------------------- the risk check

@dataclass(frozen=True)
class Segment:
    """Where an image's words sit in the text the risk engine checked."""

    position: int
    part: str  # alt_text | filename
    start: int
    end: int


def name_words(filename: str) -> str:
    """A file name as words ("jo_bloggs-custody.jpg" -> "jo bloggs custody jpg"), the same length, so that
    word-bounded matching (names in the registers, lexicon entries) sees it and offsets still fit the name."""
    return re.sub(r"[_\-.+~]", " ", filename)


def check_text(text: str, images: Sequence[Described]) -> tuple[str, list[Segment]]:
    """The post and what its images say (alt text, file name), as one text for the risk engine: each image's
    words are published (alt text) or may be (a file name), so they meet the same policy as the post."""
    parts, segments, offset = [text], [], len(text)
    for position, image in enumerate(images, start=1):
        for part, label, value in (("alt_text", "description", image.alt_text),
                                   ("filename", "file name", name_words(image.filename))):
            if not value:
                continue
            prefix = f"\n\nImage {position} {label}: "
            start = offset + len(prefix)
            parts.append(prefix + value)
            offset = start + len(value)
            segments.append(Segment(position, part, start, offset))
    return "".join(parts), segments


# ----------------------------------------------------------------------------------- reads

def _info(row: DraftMedia) -> MediaInfo:
    return MediaInfo(id=row.id, draft_id=row.draft_id, position=row.position, filename=row.filename,
                     content_type=row.content_type, byte_size=row.byte_size, width=row.width, height=row.height,
                     alt_text=row.alt_text, sha256=row.sha256)


def rows(session: Session, organisation_id: uuid.UUID, draft_id: uuid.UUID) -> list[DraftMedia]:
    """The draft's images in order, without their bytes."""
    return list(session.execute(select(DraftMedia).where(
        DraftMedia.organisation_id == organisation_id, DraftMedia.draft_id == draft_id)
        .order_by(DraftMedia.position)).scalars())


def of_drafts(session: Session, organisation_id: uuid.UUID,
              draft_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[MediaInfo]]:
    """Images of many drafts in one query (a queue page); the caller has already chosen drafts it may read."""
    found: dict[uuid.UUID, list[MediaInfo]] = {}
    if not draft_ids:
        return found
    for row in session.execute(select(DraftMedia).where(
            DraftMedia.organisation_id == organisation_id, DraftMedia.draft_id.in_(list(draft_ids)))
            .order_by(DraftMedia.draft_id, DraftMedia.position)).scalars():
        found.setdefault(row.draft_id, []).append(_info(row))
    return found


def _readable_draft(session: Session, principal: Principal, draft_id: uuid.UUID) -> Draft:
    draft = get_owned(session, Draft, draft_id, principal.organisation_id)
    authorize(principal, Permission.DRAFT_READ, draft.team_id)
    return draft


def list_media(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID) -> list[MediaInfo]:
    with sessions() as session:
        _readable_draft(session, principal, draft_id)
        return [_info(row) for row in rows(session, principal.organisation_id, draft_id)]


def read_image(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID,
               media_id: uuid.UUID) -> tuple[MediaInfo, bytes]:
    """One image and its (cleaned) bytes, for a member who may read the draft."""
    with sessions() as session:
        _readable_draft(session, principal, draft_id)
        row = session.execute(select(DraftMedia).options(undefer(DraftMedia.data)).where(
            DraftMedia.id == media_id, DraftMedia.draft_id == draft_id,
            DraftMedia.organisation_id == principal.organisation_id)).scalar_one_or_none()
        if row is None:
            raise NotFound("no such image")
        return _info(row), row.data


def for_outbox(session: Session, organisation_id: uuid.UUID, outbox_id: uuid.UUID) -> list[Media]:
    """What the connector publishes with an outbox post: its draft's images, in order, with their alt text."""
    draft_id = session.execute(select(OutboxPost.draft_id).where(
        OutboxPost.id == outbox_id, OutboxPost.organisation_id == organisation_id)).scalar_one_or_none()
    if draft_id is None:
        return []
    found = session.execute(select(DraftMedia).options(undefer(DraftMedia.data)).where(
        DraftMedia.organisation_id == organisation_id, DraftMedia.draft_id == draft_id)
        .order_by(DraftMedia.position)).scalars()
    return [Media(filename=publish_name(row), content_type=row.content_type, data=row.data, alt_text=row.alt_text)
            for row in found]


def publish_name(row: DraftMedia) -> str:
    """The name a network is given: the (cleaned) name with the extension its content really has."""
    extension = next((ext for content_type, ext in TYPES.values() if content_type == row.content_type), "")
    stem = row.filename.rsplit(".", 1)[0] if "." in row.filename else row.filename
    return f"{stem or 'image'}{extension}"
