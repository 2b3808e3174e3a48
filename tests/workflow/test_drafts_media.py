"""Images on drafts in the workflow: attached and removed by the author only, audited with the draft,
checked with the post (alt text and file name), an edit that resets approvals, tenant isolated, refused at
scheduling where the account's network takes no images; and ``available_actions`` per state and role."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from PIL import ExifTags, Image
from sqlalchemy import Engine, select, update

from warden.audit import Verifier, load_entries, verify_chain
from warden.domain.errors import InvalidInput
from warden.storage import audit_log
from warden.storage.tables import AuditEntryRow, Draft, DraftMedia, SocialAccount
from warden.storage.work_tables import OutboxPost
from warden.workflow import draft_images, draft_media, draft_review, drafts, image_uploads, network_media
from warden.workflow.errors import Forbidden, InvalidState, NotFound, StaleVersion
from workflow_org import Org, build_org

pytestmark = pytest.mark.db
CLEAN = "Road closure: the A64 eastbound is closed. Please find another route."
ALT = "A police officer directing traffic at a closed road"


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                               ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5)})
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(colour: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 12), colour).save(out, "PNG")
    return out.getvalue()


def upload(alt: str = ALT, name: str = "road.jpg", data: bytes | None = None) -> image_uploads.Upload:
    return image_uploads.Upload(filename=name, data=data if data is not None else jpeg_with_gps(), alt_text=alt)


def state(org: Org, draft_id: uuid.UUID) -> tuple[str, int]:
    with org.sessions() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft.state, draft.version


def audit(org: Org) -> list[tuple[str, dict[str, object]]]:
    with org.sessions() as session:
        rows = session.execute(select(AuditEntryRow.action, AuditEntryRow.body).where(
            AuditEntryRow.organisation_id == org.id).order_by(AuditEntryRow.seq)).all()
    return [(action, json.loads(body).get("details") or {}) for action, body in rows]


def submitted(org: Org, who: str, text: str = CLEAN, images: tuple[image_uploads.Upload, ...] = ()) -> uuid.UUID:
    principal = getattr(org, who)
    draft_id = drafts.create_draft(org.sessions, principal, team_id=org.team, account_ids=[org.corporate],
                                   text=text, images=images)
    drafts.submit_draft(org.sessions, principal, draft_id)
    return draft_id


def set_network(org: Org, network: str) -> None:
    with org.sessions.begin() as session:
        session.execute(update(SocialAccount).where(SocialAccount.id == org.corporate).values(network=network))


def test_images_come_with_the_draft_cleaned_ordered_and_audited(org: Org) -> None:
    draft_id = submitted(org, "contributor", images=(upload(), upload("A green square sign", "sign.png", png())))
    images = draft_media.list_media(org.sessions, org.contributor, draft_id)
    assert [(i.position, i.filename, i.content_type) for i in images] == [
        (1, "road.jpg", "image/jpeg"), (2, "sign.png", "image/png")]
    info, data = draft_media.read_image(org.sessions, org.approver, draft_id, images[0].id)
    assert info.alt_text == ALT and b"Exif" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    entries = audit(org)
    assert [a for a, _ in entries][-4:] == ["draft.created", "draft.media_attached", "draft.media_attached",
                                           "draft.submitted"]
    attached = entries[-3][1]["image"]
    assert isinstance(attached, dict)
    assert (attached["filename"], attached["sha256"], attached["alt_text"]) == ("road.jpg", images[0].sha256, ALT)
    with org.sessions() as session:
        report = verify_chain(load_entries(audit_log.stream_rows(session, org.id)), [], Verifier({}))
    assert report.ok, report.summary()


def test_an_image_added_to_an_approved_draft_is_checked_and_needs_approval_again(org: Org) -> None:
    draft_id = submitted(org, "contributor")
    draft_review.approve(org.sessions, org.approver, draft_id, state(org, draft_id)[1])
    status, version = state(org, draft_id)
    assert status == "approved"
    draft_images.attach_media(org.sessions, org.contributor, draft_id, upload(), version)
    status, newer = state(org, draft_id)
    assert status == "held" and newer > version
    assert [a for a, _ in audit(org)][-2:] == ["draft.media_attached", "draft.rechecked"]
    with pytest.raises(StaleVersion):  # a view from before the change cannot act on it
        draft_review.approve(org.sessions, org.approver, draft_id, version)
    draft_review.approve(org.sessions, org.approver, draft_id, newer)
    assert state(org, draft_id)[0] == "approved"


def test_a_risky_description_or_file_name_holds_a_publishers_draft(org: Org) -> None:
    clean = submitted(org, "publisher", images=(upload(),))
    assert state(org, clean)[0] == "allowed"
    risky_alt = submitted(org, "publisher", images=(upload("Another idiot driver doing 90 in a 30"),))
    assert state(org, risky_alt)[0] == "held"
    risky_name = submitted(org, "publisher", images=(upload(name="another_idiot_driver.jpg"),))
    assert state(org, risky_name)[0] == "held"
    with org.sessions() as session:
        draft = session.get(Draft, risky_alt)
        assert draft is not None
        checked, segments = draft_media.check_text(draft.text, draft_media.rows(session, org.id, risky_alt))
        decision = session.execute(select(AuditEntryRow.body).where(AuditEntryRow.object_id == str(risky_alt),
                                                                    AuditEntryRow.action == "draft.submitted")
                                   ).scalar_one()
    assert json.loads(decision)["details"]["decision"] == "hold"
    assert "idiot driver" in checked[segments[0].start:segments[0].end]


def test_removing_an_image_checks_again_and_renumbers(org: Org) -> None:
    draft_id = submitted(org, "publisher", images=(upload("Another idiot driver doing 90 in a 30", "a.png", png()),
                                                   upload(), upload("A green road sign", "c.png", png())))
    status, version = state(org, draft_id)
    assert status == "held"
    first = draft_media.list_media(org.sessions, org.publisher, draft_id)[0]
    draft_images.remove_media(org.sessions, org.publisher, draft_id, first.id, version)
    assert state(org, draft_id)[0] == "allowed"  # what held it is gone
    assert [(i.position, i.filename) for i in draft_media.list_media(org.sessions, org.publisher, draft_id)] == [
        (1, "road.jpg"), (2, "c.png")]
    actions = audit(org)
    assert [a for a, _ in actions][-2:] == ["draft.media_removed", "draft.rechecked"]
    removed = actions[-2][1]["image"]
    assert isinstance(removed, dict) and removed["sha256"] == first.sha256  # which image it was, for ever
    with org.sessions() as session:
        assert session.get(DraftMedia, first.id) is None


def test_a_draft_not_yet_submitted_takes_images_unchecked_and_its_version_moves(org: Org) -> None:
    draft_id = drafts.create_draft(org.sessions, org.publisher, team_id=org.team, account_ids=[org.corporate],
                                   text=CLEAN)
    version = state(org, draft_id)[1]
    draft_images.attach_media(org.sessions, org.publisher, draft_id, upload("Another idiot driver doing 90 in a 30"),
                              version)
    status, newer = state(org, draft_id)
    assert status == "draft" and newer == version + 1
    drafts.submit_draft(org.sessions, org.publisher, draft_id, newer)
    assert state(org, draft_id)[0] == "held"  # the submit's check read the description


def test_four_images_at_most(org: Org) -> None:
    with pytest.raises(InvalidInput, match="at most 4"):
        submitted(org, "publisher", images=tuple(upload() for _ in range(5)))
    draft_id = submitted(org, "publisher", images=tuple(upload() for _ in range(4)))
    with pytest.raises(InvalidInput, match="at most 4"):
        draft_images.attach_media(org.sessions, org.publisher, draft_id, upload(), state(org, draft_id)[1])


def test_only_the_author_changes_images_and_nothing_crosses_organisations(org: Org, db_engine: Engine) -> None:
    draft_id = submitted(org, "contributor", images=(upload(),))
    image = draft_media.list_media(org.sessions, org.contributor, draft_id)[0]
    version = state(org, draft_id)[1]
    with pytest.raises(Forbidden):
        draft_images.attach_media(org.sessions, org.approver, draft_id, upload(), version)
    with pytest.raises(Forbidden):
        draft_images.remove_media(org.sessions, org.approver, draft_id, image.id, version)
    with pytest.raises(Forbidden):  # a moderator does not read drafts
        draft_media.list_media(org.sessions, org.moderator, draft_id)
    south = build_org(db_engine, "south")
    for principal in (south.contributor, south.approver, south.admin):
        with pytest.raises(NotFound):
            draft_media.list_media(org.sessions, principal, draft_id)
        with pytest.raises(NotFound):
            draft_media.read_image(org.sessions, principal, draft_id, image.id)
        with pytest.raises(NotFound):
            draft_images.attach_media(org.sessions, principal, draft_id, upload(), version)
        with pytest.raises(NotFound):
            draft_images.remove_media(org.sessions, principal, draft_id, image.id, version)
    other = submitted(south, "contributor", images=(upload(),))
    with pytest.raises(NotFound):  # an image is found only under its own draft
        draft_media.read_image(org.sessions, org.contributor, draft_id, draft_media.list_media(
            south.sessions, south.contributor, other)[0].id)
    with org.sessions() as session:
        assert draft_media.of_drafts(session, south.id, [draft_id]) == {}
    assert len(draft_media.list_media(org.sessions, org.contributor, draft_id)) == 1


def test_scheduling_refuses_images_for_a_network_that_takes_none(org: Org) -> None:
    set_network(org, "x")  # Warden publishes text to X, never images
    draft_id = submitted(org, "publisher", images=(upload(),))
    status, version = state(org, draft_id)
    assert status == "allowed"
    when = datetime.now(UTC) + timedelta(hours=1)
    with pytest.raises(InvalidState) as refused:
        drafts.schedule(org.sessions, org.publisher, draft_id, version, when)
    assert "north_police" in refused.value.message and "remove the images" in refused.value.message
    with org.sessions() as session:
        assert session.execute(select(OutboxPost)).first() is None
    assert network_media.publishing_problems(org.sessions, org.id, [org.corporate], True) == [refused.value.message]
    set_network(org, "mastodon")
    drafts.schedule(org.sessions, org.publisher, draft_id, version, when)
    assert state(org, draft_id)[0] == "scheduled"


def test_a_post_without_an_image_is_refused_for_instagram_at_scheduling(org: Org) -> None:
    set_network(org, "instagram")
    draft_id = submitted(org, "publisher")
    with pytest.raises(InvalidState, match="needs an image"):
        drafts.schedule(org.sessions, org.publisher, draft_id, state(org, draft_id)[1], datetime.now(UTC))


# ----------------------------------------------------------------------------- available actions

@dataclass(frozen=True)
class Seen:
    author_id: uuid.UUID
    team_id: uuid.UUID
    state: str


@pytest.mark.parametrize(("viewer", "author", "draft_state", "locked", "expected"), [
    ("contributor", "contributor", "draft", False, ["submit", "edit", "withdraw"]),
    ("contributor", "contributor", "held", False, ["edit", "withdraw"]),
    ("contributor", "contributor", "changes_requested", False, ["submit", "edit", "withdraw"]),
    ("approver", "contributor", "held", False, ["approve", "request_changes", "reject"]),
    ("approver", "contributor", "blocked", False, ["request_changes", "reject", "override"]),
    ("approver", "contributor", "approved", False, ["schedule"]),
    ("approver", "contributor", "approved", True, []),
    ("approver2", "contributor", "warned", False, ["reject"]),
    ("publisher", "publisher", "warned", False, ["edit", "acknowledge", "withdraw"]),
    ("publisher", "publisher", "allowed", False, ["edit", "schedule", "withdraw"]),
    ("publisher", "publisher", "allowed", True, ["edit", "withdraw"]),
    ("publisher", "contributor", "allowed", False, []),
    ("approver", "approver", "held", False, ["edit", "withdraw"]),  # never their own
    ("auditor", "contributor", "held", False, []),
    ("moderator", "contributor", "held", False, []),
    ("contributor", "contributor", "scheduled", False, ["withdraw"]),
    ("contributor", "contributor", "published", False, []),
    ("approver", "contributor", "rejected", False, []),
])
def test_available_actions_by_state_and_role(org: Org, viewer: str, author: str, draft_state: str, locked: bool,
                                             expected: list[str]) -> None:
    author_id = getattr(org, author).member_id
    assert author_id is not None
    offered = drafts.available_actions(getattr(org, viewer), Seen(author_id, org.team, draft_state), locked)
    assert offered == expected


def test_available_actions_are_what_the_workflow_then_allows(org: Org) -> None:
    """Each action offered to the approver on a held draft is accepted; what is not offered is refused."""
    draft_id = submitted(org, "contributor")
    with org.sessions() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        offered = drafts.available_actions(org.approver, draft)
    assert "approve" in offered and "edit" not in offered
    with pytest.raises(Forbidden):
        drafts.edit_draft(org.sessions, org.approver, draft_id, CLEAN + " Again.", state(org, draft_id)[1])
    draft_review.approve(org.sessions, org.approver, draft_id, state(org, draft_id)[1])
