"""An Instagram professional account through the Graph API (Instagram API with
Facebook Login: the host is graph.facebook.com and the token a Page token).

Settings: ``ig_user_id`` (required), ``page_id`` (the linked Facebook Page;
needed to publish images, see ``instagram_publish``), ``graph_url``,
``lookback_days`` (media whose comments are polled, default 7).
Credentials: ``access_token``, and ``app_secret`` / ``verify_token`` /
``app_id`` as for Facebook.

Instagram has no text-only posts, no block, mute or report in the API, and no
idempotency key (reconciliation matches on caption and time).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import httpx

from warden.connectors.base import (
    AccountRef,
    Capability,
    Connector,
    FetchPage,
    Health,
    OutboundPost,
    Published,
    RecentPost,
)
from warden.connectors.errors import NotSupported, Rejected
from warden.connectors.http import now_utc
from warden.connectors.meta import instagram_inbound as inbound
from warden.connectors.meta import marks
from warden.connectors.meta.account import check_health, lookback_days, open_graph, published_id, setting_id
from warden.connectors.meta.fields import ident, plain, when
from warden.connectors.meta.graph import Graph, confirmed, node
from warden.connectors.meta.instagram_publish import InstagramPublisher
from warden.connectors.meta.webhooks import MetaWebhooks

WEBHOOKS = MetaWebhooks("instagram")
BACKFILL = timedelta(hours=24)
SETTLE = timedelta(minutes=5)
REQUIRED_SCOPES = ("instagram_basic", "instagram_manage_comments", "instagram_content_publish",
                   "pages_read_engagement")
CAPABILITIES = frozenset({Capability.FETCH, Capability.WEBHOOKS, Capability.PUBLISH_MEDIA, Capability.REPLY,
                          Capability.DELETE, Capability.HIDE_REPLY, Capability.UNHIDE_REPLY,
                          Capability.RECENT_POSTS})


class InstagramAccount:
    def __init__(self, account: AccountRef, credentials: Mapping[str, str], graph: Graph,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._account = account
        self._credentials = credentials
        self._graph = graph
        self._user = setting_id(account, "ig_user_id")
        page = setting_id(account, "page_id") if account.settings.get("page_id") is not None else None
        # Staging images on the linked Page (see instagram_publish) needs the Page's posting permission.
        self._required = (*REQUIRED_SCOPES, "pages_manage_posts") if page else REQUIRED_SCOPES
        self._publisher = InstagramPublisher(graph, self._user, page, sleep)
        self._own = inbound.Own(self._user, account.handle)
        self._lookback = timedelta(days=lookback_days(account, 7))

    def __repr__(self) -> str:
        return f"InstagramAccount({self._user!r})"

    @property
    def network(self) -> str:
        return "instagram"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return CAPABILITIES

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchPage:
        now = self._graph.clock()
        state = marks.load(cursor, inbound.STREAMS, now - BACKFILL)
        found, complete = inbound.scan(self._graph, self._user, self._own, state, self._lookback)
        items, moved, more = marks.select(state, found, max(1, min(limit, 500)), complete=complete,
                                          settle=now - SETTLE)
        return FetchPage(items=items, cursor=marks.dump(moved), more=more)

    def publish(self, post: OutboundPost) -> Published:
        if post.in_reply_to is None:
            return self._publisher.publish(post)
        if post.media:
            raise NotSupported("an Instagram reply is text only")
        # Replies go under the top-level comment (Instagram threads one level deep).
        body = self._graph.write(f"{node(post.in_reply_to)}/replies", {"message": post.text})
        return Published(network_id=published_id(body, "id"))

    def recent_posts(self, since: datetime, limit: int = 100) -> Sequence[RecentPost]:
        limit = max(1, min(limit, 500))

        def older(page: list[Mapping[str, object]]) -> bool:
            times = [t for m in page if (t := when(m.get("timestamp"))) is not None]
            return not times or min(times) < since

        raw, _ = self._graph.collect(f"{self._user}/media", {"fields": "id,caption,timestamp",
                                                             "limit": min(limit, 100)},
                                     stop=older, max_pages=limit // 100 + 1)
        posts = [RecentPost(network_id=i, text=plain(r.get("caption")), created_at=t)
                 for r in raw if (i := ident(r.get("id"))) and (t := when(r.get("timestamp"))) and t >= since]
        return sorted(posts, key=lambda p: p.created_at, reverse=True)[:limit]

    def delete(self, network_id: str) -> None:
        # Comments (including the account's own replies); Instagram does not let the API delete media.
        if not confirmed(self._graph.act("DELETE", node(network_id))):
            raise Rejected("Instagram did not confirm the delete")

    def set_reply_hidden(self, network_id: str, hidden: bool) -> None:
        answer = self._graph.act("POST", node(network_id), {"hide": "true" if hidden else "false"})
        if not confirmed(answer):
            raise Rejected("Instagram did not confirm the change to the comment's visibility")

    def block(self, author_handle: str) -> None:
        raise NotSupported("the Instagram API cannot block a person; hide or delete their comments")

    def mute(self, author_handle: str) -> None:
        raise NotSupported("the Instagram API cannot mute a person")

    def report(self, network_id: str, author_handle: str, reason: str) -> None:
        raise NotSupported("the Instagram API has no way to report content")

    def health(self) -> Health:
        return check_health(self._graph, self._account, self._credentials, path=self._user,
                            object_id=self._user, fields="id,username", required=self._required)


def connect(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client,
            clock: Callable[[], datetime] = now_utc, sleep: Callable[[float], None] = time.sleep) -> Connector:
    return InstagramAccount(account, credentials, open_graph(account, credentials, http, clock), sleep)
