"""The outbox: every state change of a post on its way to a network, each in
its own transaction with its audit entry.

pending -> sending (attempt committed BEFORE the network call)
sending -> published | failed | pending (nothing was sent: retry later) | unconfirmed (may be live)
pending -> missed (due while Warden was down, past the policy's late window) | cancelled
unconfirmed -> published (reconciled, or settled by a person) | failed (settled by a person) |
               pending (only where the network itself dedupes on our reference)

A post is never sent again while it might already be live: that is the
difference between a delay and a duplicate police post.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.storage.tables import Alert, Draft, SocialAccount
from warden.storage.work_tables import OutboxPost, PublishAttempt
from warden.workflow.errors import InvalidState, ReasonRequired
from warden.workflow.loading import get_owned
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal, system
from warden.workflow.unit import Clock, Unit, utcnow

SETTLED = frozenset({"published", "failed", "missed", "cancelled"})


@dataclass(frozen=True)
class Claimed:
    """A post this worker may now send: its attempt is already committed."""

    outbox_id: uuid.UUID
    organisation_id: uuid.UUID
    account_id: uuid.UUID
    ref: str
    text: str
    in_reply_to: str | None
    attempt: int


def _object(post: OutboxPost, account: SocialAccount | None = None) -> AuditObject:
    preview = post.text if len(post.text) <= 50 else post.text[:47] + "..."
    where = f" on {account.network}:{account.handle}" if account else ""
    return AuditObject(type="post", id=str(post.id), name=f"{preview}{where}")


def _state(post: OutboxPost) -> dict[str, object]:
    return {"state": post.state, "attempts": post.attempts, "network_id": post.network_id}


def enqueue_draft(unit: Unit, draft: Draft, accounts: Sequence[SocialAccount], when: datetime,
                  late_window: timedelta) -> None:
    """Called by ``drafts.schedule`` inside its transaction: the outbox rows
    are committed with the scheduling, or not at all. A reply (from a case) carries the network id of
    the message it answers."""
    for account in accounts:
        unit.session.add(OutboxPost(organisation_id=draft.organisation_id, draft_id=draft.id, account_id=account.id,
                                    text=draft.text, in_reply_to=draft.in_reply_to, due_at=when,
                                    late_until=when + late_window, created_at=unit.clock()))


def cancel_for_draft(unit: Unit, draft: Draft) -> None:
    """Withdrawing a scheduled draft: refused once any post may be live."""
    posts = unit.session.execute(select(OutboxPost).where(OutboxPost.draft_id == draft.id).with_for_update()
                                 ).scalars().all()
    started = [p for p in posts if p.state not in ("pending", "cancelled")]
    if started:
        raise InvalidState("publishing has started; delete the published post instead")
    for post in posts:
        post.state, post.settled_at = "cancelled", unit.clock()


def _locked(session: Session, outbox_id: uuid.UUID) -> OutboxPost:
    post = session.execute(select(OutboxPost).where(OutboxPost.id == outbox_id).with_for_update()).scalar_one()
    return post


def _alert(unit: Unit, post: OutboxPost, kind: str, severity: str, subject: str, detail: str) -> None:
    unit.session.add(Alert(organisation_id=post.organisation_id, kind=kind, severity=severity,
                           subject=subject[:400], detail=detail, created_at=unit.clock()))


def _settle_draft(unit: Unit, post: OutboxPost) -> None:
    """A draft is published when all its posts are; failed when all are
    settled and one is not published."""
    if post.draft_id is None:
        return
    states = unit.session.execute(select(OutboxPost.state).where(OutboxPost.draft_id == post.draft_id)).scalars().all()
    if any(state not in SETTLED for state in states):
        return
    draft = unit.session.execute(select(Draft).where(Draft.id == post.draft_id).with_for_update()).scalar_one()
    if draft.state != "scheduled":
        return
    outcome = "published" if all(state == "published" for state in states) else "publish_failed"
    before = {"state": draft.state, "version": draft.version}
    draft.state, draft.updated_at = outcome, unit.clock()
    unit.session.flush()
    unit.record(f"draft.{outcome}", AuditObject(type="draft", id=str(draft.id), name=draft.text[:60]),
                before=before, after={"state": draft.state, "version": draft.version})


def claim_due(sessions: sessionmaker[Session], worker: str, lease: timedelta, limit: int = 10,
              clock: Clock = utcnow) -> list[Claimed]:
    """Due posts for this worker, each moved to ``sending`` with its attempt
    recorded and committed; posts past their late window become ``missed``."""
    now = clock()
    with sessions() as session, session.begin():
        rows = session.execute(
            select(OutboxPost.id, OutboxPost.organisation_id)
            .where(OutboxPost.state == "pending", OutboxPost.due_at <= now,
                   or_(OutboxPost.lease_until.is_(None), OutboxPost.lease_until <= now))
            .order_by(OutboxPost.due_at).limit(limit).with_for_update(skip_locked=True)).all()
    claimed: list[Claimed] = []
    for outbox_id, organisation_id in rows:
        with Unit(sessions, system(organisation_id, "Warden publisher"), clock) as unit:
            post = _locked(unit.session, outbox_id)
            if post.state != "pending":
                continue
            account = unit.session.get(SocialAccount, post.account_id)
            if now > post.late_until:
                before = _state(post)
                post.state, post.settled_at, post.detail = "missed", now, "due while Warden was not running"
                _alert(unit, post, "post_missed", "high", f"A scheduled post was missed: {post.text[:80]}",
                       f"due {post.due_at.isoformat()}, late window ended {post.late_until.isoformat()}")
                unit.session.flush()
                unit.record("post.missed", _object(post, account), before=before, after=_state(post))
                _settle_draft(unit, post)
                continue
            post.attempts += 1
            post.state, post.lease_owner, post.lease_until = "sending", worker, now + lease
            unit.session.add(PublishAttempt(organisation_id=post.organisation_id, outbox_id=post.id,
                                            number=post.attempts, worker=worker[:64], started_at=now))
            claimed.append(Claimed(post.id, post.organisation_id, post.account_id, str(post.id), post.text,
                                   post.in_reply_to, post.attempts))
    return claimed


def _finish(unit: Unit, post: OutboxPost, attempt: int, outcome: str, detail: str) -> None:
    unit.session.execute(update(PublishAttempt).where(
        PublishAttempt.outbox_id == post.id, PublishAttempt.number == attempt).values(
        finished_at=unit.clock(), outcome=outcome, detail=detail[:2000]))


def record_outcome(sessions: sessionmaker[Session], claimed: Claimed, outcome: str, *, worker: str,
                   network_id: str | None = None, url: str | None = None, detail: str = "",
                   retry_at: datetime | None = None, rate_limited: bool = False, clock: Clock = utcnow) -> None:
    """After the network call. ``outcome``: published | failed | retry (nothing
    was sent) | unknown (it may be live). Ignored if the lease was lost."""
    with Unit(sessions, system(claimed.organisation_id, "Warden publisher"), clock) as unit:
        post = _locked(unit.session, claimed.outbox_id)
        if post.state != "sending" or post.lease_owner != worker or post.attempts != claimed.attempt:
            return  # our lease ran out and someone else took over; their view wins
        account = unit.session.get(SocialAccount, post.account_id)
        before, now = _state(post), unit.clock()
        post.lease_owner, post.lease_until, post.detail = None, None, detail[:2000]
        if outcome == "published":
            post.state, post.network_id, post.url, post.settled_at = "published", network_id, url, now
        elif outcome == "failed":
            post.state, post.settled_at = "failed", now
            _alert(unit, post, "post_failed", "high", f"A post could not be published: {post.text[:80]}", detail)
        elif outcome == "retry":
            post.state, post.lease_until = "pending", retry_at
            if rate_limited and retry_at is not None:  # the limit is the account's: its other posts wait too
                unit.session.execute(update(OutboxPost).where(
                    OutboxPost.account_id == post.account_id, OutboxPost.state == "pending", OutboxPost.id != post.id,
                    or_(OutboxPost.lease_until.is_(None), OutboxPost.lease_until < retry_at)).values(
                    lease_until=retry_at))
        elif outcome == "unknown":
            post.state, post.lease_until = "unconfirmed", _reconcile_hold(unit.session, post)
        else:
            raise ValueError(f"unknown outcome {outcome!r}")
        _finish(unit, post, claimed.attempt, outcome, detail)
        unit.session.flush()
        if outcome != "retry":
            unit.record(f"post.{post.state}", _object(post, account), before=before, after=_state(post),
                        details={"attempt": claimed.attempt, "detail": detail[:300] or None})
        _settle_draft(unit, post)


def expire_leases(sessions: sessionmaker[Session], clock: Clock = utcnow) -> int:
    """Posts left ``sending`` by a worker that died: they may be live, so they
    become ``unconfirmed`` and go to reconciliation (never straight back to pending)."""
    now = clock()
    with sessions() as session, session.begin():
        rows = session.execute(select(OutboxPost.id, OutboxPost.organisation_id).where(
            OutboxPost.state == "sending", OutboxPost.lease_until < now).with_for_update(skip_locked=True)).all()
    for outbox_id, organisation_id in rows:
        with Unit(sessions, system(organisation_id, "Warden publisher"), clock) as unit:
            post = _locked(unit.session, outbox_id)
            if post.state != "sending" or post.lease_until is None or post.lease_until >= now:
                continue
            before = _state(post)
            post.state, post.lease_owner, post.lease_until = "unconfirmed", None, _reconcile_hold(unit.session, post)
            post.detail = "the publishing worker stopped during the network call"
            _finish(unit, post, post.attempts, "unknown", post.detail)
            unit.session.flush()
            unit.record("post.unconfirmed", _object(post, unit.session.get(SocialAccount, post.account_id)),
                        before=before, after=_state(post), details={"reason": "lease expired"})
    return len(rows)


def _reconcile_hold(session: Session, post: OutboxPost) -> datetime | None:
    """A newly unconfirmed post waits as long as the account's others: the
    network may be rate-limiting the reads that reconciliation makes."""
    held: datetime | None = session.execute(select(func.max(OutboxPost.lease_until)).where(
        OutboxPost.account_id == post.account_id, OutboxPost.state == "unconfirmed", OutboxPost.id != post.id)
    ).scalar_one()
    return held


def hold_unconfirmed(sessions: sessionmaker[Session], account_id: uuid.UUID, until: datetime) -> None:
    """The network rate-limited reconciliation: ask again for this account's posts only after ``until``."""
    with sessions() as session, session.begin():
        session.execute(update(OutboxPost).where(OutboxPost.account_id == account_id,
                                                 OutboxPost.state == "unconfirmed").values(lease_until=until))


