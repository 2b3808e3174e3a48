"""What an Instagram professional account receives, read by polling.

- ``comments``: comments and replies on the account's recent media, from
  ``GET /{ig-user-id}/media`` with comments and their replies nested,
  continued through ``GET /{ig-media-id}/comments`` and
  ``GET /{ig-comment-id}/replies``. Instagram does not promise an order for
  comments, and a new reply can sit under an old comment, so each medium's
  comments are read in full (up to a cap) every time: Meta recommends the
  ``comments`` webhook for busy accounts.
- ``tags``: media in which someone tagged the account (``GET /{ig-user-id}/tags``),
  as mentions. @mentions in comments and captions are only announced by the
  ``mentions`` webhook (see ``webhooks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from warden.connectors.meta.fields import epoch, ident, label, mapping, node_id, text, when
from warden.connectors.meta.graph import Graph
from warden.connectors.meta.marks import Candidate, Mark
from warden.domain.messages import Incoming

STREAMS = ("comments", "tags")
REPLY_FIELDS = "id,text,timestamp,username,from,parent_id"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies.limit(50){{{REPLY_FIELDS}}}"
MEDIA_PAGE_SIZE = 25
MAX_MEDIA_PAGES = 4
MAX_COMMENT_PAGES = 10
MAX_REPLY_PAGES = 4
Scan = tuple[list[Candidate], bool]


class Own:
    """Who "we" are, so that the account's own comments are not inbound."""

    def __init__(self, user_id: str, username: str) -> None:
        self.user_id = user_id
        self.username = username.lstrip("@").lower()

    def wrote(self, raw: Mapping[str, Any]) -> bool:
        who = mapping(raw.get("from"))
        name = raw.get("username") if isinstance(raw.get("username"), str) else who.get("username")
        return ident(who.get("id")) == self.user_id or (
            bool(self.username) and isinstance(name, str) and name.lower() == self.username)


def _author(raw: Mapping[str, Any]) -> tuple[str, str]:
    who = mapping(raw.get("from"))
    username = label(raw.get("username")) or label(who.get("username"))
    return ident(username) or ident(who.get("id")) or "unknown", username


def comment(raw: Mapping[str, Any], media_id: str, own: Own) -> Incoming | None:
    network_id, sent_at = ident(raw.get("id")), when(raw.get("timestamp"))
    if network_id is None or sent_at is None or own.wrote(raw):
        return None
    handle, name = _author(raw)
    return Incoming(network_id=network_id, thread_key=media_id, kind="comment", author_handle=handle,
                    text=text(raw.get("text")), sent_at=sent_at, author_name=name,
                    in_reply_to=ident(raw.get("parent_id")) or media_id)


def comments(graph: Graph, user_id: str, own: Own, mark: Mark, lookback: timedelta) -> Scan:
    since = epoch(mark.moment - lookback)

    def old(page: list[Mapping[str, Any]]) -> bool:
        times = [t for m in page if (t := when(m.get("timestamp"))) is not None]
        return not times or epoch(min(times)) < since

    media, complete = graph.collect(f"{user_id}/media", {
        "fields": f"id,timestamp,comments_count,comments.limit(50){{{COMMENT_FIELDS}}}",
        "limit": MEDIA_PAGE_SIZE}, stop=old, max_pages=MAX_MEDIA_PAGES)
    found: list[Candidate] = []
    for medium in media:
        media_id, posted = node_id(medium.get("id")), when(medium.get("timestamp"))
        if media_id is None or (posted is not None and epoch(posted) < since) or medium.get("comments_count") == 0:
            continue
        top, done = graph.collect(f"{media_id}/comments", {"fields": COMMENT_FIELDS, "limit": 50},
                                  first=mapping(medium.get("comments")), max_pages=MAX_COMMENT_PAGES)
        complete = complete and done
        for raw in top:
            if (item := comment(raw, media_id, own)) is not None:
                found.append(Candidate("comments", item))
            parent = node_id(raw.get("id"))
            if parent is None or not raw.get("replies"):
                continue
            replies, done = graph.collect(f"{parent}/replies", {"fields": REPLY_FIELDS, "limit": 50},
                                          first=mapping(raw.get("replies")), max_pages=MAX_REPLY_PAGES)
            complete = complete and done
            found.extend(Candidate("comments", item) for r in replies if (item := comment(r, media_id, own)))
    return found, complete


def tags(graph: Graph, user_id: str, own: Own, mark: Mark) -> Scan:
    def old(page: list[Mapping[str, Any]]) -> bool:
        times = [t for m in page if (t := when(m.get("timestamp"))) is not None]
        return not times or epoch(min(times)) <= mark.at

    media, complete = graph.collect(f"{user_id}/tags", {"fields": "id,caption,timestamp,username", "limit": 50},
                                    stop=old, max_pages=MAX_MEDIA_PAGES)
    found: list[Candidate] = []
    for raw in media:
        network_id, sent_at = ident(raw.get("id")), when(raw.get("timestamp"))
        if network_id is None or sent_at is None or own.wrote(raw):
            continue
        handle, name = _author(raw)
        found.append(Candidate("tags", Incoming(
            network_id=network_id, thread_key=network_id, kind="mention", author_handle=handle,
            text=text(raw.get("caption")), sent_at=sent_at, author_name=name)))
    return found, complete


def scan(graph: Graph, user_id: str, own: Own, marks: Mapping[str, Mark],
         lookback: timedelta) -> tuple[list[Candidate], set[str]]:
    found: list[Candidate] = []
    complete: set[str] = set()
    for name, (items, done) in (("comments", comments(graph, user_id, own, marks["comments"], lookback)),
                                ("tags", tags(graph, user_id, own, marks["tags"]))):
        found.extend(items)
        if done:
            complete.add(name)
    return found, complete
