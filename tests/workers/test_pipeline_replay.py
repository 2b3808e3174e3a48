"""The live pipeline end to end on a replay network: messages in, filed once
with their decisions and cases; approved posts out, exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pipeline_org import message, pipeline, published, replay_org, scheduled_draft, write_messages
from sqlalchemy import Engine, func, select

from warden.cli.stats import stats_command
from warden.connectors.base import OutboundPost
from warden.storage.tables import Alert, Case, Draft, Message, SocialAccount
from warden.storage.work_tables import AccountSync, InboxItem, NetworkTask, OutboxPost
from warden.workflow import outbox

pytestmark = pytest.mark.db


def count(org, model, *where) -> int:  # type: ignore[no-untyped-def]
    with org.sessions() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_messages_are_filed_once_with_decisions_and_cases(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    write_messages(feed, [message(1, "Thanks for the update, stay safe everyone"),
                          message(2, "I know where you live and I will kill you", in_reply_to="m1"),
                          message(3, "Buy cheap followers now at bit.ly/xyz123 click here")])
    run = pipeline(org)
    first = run.run_once()
    assert (first.fetched, first.filed) == (3, 3)
    assert count(org, Message) == 3
    assert count(org, Message, Message.decision_id.is_(None)) == 0
    assert count(org, Case) == 2  # m2 replies to m1: one thread
    assert count(org, InboxItem, InboxItem.state == "filed") == 3
    stats = CliRunner().invoke(stats_command, ["--json", "--database", db_engine.url.render_as_string(False)])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.output)["inbox"] == {"filed": 3}
    with org.sessions() as session:
        threat = session.execute(select(Message).where(Message.network_id == "m2")).scalar_one()
        case = session.execute(select(Case).where(Case.thread_key == "m1")).scalar_one()
        assert case.severity >= 3
        assert session.execute(select(Alert).where(Alert.kind == "urgent_message")).scalars().first() is not None
    # the same lines again (a re-sent file, a duplicate delivery): nothing new
    write_messages(feed, [message(1, "Thanks for the update, stay safe everyone")])
    assert run.run_once().filed == 0
    assert count(org, Message) == 3
    assert threat.network_id == "m2"


def test_hidden_by_policy_is_hidden_on_the_network(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    write_messages(feed, [message(7, "Call me on 07700 900123 or email jo.bloggs@example.com", kind="comment")])
    run = pipeline(org)
    run.run_once()
    with org.sessions() as session:
        stored = session.execute(select(Message)).scalar_one()
        assert stored.hidden
        task = session.execute(select(NetworkTask)).scalar_one()
        assert (task.action, task.target, task.state) == ("hide", "m7", "done")
    actions = Path(str(feed.with_suffix("")) + ".actions.jsonl").read_text()
    assert '"action": "hide"' in actions and '"target": "m7"' in actions


def test_cursor_resumes_where_it_stopped(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    write_messages(feed, [message(n, f"message number {n} about the bins") for n in range(1, 6)])
    run = pipeline(org)
    run.run_once()
    write_messages(feed, [message(n, f"message number {n} about the bins") for n in range(6, 9)])
    with org.sessions.begin() as session:  # the next fetch is due now
        session.get(AccountSync, org.corporate).next_fetch_at = datetime.now(UTC)  # type: ignore[union-attr]
    assert run.run_once().fetched == 3
    assert count(org, Message) == 8


def test_scheduled_post_is_published_once_when_due(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    now = datetime.now(UTC)
    draft_id = scheduled_draft(org, now + timedelta(minutes=10))
    run = pipeline(org)
    assert run.run_once().published == 0  # not due yet
    assert published(feed) == []
    run.clock = lambda: now + timedelta(minutes=11)
    assert run.run_once().published == 1
    assert run.run_once().published == 0
    posts = published(feed)
    assert len(posts) == 1 and posts[0]["text"].startswith("The A64 is open")
    with org.sessions() as session:
        post = session.execute(select(OutboxPost)).scalar_one()
        assert post.state == "published" and post.network_id == posts[0]["id"]
        assert session.get(Draft, draft_id).state == "published"  # type: ignore[union-attr]


def test_post_due_while_down_is_missed_after_the_late_window(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    now = datetime.now(UTC)
    draft_id = scheduled_draft(org, now + timedelta(minutes=1))
    run = pipeline(org)
    run.clock = lambda: now + timedelta(hours=3)  # the policy's window is 30 minutes
    run.run_once()
    assert published(feed) == []
    with org.sessions() as session:
        assert session.execute(select(OutboxPost.state)).scalar_one() == "missed"
        assert session.get(Draft, draft_id).state == "publish_failed"  # type: ignore[union-attr]
        assert session.execute(select(Alert).where(Alert.kind == "post_missed")).scalars().first() is not None


def test_post_due_while_down_goes_out_late_within_the_window(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    now = datetime.now(UTC)
    scheduled_draft(org, now + timedelta(minutes=1))
    run = pipeline(org)
    run.clock = lambda: now + timedelta(minutes=20)
    run.run_once()
    assert len(published(feed)) == 1


def test_a_worker_that_died_mid_call_is_reconciled_not_resent(db_engine: Engine, tmp_path: Path) -> None:
    """The post went out but the worker died before recording it: the lease
    expires, the post becomes unconfirmed, reconciliation finds it."""
    org, feed = replay_org(db_engine, tmp_path)
    now = datetime.now(UTC)
    scheduled_draft(org, now)
    run = pipeline(org, lease=timedelta(seconds=30))
    claimed = outbox.claim_due(org.sessions, "dead-worker", timedelta(seconds=30))
    assert len(claimed) == 1
    with org.sessions() as session:
        account = session.get(SocialAccount, org.corporate)
    assert account is not None
    run.connectors(account).publish(OutboundPost(ref=claimed[0].ref, text=claimed[0].text))  # then "crash"
    run.clock = lambda: now + timedelta(minutes=1)
    run.run_once()
    assert len(published(feed)) == 1
    with org.sessions() as session:
        assert session.execute(select(OutboxPost.state)).scalar_one() == "published"
