"""The validation itself: every fixture matches X's OpenAPI for the operation it
stands in for, and a wrong fixture or a wrong request is caught."""

from __future__ import annotations

import httpx
import pytest
from x_spec import BASE, FIXTURES, TOKEN, Reply, XMock, fixture, response_errors

pytestmark = pytest.mark.spec_validated

ME = "2244994945"
# Each fixture file and the operation whose 2xx answer it is.
MANIFEST = {
    "mentions_first.json": ("GET", f"/2/users/{ME}/mentions", 200),
    "mentions_page1.json": ("GET", f"/2/users/{ME}/mentions", 200),
    "mentions_page2.json": ("GET", f"/2/users/{ME}/mentions", 200),
    "mentions_hostile.json": ("GET", f"/2/users/{ME}/mentions", 200),
    "empty_page.json": ("GET", f"/2/users/{ME}/mentions", 200),
    "own_tweets.json": ("GET", f"/2/users/{ME}/tweets", 200),
    "recent_page1.json": ("GET", f"/2/users/{ME}/tweets", 200),
    "recent_page2.json": ("GET", f"/2/users/{ME}/tweets", 200),
    "search_replies.json": ("GET", "/2/tweets/search/recent?query=conversation_id%3A1", 200),
    "dm_page1.json": ("GET", "/2/dm_events", 200),
    "dm_page2.json": ("GET", "/2/dm_events", 200),
    "tweet_created.json": ("POST", "/2/tweets", 201),
    "tweet_deleted.json": ("DELETE", "/2/tweets/1", 200),
    "tweet_not_deleted.json": ("DELETE", "/2/tweets/1", 200),
    "reply_hidden.json": ("PUT", "/2/tweets/1/hidden", 200),
    "reply_unhidden.json": ("PUT", "/2/tweets/1/hidden", 200),
    "user_bob.json": ("GET", "/2/users/by/username/bob_99", 200),
    "user_not_found.json": ("GET", "/2/users/by/username/nobody_here", 200),
    "muting.json": ("POST", f"/2/users/{ME}/muting", 200),
    "users_me.json": ("GET", "/2/users/me", 200),
    "users_me_other.json": ("GET", "/2/users/me", 200),
}


def _request(method: str, path: str) -> httpx.Request:
    body = {"text": "x"} if path == "/2/tweets" else {"hidden": True} if path.endswith("/hidden") else (
        {"target_user_id": "2"} if path.endswith("/muting") else None)
    return httpx.Request(method, BASE + path, json=body, headers={"Authorization": f"Bearer {TOKEN}"})


def test_every_fixture_file_is_in_the_manifest() -> None:
    assert sorted(path.name for path in FIXTURES.glob("*.json")) == sorted(MANIFEST)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_fixture_matches_x_openapi(name: str) -> None:
    method, path, status = MANIFEST[name]
    request = _request(method, path)
    response = Reply(status, name).response(request)
    assert response_errors(request, response) == []


def test_a_wrong_fixture_fails_validation() -> None:
    """A Post id that is not a snowflake and a user without its required name."""
    broken = fixture("mentions_page1.json")
    broken["data"][0]["id"] = "not-a-snowflake"
    del broken["includes"]["users"][0]["name"]
    request = _request("GET", f"/2/users/{ME}/mentions")
    errors = response_errors(request, Reply(200, broken).response(request))
    assert errors and "not-a-snowflake" in " ".join(errors)


def test_a_wrong_fixture_served_by_a_route_fails_the_test(x_api: XMock) -> None:
    broken = fixture("users_me.json")
    broken["data"]["username"] = "not a valid handle!"
    x_api.on("GET", "/2/users/me", Reply(200, broken))
    with httpx.Client() as client, pytest.raises(AssertionError, match="does not match X's OpenAPI"):
        client.get(f"{BASE}/2/users/me", headers={"Authorization": f"Bearer {TOKEN}"})


def test_a_reply_marked_nonconforming_must_really_break_the_spec(x_api: XMock) -> None:
    x_api.on("GET", "/2/users/me", Reply(200, "users_me.json", conforms=False))
    with httpx.Client() as client, pytest.raises(AssertionError, match="matches X's OpenAPI after all"):
        client.get(f"{BASE}/2/users/me", headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.mark.parametrize(("url", "headers", "message"), [
    (f"{BASE}/2/users/{ME}/mentions?max_results=1000", {"Authorization": f"Bearer {TOKEN}"}, "max_results"),
    (f"{BASE}/2/users/{ME}/mentions?tweet.fields=no_such_field", {"Authorization": f"Bearer {TOKEN}"}, "tweet.fields"),
    (f"{BASE}/2/users/{ME}/mentions", {"Authorization": f"Bearer {TOKEN}"}, None),
    (f"{BASE}/2/users/{ME}/mentions", {}, "bearer token is missing"),
])
def test_requests_outside_the_spec_fail(x_api: XMock, url: str, headers: dict[str, str], message: str | None) -> None:
    x_api.on("GET", f"/2/users/{ME}/mentions", Reply(200, "empty_page.json"))
    with httpx.Client() as client:
        if message is None:
            assert client.get(url, headers=headers).status_code == 200
        else:
            with pytest.raises(AssertionError, match=message):
                client.get(url, headers=headers)


def test_a_post_body_outside_the_spec_fails(x_api: XMock) -> None:
    x_api.on("POST", "/2/tweets", Reply(201, "tweet_created.json"))
    with httpx.Client() as client, pytest.raises(AssertionError, match="does not match X's OpenAPI"):
        client.post(f"{BASE}/2/tweets", json={"text": "hi", "reply": {"in_reply_to_tweet_id": "abc"}},
                    headers={"Authorization": f"Bearer {TOKEN}"})
