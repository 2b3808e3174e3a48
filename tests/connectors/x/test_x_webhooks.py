"""Account Activity API webhooks. X's OpenAPI document describes only the
subscription management endpoints, not the CRC or the delivered payloads, so
these fixtures are shaped from X's documentation (data objects, securing
webhooks) and the tests are ``doc_fixture``."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from x_spec import SPEC

from warden.connectors.x import WEBHOOKS
from warden.connectors.x.webhooks import SIGNATURE_HEADER
from warden.domain.errors import InvalidInput
from warden.domain.messages import MAX_HANDLE, MAX_MESSAGE_CHARS, TRUNCATED

pytestmark = pytest.mark.doc_fixture

AAA = Path(__file__).parent / "aaa"
SECRET = "app-consumer-secret-for-tests"
CREDENTIALS = {"consumer_secret": SECRET, "access_token": "unused"}
ME = "2244994945"


def load(name: str) -> Any:
    return json.loads((AAA / name).read_text(encoding="utf-8"))


def raw(name: str) -> bytes:
    return (AAA / name).read_bytes()


def expected_signature(secret: str, message: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def test_account_activity_payloads_are_not_in_x_openapi() -> None:
    """Why these tests rest on the documentation: the spec has no CRC, no signature, no payloads."""
    if not SPEC.is_file():
        pytest.skip("X's OpenAPI document is not available")
    text = SPEC.read_text(encoding="utf-8")
    assert "/2/account_activity/webhooks/{webhook_id}/subscriptions/all" in text
    for term in ("tweet_create_events", "direct_message_events", "crc_token", "x-twitter-webhooks-signature"):
        assert term not in text


def test_crc_answers_with_the_hmac_of_the_token() -> None:
    reply = WEBHOOKS.challenge({"crc_token": "crc-token-1234"}, CREDENTIALS)
    assert reply.status == 200 and reply.content_type == "application/json"
    assert json.loads(reply.body) == {"response_token": expected_signature(SECRET, b"crc-token-1234")}
    other = WEBHOOKS.challenge({"crc_token": "crc-token-1234"}, {"consumer_secret": "another-secret"})
    assert json.loads(other.body) != json.loads(reply.body)


@pytest.mark.parametrize(("query", "credentials", "status"), [
    ({}, CREDENTIALS, 400),
    ({"crc_token": ""}, CREDENTIALS, 400),
    ({"crc_token": "x" * 5000}, CREDENTIALS, 400),
    ({"crc_token": "crc-token-1234"}, {"access_token": "unused"}, 503),
])
def test_crc_without_a_token_or_secret_is_refused(query: dict[str, str], credentials: dict[str, str],
                                                  status: int) -> None:
    reply = WEBHOOKS.challenge(query, credentials)
    assert reply.status == status and "response_token" not in reply.body and SECRET not in reply.body


def test_a_correctly_signed_body_verifies() -> None:
    body = raw("tweet_create_events.json")
    assert WEBHOOKS.verify({SIGNATURE_HEADER: expected_signature(SECRET, body)}, body, CREDENTIALS)
    assert WEBHOOKS.verify({"X-Twitter-Webhooks-Signature": expected_signature(SECRET, body)}, body, CREDENTIALS)


@pytest.mark.parametrize("case", ["other secret", "tampered body", "missing", "no prefix", "garbage", "no secret"])
def test_forged_or_missing_signatures_fail(case: str) -> None:
    body = raw("tweet_create_events.json")
    good = expected_signature(SECRET, body)
    headers = {SIGNATURE_HEADER: good}
    credentials: dict[str, str] = CREDENTIALS
    if case == "other secret":
        headers = {SIGNATURE_HEADER: expected_signature("guessed-secret", body)}
    elif case == "tampered body":
        body = body.replace(b"thanks for the update", b"thanks for the updatE")
    elif case == "missing":
        headers = {}
    elif case == "no prefix":
        headers = {SIGNATURE_HEADER: good.removeprefix("sha256=")}
    elif case == "garbage":
        headers = {SIGNATURE_HEADER: "sha256=\u00e9\u00e9\u00e9"}
    else:
        credentials = {"access_token": "unused"}
    assert not WEBHOOKS.verify(headers, body, credentials)


def test_tweet_events_become_replies_and_mentions() -> None:
    [delivery] = WEBHOOKS.parse(raw("tweet_create_events.json"))
    assert delivery.account_key == ME
    reply, mention = delivery.items  # our own post, the retweet and the repeated event are left out
    assert (reply.kind, reply.author_handle, reply.author_name) == ("reply", "alice_uk", "Alice")
    assert reply.thread_key == reply.in_reply_to == "1928783516267446272"
    assert reply.sent_at == datetime(2025, 6, 2, 11, 10, tzinfo=UTC)
    assert mention.kind == "mention" and mention.thread_key == mention.network_id
    assert mention.text.endswith("backed up past junction 10")  # the extended text, not the cut one
    for item in delivery.items:
        item.validate()


def test_dm_events_skip_our_own_messages() -> None:
    [delivery] = WEBHOOKS.parse(raw("direct_message_events.json"))
    [message] = delivery.items
    assert (message.kind, message.author_handle, message.network_id) == ("dm", "alice_uk", "1929505775416246273")
    assert message.thread_key == f"1111111111-{ME}"  # the DM API's id for this conversation
    assert message.text == "My bike was stolen, crime ref 123"
    assert message.sent_at == datetime(2025, 6, 2, 11, 10, tzinfo=UTC)
    message.validate()


def test_a_repeated_delivery_parses_to_the_same_items() -> None:
    """X may deliver an event twice; the inbox deduplicates on (account, network id)."""
    first = WEBHOOKS.parse(raw("tweet_create_events.json"))
    second = WEBHOOKS.parse(raw("tweet_create_events.json"))
    assert first == second
    ids = [item.network_id for item in first[0].items]
    assert len(ids) == len(set(ids)) == 2


def test_other_activity_delivers_nothing() -> None:
    [delivery] = WEBHOOKS.parse(raw("favorite_events.json"))
    assert delivery.account_key == ME and list(delivery.items) == []


def test_hostile_fields_are_bounded() -> None:
    payload = load("tweet_create_events.json")
    event = copy.deepcopy(payload["tweet_create_events"][1])
    event["extended_tweet"]["full_text"] = "B" * 200_000
    event["user"]["screen_name"] = "s" * 5_000
    event["user"]["name"] = {"not": "a string"}
    event["timestamp_ms"] = "9" * 40
    event["created_at"] = "yesterday"
    payload["tweet_create_events"] = [event, {"id_str": 7}, "junk", None]
    [delivery] = WEBHOOKS.parse(json.dumps(payload).encode())
    [item] = delivery.items
    assert len(item.text) == MAX_MESSAGE_CHARS and item.text.endswith(TRUNCATED)
    assert len(item.author_handle) == MAX_HANDLE and item.author_name == ""
    assert item.sent_at == datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # from the snowflake id
    item.validate()


@pytest.mark.parametrize("body", [
    b"", b"not json", b"\xff\xfe", b"[]", b'"text"', b"{}",
    b'{"for_user_id": 2244994945}', b'{"for_user_id": "../admin"}',
    b'{"for_user_id": "2244994945", "tweet_create_events": {"id_str": "1"}}',
    b'{"for_user_id": "2244994945", "direct_message_events": "x"}',
    b"[" * 100_000,
])
def test_malformed_bodies_are_invalid_input(body: bytes) -> None:
    with pytest.raises(InvalidInput):
        WEBHOOKS.parse(body)
