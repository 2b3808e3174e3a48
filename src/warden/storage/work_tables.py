"""The work the pipeline must not lose: inbound items waiting to be filed,
each account's fetch cursor, the outbox of posts to publish with every
attempt, and network actions (hide, block ...) waiting to be carried out.

The database is the source of truth for all of it; workers claim rows with
leases, so a crashed worker's rows are picked up again when its lease ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warden.storage.tables import Base, _created, _id, _org


class InboxItem(Base):
    """A message as it arrived (poll or webhook), before it is filed.

    Unique on (account, network id): a webhook delivered twice, or polled and
    pushed, is stored once.
    """

    __tablename__ = "inbox_items"
    __table_args__ = (UniqueConstraint("account_id", "network_id"), Index("ix_inbox_pending", "state", "arrived_at"))
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_accounts.id"))
    network_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str] = mapped_column(String(16))  # poll | webhook | api
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | filed | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    arrived_at: Mapped[datetime] = _created()
    filed_at: Mapped[datetime | None] = mapped_column()
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"))


class AccountSync(Base):
    """Where fetching stands for one account: the cursor moves only in the
    transaction that stores the items it covers."""

    __tablename__ = "account_sync"
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_accounts.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = _org()
    cursor: Mapped[str | None] = mapped_column(Text)
    next_fetch_at: Mapped[datetime] = _created()
    last_fetch_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()


class OutboxPost(Base):
    """One post to one account, committed in the same transaction as the
    scheduling that makes it due. States: pending -> sending -> published |
    failed | unconfirmed; pending -> missed | cancelled; unconfirmed ->
    published | failed (reconciled or settled by a person)."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("draft_id", "account_id"), UniqueConstraint("message_id", "account_id"),
                      Index("ix_outbox_due", "state", "due_at"))
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    draft_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("drafts.id"), index=True)
    # An automatic or case reply has no draft; it answers this message.
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_accounts.id"))
    text: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column()
    late_until: Mapped[datetime] = mapped_column()  # after this a post that is still pending is missed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    network_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()
    settled_at: Mapped[datetime | None] = mapped_column()


class PublishAttempt(Base):
    """Written and committed BEFORE the network call, so a crash mid-call
    leaves evidence that the post may be live."""

    __tablename__ = "publish_attempts"
    __table_args__ = (UniqueConstraint("outbox_id", "number"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    outbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(16))  # published | failed | unknown | reconciled
    detail: Mapped[str] = mapped_column(Text, default="")


class NetworkTask(Base):
    """A moderation action to carry out on the network (hide, unhide,
    delete, block, mute, report), committed with the decision or the case
    action that asked for it. Idempotent on the network side, so retrying
    after a crash is safe (unlike publishing)."""

    __tablename__ = "network_tasks"
    __table_args__ = (Index("ix_network_tasks_due", "state", "due_at"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_accounts.id"))
    action: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(200))  # a network id or an author handle
    reason: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = _created()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()
    done_at: Mapped[datetime | None] = mapped_column()


class AccountOAuthState(Base):
    """A network connection in progress (``workflow.connecting``): server-side, short-lived, used
    once. ``id`` is the SHA-256 of the ``state`` parameter; ``flow`` (PKCE verifier, client id and
    secret) is encrypted; ``member_id`` and ``browser_hash`` bind it to the admin and browser
    that started it."""

    __tablename__ = "account_oauth_states"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = _org()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_accounts.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"))
    browser_hash: Mapped[str] = mapped_column(String(64))
    flow: Mapped[bytes] = mapped_column(LargeBinary)
    return_to: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column(index=True)
