"""Fetching against responses shaped from the Mastodon documentation: what
mastodon_mock does not produce (servers that ignore ``types[]``, remote
threads whose top is hidden, ids that are not numbers, hostile fields)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx
from mastodon_docs import OWN_ID, account, notification, status

from warden.connectors.errors import RateLimited, Rejected, Transient
from warden.connectors.mastodon import MastodonConnector, cursor
from warden.domain.messages import MAX_HANDLE, MAX_MESSAGE_CHARS, NO_TEXT, TRUNCATED

pytestmark = pytest.mark.doc_fixture


def serve(api: respx.MockRouter, *pages: list[dict[str, object]]) -> respx.Route:
    return api.get("/api/v1/notifications").mock(side_effect=[httpx.Response(200, json=page) for page in pages])


def test_the_request_asks_for_mentions_after_the_cursor(docs_api: respx.MockRouter,
                                                        docs_police: MastodonConnector) -> None:
    route = serve(docs_api, [notification("12"), notification("11")])

    page = docs_police.fetch(cursor.encode("10"), limit=500)

    request = route.calls.last.request
    assert request.url.params.get_list("types[]") == ["mention"]
    assert request.url.params["min_id"] == "10"
    assert request.url.params["limit"] == "40"
    assert request.headers["authorization"] == "Bearer secret-token"
    assert [item.network_id for item in page.items] == ["911", "912"]  # oldest first
    assert json.loads(page.cursor or "") == {"v": 1, "min_id": "12"}
    assert page.more is False


def test_a_server_that_ignores_types_still_yields_only_mentions(docs_api: respx.MockRouter,
                                                              docs_police: MastodonConnector) -> None:
    serve(docs_api, [notification("15", "favourite"), notification("14", "follow"),
                     notification("13", "mention"), notification("12", "reblog")])

    page = docs_police.fetch(cursor.encode("11"), limit=4)

    assert [item.network_id for item in page.items] == ["913"]
    assert json.loads(page.cursor or "")["min_id"] == "15"  # past the others too
    assert page.more is True  # a full page: ask again


def test_numeric_ids_compare_as_numbers(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    serve(docs_api, [notification("100"), notification("99")])

    page = docs_police.fetch(cursor.encode("98"))

    assert [item.network_id for item in page.items] == ["999", "9100"]
    assert json.loads(page.cursor or "")["min_id"] == "100"


def test_ulid_ids_of_compatible_servers(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    newer, older = "01HXZ9Q8V4M2K7N3P5R6S8T0W2", "01HXZ9Q8V4M2K7N3P5R6S8T0W1"
    serve(docs_api, [notification(newer, status_=status("S2")), notification(older, status_=status("S1"))])

    page = docs_police.fetch(cursor.encode("01HXZ9Q8V4M2K7N3P5R6S8T0W0"))

    assert [item.network_id for item in page.items] == ["S1", "S2"]
    assert json.loads(page.cursor or "")["min_id"] == newer


def test_a_reply_whose_thread_is_hidden_keys_on_its_parent(docs_api: respx.MockRouter,
                                                           docs_police: MastodonConnector) -> None:
    reply = status("300", in_reply_to_id="200", in_reply_to_account_id=OWN_ID)
    serve(docs_api, [notification("1", status_=reply)])
    docs_api.get("/api/v1/statuses/300/context").mock(return_value=httpx.Response(404, json={
        "error": "Record not found"}))

    item = docs_police.fetch(cursor.encode("0")).items[0]

    assert (item.thread_key, item.kind, item.in_reply_to) == ("200", "reply", "200")


def test_when_the_first_post_is_hidden_the_topmost_names_it(docs_api: respx.MockRouter,
                                                            docs_police: MastodonConnector) -> None:
    serve(docs_api, [notification("2", status_=status("400", in_reply_to_id="300")),
                     notification("1", status_=status("500", in_reply_to_id="300"))])
    context = docs_api.get(path__regex=r"/api/v1/statuses/\d+/context").mock(return_value=httpx.Response(
        200, json={"ancestors": [status("200", in_reply_to_id="100"), status("300", in_reply_to_id="200")],
                   "descendants": []}))

    items = docs_police.fetch(cursor.encode("0")).items

    assert [item.thread_key for item in items] == ["100", "100"]
    assert context.call_count == 1  # the second reply reuses the first one's answer


def test_a_rate_limit_while_finding_a_thread_stops_the_batch(docs_api: respx.MockRouter,
                                                              docs_police: MastodonConnector) -> None:
    serve(docs_api, [notification("1", status_=status("500", in_reply_to_id="300"))])
    docs_api.get("/api/v1/statuses/500/context").mock(return_value=httpx.Response(
        429, headers={"X-RateLimit-Reset": "2030-01-01T00:00:00.000Z"}, json={"error": "Too many requests"}))

    with pytest.raises(RateLimited):
        docs_police.fetch(cursor.encode("0"))


def test_hostile_fields_are_bounded_not_fatal(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    huge = "<p>" + "a" * (MAX_MESSAGE_CHARS + 10) + "</p>"
    odd = status("701", content=None, account=account("x" * 500), created_at="not a time",
                 visibility="direct", spoiler_text="\u202escary\x00")
    odd["account"]["display_name"] = {"not": "a string"}
    deleted = notification("4") | {"status": None}  # a mention whose status was deleted
    serve(docs_api, [
        notification("6", status_=status("706", content="<p>hi<script>steal()</script><style>p{}</style></p>")),
        notification("5", status_=status("705", account=None, in_reply_to_id=123)),
        deleted,
        notification("3", status_=status("703", content=huge)),
        notification("2", status_=odd),
    ])
    docs_api.get("/api/v1/statuses/705/context").mock(return_value=httpx.Response(200, json=[]))

    items = docs_police.fetch(cursor.encode("1")).items

    assert [item.network_id for item in items] == ["701", "703", "705", "706"]
    for item in items:
        item.validate()
    dm, big, anonymous, scripted = items
    assert dm.kind == "dm"
    assert len(dm.author_handle) == MAX_HANDLE
    assert dm.author_name == ""
    assert dm.sent_at == datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC)  # the notification's time instead
    assert dm.text == "[CW: \u202escary]"  # the NUL is gone; the author's words stay as they are
    assert big.text.endswith(TRUNCATED) and len(big.text) == MAX_MESSAGE_CHARS
    assert anonymous.author_handle == "alice@other.example"  # the notification names the author
    assert anonymous.thread_key == "123" and anonymous.in_reply_to == "123"
    assert scripted.text == "hi"


def test_content_warning_and_media_only(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    serve(docs_api, [notification("3", status_=status("803", content="", media_attachments=[{"id": "1"}])),
                     notification("2", status_=status("802", spoiler_text="violence",
                                                      content="<p>the words</p>"))])

    warned, media_only = docs_police.fetch(cursor.encode("1")).items

    assert warned.text == "[CW: violence]\n\nthe words"
    assert media_only.text == NO_TEXT


@pytest.mark.parametrize("page", [
    {"error": "not a list"},
    [{"type": "mention"}],  # no id
    ["not an object"],
    [notification("../x")],
    [notification("2", status_=status("bad id!"))],
])
def test_a_page_that_cannot_be_trusted_is_transient(docs_api: respx.MockRouter,
                                                     docs_police: MastodonConnector, page: object) -> None:
    docs_api.get("/api/v1/notifications").mock(return_value=httpx.Response(200, json=page))

    with pytest.raises(Transient):
        docs_police.fetch(cursor.encode("1"))


@pytest.mark.parametrize("stored", ["garbage", "{}", '{"v": 2, "min_id": "1"}', '{"v": 1, "min_id": "1/2"}',
                                    '{"v": 1, "min_id": 1.5}', "[" * 5_000])
def test_a_cursor_we_did_not_write_is_refused(docs_api: respx.MockRouter, docs_police: MastodonConnector,
                                              stored: str) -> None:
    with pytest.raises(Rejected):
        docs_police.fetch(stored)
    assert not docs_api.calls
