"""Bluesky notifications as ``Incoming`` messages.

Everything in a notification but its ``indexedAt`` was written by a stranger
(the record) or resolved from one (the handle), so every field is checked
for type and bounded; an item that is not a notification at all is skipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from warden.connectors.bluesky.syntax import parse_uri
from warden.domain.messages import MAX_HANDLE, Incoming, inbound_text

# reason -> Incoming.kind; a quote post is the account being talked about.
KINDS = {"mention": "mention", "reply": "reply", "quote": "mention"}
MAX_TEXT_IN = 100_000


@dataclass(frozen=True)
class Note:
    """One notification, whatever its reason: the cursor needs them all."""

    uri: str
    reason: str
    at_ms: int
    raw: dict[str, Any]


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def to_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def bounded_id(uri: str) -> str:
    """A network id within Warden's limit: an over-long at:// URI (a did:web on a
    253-character domain) is replaced by its digest rather than dropped."""
    if len(uri) <= MAX_HANDLE:
        return uri
    return "at-sha256:" + hashlib.sha256(uri.encode()).hexdigest()


def notes(page: object) -> list[Note]:
    """The notifications in one listNotifications page that can be placed in time."""
    items = page.get("notifications") if isinstance(page, dict) else None
    found = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        uri, reason, when = item.get("uri"), item.get("reason"), parse_time(item.get("indexedAt"))
        if isinstance(uri, str) and uri and isinstance(reason, str) and when is not None:
            found.append(Note(uri=uri, reason=reason, at_ms=to_ms(when), raw=item))
    return found


def _ref_uri(reply: object, name: str) -> str | None:
    ref = reply.get(name) if isinstance(reply, dict) else None
    uri = ref.get("uri") if isinstance(ref, dict) else None
    return uri if parse_uri(uri) is not None else None


def incoming(note: Note) -> Incoming:
    raw = note.raw
    author = raw.get("author")
    author = author if isinstance(author, dict) else {}
    handle, did, name = author.get("handle"), author.get("did"), author.get("displayName")
    if not isinstance(handle, str) or not handle or handle == "handle.invalid":
        handle = did if isinstance(did, str) and did else "unknown"
    record = raw.get("record")
    record = record if isinstance(record, dict) else {}
    text = record.get("text")
    reply = record.get("reply")
    root, parent = _ref_uri(reply, "root"), _ref_uri(reply, "parent")
    return Incoming(
        network_id=bounded_id(note.uri),
        thread_key=bounded_id(root or note.uri),
        kind=KINDS[note.reason],
        author_handle=handle[:MAX_HANDLE],
        text=inbound_text(text[:MAX_TEXT_IN] if isinstance(text, str) else None),
        sent_at=datetime.fromtimestamp(note.at_ms / 1000, UTC),
        author_name=" ".join(name.split())[:MAX_HANDLE] if isinstance(name, str) else "",
        in_reply_to=bounded_id(parent) if parent else None,
    )
