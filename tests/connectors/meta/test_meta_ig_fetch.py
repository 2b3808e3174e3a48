"""Instagram fetch: comments and replies on recent media (nested and paged),
tags as mentions, the account's own replies left out, and the cursor."""

from __future__ import annotations

import pytest
from meta_fake import CREDENTIALS, IG_USER_ID, NOW, FakeGraph, fixture, instagram_account, reply

from warden.connectors import registry
from warden.connectors.base import Capability, Connector
from warden.connectors.errors import AuthFailed, Transient
from warden.connectors.meta import instagram
from warden.connectors.registry import NETWORKS
from warden.domain.messages import MAX_HANDLE, NO_TEXT

pytestmark = pytest.mark.doc_fixture

MEDIA = "17900000000000001"


def ig_graph() -> FakeGraph:
    return (FakeGraph()
            .on("GET", f"{IG_USER_ID}/media", reply(fixture("ig_user_media")))
            .on("GET", f"{MEDIA}/comments", reply(fixture("ig_media_comments_page2")))
            .on("GET", "17850000000000011/replies", reply(fixture("ig_comment_replies_page2")))
            .on("GET", f"{IG_USER_ID}/tags", reply(fixture("ig_user_tags"))))


def account(graph: FakeGraph, **settings: object) -> Connector:
    return instagram.connect(instagram_account(**settings), CREDENTIALS, graph.client(), clock=lambda: NOW)


def test_registry_names_this_module() -> None:
    assert NETWORKS["instagram"] == "warden.connectors.meta.instagram"
    with FakeGraph().client() as http:
        assert isinstance(registry.connect(instagram_account(), CREDENTIALS, http), Connector)
    assert Capability.PUBLISH not in instagram.CAPABILITIES  # no text-only posts
    assert Capability.PUBLISH_MEDIA in instagram.CAPABILITIES and Capability.BLOCK not in instagram.CAPABILITIES


def test_fetch_reads_comments_replies_and_tags_oldest_first() -> None:
    graph = ig_graph()
    result = account(graph).fetch(None)
    assert [i.network_id for i in result.items] == [
        "17850000000000011", "17850000000000014", "17850000000000012", "17850000000000015",
        "17850000000000016", "17900000000000099"]
    by_id = {i.network_id: i for i in result.items}
    assert "17850000000000013" not in by_id  # the account's own reply
    assert by_id["17850000000000014"].in_reply_to == "17850000000000011"
    assert by_id["17850000000000014"].thread_key == MEDIA
    assert by_id["17850000000000011"].in_reply_to == MEDIA
    assert by_id["17850000000000011"].author_handle == "resident_one"
    tag = by_id["17900000000000099"]
    assert tag.kind == "mention" and tag.author_handle == "school_news" and "safety talk" in tag.text
    for item in result.items:
        item.validate()


def test_fetch_follows_comment_and_reply_paging_but_not_old_media() -> None:
    graph = ig_graph()
    account(graph).fetch(None)
    assert graph.calls("GET", f"{MEDIA}/comments")[0].url.params["after"] == "QVFI4"
    assert graph.calls("GET", "17850000000000011/replies")[0].url.params["after"] == "QVFI2"
    assert len(graph.calls("GET", f"{IG_USER_ID}/media")) == 1  # the page reached media older than the lookback
    assert graph.calls("GET", "17900000000000002/comments") == []


def test_cursor_across_calls_delivers_each_item_once() -> None:
    graph = ig_graph()
    connector = account(graph)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = connector.fetch(cursor, limit=2)
        seen.extend(i.network_id for i in page.items)
        cursor = page.cursor
        if not page.more:
            break
    assert len(seen) == 6 and len(set(seen)) == 6
    assert connector.fetch(cursor).items == []


def test_own_comment_recognised_by_username_too() -> None:
    media = fixture("ig_user_media")
    comment = media["data"][0]["comments"]["data"][1]
    comment["from"] = {"id": "somebody-else-scoped"}
    comment["username"] = "ExampleConstabulary"
    graph = ig_graph().on("GET", f"{IG_USER_ID}/media", reply(media))
    ids = [i.network_id for i in account(graph).fetch(None).items]
    assert "17850000000000012" not in ids


def test_hostile_comment_fields_are_bounded_or_dropped() -> None:
    media = {"data": [{"id": MEDIA, "timestamp": "2024-05-01T08:00:00+0000", "comments": {"data": [
        {"id": "c1", "text": None, "timestamp": "2024-05-01T09:00:00+0000", "username": "u" * 999},
        {"id": "c2", "text": "no time"},
        {"id": ["c3"], "text": "id not a string", "timestamp": "2024-05-01T09:00:00+0000"},
        {"id": "c4", "text": "reply to a bad parent", "timestamp": "2024-05-01T09:05:00+0000",
         "replies": {"data": [{"id": "c5", "text": "hi", "timestamp": "2024-05-01T09:06:00+0000",
                               "from": {"id": "7009"}, "parent_id": {"x": 1}}]}},
    ]}}]}
    graph = FakeGraph().on("GET", f"{IG_USER_ID}/media", reply(media)).on("GET", f"{IG_USER_ID}/tags",
                                                                          reply({"data": []}))
    items = {i.network_id: i for i in account(graph).fetch(None).items}
    assert set(items) == {"c1", "c4", "c5"}
    assert len(items["c1"].author_handle) == MAX_HANDLE and items["c1"].text == NO_TEXT
    assert items["c4"].author_handle == "unknown"
    assert items["c5"].author_handle == "7009" and items["c5"].in_reply_to == MEDIA
    for item in items.values():
        item.validate()


def test_failures_map_like_facebook() -> None:
    graph = FakeGraph().on("GET", f"{IG_USER_ID}/media", reply(fixture("graph_error_token_expired"), 400))
    with pytest.raises(AuthFailed):
        account(graph).fetch(None)
    graph = FakeGraph().on("GET", f"{IG_USER_ID}/media", reply({"data": {"not": "a list"}}))
    with pytest.raises(Transient):
        account(graph).fetch(None)
