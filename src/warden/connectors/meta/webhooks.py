"""Meta's webhooks for Pages and Instagram
(https://developers.facebook.com/docs/graph-api/webhooks/getting-started).

- ``challenge``: Meta's GET handshake; ``hub.verify_token`` must equal the
  account's ``verify_token`` and ``hub.challenge`` is echoed as text/plain.
- ``verify``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw body)>``,
  compared in constant time.
- ``parse``: Page ``feed`` changes that add a comment, Messenger messages to
  the Page, and Instagram ``comments`` and ``mentions``, one delivery per
  entry id (the Page id or the Instagram user id).

An Instagram ``mentions`` notification carries only ids (the comment or the
media that mentions the account): the item says so in its text, and the
thread is the media, where a moderator can read it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from warden.connectors.base import ChallengeReply, WebhookDelivery
from warden.connectors.meta.fields import ident, label, mapping, records, text, when
from warden.domain.errors import InvalidInput
from warden.domain.messages import Incoming

_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{1,256}")
_SIGNATURE = "x-hub-signature-256"
MENTION_TEXT = "[Instagram mention: the notification carries no text; open the comment or post on Instagram]"
UNKNOWN_AUTHOR = "unknown"


def _matches(given: object, expected: object) -> bool:
    if not isinstance(given, str) or not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _time(*values: object) -> datetime:
    for value in values:
        found = when(value)
        if found is not None:
            return found
    return datetime.now(UTC)  # the envelope lost its time: the delivery is now-ish


class MetaWebhooks:
    """The receiver for one kind of Meta object: ``page`` or ``instagram``.
    Deliveries for other objects parse to nothing (they belong to another receiver)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def challenge(self, query: Mapping[str, str], credentials: Mapping[str, str]) -> ChallengeReply:
        if query.get("hub.mode") != "subscribe" or not _matches(query.get("hub.verify_token"),
                                                               credentials.get("verify_token")):
            return ChallengeReply(status=403, body="forbidden", content_type="text/plain")
        answer = query.get("hub.challenge")
        if not isinstance(answer, str) or not _CHALLENGE.fullmatch(answer):
            return ChallengeReply(status=400, body="bad hub.challenge", content_type="text/plain")
        return ChallengeReply(status=200, body=answer, content_type="text/plain")

    def verify(self, headers: Mapping[str, str], body: bytes, credentials: Mapping[str, str]) -> bool:
        secret = credentials.get("app_secret")
        given = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == _SIGNATURE), None)
        if not isinstance(secret, str) or not secret or not isinstance(given, str) or not given.isascii():
            return False
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), given.strip().lower().encode())

    def parse(self, body: bytes) -> Sequence[WebhookDelivery]:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidInput("the webhook body is not JSON") from error
        # Meta posts one object; the Instagram examples show it inside a list.
        envelopes = payload if isinstance(payload, list) else [payload]
        found: dict[str, dict[str, Incoming]] = {}
        for envelope in envelopes:
            if not isinstance(envelope, dict) or not isinstance(envelope.get("object"), str) \
                    or not isinstance(envelope.get("entry"), list):
                raise InvalidInput("the webhook body is not a Meta notification (object and entry)")
            if envelope["object"] != self.kind:
                continue
            for entry in records(envelope["entry"]):
                account = ident(entry.get("id"))
                if account is None:
                    continue
                for item in self._entry(account, entry):
                    found.setdefault(account, {}).setdefault(item.network_id, item)
        return [WebhookDelivery(account_key=key, items=list(items.values())) for key, items in found.items()]

    def _entry(self, account: str, entry: Mapping[str, Any]) -> list[Incoming]:
        items: list[Incoming] = []
        for change in records(entry.get("changes")):
            value = mapping(change.get("value"))
            field = change.get("field")
            item = None
            if self.kind == "page" and field == "feed":
                item = _page_comment(account, value, entry.get("time"))
            elif self.kind == "instagram" and field in ("comments", "live_comments"):
                item = _instagram_comment(account, value, entry.get("time"))
            elif self.kind == "instagram" and field == "mentions":
                item = _instagram_mention(value, entry.get("time"))
            if item is not None:
                items.append(item)
        if self.kind == "page":
            items.extend(m for e in records(entry.get("messaging")) if (m := _messenger(account, e)) is not None)
        return items


def _page_comment(page: str, value: Mapping[str, Any], entry_time: object) -> Incoming | None:
    if value.get("item") != "comment" or value.get("verb") != "add":
        return None
    who = mapping(value.get("from"))
    network_id, post_id, author = ident(value.get("comment_id")), ident(value.get("post_id")), ident(who.get("id"))
    if network_id is None or post_id is None or author == page:
        return None
    return Incoming(network_id=network_id, thread_key=post_id, kind="comment",
                    author_handle=author or UNKNOWN_AUTHOR, author_name=label(who.get("name")),
                    text=text(value.get("message")), sent_at=_time(value.get("created_time"), entry_time),
                    in_reply_to=ident(value.get("parent_id")) or post_id)


def _messenger(page: str, event: Mapping[str, Any]) -> Incoming | None:
    message = mapping(event.get("message"))
    sender = ident(mapping(event.get("sender")).get("id"))
    network_id = ident(message.get("mid"))
    if network_id is None or sender is None or sender == page or message.get("is_echo") is True:
        return None
    return Incoming(network_id=network_id, thread_key=sender, kind="dm", author_handle=sender,
                    text=text(message.get("text")), sent_at=_time(event.get("timestamp")))


def _instagram_comment(user: str, value: Mapping[str, Any], entry_time: object) -> Incoming | None:
    who = mapping(value.get("from"))
    network_id, media_id = ident(value.get("id")), ident(mapping(value.get("media")).get("id"))
    if network_id is None or media_id is None or ident(who.get("id")) == user:
        return None
    handle = ident(label(who.get("username"))) or ident(who.get("id")) or UNKNOWN_AUTHOR
    return Incoming(network_id=network_id, thread_key=media_id, kind="comment", author_handle=handle,
                    author_name=label(who.get("username")), text=text(value.get("text")),
                    sent_at=_time(value.get("timestamp"), entry_time),
                    in_reply_to=ident(value.get("parent_id")) or media_id)


def _instagram_mention(value: Mapping[str, Any], entry_time: object) -> Incoming | None:
    media_id = ident(value.get("media_id"))
    if media_id is None:
        return None
    network_id = ident(value.get("comment_id")) or media_id
    return Incoming(network_id=network_id, thread_key=media_id, kind="mention", author_handle=UNKNOWN_AUTHOR,
                    text=MENTION_TEXT, sent_at=_time(entry_time), in_reply_to=media_id)
