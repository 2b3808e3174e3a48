"""Publishing, replying, moderation actions, recent posts and health."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from x_spec import BASE, ME, NOW, TOKEN, Reply, XMock, fixture

from warden.connectors.base import AccountRef, Capability, Media, OutboundPost
from warden.connectors.errors import AuthFailed, NotSupported, Rejected
from warden.connectors.registry import connect
from warden.connectors.x import XConnector
from warden.connectors.x.inbound import iso

pytestmark = pytest.mark.spec_validated

Make = Callable[..., XConnector]
NEW_ID = fixture("tweet_created.json")["data"]["id"]
BOB = fixture("user_bob.json")["data"]["id"]
REPLY_TO = fixture("mentions_page1.json")["data"][0]["id"]


def test_capabilities_say_what_x_can_do(make_x: Make) -> None:
    capabilities = make_x().capabilities
    assert {Capability.PUBLISH, Capability.REPLY, Capability.DELETE, Capability.HIDE_REPLY,
            Capability.UNHIDE_REPLY, Capability.MUTE, Capability.RECENT_POSTS, Capability.WEBHOOKS,
            Capability.FETCH, Capability.DIRECT_MESSAGES} == capabilities
    assert not capabilities & {Capability.BLOCK, Capability.REPORT, Capability.PUBLISH_MEDIA,
                               Capability.IDEMPOTENT_PUBLISH}


def test_publish_posts_text_and_returns_the_new_id(x_api: XMock, make_x: Make) -> None:
    x_api.on("POST", "/2/tweets", Reply(201, "tweet_created.json"))
    published = make_x().publish(OutboundPost(ref="outbox-1", text="Road closure on the A3 northbound"))
    assert x_api.json() == {"text": "Road closure on the A3 northbound"}
    assert published.network_id == NEW_ID
    assert published.url == f"https://x.com/ExamplePolice/status/{NEW_ID}"


def test_reply_names_the_post_it_answers(x_api: XMock, make_x: Make) -> None:
    x_api.on("POST", "/2/tweets", Reply(201, "tweet_created.json"))
    make_x().publish(OutboundPost(ref="outbox-2", text="Please call 101", in_reply_to=REPLY_TO))
    assert x_api.json() == {"text": "Please call 101", "reply": {"in_reply_to_tweet_id": REPLY_TO}}


@pytest.mark.parametrize(("post", "error"), [
    (OutboundPost("o", "with a photo", media=[Media("a.png", "image/png", b"\x89PNG")]), NotSupported),
    (OutboundPost("o", "   "), Rejected),
    (OutboundPost("o", "hi", in_reply_to="12345/../../2/users"), Rejected),
])
def test_posts_x_cannot_take_are_refused_before_sending(x_api: XMock, make_x: Make, post: OutboundPost,
                                                        error: type[Exception]) -> None:
    with pytest.raises(error):
        make_x().publish(post)
    assert x_api.requests == []


def test_delete(x_api: XMock, make_x: Make) -> None:
    route = x_api.on("DELETE", f"/2/tweets/{NEW_ID}", Reply(200, "tweet_deleted.json"),
                     Reply(200, "tweet_not_deleted.json"))
    make_x().delete(NEW_ID)
    assert route.call_count == 1
    with pytest.raises(Rejected, match="did not confirm"):
        make_x().delete(NEW_ID)
    with pytest.raises(Rejected):
        make_x().delete("1/hidden")
    assert route.call_count == 2


@pytest.mark.parametrize(("hidden", "answer"), [(True, "reply_hidden.json"), (False, "reply_unhidden.json")])
def test_hide_and_unhide_a_reply(x_api: XMock, make_x: Make, hidden: bool, answer: str) -> None:
    x_api.on("PUT", f"/2/tweets/{REPLY_TO}/hidden", Reply(200, answer))
    make_x().set_reply_hidden(REPLY_TO, hidden)
    assert x_api.json() == {"hidden": hidden}


def test_hide_that_x_did_not_apply_is_refused(x_api: XMock, make_x: Make) -> None:
    x_api.on("PUT", f"/2/tweets/{REPLY_TO}/hidden", Reply(200, "reply_unhidden.json"))
    with pytest.raises(Rejected, match="hiding"):
        make_x().set_reply_hidden(REPLY_TO, True)


def test_mute_looks_up_the_handle_then_mutes_the_id(x_api: XMock, make_x: Make) -> None:
    lookup = x_api.on("GET", "/2/users/by/username/bob_99", Reply(200, "user_bob.json"))
    x_api.on("POST", f"/2/users/{ME}/muting", Reply(200, "muting.json"))
    make_x().mute("@bob_99")
    assert lookup.call_count == 1 and x_api.json() == {"target_user_id": BOB}


def test_mute_of_an_unknown_or_invalid_handle_is_refused(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", "/2/users/by/username/nobody_here", Reply(200, "user_not_found.json"))
    with pytest.raises(Rejected, match="no account"):
        make_x().mute("nobody_here")
    with pytest.raises(Rejected, match="not an X username"):
        make_x().mute("bob/../../2/tweets")
    assert len(x_api.requests) == 1


def test_block_and_report_are_not_in_x_api_v2(x_api: XMock, make_x: Make) -> None:
    with pytest.raises(NotSupported, match="block"):
        make_x().block("bob_99")
    with pytest.raises(NotSupported, match="report"):
        make_x().report(REPLY_TO, "bob_99", "threat")
    assert x_api.requests == []


def test_recent_posts_pages_until_the_limit(x_api: XMock, make_x: Make) -> None:
    route = x_api.on("GET", f"/2/users/{ME}/tweets", Reply(200, "recent_page1.json"), Reply(200, "recent_page2.json"))
    since = NOW - timedelta(days=3)
    posts = make_x().recent_posts(since, limit=3)
    first, second = (dict(call.request.url.params) for call in route.calls)
    assert first["start_time"] == iso(since) and first["max_results"] == "5" and "pagination_token" not in first
    assert second["pagination_token"] == fixture("recent_page1.json")["meta"]["next_token"]
    expected = [tweet["id"] for tweet in fixture("recent_page1.json")["data"] + fixture("recent_page2.json")["data"]]
    assert [post.network_id for post in posts] == expected[:3]  # newest first, cut at the limit
    assert posts[0].created_at == NOW - timedelta(hours=3) and posts[0].ref is None


def test_recent_posts_prefer_the_full_note_text(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", f"/2/users/{ME}/tweets", Reply(200, "recent_page2.json"))
    posts = make_x().recent_posts(NOW - timedelta(days=3), limit=100)
    assert posts[1].text == fixture("recent_page2.json")["data"][1]["note_tweet"]["text"]


def test_health_reports_the_account_and_rate_limit(x_api: XMock, make_x: Make) -> None:
    reset = int(NOW.timestamp()) + 900
    x_api.on("GET", "/2/users/me", Reply(200, "users_me.json", headers={
        "x-rate-limit-limit": "75", "x-rate-limit-remaining": "74", "x-rate-limit-reset": str(reset)}))
    health = make_x().health()
    assert health.ok and health.detail == "connected as @ExamplePolice"
    assert health.rate_limit_remaining == 74 and health.rate_limit_reset == datetime.fromtimestamp(reset, UTC)
    assert list(health.scopes) == ["tweet.read", "users.read"]


def test_health_notices_a_token_for_another_account(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", "/2/users/me", Reply(200, "users_me_other.json"))
    health = make_x().health()
    assert not health.ok and BOB in health.detail and health.rate_limit_remaining is None


def test_connect_through_the_registry(x_api: XMock) -> None:
    x_api.on("GET", "/2/users/me", Reply(200, "users_me.json"))
    account = AccountRef("acct-9", "x", "ExamplePolice", {"user_id": ME, "direct_messages": "false",
                                                          "search_replies": False})
    with httpx.Client() as client:
        connector = connect(account, {"access_token": TOKEN, "scope": "tweet.read dm.read"}, client)
        assert connector.network == "x" and Capability.DIRECT_MESSAGES not in connector.capabilities
        assert connector.health().scopes == ("tweet.read", "dm.read")
        x_api.on("GET", f"/2/users/{ME}/mentions", Reply(200, "empty_page.json"))
        connector.fetch(None)  # neither DMs nor the replies search: only the mentions route is there
        assert TOKEN not in repr(connector)


@pytest.mark.parametrize(("settings", "credentials", "message"), [
    ({"user_id": ME}, {}, "no access token"),
    ({"user_id": ME}, {"access_token": "  "}, "no access token"),
    ({}, {"access_token": TOKEN}, "user_id"),
    ({"user_id": "@ExamplePolice"}, {"access_token": TOKEN}, "user_id"),
    ({"user_id": ME, "api_url": "http://api.x.com"}, {"access_token": TOKEN}, "https"),
    ({"user_id": ME, "api_url": "https:///no-host"}, {"access_token": TOKEN}, "https"),
])
def test_connect_refuses_an_incomplete_account(settings: dict[str, str], credentials: dict[str, str],
                                               message: str) -> None:
    with httpx.Client() as client, pytest.raises(AuthFailed, match=message) as caught:
        connect(AccountRef("acct-9", "x", "ExamplePolice", settings), credentials, client)
    assert TOKEN not in str(caught.value)


def test_api_url_setting_is_used(x_api: XMock) -> None:
    route = x_api.on("GET", "/2/users/me", Reply(200, "users_me.json"))
    account = AccountRef("acct-9", "x", "ExamplePolice", {"user_id": ME, "api_url": BASE + "/"})
    with httpx.Client() as client:
        assert connect(account, {"access_token": TOKEN}, client).health().ok
    assert route.calls[0].request.url == httpx.URL(f"{BASE}/2/users/me?user.fields=id%2Cname%2Cusername")
