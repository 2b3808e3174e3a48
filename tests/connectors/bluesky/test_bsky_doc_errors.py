"""Failure mapping the dev network cannot produce, on fixtures shaped from the
AT Protocol docs: 429 with ``ratelimit-reset``, 5xx on a read and a write,
timeouts, malformed JSON, hostile notification fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from bsky_fixtures import DID, PASSWORD, Server, connector, error, notification, session_body

from warden.connectors.base import OutboundPost
from warden.connectors.errors import AuthFailed, OutcomeUnknown, RateLimited, Rejected, Transient
from warden.domain.messages import MAX_HANDLE, MAX_MESSAGE_CHARS, TRUNCATED

pytestmark = pytest.mark.doc_fixture
LIST = "app.bsky.notification.listNotifications"
PUT = "com.atproto.repo.putRecord"
POST = OutboundPost(ref="outbox-1", text="hello")


def page(*items: dict[str, object], cursor: str | None = None) -> httpx.Response:
    return httpx.Response(200, json={"notifications": list(items), **({"cursor": cursor} if cursor else {})})


def test_429_uses_bluesky_ratelimit_reset() -> None:
    reset = 1_900_000_000
    server = Server({LIST: error(429, "RateLimitExceeded", headers={
        "ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset),
        "ratelimit-policy": "3000;w=300"})})
    with pytest.raises(RateLimited) as limited:
        connector(server).fetch(None)
    assert limited.value.retry_at == datetime.fromtimestamp(reset, UTC)


def test_429_on_login_without_headers_backs_off() -> None:
    server = Server({"com.atproto.server.createSession": error(429, "RateLimitExceeded")})
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as limited:
        connector(server).fetch(None)
    assert limited.value.retry_at > before


@pytest.mark.parametrize(("status", "name"), [(401, "AuthenticationRequired"), (400, "InvalidToken"),
                                              (400, "AccountTakedown"), (403, "AccountNotFound")])
def test_credential_failures_are_auth_failed(status: int, name: str) -> None:
    with pytest.raises(AuthFailed):
        connector(Server({LIST: error(status, name)})).fetch(None)


def test_expired_token_refreshes_once_then_gives_up() -> None:
    expired = error(400, "ExpiredToken", "Token has expired")
    server = Server({LIST: [expired, page(notification(1))],
                     "com.atproto.server.refreshSession": httpx.Response(200, json=session_body("b"))})
    assert len(connector(server).fetch(None).items) == 1
    assert server.called(LIST)[1].headers["authorization"] == f"Bearer {session_body('b')['accessJwt']}"
    assert server.called("com.atproto.server.refreshSession")[0].headers["authorization"] == "Bearer refresh-a"

    server = Server({LIST: expired, "com.atproto.server.refreshSession": httpx.Response(200, json=session_body("b"))})
    with pytest.raises(AuthFailed):
        connector(server).fetch(None)
    assert len(server.called(LIST)) == 2 and len(server.called("com.atproto.server.refreshSession")) == 1


def test_a_refused_refresh_logs_in_again_with_the_app_password() -> None:
    server = Server({LIST: [error(400, "ExpiredToken"), page()],
                     "com.atproto.server.refreshSession": error(400, "ExpiredToken"),
                     "com.atproto.server.createSession": [httpx.Response(200, json=session_body("a")),
                                                          httpx.Response(200, json=session_body("c"))]})
    connector(server).fetch(None)
    assert len(server.called("com.atproto.server.createSession")) == 2


def test_5xx_is_transient_on_a_read_and_outcome_unknown_on_a_publish() -> None:
    with pytest.raises(Transient):
        connector(Server({LIST: error(502, "BadGateway")})).fetch(None)
    with pytest.raises(OutcomeUnknown):
        connector(Server({PUT: error(500, "InternalServerError")})).publish(POST)


def test_timeouts_read_vs_write() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(Transient):
        connector(Server({LIST: timeout})).fetch(None)
    with pytest.raises(OutcomeUnknown):
        connector(Server({PUT: timeout})).publish(POST)
    with pytest.raises(Transient):  # nothing was sent: safe to try again
        connector(Server({PUT: refused})).publish(POST)
    with pytest.raises(Transient):  # a block is idempotent, so a timeout is only transient
        connector(Server({PUT: timeout})).block(DID.replace("police", "bob00"))


def test_malformed_json_read_vs_write() -> None:
    garbage = httpx.Response(200, content=b"{not json", headers={"content-type": "application/json"})
    with pytest.raises(Transient):
        connector(Server({LIST: garbage})).fetch(None)
    with pytest.raises(OutcomeUnknown):
        connector(Server({PUT: garbage})).publish(POST)
    with pytest.raises(OutcomeUnknown):  # valid JSON, but not what putRecord answers
        connector(Server({PUT: httpx.Response(200, json=["a"])})).publish(POST)
    with pytest.raises(Transient):
        connector(Server({"com.atproto.server.createSession": httpx.Response(200, json={"did": DID})})).fetch(None)


def test_other_4xx_is_rejected_with_the_error_name() -> None:
    with pytest.raises(Rejected) as refused:
        connector(Server({PUT: error(400, "InvalidRequest", "Invalid app.bsky.feed.post record")})).publish(POST)
    assert "InvalidRequest" in str(refused.value)


def test_hostile_notification_fields_are_bounded_not_dropped() -> None:
    huge = notification(1, text="x" * (MAX_MESSAGE_CHARS * 3))
    huge["author"] = {"did": "did:plc:" + "b" * 500, "handle": "h" * 5000, "displayName": "\n".join(["n"] * 900)}
    odd = notification(2, text=12345, reply={"root": {"uri": "javascript:alert(1)"}, "parent": "nope"})
    odd["author"] = "not an object"
    long_uri = notification(3, reason="reply")
    long_uri["uri"] = "at://did:web:" + "a" * 240 + ".example/app.bsky.feed.post/3kabc00000003"
    junk = ["a string", {"uri": 5}, {"uri": "at://x", "reason": "mention", "indexedAt": "yesterday"}, None]
    server = Server({LIST: page(huge, odd, long_uri, *junk, notification(4, reason="like"))})  # type: ignore[arg-type]
    items = connector(server).fetch(None).items
    assert len(items) == 3
    for item in items:
        item.validate()
    assert items[0].text.endswith(TRUNCATED) and len(items[0].text) == MAX_MESSAGE_CHARS
    assert len(items[0].author_handle) == MAX_HANDLE and "\n" not in items[0].author_name
    assert items[1].text == "[no text: media only]" and items[1].author_handle == "unknown"
    assert items[1].thread_key == items[1].network_id and items[1].in_reply_to is None
    assert items[2].network_id.startswith("at-sha256:") and items[2].kind == "reply"


def test_secrets_stay_out_of_reprs_and_requests_carry_them_only_where_needed() -> None:
    server = Server({LIST: page()})
    bsky = connector(server)
    bsky.fetch(None)
    assert PASSWORD not in repr(bsky) and PASSWORD not in repr(bsky.api.session)
    tokens = bsky.api.session.tokens()
    assert tokens.access not in repr(tokens) and tokens.refresh not in repr(tokens)
    login = server.called("com.atproto.server.createSession")[0]
    assert json.loads(login.content)["password"] == PASSWORD
    assert all(PASSWORD.encode() not in r.content for r in server.requests if r is not login)


def test_a_cursor_this_connector_did_not_write_is_rejected() -> None:
    bsky = connector(Server({LIST: page()}))
    for bad in ("", "not json", '{"v": 2}', '{"v":1,"m":"x","f":0,"s":{},"w":[]}', "[]"):
        with pytest.raises(Rejected):
            bsky.fetch(bad)


def test_a_rejection_carries_the_status_and_the_answer() -> None:
    server = Server({LIST: error(400, "InvalidRequest", "Error: limit must be <= 100")})
    with pytest.raises(Rejected) as refused:
        connector(server).fetch(None)
    assert refused.value.status == 400 and "limit must be" in refused.value.body
