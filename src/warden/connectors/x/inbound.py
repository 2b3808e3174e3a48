"""Fetching what is addressed to the account: three streams, one cursor.

* mentions: ``GET /2/users/{id}/mentions`` with ``since_id`` and ``pagination_token``;
* replies: recent search for ``conversation_id:`` of the account's own recent
  posts, so replies deep in a thread that do not @mention us are seen too;
* DMs: ``GET /2/dm_events`` (no ``since_id`` there: the walk stops at the
  first event it has already delivered).

Each stream asks for about ``limit / streams`` items (X's own minimum page
sizes apply: 5 for mentions, 10 for search). Items are deduplicated by id
and returned oldest first; ``more`` says a stream is still walking back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from warden.connectors.base import FetchPage
from warden.connectors.errors import Rejected, Transient
from warden.connectors.x.api import XApi, as_dict, as_list, is_id, is_token
from warden.connectors.x.cursor import Cursor, Walk
from warden.connectors.x.items import (
    DM_FIELDS,
    TWEET_FIELDS,
    USER_FIELDS,
    dm_item,
    newest,
    snowflake_at,
    tweet_item,
    users_by_id,
)
from warden.domain.messages import Incoming

# Recent search sees seven days; a since_id older than that is refused, so the
# replies stream never asks from further back than this.
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=10)
WATCH_SIZE = 10                        # conversations watched (keeps the query under 512 characters)
WATCH_EVERY = timedelta(minutes=5)     # how often the account's own posts are re-read
_TWEET_PARAMS = {"tweet.fields": TWEET_FIELDS, "expansions": "author_id", "user.fields": USER_FIELDS}


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_size(limit: int, low: int, high: int = 100) -> str:
    return str(min(max(limit, low), high))


class Inbound:
    def __init__(self, api: XApi, user_id: str, *, direct_messages: bool, search_replies: bool) -> None:
        self._api = api
        self._me = user_id
        self._dms = direct_messages
        self._search = search_replies

    def fetch(self, raw_cursor: str | None, limit: int) -> FetchPage:
        cursor = Cursor.decode(raw_cursor)
        share = max(limit // (1 + self._dms + self._search), 1)
        items, mentions = self._tweets(f"/2/users/{self._me}/mentions", {}, cursor.mentions,
                                       page_size(share, 5), "pagination_token", kind=None)
        cursor = replace(cursor, mentions=mentions)
        if self._search:
            found, cursor = self._replies(cursor, share)
            items += found
        if self._dms:
            found, dms = self._direct_messages(cursor.dms, share)
            items += found
            cursor = replace(cursor, dms=dms)
        unique = list({item.network_id: item for item in reversed(items)}.values())  # first stream wins
        unique.sort(key=lambda item: (item.sent_at, int(item.network_id)))
        more = cursor.mentions.walking or cursor.replies.walking or cursor.dms.walking
        return FetchPage(items=unique, cursor=cursor.encode(), more=more)

    def _tweets(self, path: str, extra: dict[str, str], walk: Walk, size: str, token_name: str,
                *, kind: str | None) -> tuple[list[Incoming], Walk]:
        params = {**_TWEET_PARAMS, **extra, "max_results": size}
        if walk.since is not None:
            params["since_id"] = walk.since
        if walk.next is not None:
            params[token_name] = walk.next
        body, _ = self._api.get(path, params)
        data, meta = _page(body, path)
        users = users_by_id(body.get("includes"))
        items = [item for raw in data if (item := tweet_item(raw, users, self._me, kind=kind))]
        ids = [str(raw["id"]) for raw in data if is_id(as_dict(raw).get("id"))]
        top = meta.get("newest_id") if is_id(meta.get("newest_id")) else newest(*ids)
        token = meta.get("next_token")
        return items, walk.page(token if is_token(token) else None, top)

    def _replies(self, cursor: Cursor, share: int) -> tuple[list[Incoming], Cursor]:
        now = self._api.clock()
        floor = snowflake_at(now - SEARCH_WINDOW)
        walk = cursor.replies
        if not walk.walking and now.timestamp() - cursor.watched_at >= WATCH_EVERY.total_seconds():
            watched = self._watch_list(now)
            added = [first for conversation, first in watched.items() if conversation not in cursor.watch]
            if walk.since is not None and added:
                # Replies to a newly watched post may be older than ``since``: ask again from the post.
                walk = Walk(min(walk.since, *added, key=int))
            cursor = replace(cursor, watch=tuple(watched), watched_at=int(now.timestamp()))
        if not cursor.watch:
            return [], replace(cursor, replies=walk)
        if walk.since is not None and int(walk.since) < int(floor) and not walk.walking:
            walk = Walk(floor)
        query = "(" + " OR ".join(f"conversation_id:{c}" for c in cursor.watch) + f") -from:{self._me}"
        items, walk = self._tweets("/2/tweets/search/recent", {"query": query}, walk, page_size(share, 10),
                                   "next_token", kind="reply")
        return items, replace(cursor, replies=walk)

    def _watch_list(self, now: datetime) -> dict[str, str]:
        """The conversations of the account's recent posts, newest first, each
        with the id of our first post in it (replies to us come after that)."""
        params = {"tweet.fields": "conversation_id,created_at", "exclude": "retweets",
                  "max_results": "100", "start_time": iso(now - SEARCH_WINDOW)}
        path = f"/2/users/{self._me}/tweets"
        body, _ = self._api.get(path, params)
        data, _ = _page(body, path)
        watched: dict[str, str] = {}
        for raw in data:
            tweet = as_dict(raw)
            tweet_id, conversation = tweet.get("id"), tweet.get("conversation_id")
            if not is_id(tweet_id):
                continue
            conversation = conversation if is_id(conversation) else tweet_id
            if conversation in watched:
                watched[conversation] = min(watched[conversation], tweet_id, key=int)
            elif len(watched) < WATCH_SIZE:
                watched[conversation] = tweet_id
        return watched

    def _direct_messages(self, walk: Walk, share: int) -> tuple[list[Incoming], Walk]:
        params = {"dm_event.fields": DM_FIELDS, "event_types": "MessageCreate", "expansions": "sender_id",
                  "user.fields": USER_FIELDS, "max_results": page_size(share, 1)}
        if walk.next is not None:
            params["pagination_token"] = walk.next
        body, _ = self._api.get("/2/dm_events", params)
        data, meta = _page(body, "/2/dm_events")
        ids = [str(raw["id"]) for raw in data if is_id(as_dict(raw).get("id"))]
        since = int(walk.since) if walk.since is not None else -1
        fresh = [raw for raw in data if is_id(as_dict(raw).get("id")) and int(raw["id"]) > since]
        reached = len(fresh) < len(ids)  # this page goes back to what was already delivered
        users = users_by_id(body.get("includes"))
        items = [item for raw in fresh if (item := dm_item(raw, users, self._me))]
        token = meta.get("next_token")
        return items, walk.page(token if is_token(token) and not reached else None, newest(*ids))


def _page(body: dict[str, Any], path: str) -> tuple[list[Any], dict[str, Any]]:
    data, meta = body.get("data", []), body.get("meta", {})
    if not isinstance(data, list) or not isinstance(meta, dict):
        raise Transient(f"GET {path}: X answered with a page of the wrong shape")
    if not data and "errors" in body and "meta" not in body:
        # A 200 with only errors (an unknown or suspended user id) is a refusal, not an empty page.
        titles = {str(as_dict(error).get("title", ""))[:80] for error in as_list(body["errors"])[:5]}
        raise Rejected(f"GET {path}: X answered with errors and no data: {', '.join(sorted(titles))}")
    return as_list(data), meta
