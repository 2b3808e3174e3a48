"""Meta webhooks: the hub.challenge handshake, X-Hub-Signature-256, and
parsing Page feed comments, Messenger messages and Instagram comments and
mentions (duplicates, other objects, malformed and hostile bodies)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from meta_fake import APP_SECRET, CREDENTIALS, IG_USER_ID, PAGE_ID, VERIFY_TOKEN, fixture

from warden.connectors.base import WebhookReceiver
from warden.connectors.meta import facebook, instagram
from warden.connectors.meta.webhooks import MENTION_TEXT, UNKNOWN_AUTHOR
from warden.domain.errors import InvalidInput
from warden.domain.messages import MAX_HANDLE, MAX_MESSAGE_CHARS

pytestmark = pytest.mark.doc_fixture

PAGE: WebhookReceiver = facebook.WEBHOOKS
INSTAGRAM: WebhookReceiver = instagram.WEBHOOKS


def body_of(name: str) -> bytes:
    return json.dumps(fixture(name)).encode()


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def handshake(**query: str) -> dict[str, str]:
    return {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444", **query}


def test_handshake_echoes_the_challenge_as_text() -> None:
    for receiver in (PAGE, INSTAGRAM):
        answer = receiver.challenge(handshake(), CREDENTIALS)
        assert (answer.status, answer.body, answer.content_type) == (200, "1158201444", "text/plain")


@pytest.mark.parametrize("query", [
    handshake(**{"hub.verify_token": "guess"}),
    handshake(**{"hub.mode": "unsubscribe"}),
    {"hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN},
    {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
])
def test_handshake_refuses_the_wrong_token_or_mode(query: dict[str, str]) -> None:
    assert PAGE.challenge(query, CREDENTIALS).status == 403


def test_handshake_refuses_when_no_verify_token_is_configured() -> None:
    assert PAGE.challenge(handshake(**{"hub.verify_token": ""}), {"app_secret": APP_SECRET}).status == 403


def test_handshake_will_not_echo_markup() -> None:
    answer = PAGE.challenge(handshake(**{"hub.challenge": "<script>alert(1)</script>"}), CREDENTIALS)
    assert answer.status == 400 and "script" not in answer.body


def test_signature_valid_forged_missing() -> None:
    body = body_of("webhook_page_feed")
    assert PAGE.verify(signed(body), body, CREDENTIALS)
    assert PAGE.verify({"x-hub-signature-256": signed(body)["X-Hub-Signature-256"].upper().replace("SHA256=",
                                                                                                   "sha256=")},
                       body, CREDENTIALS)
    assert not PAGE.verify(signed(body, "someone-elses-secret"), body, CREDENTIALS)
    assert not PAGE.verify(signed(body), body + b" ", CREDENTIALS)
    assert not PAGE.verify({}, body, CREDENTIALS)
    sha1 = "sha1=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert not PAGE.verify({"X-Hub-Signature": sha1, "X-Hub-Signature-256": sha1}, body, CREDENTIALS)
    assert not PAGE.verify({"X-Hub-Signature-256": "sha256=é"}, body, CREDENTIALS)
    assert not PAGE.verify(signed(body), body, {"verify_token": VERIFY_TOKEN})  # no app secret: nothing verifies
    assert not PAGE.verify(signed(body, ""), body, {**CREDENTIALS, "app_secret": ""})


def test_page_feed_comment_becomes_one_item() -> None:
    [delivery] = PAGE.parse(body_of("webhook_page_feed"))
    assert delivery.account_key == PAGE_ID
    [item] = delivery.items  # the reaction and the edit are not new messages
    assert (item.network_id, item.thread_key, item.kind) == ("111_9001", "1234567890_111", "comment")
    assert (item.author_handle, item.author_name, item.text) == ("5001", "Alice Example", "How long for?")
    assert item.sent_at.isoformat() == "2024-05-01T09:30:00+00:00"
    assert item.in_reply_to == "1234567890_111"
    item.validate()


def test_messenger_message_is_a_dm_and_the_echo_is_not() -> None:
    [delivery] = PAGE.parse(body_of("webhook_page_messages"))
    [item] = delivery.items
    assert (item.network_id, item.kind, item.thread_key, item.author_handle) == ("m_abc1", "dm", "6001", "6001")
    assert item.sent_at.isoformat() == "2024-05-01T11:20:00+00:00"


def test_the_pages_own_comment_is_not_inbound() -> None:
    payload = fixture("webhook_page_feed")
    payload["entry"][0]["changes"][0]["value"]["from"]["id"] = PAGE_ID
    assert PAGE.parse(json.dumps(payload).encode()) == []


def test_instagram_comment() -> None:
    [delivery] = INSTAGRAM.parse(body_of("webhook_instagram_comments"))
    assert delivery.account_key == IG_USER_ID
    [item] = delivery.items
    assert (item.network_id, item.thread_key, item.in_reply_to) == (
        "17850000000000014", "17900000000000001", "17850000000000011")
    assert (item.author_handle, item.text, item.kind) == ("resident_two", "Agreed", "comment")
    item.validate()


def test_instagram_mention_carries_only_ids() -> None:
    [delivery] = INSTAGRAM.parse(body_of("webhook_instagram_mentions"))
    [item] = delivery.items
    assert (item.network_id, item.thread_key, item.kind) == ("17894227972186120", "17887498072083520", "mention")
    assert item.text == MENTION_TEXT and item.author_handle == UNKNOWN_AUTHOR
    item.validate()


def test_each_receiver_ignores_the_other_object() -> None:
    assert PAGE.parse(body_of("webhook_instagram_comments")) == []
    assert INSTAGRAM.parse(body_of("webhook_page_feed")) == []


def test_duplicate_deliveries_parse_to_the_same_items_once() -> None:
    body = body_of("webhook_page_feed")
    assert PAGE.parse(body) == PAGE.parse(body)  # a redelivery names the same network ids
    payload = fixture("webhook_page_feed")
    payload["entry"].append(payload["entry"][0])
    [delivery] = PAGE.parse(json.dumps(payload).encode())
    assert [i.network_id for i in delivery.items] == ["111_9001"]


@pytest.mark.parametrize("body", [
    b"", b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"', b'{"object": "page"}',
    b'{"object": "page", "entry": {"id": "1"}}', b'{"entry": []}',
])
def test_malformed_bodies_are_invalid_input(body: bytes) -> None:
    with pytest.raises(InvalidInput):
        PAGE.parse(body)


def test_hostile_fields_are_bounded_or_dropped() -> None:
    payload = fixture("webhook_instagram_comments")
    value = payload["entry"][0]["changes"][0]["value"]
    value["text"] = "y" * (MAX_MESSAGE_CHARS * 2)
    value["from"]["username"] = "u" * 10_000
    extra = {"field": "comments", "value": {"id": {"nested": 1}, "text": "bad id", "media": {"id": "1"}}}
    no_media = {"field": "comments", "value": {"id": "17850000000000099", "text": "no media"}}
    payload["entry"][0]["changes"] += [extra, no_media, "not a change", {"field": "comments", "value": None}]
    payload["entry"].append({"id": "x" * (MAX_HANDLE + 1), "changes": []})
    [delivery] = INSTAGRAM.parse(json.dumps(payload).encode())
    [item] = delivery.items
    assert len(item.text) == MAX_MESSAGE_CHARS and len(item.author_handle) == MAX_HANDLE
    item.validate()


def test_numeric_ids_and_millisecond_times_are_understood() -> None:
    payload = fixture("webhook_page_feed")
    payload["entry"][0]["id"] = int(PAGE_ID)
    payload["entry"][0]["changes"][0]["value"]["created_time"] = 1714555800000
    [delivery] = PAGE.parse(json.dumps(payload).encode())
    assert delivery.account_key == PAGE_ID
    assert delivery.items[0].sent_at.isoformat() == "2024-05-01T09:30:00+00:00"
