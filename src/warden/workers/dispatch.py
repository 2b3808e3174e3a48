"""Scale-out: the pipeline's steps as Dramatiq actors on Redis or RabbitMQ.

The database stays the source of truth (rows are claimed with leases), so the
queue only says "there may be work": a lost or doubled queue message delays
or repeats a step, and repeating a step is harmless. One process runs the
dispatcher, which looks at the work tables and sends the messages; any number
of ``warden worker`` processes consume them.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, or_, select

from warden.storage.tables import SocialAccount
from warden.storage.work_tables import AccountSync, InboxItem, NetworkTask, OutboxPost
from warden.workers import fetching, network_tasks, publishing, reconciling
from warden.workers.pipeline import Pipeline
from warden.workflow import inbox

log = logging.getLogger("warden.workers.dispatch")
QUEUE = "warden"


def broker_for(url: str) -> dramatiq.Broker:
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)  # type: ignore[no-untyped-call]
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url)
    if url == "stub://":
        return StubBroker()
    raise ValueError("the broker URL must start with redis://, amqp:// or stub://")


@dataclass
class Actors:
    fetch_account: dramatiq.Actor[Any, Any]
    file_inbox: dramatiq.Actor[Any, Any]
    publish: dramatiq.Actor[Any, Any]
    reconcile: dramatiq.Actor[Any, Any]
    network_tasks: dramatiq.Actor[Any, Any]


def declare(broker: dramatiq.Broker, pipeline: Pipeline) -> Actors:
    """The actors, bound to this broker and this process's pipeline."""

    def fetch_account(account_id: str) -> None:
        claimed = fetching.claim_one(pipeline.sessions, uuid.UUID(account_id), pipeline.worker, pipeline.lease,
                                     pipeline.clock)
        if claimed:
            fetching.fetch_account(pipeline.sessions, pipeline.connectors, uuid.UUID(account_id), pipeline.worker,
                                   interval=pipeline.fetch_interval, clock=pipeline.clock)

    def file_inbox(organisation_id: str) -> None:
        inbox.file_pending(pipeline.sessions, uuid.UUID(organisation_id), pipeline.batch, pipeline.clock)

    def publish() -> None:
        publishing.publish_due(pipeline.sessions, pipeline.connectors, pipeline.worker, lease=pipeline.lease,
                               clock=pipeline.clock)

    def reconcile() -> None:
        reconciling.reconcile_unconfirmed(pipeline.sessions, pipeline.connectors, clock=pipeline.clock)

    def run_network_tasks() -> None:
        network_tasks.run_due(pipeline.sessions, pipeline.connectors, pipeline.worker, lease=pipeline.lease,
                              clock=pipeline.clock)

    def make(fn: Any, name: str) -> dramatiq.Actor[Any, Any]:
        return dramatiq.Actor(fn, broker=broker, actor_name=f"warden.{name}", queue_name=QUEUE, priority=0,
                              options={"max_retries": 3, "min_backoff": 1000, "max_backoff": 60_000,
                                       "time_limit": 300_000})

    return Actors(make(fetch_account, "fetch_account"), make(file_inbox, "file_inbox"), make(publish, "publish"),
                  make(reconcile, "reconcile"), make(run_network_tasks, "network_tasks"))


def dispatch_once(pipeline: Pipeline, actors: Actors) -> int:
    """Send one message per piece of work that is ready; returns how many were sent."""
    sessions, now = pipeline.sessions, pipeline.clock()
    fetching.ensure_sync_rows(sessions, pipeline.clock)
    sent = 0
    with sessions() as session:
        due_accounts = session.execute(
            select(AccountSync.account_id).join(SocialAccount, SocialAccount.id == AccountSync.account_id)
            .where(SocialAccount.health.in_(fetching.FETCHING), AccountSync.next_fetch_at <= now,
                   or_(AccountSync.lease_until.is_(None), AccountSync.lease_until <= now)).limit(500)).scalars().all()
        pending = session.execute(select(InboxItem.organisation_id, func.count()).where(InboxItem.state == "pending")
                                  .group_by(InboxItem.organisation_id)).all()
        posts_due = session.execute(select(func.count()).select_from(OutboxPost).where(
            or_(OutboxPost.state == "sending", OutboxPost.state == "pending"), OutboxPost.due_at <= now)).scalar_one()
        unconfirmed = session.execute(select(func.count()).select_from(OutboxPost).where(
            OutboxPost.state == "unconfirmed")).scalar_one()
        tasks_due = session.execute(select(func.count()).select_from(NetworkTask).where(
            NetworkTask.state == "pending", NetworkTask.due_at <= now)).scalar_one()
    for account_id in due_accounts:
        actors.fetch_account.send(str(account_id))
        sent += 1
    for organisation_id, count in pending:
        for _ in range(min(8, -(-count // pipeline.batch))):  # one message per batch, so workers share the load
            actors.file_inbox.send(str(organisation_id))
            sent += 1
    for actor, count in ((actors.publish, posts_due), (actors.reconcile, unconfirmed),
                         (actors.network_tasks, tasks_due)):
        if count:
            actor.send()
            sent += 1
    return sent


def run_dispatcher(pipeline: Pipeline, actors: Actors, stop: threading.Event, every: float = 0.5) -> None:
    while not stop.is_set():
        try:
            dispatch_once(pipeline, actors)
        except Exception:
            log.exception("dispatch failed at %s; trying again", datetime.now(UTC).isoformat())
        stop.wait(every)
