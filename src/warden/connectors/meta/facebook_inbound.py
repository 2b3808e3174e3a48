"""What a Facebook Page receives, read by polling the Graph API.

- ``comments``: comments and replies on the Page's posts, from
  ``GET /{page-id}/feed`` with each post's comments nested
  (``filter(stream)`` flattens replies into one list, ``reverse_chronological``
  puts the newest first, so reading stops at the mark), continued through
  ``GET /{post-id}/comments``. Posts by visitors on the Page are mentions.
  Only posts created since ``lookback_days`` before the mark are read:
  comments on older posts arrive by webhook only.
- ``tagged``: posts that tag the Page (``GET /{page-id}/tagged``), as mentions.
- ``messages``: Messenger conversations (``GET /{page-id}/conversations``), as
  direct messages; the thread is the person, as in the webhook.

Items the Page wrote itself are not inbound and are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from warden.connectors.meta.fields import epoch, ident, label, mapping, node_id, text, when
from warden.connectors.meta.graph import Graph
from warden.connectors.meta.marks import Candidate, Mark
from warden.domain.messages import Incoming

COMMENT_FIELDS = "id,message,created_time,from,parent{id}"
MESSAGE_FIELDS = "id,message,created_time,from"
POST_PAGE_SIZE = 25
MAX_POST_PAGES = 4
MAX_COMMENT_PAGES = 20
MAX_THREAD_PAGES = 5
Scan = tuple[list[Candidate], bool]


def _older_than(mark: Mark, field: str = "created_time") -> Callable[[list[Mapping[str, Any]]], bool]:
    """Stop paging a newest-first edge once a page reaches back to the mark."""
    def stop(page: list[Mapping[str, Any]]) -> bool:
        times = [t for item in page if (t := when(item.get(field))) is not None]
        return not times or epoch(min(times)) <= mark.at
    return stop


def _author(value: object) -> tuple[str, str] | None:
    who = mapping(value)
    handle = ident(who.get("id"))
    return (handle, label(who.get("name"))) if handle else None


def comment(raw: Mapping[str, Any], post_id: str, page_id: str) -> Incoming | None:
    network_id, sent_at = ident(raw.get("id")), when(raw.get("created_time"))
    author = _author(raw.get("from")) or ("unknown", "")
    if network_id is None or sent_at is None or author[0] == page_id:
        return None
    parent = ident(mapping(raw.get("parent")).get("id")) or post_id
    return Incoming(network_id=network_id, thread_key=post_id, kind="comment", author_handle=author[0],
                    text=text(raw.get("message")), sent_at=sent_at, author_name=author[1], in_reply_to=parent)


def post_mention(raw: Mapping[str, Any], page_id: str) -> Incoming | None:
    """A post by someone else: on the Page's feed or tagging the Page."""
    network_id, sent_at, author = ident(raw.get("id")), when(raw.get("created_time")), _author(raw.get("from"))
    if network_id is None or sent_at is None or author is None or author[0] == page_id:
        return None
    return Incoming(network_id=network_id, thread_key=network_id, kind="mention", author_handle=author[0],
                    text=text(raw.get("message")), sent_at=sent_at, author_name=author[1])


def comments(graph: Graph, page_id: str, mark: Mark, lookback: timedelta) -> Scan:
    nested = f"comments.filter(stream).order(reverse_chronological).limit(100){{{COMMENT_FIELDS}}}"
    posts, complete = graph.collect(f"{page_id}/feed", {
        "fields": f"id,created_time,message,from,{nested}", "since": epoch(mark.moment - lookback),
        "limit": POST_PAGE_SIZE}, max_pages=MAX_POST_PAGES)
    found: list[Candidate] = []
    for post in posts:
        post_id = node_id(post.get("id"))
        if post_id is None:
            continue
        if (visitor := post_mention(post, page_id)) is not None:
            found.append(Candidate("comments", visitor))
        raw, done = graph.collect(f"{post_id}/comments", {
            "fields": COMMENT_FIELDS, "filter": "stream", "order": "reverse_chronological", "limit": 100},
            first=mapping(post.get("comments")), stop=_older_than(mark), max_pages=MAX_COMMENT_PAGES)
        complete = complete and done
        found.extend(Candidate("comments", item) for r in raw if (item := comment(r, post_id, page_id)))
    return found, complete


def tagged(graph: Graph, page_id: str, mark: Mark) -> Scan:
    posts, complete = graph.collect(f"{page_id}/tagged", {"fields": "id,message,created_time,from", "limit": 50},
                                    stop=_older_than(mark), max_pages=MAX_POST_PAGES)
    return [Candidate("tagged", item) for p in posts if (item := post_mention(p, page_id))], complete


def direct_message(raw: Mapping[str, Any], page_id: str) -> Incoming | None:
    network_id, sent_at, author = ident(raw.get("id")), when(raw.get("created_time")), _author(raw.get("from"))
    if network_id is None or sent_at is None or author is None or author[0] == page_id:
        return None
    return Incoming(network_id=network_id, thread_key=author[0], kind="dm", author_handle=author[0],
                    text=text(raw.get("message")), sent_at=sent_at, author_name=author[1])


def messages(graph: Graph, page_id: str, mark: Mark) -> Scan:
    threads, complete = graph.collect(f"{page_id}/conversations", {
        "platform": "messenger", "fields": f"id,updated_time,messages.limit(50){{{MESSAGE_FIELDS}}}", "limit": 25},
        stop=_older_than(mark, "updated_time"), max_pages=MAX_THREAD_PAGES)
    found: list[Candidate] = []
    for thread in threads:
        thread_id, updated = node_id(thread.get("id")), when(thread.get("updated_time"))
        if thread_id is None or (updated is not None and epoch(updated) < mark.at):
            continue
        raw, done = graph.collect(f"{thread_id}/messages", {"fields": MESSAGE_FIELDS, "limit": 50},
                                  first=mapping(thread.get("messages")), stop=_older_than(mark),
                                  max_pages=MAX_COMMENT_PAGES)
        complete = complete and done
        found.extend(Candidate("messages", item) for r in raw if (item := direct_message(r, page_id)))
    return found, complete


def scan(graph: Graph, page_id: str, marks: Mapping[str, Mark], *, lookback: timedelta,
         messenger: bool) -> tuple[list[Candidate], set[str]]:
    """Every candidate from every stream, and the streams read to the end."""
    readers: dict[str, Callable[[], Scan]] = {
        "comments": lambda: comments(graph, page_id, marks["comments"], lookback),
        "tagged": lambda: tagged(graph, page_id, marks["tagged"]),
    }
    if messenger:
        readers["messages"] = lambda: messages(graph, page_id, marks["messages"])
    found: list[Candidate] = []
    complete: set[str] = set()
    for name, read in readers.items():
        items, done = read()
        found.extend(items)
        if done:
            complete.add(name)
    return found, complete


def streams(messenger: bool) -> tuple[str, ...]:
    return ("comments", "tagged", "messages") if messenger else ("comments", "tagged")
