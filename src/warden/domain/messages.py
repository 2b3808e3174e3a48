"""Inbound messages in one normalised shape for every network.

Every inbound message is hostile: connectors build ``Incoming`` with
``inbound_text`` (which bounds the text rather than dropping the message) and
the workflow validates the rest before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from warden.domain.errors import EmptyText, InvalidInput, TextTooLong

MAX_MESSAGE_CHARS = 65_536
MAX_HANDLE = 200
KINDS = ("reply", "mention", "comment", "dm")
NO_TEXT = "[no text: media only]"
TRUNCATED = " [truncated by Warden]"


def inbound_text(text: str | None) -> str:
    """The text to store for a message: never empty, never over the limit.

    A media-only reply or a 100 KB comment is still a message someone must see,
    so it is marked rather than refused.
    """
    if text is None or not text.strip():
        return NO_TEXT
    if len(text) > MAX_MESSAGE_CHARS:
        return text[: MAX_MESSAGE_CHARS - len(TRUNCATED)] + TRUNCATED
    return text


@dataclass(frozen=True)
class Incoming:
    """A message as a connector delivers it."""

    network_id: str
    thread_key: str
    kind: str
    author_handle: str
    text: str
    sent_at: datetime
    author_name: str = ""
    in_reply_to: str | None = None

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(f"unknown message kind {self.kind!r}")
        for name in ("network_id", "thread_key", "author_handle"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > MAX_HANDLE:
                raise InvalidInput(f"{name} must be 1 to {MAX_HANDLE} characters")
        if len(self.author_name) > MAX_HANDLE:
            raise InvalidInput(f"author_name is longer than {MAX_HANDLE} characters")
        if self.in_reply_to is not None and len(self.in_reply_to) > MAX_HANDLE:
            raise InvalidInput(f"in_reply_to is longer than {MAX_HANDLE} characters")
        if self.sent_at.tzinfo is None:
            raise InvalidInput("sent_at must carry a time zone")
        if not isinstance(self.text, str) or not self.text.strip():
            raise EmptyText("text is empty")
        if len(self.text) > MAX_MESSAGE_CHARS:
            raise TextTooLong(f"text is {len(self.text)} characters; the limit is {MAX_MESSAGE_CHARS}")
