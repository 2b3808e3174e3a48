"""A Facebook Page through the Graph API.

Settings: ``page_id`` (required), ``graph_url`` (default
https://graph.facebook.com), ``lookback_days`` (posts whose comments are
polled, default 14), ``messenger`` (poll Messenger conversations, default
true; needs ``pages_messaging``). Credentials: the Page access token
(``access_token``), and for webhooks and ``appsecret_proof`` the app's
``app_secret``, ``verify_token`` and optionally ``app_id`` (for
``debug_token`` in ``health``).

Graph has no idempotency key, so ``OutboundPost.ref`` cannot travel with a
post: reconciliation matches on text and time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import httpx

from warden.connectors.base import (
    AccountRef,
    Capability,
    Connector,
    FetchPage,
    Health,
    Media,
    OutboundPost,
    Published,
    RecentPost,
)
from warden.connectors.errors import NotSupported, Rejected, Transient
from warden.connectors.http import now_utc
from warden.connectors.meta import facebook_inbound as inbound
from warden.connectors.meta import marks
from warden.connectors.meta.account import check_health, lookback_days, open_graph, published_id, setting_id
from warden.connectors.meta.fields import epoch, ident, plain, when
from warden.connectors.meta.graph import Graph, confirmed, node
from warden.connectors.meta.webhooks import MetaWebhooks

WEBHOOKS = MetaWebhooks("page")
BACKFILL = timedelta(hours=24)   # how far back the first fetch reads
SETTLE = timedelta(minutes=5)    # late arrivals a quiet stream still waits for
MAX_PHOTOS = 10
REQUIRED_SCOPES = ("pages_read_engagement", "pages_manage_engagement", "pages_manage_posts",
                   "pages_read_user_content")
_BASE = frozenset({Capability.FETCH, Capability.WEBHOOKS, Capability.PUBLISH, Capability.PUBLISH_MEDIA,
                   Capability.REPLY, Capability.DELETE, Capability.HIDE_REPLY, Capability.UNHIDE_REPLY,
                   Capability.BLOCK, Capability.RECENT_POSTS})


class FacebookPage:
    def __init__(self, account: AccountRef, credentials: Mapping[str, str], graph: Graph) -> None:
        self._account = account
        self._credentials = credentials
        self._graph = graph
        self._page = setting_id(account, "page_id")
        self._messenger = account.settings.get("messenger", True) is not False
        self._lookback = timedelta(days=lookback_days(account, 14))

    def __repr__(self) -> str:
        return f"FacebookPage({self._page!r})"

    @property
    def network(self) -> str:
        return "facebook"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return (_BASE | {Capability.DIRECT_MESSAGES}) if self._messenger else _BASE

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchPage:
        now = self._graph.clock()
        state = marks.load(cursor, inbound.streams(self._messenger), now - BACKFILL)
        found, complete = inbound.scan(self._graph, self._page, state, lookback=self._lookback,
                                       messenger=self._messenger)
        items, moved, more = marks.select(state, found, max(1, min(limit, 500)), complete=complete,
                                          settle=now - SETTLE)
        return FetchPage(items=items, cursor=marks.dump(moved), more=more)

    def publish(self, post: OutboundPost) -> Published:
        if post.in_reply_to is not None:
            return self._reply(post)
        photos = self._photos(post.media)
        if not photos:
            body = self._graph.write(f"{self._page}/feed", {"message": post.text})
        elif len(photos) == 1:
            body = self._graph.write(f"{self._page}/photos", self._caption(post.text, photos[0]),
                                     files=_source(photos[0]))
        else:
            # Several photos: upload each unpublished (nothing public yet), then one post holds them all.
            staged = [self._stage(p) for p in photos]
            attached = {f"attached_media[{i}]": f'{{"media_fbid":"{fbid}"}}' for i, fbid in enumerate(staged)}
            body = self._graph.write(f"{self._page}/feed", {"message": post.text, **attached})
        network_id = published_id(body, "post_id", "id")
        return Published(network_id=network_id, url=f"https://www.facebook.com/{network_id}")

    def _stage(self, photo: Media) -> str:
        answer = self._graph.act("POST", f"{self._page}/photos", self._caption("", photo) | {"published": "false"},
                                 files=_source(photo))
        staged = ident(answer.get("id"))
        if staged is None:
            raise Transient("Facebook stored an unpublished photo without naming it")
        return staged

    def _reply(self, post: OutboundPost) -> Published:
        target = node(post.in_reply_to)
        photos = self._photos(post.media)
        if len(photos) > 1:
            raise NotSupported("a Facebook comment can carry one photo at most")
        files = _source(photos[0]) if photos else None
        body = self._graph.write(f"{target}/comments", {"message": post.text}, files=files)
        return Published(network_id=published_id(body, "id"))

    @staticmethod
    def _photos(media: Sequence[Media]) -> list[Media]:
        if any(not m.content_type.startswith("image/") for m in media):
            raise NotSupported("this connector publishes photos to Facebook, not video or other files")
        if len(media) > MAX_PHOTOS:
            raise NotSupported(f"a Facebook post here carries at most {MAX_PHOTOS} photos")
        return list(media)

    @staticmethod
    def _caption(text: str, photo: Media) -> dict[str, str]:
        fields = {"message": text} if text else {}
        return fields | ({"alt_text_custom": photo.alt_text} if photo.alt_text else {})

    def recent_posts(self, since: datetime, limit: int = 100) -> Sequence[RecentPost]:
        limit = max(1, min(limit, 500))
        raw, _ = self._graph.collect(f"{self._page}/posts", {
            "fields": "id,message,created_time", "since": epoch(since), "limit": min(limit, 100)},
            max_pages=limit // 100 + 1)
        posts = [RecentPost(network_id=i, text=plain(r.get("message")), created_at=t)
                 for r in raw if (i := ident(r.get("id"))) and (t := when(r.get("created_time"))) and t >= since]
        return sorted(posts, key=lambda p: p.created_at, reverse=True)[:limit]

    def delete(self, network_id: str) -> None:
        if not confirmed(self._graph.act("DELETE", node(network_id))):
            raise Rejected("Facebook did not confirm the delete")

    def set_reply_hidden(self, network_id: str, hidden: bool) -> None:
        answer = self._graph.act("POST", node(network_id), {"is_hidden": "true" if hidden else "false"})
        if not confirmed(answer):
            raise Rejected("Facebook did not confirm the change to the comment's visibility")

    def block(self, author_handle: str) -> None:
        # POST /{page-id}/blocked answers {"<id>": true} for each id it blocked.
        person = node(author_handle)
        answer = self._graph.act("POST", f"{self._page}/blocked", {"user": person})
        if answer.get(person) is not True:
            raise Rejected("Facebook did not confirm the block")

    def mute(self, author_handle: str) -> None:
        raise NotSupported("Facebook Pages cannot mute a person; hide their comments or block them")

    def report(self, network_id: str, author_handle: str, reason: str) -> None:
        raise NotSupported("the Graph API has no way to report content to Facebook")

    def health(self) -> Health:
        required = (*REQUIRED_SCOPES, "pages_messaging") if self._messenger else REQUIRED_SCOPES
        return check_health(self._graph, self._account, self._credentials, path="me", object_id=self._page,
                            fields="id,name", required=required)


def _source(photo: Media) -> dict[str, tuple[str, bytes, str]]:
    return {"source": (photo.filename or "photo", photo.data, photo.content_type)}


def connect(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client,
            clock: Callable[[], datetime] = now_utc) -> Connector:
    return FacebookPage(account, credentials, open_graph(account, credentials, http, clock))
