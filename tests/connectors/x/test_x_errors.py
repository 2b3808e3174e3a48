"""X's failures mapped to the connector errors: reads retry, posts reconcile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from x_spec import ME, NOW, TOKEN, Reply, XMock, problem

from warden.connectors.base import OutboundPost
from warden.connectors.errors import AuthFailed, OutcomeUnknown, RateLimited, Rejected, Transient
from warden.connectors.x import XConnector
from warden.connectors.x.cursor import Cursor

pytestmark = pytest.mark.spec_validated

Make = Callable[..., XConnector]
MENTIONS = f"/2/users/{ME}/mentions"
QUIET = Cursor(watched_at=int(NOW.timestamp())).encode()
POST = OutboundPost(ref="outbox-7", text="Road closure on the A3 northbound")
POST_ID = "1929500742251446272"


def _fetch(connector: XConnector) -> object:
    return connector.fetch(QUIET)


def _publish(connector: XConnector) -> object:
    return connector.publish(POST)


def test_429_comes_back_at_x_rate_limit_reset(x_api: XMock, make_x: Make) -> None:
    reset = int(NOW.timestamp()) + 600
    x_api.on("GET", MENTIONS, problem(429, "Too Many Requests", "Too Many Requests",
                                      **{"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}))
    with pytest.raises(RateLimited) as caught:
        make_x(direct_messages=False).fetch(QUIET)
    assert caught.value.retry_at == datetime.fromtimestamp(reset, UTC)


def test_429_on_a_post_is_rate_limited_not_unknown(x_api: XMock, make_x: Make) -> None:
    x_api.on("POST", "/2/tweets", problem(429, "Too Many Requests", "Too Many Requests"))
    with pytest.raises(RateLimited) as caught:
        make_x().publish(POST)
    assert caught.value.retry_at == NOW + timedelta(seconds=60)  # no reset header: the default backoff


@pytest.mark.parametrize("action", [_fetch, _publish])
def test_401_is_auth_failed(x_api: XMock, make_x: Make, action: Callable[[XConnector], object]) -> None:
    x_api.on("GET", MENTIONS, problem(401, "Unauthorized", "Unauthorized"))
    x_api.on("POST", "/2/tweets", problem(401, "Unauthorized", "Unauthorized"))
    with pytest.raises(AuthFailed) as caught:
        action(make_x(direct_messages=False))
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("reply", [
    problem(403, "Forbidden", "Forbidden"),  # the token lacks a scope (here dm.read)
    problem(403, "Unsupported Authentication", "Authenticating with OAuth 2.0 Application-Only is forbidden",
            "https://api.twitter.com/2/problems/unsupported-authentication"),
    problem(403, "Client Forbidden", "This app is not attached to a Project",
            "https://api.twitter.com/2/problems/client-forbidden"),
])
def test_403_about_the_token_or_app_is_auth_failed(x_api: XMock, make_x: Make, reply: Reply) -> None:
    x_api.on("GET", MENTIONS, Reply(200, "empty_page.json"))
    x_api.on("GET", "/2/dm_events", reply)
    with pytest.raises(AuthFailed, match="scope or access level"):
        make_x().fetch(QUIET)


def test_403_about_the_post_is_rejected(x_api: XMock, make_x: Make) -> None:
    x_api.on("POST", "/2/tweets", problem(403, "Forbidden",
                                          "You are not allowed to create a Tweet with duplicate content."))
    with pytest.raises(Rejected, match="duplicate content"):
        make_x().publish(POST)


def test_403_on_hide_without_the_moderate_scope_is_auth_failed(x_api: XMock, make_x: Make) -> None:
    x_api.on("PUT", f"/2/tweets/{POST_ID}/hidden", problem(403, "Forbidden", "Forbidden"))
    with pytest.raises(AuthFailed):
        make_x().set_reply_hidden(POST_ID, True)


def test_400_is_rejected(x_api: XMock, make_x: Make) -> None:
    x_api.on("POST", "/2/tweets", problem(400, "Invalid Request", "Your Tweet text is too long.",
                                          "https://api.twitter.com/2/problems/invalid-request"))
    with pytest.raises(Rejected, match="too long"):
        make_x().publish(POST)


@pytest.mark.parametrize(("status", "title"), [(500, "Internal Server Error"), (503, "Service Unavailable")])
def test_5xx_is_transient_for_reads_and_unknown_for_posts(x_api: XMock, make_x: Make, status: int,
                                                           title: str) -> None:
    x_api.on("GET", MENTIONS, problem(status, title, title))
    x_api.on("POST", "/2/tweets", problem(status, title, title))
    x_api.on("DELETE", f"/2/tweets/{POST_ID}", problem(status, title, title))
    connector = make_x(direct_messages=False)
    with pytest.raises(Transient):
        connector.fetch(QUIET)
    with pytest.raises(OutcomeUnknown):
        connector.publish(POST)
    with pytest.raises(Transient):  # deleting again is harmless: no reconciliation needed
        connector.delete(POST_ID)


def test_timeouts_are_transient_for_reads_and_unknown_for_posts(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, httpx.ReadTimeout("slow"))
    x_api.on("POST", "/2/tweets", httpx.ReadTimeout("slow"), httpx.ConnectError("refused"))
    x_api.on("POST", f"/2/users/{ME}/muting", httpx.ReadTimeout("slow"))
    x_api.on("GET", "/2/users/by/username/bob_99", Reply(200, "user_bob.json"))
    connector = make_x(direct_messages=False)
    with pytest.raises(Transient):
        connector.fetch(QUIET)
    with pytest.raises(OutcomeUnknown):
        connector.publish(POST)
    with pytest.raises(Transient, match="could not connect"):  # nothing was sent: safe to retry
        connector.publish(POST)
    with pytest.raises(Transient):
        connector.mute("bob_99")


def test_malformed_json_is_transient_for_reads_and_unknown_for_posts(x_api: XMock, make_x: Make) -> None:
    x_api.on("GET", MENTIONS, Reply(200, b'{"data": [', conforms=False))
    x_api.on("GET", "/2/users/me", Reply(200, b"<html>gateway</html>", content_type="text/html", conforms=False))
    x_api.on("POST", "/2/tweets", Reply(201, b"{not json", conforms=False), Reply(201, {"data": {}}, conforms=False))
    x_api.on("PUT", f"/2/tweets/{POST_ID}/hidden", Reply(200, b"[]", conforms=False))
    connector = make_x(direct_messages=False)
    with pytest.raises(Transient):
        connector.fetch(QUIET)
    with pytest.raises(Transient):
        connector.health()
    with pytest.raises(OutcomeUnknown):
        connector.publish(POST)
    with pytest.raises(OutcomeUnknown, match="without the new post's id"):
        connector.publish(POST)
    with pytest.raises(Transient):
        connector.set_reply_hidden(POST_ID, True)
