"""How the connector reports failures, with mastodon_mock's own fault injection
(forced statuses, rate limits, malformed bodies, slow answers) and its scope
enforcement."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from mastodon_mock.config import AuthConfig
from mastodon_mock.testing import MockServer
from mastodon_world import POLICE_TOKEN, Mastodon, mock_config

from warden.connectors.base import AccountRef, OutboundPost
from warden.connectors.errors import AuthFailed, OutcomeUnknown, RateLimited, Rejected, Transient
from warden.connectors.mastodon import connect

pytestmark = pytest.mark.third_party_mock

POST = OutboundPost(ref="outbox-1", text="A statement.")


def fail(mastodon: Mastodon, path: str, effect: dict[str, object], methods: list[str] | None = None) -> None:
    mastodon.fault({"match": {"path": path, "methods": methods}, "effect": effect})


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_reads_are_transient(mastodon: Mastodon, status: int) -> None:
    police = mastodon.connector(user_id="1")
    fail(mastodon, "/api/v1/notifications", {"type": "status", "status": status})
    fail(mastodon, "/api/v1/accounts/*/statuses", {"type": "status", "status": status})

    with pytest.raises(Transient):
        police.fetch(None)
    with pytest.raises(Transient):
        police.recent_posts(datetime.now(UTC) - timedelta(hours=1))


def test_a_server_error_after_posting_is_an_unknown_outcome(mastodon: Mastodon) -> None:
    police = mastodon.connector()
    fail(mastodon, "/api/v1/statuses", {"type": "status", "status": 500}, ["POST"])

    with pytest.raises(OutcomeUnknown):
        police.publish(POST)


def test_server_errors_on_idempotent_writes_are_transient(mastodon: Mastodon) -> None:
    police = mastodon.connector()
    post = mastodon.post(POLICE_TOKEN, "to delete")
    fail(mastodon, "/api/v1/statuses/*", {"type": "status", "status": 503}, ["DELETE"])
    fail(mastodon, "/api/v1/accounts/*/block", {"type": "status", "status": 500})

    with pytest.raises(Transient):
        police.delete(post["id"])
    with pytest.raises(Transient):
        police.block("alice")


def test_the_mocks_rate_limit_comes_back_with_a_time(mastodon: Mastodon) -> None:
    police = mastodon.connector(user_id="1")
    fail(mastodon, "/api/v1/notifications", {"type": "ratelimit"})
    before = datetime.now(UTC)

    with pytest.raises(RateLimited) as caught:
        police.fetch(None)

    # The mock sends Retry-After: 300 (and an epoch X-RateLimit-Reset 300 s ahead).
    assert before + timedelta(seconds=290) <= caught.value.retry_at <= before + timedelta(seconds=310)


def test_a_rate_limited_post_did_not_happen(mastodon: Mastodon) -> None:
    police = mastodon.connector()
    fail(mastodon, "/api/v1/statuses", {"type": "ratelimit"}, ["POST"])

    with pytest.raises(RateLimited):
        police.publish(POST)


def test_malformed_json_on_a_read_is_transient_and_on_a_post_unknown(mastodon: Mastodon) -> None:
    police = mastodon.connector()
    fail(mastodon, "/api/v1/notifications", {"type": "malformed"})
    fail(mastodon, "/api/v1/accounts/verify_credentials", {"type": "malformed", "truncate": False})
    fail(mastodon, "/api/v1/statuses", {"type": "malformed"}, ["POST"])

    with pytest.raises(Transient):
        police.health()
    with pytest.raises(Transient):
        mastodon.connector(user_id="1").fetch(None)
    with pytest.raises(OutcomeUnknown):
        police.publish(POST)


def test_a_slow_answer_times_out_transient_for_reads_unknown_for_posts(mastodon: Mastodon) -> None:
    police = mastodon.connector(timeout=0.3, user_id="1")
    fail(mastodon, "/api/v1/notifications", {"type": "latency", "delay_ms": 1500})
    fail(mastodon, "/api/v1/statuses", {"type": "latency", "delay_ms": 1500}, ["POST"])

    with pytest.raises(Transient):
        police.fetch(None)
    with pytest.raises(OutcomeUnknown):
        police.publish(POST)


def test_an_unreachable_instance_is_transient_even_for_a_post() -> None:
    with httpx.Client(timeout=2) as http:
        account = AccountRef(id="a", network="mastodon", handle="police", settings={"base_url": "http://127.0.0.1:9"})
        police = connect(account, {"access_token": POLICE_TOKEN}, http)
        with pytest.raises(Transient) as caught:
            police.publish(POST)
    assert not isinstance(caught.value, OutcomeUnknown)  # nothing was sent
    assert POLICE_TOKEN not in str(caught.value)


def test_a_client_error_is_rejected(mastodon: Mastodon) -> None:
    fail(mastodon, "/api/v1/statuses", {"type": "status", "status": 422,
                                        "body": {"error": "Validation failed: Text character limit"}}, ["POST"])
    with pytest.raises(Rejected) as caught:
        mastodon.connector().publish(POST)
    assert "character limit" in str(caught.value)


@pytest.fixture(scope="module")
def scoped_server() -> Iterator[MockServer]:
    with MockServer(config=mock_config(auth=AuthConfig(enforce_scopes=True))) as server:
        yield server


def read_only_token(base_url: str) -> str:
    """A token for police with only the ``read`` scope, through the mock's OAuth flow."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        app = client.post("/api/v1/apps", data={"client_name": "warden-test", "scopes": "read"}).json()
        page = client.post("/oauth/authorize", data={"username": "police"}).text
        code = re.search(r"Authorization code: ([^<]+)<", page)
        assert code is not None
        token = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code.group(1),
                                                  "client_id": app["client_id"]}).json()
        return str(token["access_token"])


def test_a_token_without_the_write_scope_needs_reconnecting(scoped_server: MockServer) -> None:
    token = read_only_token(scoped_server.base_url)
    account = AccountRef(id="a", network="mastodon", handle="police", settings={"base_url": scoped_server.base_url})
    with httpx.Client(timeout=10) as http:
        police = connect(account, {"access_token": token}, http)

        assert police.health().ok is True  # reading still works
        with pytest.raises(AuthFailed) as caught:
            police.publish(POST)
        with pytest.raises(AuthFailed):
            police.block("alice")
    assert token not in str(caught.value)
