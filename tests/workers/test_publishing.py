"""The publisher claims one post at a time, just before sending it: a worker that dies mid-round strands only
the post in flight. The network is the replay connector, wrapped so that its second call kills the worker."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from pipeline_org import replay_org, scheduled_draft
from sqlalchemy import Engine, select

from warden.connectors.base import AccountRef, OutboundPost, Published
from warden.connectors.replay import ReplayConnector
from warden.storage.tables import SocialAccount
from warden.storage.work_tables import OutboxPost
from warden.workers.publishing import publish_due

pytestmark = pytest.mark.db


class WorkerDied(BaseException):
    """Stands for the process being killed: nothing below it catches a BaseException."""


def test_a_worker_dying_mid_round_strands_only_the_post_in_flight(db_engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    org, _feed = replay_org(db_engine, tmp_path)
    now = datetime.now(UTC)
    for n in range(5):
        scheduled_draft(org, now, f"Community meeting number {n} at the library on Tuesday at 7pm.")
    calls: list[str] = []

    class DiesOnSecondCall(ReplayConnector):
        def publish(self, post: OutboundPost) -> Published:
            calls.append(post.ref)
            if len(calls) == 2:
                raise WorkerDied
            return super().publish(post)

    def connectors(account: SocialAccount) -> DiesOnSecondCall:
        return DiesOnSecondCall(AccountRef(id=str(account.id), network="replay", handle=account.handle,
                                           settings=account.settings))

    with pytest.raises(WorkerDied):
        publish_due(org.sessions, connectors, "w1", clock=lambda: now)  # type: ignore[arg-type]
    with org.sessions() as session:
        states = Counter(session.execute(select(OutboxPost.state)).scalars())
        in_flight = session.execute(select(OutboxPost.id).where(OutboxPost.state == "sending")).scalar_one()
    assert states == {"published": 1, "sending": 1, "pending": 3}
    assert str(in_flight) == calls[1]

    # the next worker publishes the three still pending; the one in flight is left for reconciliation
    assert publish_due(org.sessions, connectors, "w2", clock=lambda: now) == 3  # type: ignore[arg-type]
    with org.sessions() as session:
        assert Counter(session.execute(select(OutboxPost.state)).scalars()) == {"published": 4, "sending": 1}
