"""The images of a draft.

Its author attaches an image to a draft (``attach_media``: the upload is cleaned by
``workflow.image_uploads`` before the transaction, and a draft takes at most
``image_uploads.MAX_PER_DRAFT``) and removes one (``remove_media``). Each change is audited with the draft's
image hashes before and after and, as an edit of the text does, sends the draft back through the risk check,
which reads the post with what its images say, so approvals start again; a draft not yet submitted is
checked when it is. The helpers that store an image row and describe it for the audit log also serve
``workflow.drafts.create_draft``, which takes a new draft's images. Kept apart from the draft's other
actions; the loading and check steps it uses are in ``workflow.draft_states``.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import flag_modified

from warden.audit import JsonValue
from warden.domain.errors import InvalidInput
from warden.storage.tables import Draft, DraftMedia
from warden.workflow import draft_media, image_uploads
from warden.workflow.draft_states import _after_check, _authored, _object, _state
from warden.workflow.errors import NotFound
from warden.workflow.loading import organisation
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit, utcnow

__all__ = ["attach_media", "remove_media"]


def _hashes(session: Session, draft: Draft) -> list[str]:
    return [row.sha256 for row in draft_media.rows(session, draft.organisation_id, draft.id)]


def _image_details(row: DraftMedia) -> dict[str, JsonValue]:
    return {"id": str(row.id), "position": row.position, "filename": row.filename,
            "content_type": row.content_type, "byte_size": row.byte_size, "width": row.width,
            "height": row.height, "sha256": row.sha256, "alt_text": row.alt_text}


def _add_image(unit: Unit, draft: Draft, image: image_uploads.Cleaned, position: int) -> DraftMedia:
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


def attach_media(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID,
                 image: image_uploads.Upload, expected_version: int, clock: Clock = utcnow) -> uuid.UUID:
    """Add a cleaned image (see ``workflow.image_uploads``) to the author's draft; returns the image's id."""
    cleaned = image_uploads.clean(image)  # before the transaction: decoding takes time
    with Unit(sessions, principal, clock) as unit:
        draft = _authored(unit, draft_id, expected_version)
        present = draft_media.rows(unit.session, draft.organisation_id, draft.id)
        if len(present) >= image_uploads.MAX_PER_DRAFT:
            raise InvalidInput(f"a draft takes at most {image_uploads.MAX_PER_DRAFT} images; remove one first")
        before = {**_state(draft), "media": [r.sha256 for r in present]}
        row = _add_image(unit, draft, cleaned, len(present) + 1)
        _images_changed(unit, draft, "draft.media_attached", row, before)
        return row.id


def remove_media(sessions: sessionmaker[Session], principal: Principal, draft_id: uuid.UUID, media_id: uuid.UUID,
                 expected_version: int, clock: Clock = utcnow) -> None:
    with Unit(sessions, principal, clock) as unit:
        draft = _authored(unit, draft_id, expected_version)
        present = draft_media.rows(unit.session, draft.organisation_id, draft.id)
        row = next((r for r in present if r.id == media_id), None)
        if row is None:
            raise NotFound("no such image on this draft")
        before = {**_state(draft), "media": [r.sha256 for r in present]}
        unit.session.delete(row)
        for position, other in enumerate((r for r in present if r.id != media_id), start=1):
            other.position = position
        unit.session.flush()
        _images_changed(unit, draft, "draft.media_removed", row, before)
