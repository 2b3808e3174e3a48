"""The Mastodon connector: one account on one instance, over the REST API.

Inbound is the account's mention notifications (Mastodon delivers replies and
direct messages as mentions too). Outbound posts carry Warden's outbox id as
the ``Idempotency-Key`` header, so the instance itself refuses to post the same
outbox row twice (it remembers keys for about an hour).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from warden.connectors.base import (
    AccountRef,
    Capability,
    FetchPage,
    Health,
    OutboundPost,
    Published,
    RecentPost,
)
from warden.connectors.errors import NotSupported, OutcomeUnknown, Rejected, Transient
from warden.connectors.http import json_body
from warden.connectors.mastodon import cursor as cursors
from warden.connectors.mastodon import media as uploads
from warden.connectors.mastodon.api import MastodonApi, rate_limit_remaining, rate_limit_reset, segment
from warden.connectors.mastodon.fields import an_id, as_dict, handle, id_order, newest_id, normal_handle, timestamp
from warden.connectors.mastodon.inbound import mention_status, notification_id, to_incoming
from warden.connectors.mastodon.text import html_to_text
from warden.connectors.mastodon.threads import ThreadKeys
from warden.domain.messages import Incoming

# Mastodon serves at most 40 (statuses) or 80 (notifications) a page; 40 is safe for both.
PAGE_MAX = 40
MAX_REPORT_COMMENT = 1_000  # Mastodon's limit on a report's comment
MAX_RECENT_PAGES = 25

CAPABILITIES = frozenset({
    Capability.FETCH, Capability.DIRECT_MESSAGES, Capability.PUBLISH, Capability.PUBLISH_MEDIA,
    Capability.REPLY, Capability.DELETE, Capability.BLOCK, Capability.MUTE, Capability.REPORT,
    Capability.RECENT_POSTS, Capability.IDEMPOTENT_PUBLISH,
})


class MastodonConnector:
    """Implements ``warden.connectors.base.Connector`` for one Mastodon account."""

    def __init__(self, account: AccountRef, api: MastodonApi,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._account = account
        self._api = api
        self._sleep = sleep
        user_id = account.settings.get("user_id")
        self._own_id: str | None = an_id(user_id) if user_id is not None else None

    def __repr__(self) -> str:
        return f"MastodonConnector({self._account.id!r}, {self._api.base_url!r})"

    @property
    def network(self) -> str:
        return "mastodon"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return CAPABILITIES

    # --- inbound -------------------------------------------------------------

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchPage:
        min_id = cursors.decode(cursor)
        own_id = self._own()
        size = max(1, min(limit, PAGE_MAX))
        params: dict[str, Any] = {"types[]": ["mention"], "limit": size}
        if min_id is not None:
            params["min_id"] = min_id  # the page just after the cursor, however old
        page = self._api.get("/api/v1/notifications", params)
        if not isinstance(page, list):
            raise Transient("GET /api/v1/notifications: expected a list")
        ids = [notification_id(item) for item in page]
        if not ids:
            return FetchPage(items=[], cursor=cursors.encode(min_id or cursors.BEGINNING), more=False)
        threads = ThreadKeys(self._api)
        now = self._api.now()
        items: list[tuple[str, Incoming]] = []
        for item, item_id in zip(page, ids, strict=True):
            status = mention_status(item)
            if status is not None:
                incoming = to_incoming(item, status, own_id=own_id, thread_key=threads.key(status), now=now)
                items.append((item_id, incoming))
        items.sort(key=lambda pair: id_order(pair[0]))
        # Without a cursor we start from the newest page: older history is not backfilled.
        more = min_id is not None and len(page) >= size
        return FetchPage(items=[incoming for _, incoming in items], cursor=cursors.encode(newest_id(ids)),
                         more=more)

    # --- outbound ------------------------------------------------------------

    def publish(self, post: OutboundPost) -> Published:
        if not (0 < len(post.ref) <= 200 and post.ref.isascii() and post.ref.isprintable()):
            raise Rejected("the outbox reference cannot be sent as an Idempotency-Key")
        if post.in_reply_to is not None:
            _status_id(post.in_reply_to)
        media_ids = [uploads.upload(self._api, item, self._sleep) for item in post.media]
        body: dict[str, Any] = {"status": post.text}
        if post.in_reply_to is not None:
            body["in_reply_to_id"] = post.in_reply_to
        if media_ids:
            body["media_ids"] = media_ids
        response = self._api.call("POST", "/api/v1/statuses", writes=True, json=body,
                                  headers={"Idempotency-Key": post.ref})
        data = as_dict(json_body(response, writes=True))
        network_id = an_id(data.get("id")) if data is not None else None
        if data is None or network_id is None:
            raise OutcomeUnknown("POST /api/v1/statuses: the instance answered without a status id")
        url = data.get("url")
        return Published(network_id=network_id, url=url if isinstance(url, str) and len(url) < 2_000 else None)

    def recent_posts(self, since: datetime, limit: int = 100) -> Sequence[RecentPost]:
        own_id = self._own()
        since = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
        posts: list[RecentPost] = []
        max_id: str | None = None
        for _ in range(MAX_RECENT_PAGES):
            params: dict[str, Any] = {"limit": PAGE_MAX, "exclude_reblogs": "true"}
            if max_id is not None:
                params["max_id"] = max_id
            page = self._api.get(f"/api/v1/accounts/{segment(own_id)}/statuses", params)
            if not isinstance(page, list):
                raise Transient("GET /api/v1/accounts/{id}/statuses: expected a list")
            for item in page:
                post = _recent(item)
                if post.created_at < since:
                    return posts
                posts.append(post)
                if len(posts) >= limit:
                    return posts
            if len(page) < PAGE_MAX:
                return posts
            max_id = posts[-1].network_id if posts else None
        return posts

    def delete(self, network_id: str) -> None:
        self._api.call("DELETE", f"/api/v1/statuses/{segment(_status_id(network_id))}")

    def set_reply_hidden(self, network_id: str, hidden: bool) -> None:
        raise NotSupported("Mastodon has no way to hide a reply")

    # --- moderation ----------------------------------------------------------

    def block(self, author_handle: str) -> None:
        self._api.call("POST", f"/api/v1/accounts/{segment(self._lookup(author_handle))}/block")

    def mute(self, author_handle: str) -> None:
        self._api.call("POST", f"/api/v1/accounts/{segment(self._lookup(author_handle))}/mute",
                       json={"notifications": True})

    def report(self, network_id: str, author_handle: str, reason: str) -> None:
        body = {"account_id": self._lookup(author_handle), "status_ids": [_status_id(network_id)],
                "comment": reason[:MAX_REPORT_COMMENT], "category": "other"}
        self._api.call("POST", "/api/v1/reports", json=body)

    def health(self) -> Health:
        response = self._api.call("GET", "/api/v1/accounts/verify_credentials")
        data = as_dict(json_body(response))
        if data is None or an_id(data.get("id")) is None:
            raise Transient("GET /api/v1/accounts/verify_credentials: not an account")
        self._own_id = an_id(data.get("id"))
        acct = handle(data)
        ok, detail = True, f"signed in as @{acct}"
        expected = normal_handle(self._account.handle).split("@")[0].lower()
        if data.get("suspended") is True:
            ok, detail = False, f"@{acct} is suspended by the instance"
        elif expected and acct.split("@")[0].lower() != expected:
            ok, detail = False, f"the token signs in as @{acct}, not @{expected}"
        elif data.get("limited") is True:
            detail += " (limited by the instance: posts reach followers only)"
        return Health(ok=ok, detail=detail, rate_limit_remaining=rate_limit_remaining(response.headers),
                      rate_limit_reset=rate_limit_reset(response.headers, self._api.now()))

    # --- helpers -------------------------------------------------------------

    def _own(self) -> str:
        """The account's own id (from settings, else asked once per connector)."""
        if self._own_id is None:
            data = as_dict(self._api.get("/api/v1/accounts/verify_credentials"))
            self._own_id = an_id(data.get("id")) if data is not None else None
            if self._own_id is None:
                raise Transient("GET /api/v1/accounts/verify_credentials: not an account")
        return self._own_id

    def _lookup(self, author_handle: str) -> str:
        acct = normal_handle(author_handle)
        if not acct or len(acct) > 400:
            raise Rejected("not a Mastodon handle")
        data = as_dict(self._api.get("/api/v1/accounts/lookup", {"acct": acct}))
        account_id = an_id(data.get("id")) if data is not None else None
        if account_id is None:
            raise Transient("GET /api/v1/accounts/lookup: not an account")
        return account_id


def _recent(item: object) -> RecentPost:
    status = as_dict(item)
    network_id = an_id(status.get("id")) if status is not None else None
    created_at = timestamp(status.get("created_at")) if status is not None else None
    if status is None or network_id is None or created_at is None:
        raise Transient("GET /api/v1/accounts/{id}/statuses: a status without an id or time")
    # The body alone, as it was posted: reconciliation compares it with the outbox text.
    return RecentPost(network_id=network_id, text=html_to_text(status.get("content")), created_at=created_at)


def _status_id(value: str) -> str:
    """A status id checked before it goes into a path or a body."""
    checked = an_id(value)
    if checked is None:
        raise Rejected("not a Mastodon status id")
    return checked
