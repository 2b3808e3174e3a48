"""How Graph failures become connector errors: rate limits from error codes
and usage headers, code 190 on a 400, permissions, 5xx and timeouts on reads
versus writes, malformed JSON, and no token in any message."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from meta_fake import CREDENTIALS, NOW, PAGE_ID, TOKEN, FakeGraph, facebook_account, fail, fixture, raw, reply

from warden.connectors.base import OutboundPost
from warden.connectors.errors import (
    AuthFailed,
    ConnectorError,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Transient,
)
from warden.connectors.http import DEFAULT_BACKOFF, MAX_RESPONSE_BYTES
from warden.connectors.meta import facebook
from warden.connectors.meta.graph import graph_root

pytestmark = pytest.mark.doc_fixture

FEED = f"{PAGE_ID}/feed"
POST = OutboundPost(ref="outbox-1", text="Appeal for witnesses")


def error_body(code: int, message: str = "(#X) something", **extra: object) -> dict[str, object]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Abc", **extra}}


def run_read(*answers: object) -> ConnectorError:
    graph = FakeGraph().on("GET", FEED, *answers)  # type: ignore[arg-type]
    with graph.client() as http, pytest.raises(ConnectorError) as caught:
        facebook.connect(facebook_account(), CREDENTIALS, http, clock=lambda: NOW).fetch(None)
    assert TOKEN not in str(caught.value)
    return caught.value


def run_publish(*answers: object) -> ConnectorError:
    graph = FakeGraph().on("POST", FEED, *answers)  # type: ignore[arg-type]
    with graph.client() as http, pytest.raises(ConnectorError) as caught:
        facebook.connect(facebook_account(), CREDENTIALS, http, clock=lambda: NOW).publish(POST)
    assert TOKEN not in str(caught.value)
    return caught.value


def run_hide(*answers: object) -> ConnectorError:
    graph = FakeGraph().on("POST", "111_9001", *answers)  # type: ignore[arg-type]
    with graph.client() as http, pytest.raises(ConnectorError) as caught:
        facebook.connect(facebook_account(), CREDENTIALS, http, clock=lambda: NOW).set_reply_hidden("111_9001", True)
    return caught.value


def test_business_use_case_header_says_when_to_come_back() -> None:
    usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 30,
                        "estimated_time_to_regain_access": 7}]}
    error = run_read(reply(fixture("graph_error_rate_limited"), 400,
                           {"X-Business-Use-Case-Usage": json.dumps(usage)}))
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + timedelta(minutes=7)


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_throttling_codes_are_rate_limits_whatever_the_status(code: int) -> None:
    error = run_read(reply(error_body(code), 403, {"X-App-Usage": '{"call_count":100,"total_time":5}'}))
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + DEFAULT_BACKOFF  # the app header gives no time: the default


def test_http_429_uses_retry_after_before_the_usage_header() -> None:
    usage = {"x": [{"type": "pages", "estimated_time_to_regain_access": 30}]}
    error = run_read(reply(error_body(17), 429, {"Retry-After": "120", "X-Business-Use-Case-Usage": json.dumps(usage)}))
    assert isinstance(error, RateLimited) and error.retry_at == NOW + timedelta(seconds=120)


def test_rate_limit_on_a_write_is_still_a_rate_limit() -> None:
    usage = {PAGE_ID: [{"type": "pages", "estimated_time_to_regain_access": 3}]}
    error = run_publish(reply(error_body(32), 400, {"X-Business-Use-Case-Usage": json.dumps(usage)}))
    assert isinstance(error, RateLimited) and error.retry_at == NOW + timedelta(minutes=3)


def test_garbage_usage_headers_fall_back_to_the_default() -> None:
    error = run_read(reply(error_body(4), 400, {"X-Business-Use-Case-Usage": "{not json",
                                                "X-App-Usage": '{"estimated_time_to_regain_access": "soon"}'}))
    assert isinstance(error, RateLimited) and error.retry_at == NOW + DEFAULT_BACKOFF


def test_expired_token_on_a_400_is_auth_failed() -> None:
    assert isinstance(run_read(reply(fixture("graph_error_token_expired"), 400)), AuthFailed)
    assert isinstance(run_publish(reply(fixture("graph_error_token_expired"), 400)), AuthFailed)


def test_http_401_without_a_graph_body_is_auth_failed() -> None:
    assert isinstance(run_read(raw(b"Unauthorized", 401)), AuthFailed)


def test_missing_permission_stops_reads_but_only_refuses_one_action() -> None:
    assert isinstance(run_read(reply(error_body(200, "(#200) Requires pages_read_engagement"), 403)), AuthFailed)
    assert isinstance(run_hide(reply(error_body(200, "(#200) Permissions error"), 403)), Rejected)


def test_server_errors_read_transient_write_unknown() -> None:
    assert isinstance(run_read(raw(b"oops", 500)), Transient)
    assert isinstance(run_publish(raw(b"oops", 502)), OutcomeUnknown)
    assert isinstance(run_read(reply(error_body(2, "Service temporarily unavailable", is_transient=True), 400)),
                      Transient)
    assert isinstance(run_publish(reply(error_body(1, "An unknown error occurred"), 400)), OutcomeUnknown)
    assert isinstance(run_hide(raw(b"oops", 503)), Transient)  # hiding again is harmless


def test_timeouts_read_transient_write_unknown_connect_never_sent() -> None:
    assert isinstance(run_read(fail(httpx.ReadTimeout)), Transient)
    assert isinstance(run_publish(fail(httpx.ReadTimeout)), OutcomeUnknown)
    assert isinstance(run_publish(fail(httpx.ConnectError)), Transient)
    assert isinstance(run_publish(fail(httpx.RemoteProtocolError)), OutcomeUnknown)
    assert isinstance(run_hide(fail(httpx.ReadTimeout)), Transient)


def test_malformed_json_read_transient_write_unknown() -> None:
    assert isinstance(run_read(raw(b"{not json")), Transient)
    assert isinstance(run_publish(raw(b"{not json")), OutcomeUnknown)
    assert isinstance(run_publish(reply({"no": "id"})), OutcomeUnknown)
    assert isinstance(run_publish(reply(["a", "list"])), OutcomeUnknown)


def test_oversized_answers_read_transient_write_unknown() -> None:
    huge = b'{"data": [], "pad": "' + b"x" * MAX_RESPONSE_BYTES + b'"}'
    assert isinstance(run_read(raw(huge)), Transient)
    assert isinstance(run_publish(raw(huge)), OutcomeUnknown)


def test_other_graph_errors_are_rejected_with_the_reason() -> None:
    error = run_publish(reply(error_body(100, "(#100) Invalid parameter", error_subcode=33), 400))
    assert isinstance(error, Rejected)
    assert "Graph error 100/33" in str(error) and "Invalid parameter" in str(error)
    duplicate = run_publish(reply(error_body(506, "Duplicate status message"), 400))
    assert isinstance(duplicate, Rejected)


def test_error_messages_never_carry_the_token_even_when_graph_echoes_it() -> None:
    error = run_read(reply(error_body(190, f"Invalid OAuth access token - {TOKEN}"), 400))
    assert isinstance(error, AuthFailed)
    assert "[redacted]" in str(error)


def test_graph_url_must_be_a_safe_origin() -> None:
    assert graph_root(None) == "https://graph.facebook.com"
    assert graph_root("https://graph.test/") == "https://graph.test"
    assert graph_root("http://localhost:8080") == "http://localhost:8080"
    for bad in ("http://graph.example", "https://user:pw@graph.test", "https://graph.test/v21.0",
                "https://graph.test?x=1", "ftp://graph.test"):
        with pytest.raises(Rejected):
            graph_root(bad)


def test_missing_token_or_page_id_fails_at_connect() -> None:
    with httpx.Client() as http:
        with pytest.raises(AuthFailed):
            facebook.connect(facebook_account(), {"access_token": "  "}, http)
        with pytest.raises(Rejected):
            facebook.connect(facebook_account(page_id="../me"), CREDENTIALS, http)
        assert "EAAG" not in repr(facebook.connect(facebook_account(), CREDENTIALS, http))
