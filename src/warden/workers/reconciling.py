"""Settle posts whose outcome is unknown by reading the account's recent posts.

A post is matched by Warden's reference where the network keeps it, otherwise
by its exact text, published after the attempt began. Not found: it goes
back to the queue only where the network itself dedupes on the reference;
elsewhere it stays unconfirmed (the network may still be indexing it) and,
after a grace period, a person is asked to check. Never a blind retry.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from warden.connectors.base import Capability, RecentPost
from warden.connectors.errors import ConnectorError, RateLimited
from warden.storage.tables import SocialAccount
from warden.storage.work_tables import OutboxPost, PublishAttempt
from warden.workers.connecting import ConnectorSource
from warden.workflow import outbox
from warden.workflow.unit import Clock, utcnow

GRACE = timedelta(minutes=10)
CLOCK_SKEW = timedelta(minutes=5)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def match(post: OutboxPost, recent: list[RecentPost], first_attempt: datetime) -> RecentPost | None:
    for candidate in recent:
        if candidate.ref is not None and candidate.ref == str(post.id):
            return candidate
    for candidate in recent:
        if candidate.ref is None and _same_text(candidate.text, post.text) \
                and candidate.created_at >= first_attempt - CLOCK_SKEW:
            return candidate
    return None


def reconcile_unconfirmed(sessions: sessionmaker[Session], connectors: ConnectorSource, *, limit: int = 20,
                          clock: Clock = utcnow) -> int:
    """Returns how many posts were settled as published."""
    with sessions() as session:
        rows = session.execute(
            select(OutboxPost, func.min(PublishAttempt.started_at), func.max(PublishAttempt.started_at))
            .join(PublishAttempt, PublishAttempt.outbox_id == OutboxPost.id)
            .where(OutboxPost.state == "unconfirmed",
                   or_(OutboxPost.lease_until.is_(None), OutboxPost.lease_until <= clock()))
            .group_by(OutboxPost.id).limit(limit)).all()
        work = [(post, first, last, session.get(SocialAccount, post.account_id)) for post, first, last in rows]
        session.expunge_all()
    settled = 0
    held: set[uuid.UUID] = set()
    for post, first, last, account in work:
        if account is None or account.id in held:
            continue
        try:
            connector = connectors(account)
            if Capability.RECENT_POSTS not in connector.capabilities:
                recent: list[RecentPost] = []
            else:
                recent = list(connector.recent_posts(first - CLOCK_SKEW))
        except RateLimited as error:
            outbox.hold_unconfirmed(sessions, account.id, error.retry_at)
            held.add(account.id)
            continue
        except ConnectorError:
            continue  # try again on the next round; the post stays unconfirmed
        found = match(post, recent, first)
        state = outbox.reconciled(
            sessions, post.id, post.organisation_id, found=found.network_id if found else None, url=None,
            retry_safe=Capability.IDEMPOTENT_PUBLISH in connector.capabilities,
            give_up=clock() - last > GRACE, clock=clock)
        settled += state == "published"
    return settled

