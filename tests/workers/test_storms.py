"""429 and 5xx storms: the pipeline waits as long as the network says, backs
off on errors, and in the end has lost nothing and doubled nothing.

The network is the replay connector wrapped in a storm that refuses most
calls (rate limits with a reset time, server errors, and publishes whose
outcome is unknown); a fake clock lets hours of back-off pass in a second.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pipeline_org import message, pipeline, published, replay_org, write_messages
from sqlalchemy import Engine, func, select

from warden.connectors.base import AccountRef, Capability, FetchPage, OutboundPost, Published, RecentPost
from warden.connectors.errors import OutcomeUnknown, RateLimited, Transient
from warden.connectors.replay import ReplayConnector
from warden.storage.tables import Draft, Message, SocialAccount
from warden.storage.work_tables import OutboxPost
from warden.workflow import drafts

pytestmark = pytest.mark.db


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class Storm:
    """Refuses ~60% of calls; remembers when it said to come back and counts calls made too early."""

    def __init__(self, inner: ReplayConnector, clock: Clock, seed: int) -> None:
        self.inner, self.clock, self.rng = inner, clock, random.Random(seed)
        self.network, self.capabilities = inner.network, frozenset(inner.capabilities) - {Capability.HIDE_REPLY}
        self.blocked_until: dict[str, datetime] = {}  # per kind of call, as networks' limits are
        self.too_early = 0
        self.early_calls = Counter[str]()
        self.refused = Counter[str]()

    def _weather(self, call: str, writes: bool = False) -> None:
        now = self.clock()
        if call in self.blocked_until and now < self.blocked_until[call]:
            self.too_early += 1
            self.early_calls[call] += 1
        roll = self.rng.random()
        if roll < 0.3:
            self.blocked_until[call] = now + timedelta(seconds=self.rng.choice((30, 60, 900)))
            self.refused["429"] += 1
            raise RateLimited("429", retry_at=self.blocked_until[call])
        if roll < 0.5:
            self.refused["5xx"] += 1
            raise Transient("503")
        if writes and roll < 0.6:
            self.refused["unknown"] += 1
            raise OutcomeUnknown("502 after sending")

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchPage:
        self._weather("fetch")
        return self.inner.fetch(cursor, limit)

    def publish(self, post: OutboundPost) -> Published:
        self._weather("publish", writes=True)
        return self.inner.publish(post)

    def recent_posts(self, since: datetime, limit: int = 100) -> Sequence[RecentPost]:
        self._weather("recent_posts")
        return self.inner.recent_posts(since, limit)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_storms_are_waited_out_and_nothing_is_lost_or_doubled(db_engine: Engine, tmp_path: Path) -> None:
    org, feed = replay_org(db_engine, tmp_path)
    write_messages(feed, [message(n, f"Question {n} about the parade route", in_reply_to=f"post{n % 9}")
                          for n in range(400)])
    clock = Clock()
    for n in range(20):
        draft_id = drafts.create_draft(org.sessions, org.publisher, team_id=org.team, account_ids=[org.corporate],
                                       text=f"Parade update {n}: the route is open and stewards are in place.")
        drafts.submit_draft(org.sessions, org.publisher, draft_id)
        with org.sessions() as session:
            version = session.get(Draft, draft_id).version  # type: ignore[union-attr]
        drafts.schedule(org.sessions, org.publisher, draft_id, version, clock.now)
    run = pipeline(org, clock=clock, fetch_interval=timedelta(seconds=10))
    with org.sessions() as session:
        account = session.get(SocialAccount, org.corporate)
        assert account is not None
        settings = dict(account.settings)
    storm = Storm(ReplayConnector(AccountRef(str(org.corporate), "replay", "north", settings), clock), clock, 7)
    run.connectors = lambda account: storm  # type: ignore[assignment,return-value]
    # late window: give the posts the whole storm (the policy default is 30 minutes)
    with org.sessions.begin() as session:
        for post in session.execute(select(OutboxPost)).scalars():
            post.late_until = clock.now + timedelta(days=2)
    for _ in range(3000):
        run.run_once()
        clock.now += timedelta(seconds=15)
        with org.sessions() as session:
            stored = session.execute(select(func.count()).select_from(Message)).scalar_one()
            open_posts = session.execute(select(func.count()).select_from(OutboxPost).where(
                OutboxPost.state.in_(("pending", "sending")))).scalar_one()
        if stored == 400 and not open_posts:
            break
    clock.now += timedelta(minutes=30)  # past the grace period: reconciliation settles what it can
    for _ in range(40):
        run.run_once()
        clock.now += timedelta(seconds=30)

    assert storm.refused["429"] > 20 and storm.refused["5xx"] > 10 and storm.refused["unknown"] > 0
    assert storm.too_early == 0, storm.early_calls  # every Retry-After honoured
    with org.sessions() as session:
        assert session.execute(select(func.count()).select_from(Message)).scalar_one() == 400
        assert session.execute(select(func.count(func.distinct(Message.network_id)))).scalar_one() == 400
        states = Counter(session.execute(select(OutboxPost.state)).scalars())
    refs = Counter(post["ref"] for post in published(feed))
    assert max(refs.values()) == 1  # nothing published twice
    assert set(states) <= {"published", "unconfirmed"} and states["published"] == len(refs)
