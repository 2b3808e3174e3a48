"""Publish due posts: claim one (attempt committed first), call the network,
record the outcome. The state machine itself lives in ``workflow.outbox``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from warden.connectors.base import OutboundPost
from warden.connectors.errors import AuthFailed, ConnectorError, OutcomeUnknown, RateLimited, Transient
from warden.storage.tables import SocialAccount
from warden.workers.connecting import ConnectorSource
from warden.workflow import draft_media, outbox
from warden.workflow.unit import Clock, utcnow

RETRY_AFTER = timedelta(seconds=30)


def publish_due(sessions: sessionmaker[Session], connectors: ConnectorSource, worker: str, *,
                lease: timedelta = timedelta(minutes=2), limit: int = 10, clock: Clock = utcnow) -> int:
    """Returns how many posts were attempted. Posts are claimed one at a time,
    just before sending, so a worker that dies strands only the post in flight
    (unconfirmed, for reconciliation); the rest stay pending for the next worker."""
    outbox.expire_leases(sessions, clock)
    held: dict[uuid.UUID, datetime] = {}  # accounts the network rate-limited during this round
    attempted = 0
    while attempted < limit:
        claimed = outbox.claim_due(sessions, worker, lease, 1, clock)
        if not claimed:
            break
        post = claimed[0]
        attempted += 1
        if post.account_id in held:
            outbox.record_outcome(sessions, post, "retry", worker=worker, detail="rate limited",
                                  retry_at=held[post.account_id], clock=clock)
            continue
        retry_at = publish_one(sessions, connectors, post, worker, clock)
        if retry_at is not None:
            held[post.account_id] = retry_at
    return attempted


def publish_one(sessions: sessionmaker[Session], connectors: ConnectorSource, post: outbox.Claimed, worker: str,
                clock: Clock = utcnow) -> datetime | None:
    """Returns when to come back if the network rate-limited the account."""
    with sessions() as session:
        account = session.get(SocialAccount, post.account_id)
        assert account is not None
        session.expunge(account)
        images = draft_media.for_outbox(session, post.organisation_id, post.outbox_id)

    record = outbox.record_outcome
    try:
        connector = connectors(account)
        published = connector.publish(OutboundPost(ref=post.ref, text=post.text, in_reply_to=post.in_reply_to,
                                                   media=images))
    except OutcomeUnknown as error:
        record(sessions, post, "unknown", worker=worker, detail=error.message, clock=clock)
    except RateLimited as error:
        record(sessions, post, "retry", worker=worker, detail=error.message, retry_at=error.retry_at,
               rate_limited=True, clock=clock)
        return error.retry_at
    except (Transient, AuthFailed) as error:  # nothing was sent: wait, within the late window
        record(sessions, post, "retry", worker=worker, detail=error.message, retry_at=clock() + RETRY_AFTER,
               clock=clock)
    except ConnectorError as error:  # Rejected, NotSupported: it will not work by trying again
        record(sessions, post, "failed", worker=worker, detail=error.message, clock=clock)
    else:
        record(sessions, post, "published", worker=worker, network_id=published.network_id, url=published.url,
               clock=clock)
    return None
