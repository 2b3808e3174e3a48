"""Facebook Page fetch: comments (nested and paged), visitor posts, tags and
Messenger, the cursor across calls, and hostile fields."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest
from meta_fake import (
    CREDENTIALS,
    NOW,
    PAGE_ID,
    TOKEN,
    FakeGraph,
    facebook_account,
    fixture,
    reply,
)

from warden.connectors import registry
from warden.connectors.base import Capability, Connector
from warden.connectors.errors import Rejected
from warden.connectors.meta import facebook
from warden.connectors.registry import NETWORKS
from warden.domain.messages import MAX_HANDLE, MAX_MESSAGE_CHARS, NO_TEXT, TRUNCATED

pytestmark = pytest.mark.doc_fixture


def page_graph() -> FakeGraph:
    return (FakeGraph()
            .on("GET", f"{PAGE_ID}/feed", reply(fixture("fb_page_feed")))
            .on("GET", "1234567890_111/comments", reply(fixture("fb_post_comments_page2")))
            .on("GET", f"{PAGE_ID}/tagged", reply(fixture("fb_page_tagged")))
            .on("GET", f"{PAGE_ID}/conversations", reply(fixture("fb_page_conversations"))))


@pytest.fixture
def graph() -> FakeGraph:
    return page_graph()


@pytest.fixture
def client(graph: FakeGraph) -> Iterator[httpx.Client]:
    with graph.client() as http:
        yield http


def page(client: httpx.Client, **settings: object) -> Connector:
    return facebook.connect(facebook_account(**settings), CREDENTIALS, client, clock=lambda: NOW)


def test_the_registry_connects_a_page(client: httpx.Client) -> None:
    assert NETWORKS["facebook"] == "warden.connectors.meta.facebook"
    connector = registry.connect(facebook_account(), CREDENTIALS, client)
    assert isinstance(connector, Connector) and connector.network == "facebook"
    assert {Capability.HIDE_REPLY, Capability.BLOCK, Capability.PUBLISH} <= connector.capabilities


def test_fetch_reads_every_stream_oldest_first(graph: FakeGraph, client: httpx.Client) -> None:
    result = page(client).fetch(None)
    assert [i.network_id for i in result.items] == [
        "1234567890_222", "111_9000", "111_9001", "111_9003", "777_888", "m_abc1"]
    assert [i.kind for i in result.items] == ["mention", "comment", "comment", "comment", "mention", "dm"]
    assert result.more is False
    reply_item = result.items[3]
    assert reply_item.thread_key == "1234567890_111"
    assert reply_item.in_reply_to == "111_9001"
    assert reply_item.author_handle == "5002" and reply_item.author_name == "Bob Example"
    assert result.items[1].in_reply_to == "1234567890_111"  # a top-level comment answers the post
    dm = result.items[5]
    assert dm.thread_key == "6001" and dm.author_handle == "6001" and dm.text.startswith("I want to report")
    for item in result.items:
        item.validate()
        assert item.author_handle != PAGE_ID  # the Page's own comment and answer are not inbound


def test_fetch_pages_comments_back_to_the_mark_only(graph: FakeGraph, client: httpx.Client) -> None:
    page(client).fetch(None)
    pages = graph.calls("GET", "1234567890_111/comments")
    assert len(pages) == 1
    assert pages[0].url.params["after"] == "QVFIUk5fQ2"
    assert pages[0].url.params["order"] == "reverse_chronological"
    assert pages[0].url.params["filter"] == "stream"
    feed = graph.calls("GET", f"{PAGE_ID}/feed")[0]
    assert "comments.filter(stream).order(reverse_chronological)" in feed.url.params["fields"]
    assert graph.calls("GET", f"{PAGE_ID}/conversations")[0].url.params["platform"] == "messenger"


def test_fetch_authenticates_in_the_header_with_appsecret_proof(graph: FakeGraph, client: httpx.Client) -> None:
    page(client).fetch(None)
    proof = hmac.new(CREDENTIALS["app_secret"].encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert graph.requests
    for request in graph.requests:
        assert request.url.host == "graph.test"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in str(request.url)
        assert request.url.params["appsecret_proof"] == proof


def test_cursor_continues_after_a_limit_without_skipping(client: httpx.Client) -> None:
    connector = page(client)
    first = connector.fetch(None, limit=3)
    assert [i.network_id for i in first.items] == ["1234567890_222", "111_9000", "111_9001"]
    assert first.more is True
    second = connector.fetch(first.cursor, limit=3)
    assert [i.network_id for i in second.items] == ["111_9003", "777_888", "m_abc1"]
    assert second.more is False
    third = connector.fetch(second.cursor)
    assert third.items == [] and third.more is False


def test_cursor_keeps_items_sharing_the_cut_second(client: httpx.Client) -> None:
    feed = fixture("fb_page_feed")
    for comment in feed["data"][0]["comments"]["data"]:
        comment["created_time"] = "2024-05-01T10:00:00+0000"  # three comments in one second
    graph = (FakeGraph().on("GET", f"{PAGE_ID}/feed", reply(feed))
             .on("GET", "1234567890_111/comments", reply({"data": []}))
             .on("GET", f"{PAGE_ID}/tagged", reply({"data": []})))
    with graph.client() as http:
        connector = page(http, messenger=False)
        first = connector.fetch(None, limit=2)
        second = connector.fetch(first.cursor, limit=2)
    delivered = [i.network_id for i in [*first.items, *second.items]]
    assert sorted(delivered) == ["111_9001", "111_9003", "1234567890_222"]
    assert len(set(delivered)) == len(delivered)


def test_messenger_can_be_switched_off(graph: FakeGraph, client: httpx.Client) -> None:
    connector = page(client, messenger=False)
    result = connector.fetch(None)
    assert "m_abc1" not in [i.network_id for i in result.items]
    assert graph.calls("GET", f"{PAGE_ID}/conversations") == []
    assert Capability.DIRECT_MESSAGES not in connector.capabilities
    assert Capability.DIRECT_MESSAGES in page(client).capabilities


def test_a_cursor_from_elsewhere_is_rejected(client: httpx.Client) -> None:
    with pytest.raises(Rejected):
        page(client).fetch("not json")
    with pytest.raises(Rejected):
        page(client).fetch(json.dumps({"v": 1, "marks": {"comments": {"at": "yesterday"}}}))


def test_hostile_fields_are_bounded_or_dropped() -> None:
    long_name = "N" * 5000
    hostile = {"data": [{
        "id": "1234567890_111", "created_time": "2024-05-01T09:00:00+0000",
        "from": {"id": PAGE_ID, "name": "Example Constabulary"},
        "comments": {"data": [
            {"id": "c_long", "message": "x" * (MAX_MESSAGE_CHARS + 10), "created_time": "2024-05-01T10:00:00+0000",
             "from": {"id": "5001", "name": long_name}},
            {"id": "c_number", "message": 12345, "created_time": "2024-05-01T10:01:00+0000", "from": {"id": "5001"}},
            {"id": "c_nofrom", "message": "who am I", "created_time": "2024-05-01T10:02:00+0000"},
            {"id": "i" * (MAX_HANDLE + 1), "message": "id too long", "created_time": "2024-05-01T10:03:00+0000"},
            {"id": "has space", "message": "bad id", "created_time": "2024-05-01T10:04:00+0000"},
            {"id": "c_badtime", "message": "when?", "created_time": "yesterday-ish"},
            {"id": "c_naive", "message": "no zone", "created_time": "2024-05-01T10:05:00"},
            "not an object",
        ]}},
        {"id": "../../me/feed", "created_time": "2024-05-01T09:00:00+0000", "from": {"id": "5009"},
         "comments": {"data": [], "paging": {"next": "x", "cursors": {"after": "A"}}}},
    ]}
    graph = (FakeGraph().on("GET", f"{PAGE_ID}/feed", reply(hostile))
             .on("GET", f"{PAGE_ID}/tagged", reply({"data": []})))
    with graph.client() as http:
        items = {i.network_id: i for i in page(http, messenger=False).fetch(None).items}
    assert set(items) == {"c_long", "c_number", "c_nofrom"}
    assert items["c_long"].text.endswith(TRUNCATED) and len(items["c_long"].text) == MAX_MESSAGE_CHARS
    assert len(items["c_long"].author_name) == MAX_HANDLE
    assert items["c_number"].text == NO_TEXT
    assert items["c_nofrom"].author_handle == "unknown"
    for item in items.values():
        item.validate()
    assert all("me/feed" not in p or p == f"GET {PAGE_ID}/feed" for p in graph.paths())


def test_malformed_pages_are_transient() -> None:
    from warden.connectors.errors import Transient

    graph = FakeGraph().on("GET", f"{PAGE_ID}/feed", reply({"data": "not a list"}))
    with graph.client() as http, pytest.raises(Transient):
        page(http).fetch(None)
    graph = FakeGraph().on("GET", f"{PAGE_ID}/feed", reply(["a", "list"]))
    with graph.client() as http, pytest.raises(Transient):
        page(http).fetch(None)
