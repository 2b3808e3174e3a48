"""Scale-out dispatch: the dispatcher sends one message per piece of ready
work and Dramatiq workers (here on Dramatiq's in-process stub broker) run the
same steps, so replayed messages end filed and a due post published."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dramatiq
import pytest
from pipeline_org import message, pipeline, published, replay_org, write_messages
from sqlalchemy import Engine, func, select

from warden.storage.tables import Draft, Message
from warden.workers.dispatch import QUEUE, broker_for, declare, dispatch_once
from warden.workflow import drafts

pytestmark = pytest.mark.db


def test_dispatched_work_is_done_by_dramatiq_workers(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    write_messages(feed, [message(n, f"Is the road open yet? ({n})") for n in range(30)])
    draft_id = drafts.create_draft(org.sessions, org.publisher, team_id=org.team, account_ids=[org.corporate],
                                   text="The road is open again. Thank you for your patience.")
    drafts.submit_draft(org.sessions, org.publisher, draft_id)
    with org.sessions() as session:
        version = session.get(Draft, draft_id).version  # type: ignore[union-attr]
    drafts.schedule(org.sessions, org.publisher, draft_id, version, datetime.now(UTC))
    run = pipeline(org)
    broker = broker_for("stub://")
    actors = declare(broker, run)
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1)
    worker.start()
    try:
        for _ in range(3):  # fetch -> inbox, then file and publish
            assert dispatch_once(run, actors) >= 0
            broker.join(QUEUE, fail_fast=True)
            worker.join()
    finally:
        worker.stop()
        broker.close()
    with org.sessions() as session:
        assert session.execute(select(func.count()).select_from(Message)).scalar_one() == 30
    assert len(published(feed)) == 1


def test_broker_urls_are_checked() -> None:
    with pytest.raises(ValueError, match="redis://, amqp://"):
        broker_for("http://127.0.0.1:6379")
