"""The Bluesky connector: one account on one PDS, over XRPC with an app password.

Posts are written with ``putRecord`` under a record key derived from the
outbox ref and ``swapRecord: null`` ("only if there is no such record yet"),
so a second attempt at the same post cannot create a second one; it finds the
first and reports it as published. The post also carries the ref itself
(``wardenRef``; the AT Protocol keeps unknown fields), because a TID has room
for only 63 bits: ``recent_posts`` trusts that field only when the record key
is the one derived from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from warden.connectors import base
from warden.connectors.base import Capability, FetchPage, Health, OutboundPost, Published, RecentPost
from warden.connectors.bluesky import actions
from warden.connectors.bluesky import cursor as walk
from warden.connectors.bluesky.api import Api
from warden.connectors.bluesky.inbound import incoming, notes, parse_time
from warden.connectors.bluesky.media import images_embed
from warden.connectors.bluesky.richtext import facets
from warden.connectors.bluesky.session import token_scope
from warden.connectors.bluesky.syntax import derived_tid, parse_uri
from warden.connectors.bluesky.xrpc import RESET, XrpcRejected
from warden.connectors.errors import OutcomeUnknown, Rejected, Transient
from warden.connectors.http import json_body, now_utc

POST = actions.POST
REF_FIELD = "wardenRef"
PAGE = 100
WINDOW = 10
MAX_FEED_PAGES = 10
CAPABILITIES = frozenset({
    Capability.FETCH, Capability.PUBLISH, Capability.PUBLISH_MEDIA, Capability.REPLY, Capability.DELETE,
    Capability.HIDE_REPLY, Capability.UNHIDE_REPLY, Capability.BLOCK, Capability.MUTE, Capability.REPORT,
    Capability.RECENT_POSTS, Capability.IDEMPOTENT_PUBLISH,
})


class BlueskyConnector:
    def __init__(self, account: base.AccountRef, api: Api, *, web_url: str = "https://bsky.app",
                 page_size: int = PAGE, window: int = WINDOW) -> None:
        self.account = account
        self.api = api
        self.web_url = web_url.rstrip("/")
        self.page_size = page_size
        self.window = window

    def __repr__(self) -> str:
        return f"BlueskyConnector({self.account.handle!r})"

    @property
    def network(self) -> str:
        return "bluesky"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return CAPABILITIES

    # Inbound

    def _page(self, api_cursor: str | None) -> walk.Page:
        params: dict[str, Any] = {"limit": self.page_size}
        if api_cursor:
            params["cursor"] = api_cursor
        data = self.api.json("GET", "app.bsky.notification.listNotifications", params=params)
        following = data.get("cursor")
        return notes(data), following if isinstance(following, str) and following else None

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchPage:
        limit = max(1, limit)
        state = walk.State.decode(cursor)
        if state.mark is None:
            chosen, state = walk.first(self._page, limit)
            more = False
        else:
            chosen, more = walk.walk(self._page, state, limit, self.window)
        return FetchPage(items=[incoming(note) for note in chosen], cursor=state.encode(), more=more)

    # Outbound

    def publish(self, post: OutboundPost) -> Published:
        did = self.api.did
        record: dict[str, Any] = {"text": post.text, "createdAt": actions.now_iso(), REF_FIELD: post.ref}
        if found := facets(post.text):
            record["facets"] = found
        if post.in_reply_to is not None:
            record["reply"] = self._reply_refs(post.in_reply_to)
        if post.media:
            record["embed"] = images_embed(self.api, post.media)
        rkey = derived_tid("post", post.ref)
        try:
            data = self.api.put_record(POST, rkey, record, swap=None, writes=True)
        except XrpcRejected as error:
            if error.error != "InvalidSwap":
                raise
            return self._already_published(rkey, post)
        return Published(network_id=str(data["uri"]), url=f"{self.web_url}/profile/{did}/post/{rkey}")

    def _already_published(self, rkey: str, post: OutboundPost) -> Published:
        """The record for this ref exists: an earlier attempt got through."""
        try:
            existing = self.api.get_record(POST, rkey)
        except (Rejected, Transient) as error:
            raise OutcomeUnknown(f"a post for this ref exists but could not be read: {error.message}") from None
        if existing is None:
            raise OutcomeUnknown("a post for this ref existed a moment ago and is gone")
        if existing[0].get(REF_FIELD) != post.ref or existing[0].get("text") != post.text:
            raise Rejected("a different post already uses this ref's record key")
        did = self.api.did
        return Published(network_id=f"at://{did}/{POST}/{rkey}", url=f"{self.web_url}/profile/{did}/post/{rkey}")

    def _reply_refs(self, in_reply_to: str) -> dict[str, Any]:
        actions.post_uri(in_reply_to)
        parent = self.api.get_post(in_reply_to)
        if parent is None:
            raise Rejected("the post being replied to no longer exists or cannot be seen")
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        record = parent.get("record")
        reply = record.get("reply") if isinstance(record, dict) else None
        root = reply.get("root") if isinstance(reply, dict) else None
        if isinstance(root, dict) and parse_uri(root.get("uri")) and isinstance(root.get("cid"), str):
            return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent_ref}
        return {"root": parent_ref, "parent": parent_ref}

    def recent_posts(self, since: datetime, limit: int = 100) -> Sequence[RecentPost]:
        did = self.api.did
        found: list[RecentPost] = []
        api_cursor: str | None = None
        for _ in range(MAX_FEED_PAGES):
            params: dict[str, Any] = {"actor": did, "filter": "posts_with_replies", "limit": min(100, max(1, limit))}
            if api_cursor:
                params["cursor"] = api_cursor
            data = self.api.json("GET", "app.bsky.feed.getAuthorFeed", params=params)
            feed = data.get("feed")
            older = False
            for item in feed if isinstance(feed, list) else []:
                post = item.get("post") if isinstance(item, dict) and "reason" not in item else None
                recent = self._recent(post, did)
                if recent is None:
                    continue
                if recent.created_at < since:
                    older = True
                elif len(found) < limit:
                    found.append(recent)
            following = data.get("cursor")
            if older or len(found) >= limit or not isinstance(following, str) or not following:
                break
            api_cursor = following
        return sorted(found, key=lambda post: post.created_at, reverse=True)

    @staticmethod
    def _recent(post: object, did: str) -> RecentPost | None:
        if not isinstance(post, dict):
            return None
        uri, record, author = parse_uri(post.get("uri")), post.get("record"), post.get("author")
        if uri is None or uri.repo != did or not isinstance(record, dict):
            return None
        if not isinstance(author, dict) or author.get("did") != did:
            return None
        created = parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt"))
        if created is None:
            return None
        ref = record.get(REF_FIELD)
        text = record.get("text")
        return RecentPost(network_id=str(uri), text=text if isinstance(text, str) else "", created_at=created,
                          ref=ref if isinstance(ref, str) and derived_tid("post", ref) == uri.rkey else None)

    # Moderation

    def delete(self, network_id: str) -> None:
        actions.delete(self.api, network_id)

    def set_reply_hidden(self, network_id: str, hidden: bool) -> None:
        actions.set_reply_hidden(self.api, network_id, hidden)

    def block(self, author_handle: str) -> None:
        actions.block(self.api, author_handle)

    def mute(self, author_handle: str) -> None:
        actions.mute(self.api, author_handle)

    def report(self, network_id: str, author_handle: str, reason: str) -> None:
        actions.report(self.api, network_id, author_handle, reason)

    def health(self) -> Health:
        try:
            response = self.api.call("GET", "com.atproto.server.getSession")
        except XrpcRejected as error:  # e.g. after a takedown the PDS no longer has the account's details
            return Health(ok=False, detail=f"the PDS refused to describe the account: {error.message}")
        data = json_body(response)
        if not isinstance(data, dict) or not isinstance(data.get("did"), str):
            raise Transient("getSession: the answer has no account")
        status = data.get("status") if isinstance(data.get("status"), str) else None
        active = data.get("active") is not False and status is None
        handle = data.get("handle") if isinstance(data.get("handle"), str) else data["did"]
        remaining = response.headers.get("ratelimit-remaining", "").strip()
        scope = token_scope(self.api.session.tokens().access)
        return Health(ok=active, detail=f"@{str(handle)[:253]}" + ("" if active else f" is {status or 'inactive'}"),
                      scopes=(scope,) if scope else (),
                      rate_limit_remaining=int(remaining) if remaining.isdigit() else None,
                      rate_limit_reset=RESET(response.headers, now_utc()))

