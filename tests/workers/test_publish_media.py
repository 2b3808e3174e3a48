"""A draft's images reach the network: the publisher hands the connector each cleaned image, in order, with
its alt text and a name that matches its content. The network is the replay connector wrapped in a recorder
that takes media (as Mastodon, Bluesky and the Meta networks do)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from pipeline_org import published, replay_org
from sqlalchemy import Engine, select, update

from warden.connectors.base import AccountRef, Capability, OutboundPost, Published
from warden.connectors.replay import ReplayConnector
from warden.storage.tables import Draft, SocialAccount
from warden.storage.work_tables import OutboxPost
from warden.workers.publishing import publish_due
from warden.workflow import draft_media, drafts, image_uploads

pytestmark = pytest.mark.db
TEXT = "The A64 is open again in both directions. Thanks for your patience."


class Recorder:
    """The replay network, able to take images: it keeps every post it is given."""

    def __init__(self, inner: ReplayConnector) -> None:
        self.inner = inner
        self.network = "mastodon"
        self.capabilities = frozenset(inner.capabilities) | {Capability.PUBLISH_MEDIA}
        self.posts: list[OutboundPost] = []

    def publish(self, post: OutboundPost) -> Published:
        self.posts.append(post)
        return self.inner.publish(replace(post, media=()))


def photo() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                               ExifTags.GPS.GPSLatitude: (54.0, 0.0, 1.5)})
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "orange").save(out, "JPEG", exif=exif)
    return out.getvalue()


def sign() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, "PNG")
    return out.getvalue()


def test_the_connector_receives_the_drafts_images_with_their_alt_text(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    with org.sessions.begin() as session:  # an account on a network that takes images
        session.execute(update(SocialAccount).where(SocialAccount.id == org.corporate).values(network="mastodon"))
    images = (image_uploads.Upload("IMG_0001.JPG", photo(), "The A64 with traffic moving in both directions"),
              image_uploads.Upload("sign.jpeg", sign(), "A blue road sign"))  # a PNG named .jpeg
    draft_id = drafts.create_draft(org.sessions, org.publisher, team_id=org.team, account_ids=[org.corporate],
                                   text=TEXT, images=images)
    drafts.submit_draft(org.sessions, org.publisher, draft_id)
    with org.sessions() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.state == "allowed"
        version = draft.version
    now = datetime.now(UTC)
    drafts.schedule(org.sessions, org.publisher, draft_id, version, now + timedelta(minutes=5))
    recorder: list[Recorder] = []

    def connectors(account: SocialAccount) -> Recorder:
        recorder.append(Recorder(ReplayConnector(AccountRef(id=str(account.id), network="replay",
                                                            handle=account.handle, settings=account.settings))))
        return recorder[-1]

    assert publish_due(org.sessions, connectors, "w1", clock=lambda: now) == 0  # not due yet
    assert publish_due(org.sessions, connectors, "w1", clock=lambda: now + timedelta(minutes=6)) == 1  # type: ignore[arg-type]
    [post] = recorder[0].posts
    assert post.text == TEXT
    stored = draft_media.list_media(org.sessions, org.publisher, draft_id)
    assert [(m.filename, m.content_type, m.alt_text) for m in post.media] == [
        ("IMG_0001.jpg", "image/jpeg", "The A64 with traffic moving in both directions"),
        ("sign.png", "image/png", "A blue road sign")]
    for sent, kept in zip(post.media, stored, strict=True):
        assert sent.data == draft_media.read_image(org.sessions, org.publisher, draft_id, kept.id)[1]
        assert b"Exif" not in sent.data  # what leaves Warden carries no position
    assert len(published(feed)) == 1
    with org.sessions() as session:
        assert session.execute(select(OutboxPost.state)).scalar_one() == "published"
        assert session.get(Draft, draft_id).state == "published"  # type: ignore[union-attr]


def test_a_post_without_images_goes_out_with_none(db_engine: Engine, tmp_path: Path) -> None:
    org, _ = replay_org(db_engine, tmp_path)
    draft_id = drafts.create_draft(org.sessions, org.publisher, team_id=org.team, account_ids=[org.corporate],
                                   text=TEXT)
    drafts.submit_draft(org.sessions, org.publisher, draft_id)
    with org.sessions() as session:
        version = session.get(Draft, draft_id).version  # type: ignore[union-attr]
    now = datetime.now(UTC)
    drafts.schedule(org.sessions, org.publisher, draft_id, version, now)
    sent: list[Recorder] = []

    def connectors(account: SocialAccount) -> Recorder:
        sent.append(Recorder(ReplayConnector(AccountRef(id=str(account.id), network="replay",
                                                        handle=account.handle, settings=account.settings))))
        return sent[-1]

    assert publish_due(org.sessions, connectors, "w1", clock=lambda: now + timedelta(seconds=1)) == 1  # type: ignore[arg-type]
    assert not sent[0].posts[0].media
