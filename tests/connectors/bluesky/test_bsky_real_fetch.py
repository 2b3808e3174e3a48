"""Fetching against the official AT Protocol dev network: real PDS, real
AppView (indexing asynchronously from the PDS firehose), real notifications."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from bsky_devenv import eventually
from bsky_people import Person

from warden.connectors.base import FetchPage
from warden.connectors.bluesky import BlueskyConnector
from warden.domain.messages import Incoming

pytestmark = pytest.mark.real_server


def notified(who: Person, at_least: int) -> bool:
    """The AppView has indexed at least this many notifications for ``who``."""
    seen = 0
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = who.call("GET", "app.bsky.notification.listNotifications", params=params)
        seen += len(page["notifications"])
        cursor = page.get("cursor")
        if seen >= at_least or not cursor or not page["notifications"]:
            return seen >= at_least


def marked(connector: BlueskyConnector) -> str:
    """Fetch until the cursor holds a mark (the first notification is indexed)."""
    def attempt() -> str | None:
        page = connector.fetch(None)
        return page.cursor if page.cursor and json.loads(page.cursor)["m"] is not None else None
    return eventually(attempt)


def drain(connector: BlueskyConnector, cursor: str, limit: int = 100) -> tuple[list[FetchPage], str]:
    pages = []
    while True:
        page = connector.fetch(cursor, limit)
        pages.append(page)
        assert page.cursor is not None
        cursor = page.cursor
        if not page.more:
            return pages, cursor


def test_fetch_delivers_mentions_replies_and_quotes_with_thread_keys(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    connector = connector_for(police)
    root = police.post("Road closed on the A1 near junction 4")
    bob.like(root)  # a like is not a message, but it starts the cursor
    cursor = marked(connector)

    mention = bob.post("Is the bridge open?", mention=police)
    reply = bob.post("How long for?", reply_to=root)
    quote = bob.post("Look at this", quote=root)
    items: list[Incoming] = []

    def more() -> bool:
        nonlocal cursor
        page = connector.fetch(cursor)
        assert page.cursor is not None
        cursor = page.cursor
        items.extend(page.items)
        return len(items) >= 3
    eventually(more)

    by_id = {item.network_id: item for item in items}
    assert set(by_id) == {mention.uri, reply.uri, quote.uri}
    assert by_id[mention.uri].kind == "mention" and by_id[mention.uri].thread_key == mention.uri
    assert by_id[reply.uri].kind == "reply" and by_id[reply.uri].thread_key == root.uri
    assert by_id[reply.uri].in_reply_to == root.uri
    assert by_id[quote.uri].kind == "mention" and by_id[quote.uri].thread_key == quote.uri
    assert by_id[reply.uri].author_handle == bob.handle
    assert by_id[mention.uri].text.startswith("Is the bridge open?")
    assert [item.sent_at for item in items] == sorted(item.sent_at for item in items)
    for item in items:
        item.validate()

    # Nothing twice; a reply deeper in the same thread (the AppView tells the
    # root's author too) keeps the root as its key.
    assert connector.fetch(cursor).items == []
    later = bob.post("Thanks", reply_to=reply, root=root)
    police_reply = police.post("Until 6pm", reply_to=later, root=root)
    assert police_reply.uri
    def later_arrived() -> list[str] | None:
        nonlocal cursor
        page = connector.fetch(cursor)
        assert page.cursor is not None
        cursor = page.cursor
        return [item.thread_key for item in page.items] or None
    assert eventually(later_arrived) == [root.uri]


def test_first_fetch_starts_from_now_with_the_newest_items(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    old = [bob.post(f"old mention {n}", mention=police) for n in range(3)]
    eventually(lambda: notified(police, 3))
    connector = connector_for(police)
    page = connector.fetch(None, limit=2)
    assert [item.network_id for item in page.items] == [old[1].uri, old[2].uri]
    assert page.more is False and page.cursor is not None
    assert connector.fetch(page.cursor).items == []  # the oldest is history, not news


def test_a_backlog_deeper_than_one_walk_comes_oldest_first_without_gaps(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    root = police.post("Appeal for witnesses")
    bob.like(root)
    # Small pages and a two-page walk, so 30 items need several waypoints.
    connector = connector_for(police, page_size=4, window=2)
    cursor = marked(connector)
    extras = [police.post(f"update {n}") for n in range(6)]
    posts = []
    for n in range(30):
        posts.append(bob.post(f"sighting {n}", mention=police) if n % 3 else bob.post(f"reply {n}", reply_to=root))
        if n % 5 == 0:
            bob.like(extras[n // 5])  # likes: notifications the walk must step over
    eventually(lambda: notified(police, 37))

    pages, cursor = drain(connector, cursor, limit=5)
    delivered = [item.network_id for page in pages for item in page.items]
    assert delivered == [post.uri for post in posts]  # every one, once, oldest first
    assert any(page.items == [] and page.more for page in pages)  # a waypoint was used
    assert all(len(page.items) <= 5 for page in pages)

    last = bob.post("one more", mention=police)
    def arrived() -> list[str] | None:
        nonlocal cursor
        page = connector.fetch(cursor)
        assert page.cursor is not None
        cursor = page.cursor
        return [item.network_id for item in page.items] or None
    assert eventually(arrived) == [last.uri]


def test_a_late_arrival_sorted_below_the_mark_is_still_delivered(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    connector = connector_for(police)
    bob.post("where fetching starts", mention=police, created_at=minutes_ago(5))
    cursor = marked(connector)
    first = bob.post("first", mention=police)
    eventually(lambda: notified(police, 2))
    page = connector.fetch(cursor)
    assert [item.network_id for item in page.items] == [first.uri]
    assert page.cursor is not None
    # A client whose clock is two minutes slow: the AppView sorts the post by
    # its createdAt, below the item already delivered.
    late = bob.post("written on a slow clock", mention=police, created_at=minutes_ago(2))
    eventually(lambda: notified(police, 3))
    page = connector.fetch(page.cursor)
    assert [item.network_id for item in page.items] == [late.uri]
    assert page.cursor is not None
    assert connector.fetch(page.cursor).items == []


def minutes_ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
