"""Fetching mentions, replies in our conversations and DMs, with paging and the cursor."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from x_spec import ME, NOW, Reply, XMock, fixture

from warden.connectors.base import Capability
from warden.connectors.errors import Rejected, Transient
from warden.connectors.x import XConnector
from warden.connectors.x.cursor import Cursor, Walk
from warden.connectors.x.inbound import SEARCH_WINDOW, iso
from warden.connectors.x.items import snowflake_at, snowflake_time
from warden.domain.messages import MAX_HANDLE, MAX_MESSAGE_CHARS, NO_TEXT, TRUNCATED

pytestmark = pytest.mark.spec_validated

MENTIONS = f"/2/users/{ME}/mentions"
OWN = f"/2/users/{ME}/tweets"
SEARCH = "/2/tweets/search/recent"
M3, M2, M1 = (tweet["id"] for tweet in fixture("mentions_first.json")["data"])
R1 = fixture("search_replies.json")["data"][0]["id"]
P_ROOT2, P_REPLY, P_FOLLOW, P_ROOT = (tweet["id"] for tweet in fixture("own_tweets.json")["data"])
OTHER_ROOT = fixture("own_tweets.json")["data"][1]["conversation_id"]
D4, D3 = (event["id"] for event in fixture("dm_page1.json")["data"])
D2, D1 = (event["id"] for event in fixture("dm_page2.json")["data"])
SINCE0 = snowflake_at(NOW - timedelta(hours=2))
TOKEN1 = fixture("mentions_page1.json")["meta"]["next_token"]
# A cursor whose watch list is fresh (no re-read of our own posts) and empty.
QUIET = Cursor(watched_at=int(NOW.timestamp()))

Make = Callable[..., XConnector]


def test_first_fetch_takes_the_newest_page_only(x_api: XMock, make_x: Make) -> None:
    mentions = x_api.on("GET", MENTIONS, Reply(200, "mentions_first.json"))
    x_api.on("GET", OWN, Reply(200, "empty_page.json"))
    page = make_x(direct_messages=False).fetch(None, limit=100)

    sent = dict(mentions.calls[0].request.url.params)
    assert "since_id" not in sent and "pagination_token" not in sent
    assert sent["max_results"] == "50" and "author_id" in sent["expansions"]
    assert [item.network_id for item in page.items] == [M1, M2, M3]  # oldest first
    assert [item.kind for item in page.items] == ["reply", "mention", "mention"]
    first = page.items[0]
    assert (first.author_handle, first.author_name, first.thread_key, first.in_reply_to) == (
        "alice_uk", "Alice", P_ROOT, P_ROOT)
    assert first.sent_at == NOW - timedelta(minutes=50)
    for item in page.items:
        item.validate()
    state = Cursor.decode(page.cursor)
    assert state.mentions == Walk(since=M3) and not page.more  # the first poll does not dig into history


def test_paging_walks_back_to_since_without_skipping(x_api: XMock, make_x: Make) -> None:
    route = x_api.on("GET", MENTIONS, Reply(200, "mentions_page1.json"), Reply(200, "mentions_page2.json"),
                     Reply(200, "empty_page.json"))
    connector = make_x(direct_messages=False)
    cursor = replace(QUIET, mentions=Walk(since=SINCE0)).encode()

    first = connector.fetch(cursor, limit=10)
    assert [item.network_id for item in first.items] == [M2, M3]
    assert first.more and Cursor.decode(first.cursor).mentions == Walk(SINCE0, TOKEN1, M3)

    second = connector.fetch(first.cursor, limit=10)
    params = dict(route.calls[1].request.url.params)
    assert (params["since_id"], params["pagination_token"]) == (SINCE0, TOKEN1)
    assert [item.network_id for item in second.items] == [M1]  # our own post and a retweet are left out
    assert not second.more and Cursor.decode(second.cursor).mentions == Walk(since=M3)

    third = connector.fetch(second.cursor, limit=10)
    assert dict(route.calls[2].request.url.params)["since_id"] == M3
    assert third.items == [] and Cursor.decode(third.cursor).mentions == Walk(since=M3)


def test_replies_in_our_conversations_come_from_recent_search(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, Reply(200, "empty_page.json"))
    own = x_api.on("GET", OWN, Reply(200, "own_tweets.json"))
    search = x_api.on("GET", SEARCH, Reply(200, "search_replies.json"))
    cursor = Cursor(mentions=Walk(since=M3), replies=Walk(since=SINCE0)).encode()
    page = make_x(direct_messages=False).fetch(cursor, limit=100)

    own_params = dict(own.calls[0].request.url.params)
    assert own_params["start_time"] == iso(NOW - SEARCH_WINDOW) and own_params["exclude"] == "retweets"
    params = dict(search.calls[0].request.url.params)
    assert params["query"] == (f"(conversation_id:{P_ROOT2} OR conversation_id:{OTHER_ROOT} "
                               f"OR conversation_id:{P_ROOT}) -from:{ME}")
    # Newly watched conversations: ask from our first post in them, not from the old since.
    assert params["since_id"] == P_ROOT
    assert [(item.network_id, item.kind, item.thread_key) for item in page.items] == [
        (M1, "reply", P_ROOT), (R1, "reply", P_ROOT)]
    assert page.items[1].in_reply_to == M1 and page.items[1].author_handle == "carol_x"
    state = Cursor.decode(page.cursor)
    assert state.replies == Walk(since=R1) and state.watch == (P_ROOT2, OTHER_ROOT, P_ROOT)


def test_a_message_seen_by_two_streams_is_delivered_once(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, Reply(200, "mentions_first.json"))
    x_api.on("GET", SEARCH, Reply(200, "search_replies.json"))
    cursor = replace(QUIET, watch=(P_ROOT,)).encode()
    ids = [item.network_id for item in make_x(direct_messages=False).fetch(cursor).items]
    assert sorted(ids) == sorted({M1, M2, M3, R1}) and len(ids) == 4


def test_own_posts_are_reread_only_every_five_minutes(x_api: XMock, make_x: Make) -> None:
    own = x_api.on("GET", OWN, Reply(200, "own_tweets.json"), Reply(200, "own_tweets.json"))
    x_api.on("GET", MENTIONS, *[Reply(200, "empty_page.json")] * 3)
    x_api.on("GET", SEARCH, *[Reply(200, "empty_page.json")] * 3)
    cursor = make_x(direct_messages=False).fetch(Cursor(mentions=Walk(M3)).encode()).cursor
    cursor = make_x(direct_messages=False, now=NOW + timedelta(minutes=4)).fetch(cursor).cursor
    assert own.call_count == 1
    make_x(direct_messages=False, now=NOW + timedelta(minutes=5)).fetch(cursor)
    assert own.call_count == 2


def test_replies_never_ask_from_before_the_search_window(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, Reply(200, "empty_page.json"))
    search = x_api.on("GET", SEARCH, Reply(200, "empty_page.json"))
    cursor = replace(QUIET, replies=Walk(since=OTHER_ROOT), watch=(P_ROOT,)).encode()
    page = make_x(direct_messages=False).fetch(cursor)
    floor = snowflake_at(NOW - SEARCH_WINDOW)
    assert dict(search.calls[0].request.url.params)["since_id"] == floor
    assert Cursor.decode(page.cursor).replies == Walk(since=floor)


def test_direct_messages_walk_back_to_the_last_delivered_event(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, Reply(200, "empty_page.json"), Reply(200, "empty_page.json"))
    dms = x_api.on("GET", "/2/dm_events", Reply(200, "dm_page1.json"), Reply(200, "dm_page2.json"))
    connector = make_x()
    assert Capability.DIRECT_MESSAGES in connector.capabilities
    first = connector.fetch(replace(QUIET, dms=Walk(since=D1)).encode(), limit=30)

    params = dict(dms.calls[0].request.url.params)
    assert (params["event_types"], params["expansions"], params["max_results"]) == ("MessageCreate", "sender_id", "10")
    assert [(item.network_id, item.kind, item.author_handle) for item in first.items] == [(D4, "dm", "alice_uk")]
    assert first.items[0].thread_key == f"1111111111-{ME}" and first.more  # D3 is ours: left out

    second = connector.fetch(first.cursor, limit=30)
    assert dict(dms.calls[1].request.url.params)["pagination_token"] == fixture("dm_page1.json")["meta"]["next_token"]
    assert [item.network_id for item in second.items] == [D2]  # D1 was delivered before
    # The walk reached D1, so X's next_token is not followed.
    assert Cursor.decode(second.cursor).dms == Walk(since=D4) and not second.more


def test_first_dm_poll_starts_from_the_newest_event(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, Reply(200, "empty_page.json"))
    x_api.on("GET", "/2/dm_events", Reply(200, "dm_page1.json"))
    page = make_x().fetch(QUIET.encode())
    assert [item.network_id for item in page.items] == [D4]
    assert Cursor.decode(page.cursor).dms == Walk(since=D4) and not page.more


def test_direct_messages_can_be_switched_off(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, Reply(200, "empty_page.json"))
    connector = make_x(direct_messages=False)
    assert Capability.DIRECT_MESSAGES not in connector.capabilities
    connector.fetch(QUIET.encode())  # a call to /2/dm_events would hit no route and fail
    assert [request.url.path for request in x_api.requests] == [MENTIONS]


def test_the_replies_search_can_be_switched_off(x_api: XMock, make_x: Make) -> None:
    mentions = x_api.on("GET", MENTIONS, Reply(200, "empty_page.json"))
    cursor = Cursor(mentions=Walk(M3), replies=Walk(SINCE0)).encode()  # stale watch list: would re-read
    page = make_x(direct_messages=False, search_replies=False).fetch(cursor, limit=100)
    assert [request.url.path for request in x_api.requests] == [MENTIONS]  # no own posts, no search
    assert dict(mentions.calls[0].request.url.params)["max_results"] == "100"  # one stream takes the whole limit
    assert Cursor.decode(page.cursor).replies == Walk(SINCE0)


def test_hostile_fields_are_bounded_not_dropped(x_api: XMock, make_x: Make) -> None:
    body = fixture("mentions_hostile.json")
    body["data"][0]["text"] = "@ExamplePolice " + "A" * 100_000
    body["includes"]["users"][2]["name"] = "N" * 10_000
    x_api.on("GET", MENTIONS, Reply(200, body))
    items = {item.network_id: item for item in make_x(direct_messages=False).fetch(QUIET.encode()).items}
    h4, h3, h2, h1 = (tweet["id"] for tweet in body["data"])

    assert len(items[h4].text) == MAX_MESSAGE_CHARS and items[h4].text.endswith(TRUNCATED)
    assert items[h4].author_handle == "4444444444"  # author missing from includes: its id stands in
    assert items[h3].text == NO_TEXT and items[h3].sent_at == snowflake_time(h3)  # no created_at
    assert items[h3].sent_at == NOW - timedelta(minutes=23)
    assert items[h2].text.startswith("@ExamplePolice the full note text")
    assert items[h1].thread_key == h1 and len(items[h1].author_name) == MAX_HANDLE
    for item in items.values():
        item.validate()


def test_out_of_spec_items_are_skipped_and_bad_pages_are_transient(x_api: XMock, make_x: Make) -> None:
    body = fixture("mentions_page1.json")
    body["data"][1]["id"] = "../../etc"
    body["data"][0]["author_id"] = {"$gt": ""}
    x_api.on("GET", MENTIONS, Reply(200, body, conforms=False), Reply(200, {"data": {"id": M1}}, conforms=False))
    connector = make_x(direct_messages=False)
    items = connector.fetch(QUIET.encode()).items
    assert [(item.network_id, item.author_handle) for item in items] == [(M3, "unknown")]
    with pytest.raises(Transient, match="wrong shape"):
        connector.fetch(QUIET.encode())


def test_a_page_of_errors_only_is_a_refusal(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, Reply(200, "user_not_found.json"))
    with pytest.raises(Rejected, match="Not Found Error"):
        make_x(direct_messages=False).fetch(QUIET.encode())


@pytest.mark.parametrize("cursor", [
    "not json", "[]", json.dumps({"v": 99}),
    json.dumps({"v": 1, "mentions": {"since": "1 OR 1=1"}}),
    json.dumps({"v": 1, "dms": {"next": "x" * 600}}),
    json.dumps({"v": 1, "watch": ["12", "abc"]}),
])
def test_a_cursor_this_connector_did_not_write_is_refused(x_api: XMock, make_x: Make, cursor: str) -> None:
    with pytest.raises(Rejected):
        make_x().fetch(cursor)
    assert x_api.requests == []