def reconciled(sessions: sessionmaker[Session], outbox_id: uuid.UUID, organisation_id: uuid.UUID, *,
               found: str | None, url: str | None, retry_safe: bool, give_up: bool, clock: Clock = utcnow) -> str:
    """The result of reading the account's recent posts for an unconfirmed post.

    ``found``: the network id of the matching post. Not found: back to pending
    only if the network dedupes on our reference (``retry_safe``); otherwise
    it stays unconfirmed, and with ``give_up`` a person is alerted to settle it.
    """
    with Unit(sessions, system(organisation_id, "Warden reconciler"), clock) as unit:
        post = _locked(unit.session, outbox_id)
        if post.state != "unconfirmed":
            return post.state
        account = unit.session.get(SocialAccount, post.account_id)
        before = _state(post)
        if found is not None:
            post.state, post.network_id, post.url, post.settled_at = "published", found, url, unit.clock()
            post.detail = "found among the account's recent posts"
        elif retry_safe:
            post.state, post.detail = "pending", "not found; the network dedupes on Warden's reference"
        elif give_up:
            if "person" not in post.detail:
                post.detail = "not found among recent posts: a person must check the account and settle it"
                _alert(unit, post, "post_unconfirmed", "high", f"Check whether this post went out: {post.text[:80]}",
                       post.detail)
            unit.session.flush()
            return post.state
        else:
            return post.state
        unit.session.flush()
        unit.record(f"post.reconciled_{post.state}", _object(post, account), before=before, after=_state(post))
        _settle_draft(unit, post)
        return post.state


def settle(sessions: sessionmaker[Session], principal: Principal, outbox_id: uuid.UUID, *, published: bool,
           reason: str, network_id: str | None = None, clock: Clock = utcnow) -> None:
    """A person settles an unconfirmed post after looking at the account."""
    if not reason.strip():
        raise ReasonRequired("say how you checked the account")
    with Unit(sessions, principal, clock) as unit:
        post = get_owned(unit.session, OutboxPost, outbox_id, principal.organisation_id, lock=True)
        account = get_owned(unit.session, SocialAccount, post.account_id, principal.organisation_id)
        authorize(principal, Permission.DRAFT_SCHEDULE, account.team_id)
        if post.state != "unconfirmed":
            raise InvalidState(f"the post is {post.state}, not unconfirmed")
        before = _state(post)
        post.state, post.settled_at = ("published" if published else "failed"), unit.clock()
        post.network_id = network_id if published else None
        unit.session.flush()
        unit.record(f"post.settled_{post.state}", _object(post, account), justification=reason, before=before,
                    after=_state(post))
        _settle_draft(unit, post)
