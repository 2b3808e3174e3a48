"""X Account Activity API webhooks: the CRC handshake, signatures, payloads.

Both the CRC answer and the ``x-twitter-webhooks-signature`` header are
``sha256=`` + base64(HMAC-SHA256(consumer secret, message)). The Account
Activity API is not in X's OpenAPI document (it lists only subscription
management), so payloads follow the documented (v1.1-shaped) data objects:
``for_user_id`` plus ``tweet_create_events`` and ``direct_message_events``.

Those Posts carry no ``conversation_id``: a reply is threaded under the post
it answers, which is the conversation root for direct replies to us.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from warden.connectors.base import ChallengeReply, WebhookDelivery
from warden.connectors.x.api import as_dict, as_list, is_id
from warden.connectors.x.items import bounded, snowflake_time
from warden.domain.errors import InvalidInput
from warden.domain.messages import Incoming, inbound_text

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
MAX_BODY = 8 * 1024 * 1024
MAX_CRC_TOKEN = 1024


def signature(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


class XWebhooks:
    """``WebhookReceiver`` for X; credentials need ``consumer_secret`` (the app's API secret)."""

    def challenge(self, query: Mapping[str, str], credentials: Mapping[str, str]) -> ChallengeReply:
        token = query.get("crc_token")
        secret = credentials.get("consumer_secret")
        if not isinstance(token, str) or not token or len(token) > MAX_CRC_TOKEN:
            return ChallengeReply(400, json.dumps({"error": "crc_token is missing or too long"}))
        if not secret:
            return ChallengeReply(503, json.dumps({"error": "this account has no X consumer secret"}))
        return ChallengeReply(200, json.dumps({"response_token": signature(secret, token.encode())}))

    def verify(self, headers: Mapping[str, str], body: bytes, credentials: Mapping[str, str]) -> bool:
        secret = credentials.get("consumer_secret")
        given = next((value for name, value in headers.items() if name.lower() == SIGNATURE_HEADER), None)
        if not secret or not isinstance(given, str):
            return False
        return hmac.compare_digest(signature(secret, body).encode(), given.strip().encode("utf-8", "replace"))

    def parse(self, body: bytes) -> Sequence[WebhookDelivery]:
        if len(body) > MAX_BODY:
            raise InvalidInput("X webhook body is over the size limit")
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise InvalidInput("X webhook body is not JSON") from None
        if not isinstance(payload, dict) or not is_id(payload.get("for_user_id")):
            raise InvalidInput("X webhook body has no for_user_id")
        me: str = payload["for_user_id"]
        for name in ("tweet_create_events", "direct_message_events"):
            if name in payload and not isinstance(payload[name], list):
                raise InvalidInput(f"X webhook {name} is not a list")
        users = {key: as_dict(value) for key, value in as_dict(payload.get("users")).items()}
        found = [tweet_event(raw, me) for raw in as_list(payload.get("tweet_create_events"))]
        found += [dm_event(raw, users, me) for raw in as_list(payload.get("direct_message_events"))]
        unique = {item.network_id: item for item in found if item is not None}  # X may repeat an event
        return [WebhookDelivery(account_key=me, items=list(unique.values()))]


def tweet_event(raw: object, me: str) -> Incoming | None:
    """A Post from ``tweet_create_events``; None for ours, retweets and junk."""
    tweet = as_dict(raw)
    tweet_id, user = tweet.get("id_str"), as_dict(tweet.get("user"))
    author = user.get("id_str")
    if not is_id(tweet_id) or not is_id(author) or author == me or "retweeted_status" in tweet:
        return None
    full = as_dict(tweet.get("extended_tweet")).get("full_text")
    text = full if isinstance(full, str) else tweet.get("full_text", tweet.get("text"))
    parent = tweet.get("in_reply_to_status_id_str")
    return Incoming(
        network_id=tweet_id,
        thread_key=parent if is_id(parent) else tweet_id,
        kind="reply" if tweet.get("in_reply_to_user_id_str") == me else "mention",
        author_handle=bounded(user.get("screen_name")) or author,
        text=inbound_text(text if isinstance(text, str) else None),
        sent_at=_v1_time(tweet.get("timestamp_ms"), tweet.get("created_at"), tweet_id),
        author_name=bounded(user.get("name")),
        in_reply_to=parent if is_id(parent) else None,
    )


def dm_event(raw: object, users: Mapping[str, dict[str, Any]], me: str) -> Incoming | None:
    """A received message from ``direct_message_events``; None for ours and junk."""
    event = as_dict(raw)
    create = as_dict(event.get("message_create"))
    event_id, sender = event.get("id"), create.get("sender_id")
    recipient = as_dict(create.get("target")).get("recipient_id")
    if event.get("type") != "message_create" or not is_id(event_id) or not is_id(sender) or sender == me:
        return None
    user = users.get(sender, {})
    text = as_dict(create.get("message_data")).get("text")
    # The same key the DM API gives a one-to-one conversation: both ids, smaller first.
    thread = "-".join(sorted((sender, recipient), key=int)) if is_id(recipient) else f"dm:{sender}"
    return Incoming(
        network_id=event_id,
        thread_key=thread,
        kind="dm",
        author_handle=bounded(user.get("screen_name")) or sender,
        text=inbound_text(text if isinstance(text, str) else None),
        sent_at=_v1_time(event.get("created_timestamp"), None, event_id),
        author_name=bounded(user.get("name")),
    )


def _v1_time(millis: object, created_at: object, snowflake: str) -> datetime:
    if isinstance(millis, str) and millis.isdigit() and len(millis) <= 15:
        return datetime.fromtimestamp(int(millis) / 1000, UTC)
    if isinstance(created_at, str) and len(created_at) <= 40:
        try:
            return datetime.strptime(created_at, "%a %b %d %H:%M:%S %z %Y")  # "Wed Oct 10 20:19:24 +0000 2018"
        except ValueError:
            pass
    return snowflake_time(snowflake)
