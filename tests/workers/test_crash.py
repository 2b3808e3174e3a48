"""Crash tests: the process that publishes (or ingests) is killed with
SIGKILL at random moments, over and over; afterwards nothing is lost and
nothing is doubled.

The worker runs in a forked child (so it starts at once and dies for real:
no finally blocks, no atexit, a transaction cut off wherever it was); the
network is the replay connector's files, which outlive the process like a
real network would.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pipeline_org import message, pipeline, published, replay_org, write_messages
from sqlalchemy import Engine, func, select, update

from warden.storage.database import make_engine, session_factory
from warden.storage.tables import Draft, Message, SocialAccount
from warden.storage.work_tables import InboxItem, OutboxPost
from warden.workers import publishing, reconciling
from warden.workflow import drafts

pytestmark = pytest.mark.db
KILLS = 100
SETTLED = {"published", "failed", "missed", "unconfirmed"}


def _run_child(url: str, step: str, seed: int) -> int:
    """Fork a worker that runs ``step`` until it is killed."""
    pid = os.fork()
    if pid:
        return pid
    try:  # the child: its own engine, never the parent's pooled connections
        engine = make_engine(url)
        run = pipeline_for_child(engine)
        while True:
            if step == "publish":
                publishing.publish_due(run.sessions, run.connectors, run.worker, lease=run.lease)
                reconciling.reconcile_unconfirmed(run.sessions, run.connectors)
            else:
                run.run_once()
    finally:
        os._exit(0)


def pipeline_for_child(engine: Engine):  # type: ignore[no-untyped-def]
    from warden.auth.credentials import CredentialCipher, Keyring
    from warden.auth.keys import generate_key
    from warden.workers.connecting import Connectors
    from warden.workers.pipeline import Pipeline

    return Pipeline(session_factory(engine), Connectors(CredentialCipher(Keyring.from_text(generate_key()))),
                    lease=timedelta(seconds=1), fetch_interval=timedelta(seconds=0))


def _kill_repeatedly(url: str, step: str, kills: int, low: float, high: float) -> None:
    rng = random.Random(20261125)
    for n in range(kills):
        pid = _run_child(url, step, n)
        time.sleep(rng.uniform(low, high))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_publisher_killed_100_times_publishes_nothing_twice_and_loses_nothing(
        db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    accounts = [org.corporate]
    with org.sessions.begin() as session:  # four more replay accounts, each its own "network" file
        for n in range(4):
            extra = SocialAccount(organisation_id=org.id, team_id=org.team, network="replay", handle=f"extra{n}",
                                  account_type="corporate", health="connected",
                                  settings={"file": str(tmp_path / f"extra{n}.jsonl")})
            session.add(extra)
            session.flush()
            accounts.append(extra.id)
    for n in range(60):
        draft_id = drafts.create_draft(org.sessions, org.publisher, team_id=org.team, account_ids=accounts,
                                       text=f"Community meeting number {n} at the library on Tuesday at 7pm.")
        drafts.submit_draft(org.sessions, org.publisher, draft_id)
        with org.sessions() as session:
            version = session.get(Draft, draft_id).version  # type: ignore[union-attr]
        drafts.schedule(org.sessions, org.publisher, draft_id, version, datetime.now(UTC))
    with org.sessions.begin() as session:  # stop the other accounts' fetching from getting in the way
        session.execute(update(SocialAccount).values(health="disconnected"))
    url = _url(db_engine)
    db_engine.dispose()

    _kill_repeatedly(url, "publish", KILLS, 0.005, 0.06)

    # then a worker that is left alone settles the rest (leases expire after 1 s)
    run = pipeline(org, lease=timedelta(seconds=1))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        publishing.publish_due(run.sessions, run.connectors, run.worker, lease=run.lease)
        reconciling.reconcile_unconfirmed(run.sessions, run.connectors)
        with org.sessions() as session:
            open_rows = session.execute(select(func.count()).select_from(OutboxPost).where(
                OutboxPost.state.in_(("pending", "sending")))).scalar_one()
        if not open_rows:
            break
        time.sleep(0.2)
    reconciling.reconcile_unconfirmed(run.sessions, run.connectors, limit=1000)  # every unconfirmed post once

    on_network = [post for path in [feed, *(tmp_path / f"extra{n}.jsonl" for n in range(4))]
                  for post in published(path)]
    refs = Counter(post["ref"] for post in on_network)
    with org.sessions() as session:
        rows = session.execute(select(OutboxPost)).scalars().all()
    states = Counter(row.state for row in rows)
    print(f"\n{KILLS} kills: {len(rows)} posts -> {dict(states)}; {len(on_network)} on the networks")
    assert len(rows) == 300
    assert [ref for ref, n in refs.items() if n > 1] == []  # 0 published twice
    assert set(states) <= SETTLED  # 0 lost: every post ends settled or waiting for a person
    for row in rows:
        if row.state == "published":
            assert refs[str(row.id)] == 1 and row.network_id is not None
        else:  # not published by Warden's account: then not on the network either
            assert refs[str(row.id)] == 0, row.state
    # the crashes delayed work, they did not stop it: a worker claims a post just before sending it, so a kill
    # strands at most the one post in flight (unconfirmed, not on the network: it waits for a person)
    assert states["unconfirmed"] <= KILLS
    assert states["published"] >= len(rows) - KILLS


def test_ingest_killed_during_a_replay_of_10000_messages_stores_each_once_with_its_decision(
        db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    texts = ["When does the A64 reopen?", "You lot are a disgrace", "Thanks for the quick response today",
             "I know where you live", "Lost dog near the park, brown spaniel", "Is the station open on Sunday?"]
    write_messages(feed, [message(n, f"{texts[n % len(texts)]} ({n})", in_reply_to=f"post{n % 40}")
                          for n in range(10_000)])
    url = _url(db_engine)
    db_engine.dispose()

    _kill_repeatedly(url, "ingest", 30, 0.05, 0.6)

    run = pipeline(org, fetch_interval=timedelta(seconds=0))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        run.run_once()
        with org.sessions() as session:
            pending = session.execute(select(func.count()).select_from(InboxItem).where(
                InboxItem.state == "pending")).scalar_one()
            stored = session.execute(select(func.count()).select_from(Message)).scalar_one()
        if stored == 10_000 and not pending:
            break
    with org.sessions() as session:
        stored = session.execute(select(func.count()).select_from(Message)).scalar_one()
        distinct = session.execute(select(func.count(func.distinct(Message.network_id)))).scalar_one()
        undecided = session.execute(select(func.count()).select_from(Message).where(
            Message.decision_id.is_(None))).scalar_one()
        dead = session.execute(select(func.count()).select_from(InboxItem).where(
            InboxItem.state != "filed")).scalar_one()
    assert (stored, distinct, undecided, dead) == (10_000, 10_000, 0, 0)
