"""The one Connector protocol every network implements.

A connector is an adapter at the network edge: it turns one account's API into
``Incoming`` messages and posts, and turns network failures into the few
errors the pipeline knows how to handle (``warden.connectors.errors``). It
holds no state of its own between calls: the cursor, the outbox and the
account's health live in the database, so a connector can be rebuilt at any
moment (after a crash, on another worker) and carry on.

Connectors are synchronous (workers run them in threads) and take their
``httpx.Client`` from the caller, so tests point them at a local server or a
mock transport and the pipeline controls timeouts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from warden.domain.messages import Incoming


class Capability(StrEnum):
    """What a network lets Warden do; the console offers only what is declared."""

    FETCH = "fetch"                        # mentions, replies, comments since a cursor
    DIRECT_MESSAGES = "direct_messages"    # fetch includes DMs
    WEBHOOKS = "webhooks"                  # signed push delivery (see the network's webhooks module)
    PUBLISH = "publish"
    PUBLISH_MEDIA = "publish_media"
    REPLY = "reply"
    DELETE = "delete"
    HIDE_REPLY = "hide_reply"
    UNHIDE_REPLY = "unhide_reply"
    BLOCK = "block"
    MUTE = "mute"
    REPORT = "report"
    RECENT_POSTS = "recent_posts"          # needed to reconcile an unconfirmed publish
    IDEMPOTENT_PUBLISH = "idempotent_publish"  # the network itself dedupes on OutboundPost.ref


@dataclass(frozen=True)
class AccountRef:
    """What a connector knows about the account it acts for (no secrets)."""

    id: str
    network: str
    handle: str
    settings: Mapping[str, Any] = field(default_factory=dict)  # e.g. base_url, page_id, user_id


@dataclass(frozen=True)
class FetchPage:
    """One batch of inbound items and the cursor to ask from next time.

    The pipeline stores ``items`` and ``cursor`` in one transaction, so the
    cursor only moves past items that are safely stored. ``more`` says another
    page is ready now (backfilling after a gap).
    """

    items: Sequence[Incoming]
    cursor: str | None
    more: bool = False
    #: When the network expects the next item (a replay at a set speed); None: the usual poll interval.
    next_in: timedelta | None = None


@dataclass(frozen=True)
class Media:
    filename: str
    content_type: str
    data: bytes
    alt_text: str = ""


@dataclass(frozen=True)
class OutboundPost:
    """A post to publish. ``ref`` is Warden's outbox id: connectors use it
    where the network can carry it (an idempotency key, a record key) so that
    reconciliation can recognise the post for certain."""

    ref: str
    text: str
    in_reply_to: str | None = None
    media: Sequence[Media] = ()


@dataclass(frozen=True)
class Published:
    network_id: str
    url: str | None = None


@dataclass(frozen=True)
class RecentPost:
    """One of the account's own recent posts, as reconciliation reads them."""

    network_id: str
    text: str
    created_at: datetime
    ref: str | None = None  # the OutboundPost.ref, where the network kept it


@dataclass(frozen=True)
class Health:
    """The account's state as the network reports it."""

    ok: bool
    detail: str = ""
    scopes: Sequence[str] = ()
    rate_limit_remaining: int | None = None
    rate_limit_reset: datetime | None = None


@runtime_checkable
class Connector(Protocol):
    """One account on one network.

    Every method may raise the errors in ``warden.connectors.errors`` and only
    those: ``RateLimited`` (with when to come back), ``AuthFailed`` (token
    expired or revoked: the account needs reconnecting), ``NotSupported``,
    ``Rejected`` (the network refused this request for good), ``Transient``
    (try again later) and, from ``publish``/``reply`` only, ``OutcomeUnknown``
    (the request may have taken effect: never retry blindly, reconcile).
    """

    @property
    def network(self) -> str: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchPage:
        """Items addressed to the account after ``cursor`` (None: start from
        now-ish, as the network allows), oldest first."""
        ...

    def publish(self, post: OutboundPost) -> Published: ...

    def recent_posts(self, since: datetime, limit: int = 100) -> Sequence[RecentPost]:
        """The account's own posts since ``since``, newest first."""
        ...

    def delete(self, network_id: str) -> None: ...

    def set_reply_hidden(self, network_id: str, hidden: bool) -> None: ...

    def block(self, author_handle: str) -> None: ...

    def mute(self, author_handle: str) -> None: ...

    def report(self, network_id: str, author_handle: str, reason: str) -> None: ...

    def health(self) -> Health: ...


@dataclass(frozen=True)
class WebhookDelivery:
    """Items a network pushed, for the account the network knows as ``account_key``
    (X's ``for_user_id``, a Facebook page id, an Instagram user id)."""

    account_key: str
    items: Sequence[Incoming]


@dataclass(frozen=True)
class ChallengeReply:
    status: int
    body: str
    content_type: str = "application/json"


class WebhookReceiver(Protocol):
    """A network's signed push deliveries. The web layer finds the account by
    the URL, passes its decrypted credentials, and stores what ``parse``
    returns only when ``verify`` said yes; nothing here touches the database."""

    def challenge(self, query: Mapping[str, str], credentials: Mapping[str, str]) -> ChallengeReply:
        """Answer the network's ownership check (X's CRC, Meta's hub.challenge)."""
        ...

    def verify(self, headers: Mapping[str, str], body: bytes, credentials: Mapping[str, str]) -> bool:
        """True only for a correctly signed body (constant-time comparison)."""
        ...

    def parse(self, body: bytes) -> Sequence[WebhookDelivery]:
        """The messages in a verified body; raises ``InvalidInput`` on a malformed one."""
        ...
