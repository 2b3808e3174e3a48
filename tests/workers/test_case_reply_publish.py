"""A reply written in a case goes out through the outbox and the publisher worker: once, as a reply to
the message it answers; a held reply only after its approval."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_org import message, pipeline, published, replay_org, write_messages
from sqlalchemy import Engine, select

from warden.storage.tables import Case, Draft, Message
from warden.storage.work_tables import OutboxPost
from warden.workflow import case_replies, draft_review

pytestmark = pytest.mark.db
CLEAN = "Thank you for letting us know. Our team will look into it today."
RISKY = "Thanks for the feedback, you muppet."


def test_a_reply_is_published_once_as_a_reply_and_a_held_one_only_after_approval(db_engine: Engine,
                                                                                  tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    write_messages(feed, [message(1, "When is the next neighbourhood meeting in Selby?"),
                          message(2, "Useless lot, as usual", in_reply_to="m1")])
    run = pipeline(org)
    assert run.run_once().filed == 2
    with org.sessions() as session:
        first = session.execute(select(Message).where(Message.network_id == "m1")).scalar_one()
        second = session.execute(select(Message).where(Message.network_id == "m2")).scalar_one()
        case = session.execute(select(Case)).scalar_one()
        case_id, version = case.id, case.version
    answered = case_replies.reply(org.sessions, org.moderator, case_id, first.id, CLEAN, version)
    assert answered.state == "scheduled"
    with org.sessions() as session:
        version = session.get(Case, case_id).version  # type: ignore[union-attr]
    held = case_replies.reply(org.sessions, org.moderator, case_id, second.id, RISKY, version)
    assert held.state == "held"

    assert run.run_once().published == 1
    assert run.run_once().published == 0  # exactly once
    [sent] = published(feed)
    assert (sent["text"], sent["in_reply_to"]) == (CLEAN, "m1")

    with org.sessions() as session:
        held_version = session.get(Draft, held.draft_id).version  # type: ignore[union-attr]
    draft_review.approve(org.sessions, org.approver2, held.draft_id, held_version)
    assert run.run_once().published == 1
    assert run.run_once().published == 0
    posts = published(feed)
    assert [(p["text"], p["in_reply_to"]) for p in posts] == [(CLEAN, "m1"), (RISKY, "m2")]
    with org.sessions() as session:
        for draft_id, post in ((answered.draft_id, posts[0]), (held.draft_id, posts[1])):
            row = session.execute(select(OutboxPost).where(OutboxPost.draft_id == draft_id)).scalar_one()
            assert (row.state, row.network_id, row.in_reply_to) == ("published", post["id"], post["in_reply_to"])
            assert session.get(Draft, draft_id).state == "published"  # type: ignore[union-attr]
    # the replies are the account's own posts, not inbound messages: nothing new is filed
    assert run.run_once().filed == 0
