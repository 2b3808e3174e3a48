"""Reading values out of Graph responses and webhook bodies, which are hostile:
any field may be missing, of the wrong type or absurdly long."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from warden.domain.messages import MAX_HANDLE, inbound_text

# What may stand in a URL path: Graph ids are digits joined by underscores,
# Messenger ids add letters and dashes. No dots or slashes, so no "../me".
NODE_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")
_MAX_EPOCH = 32_503_680_000  # the year 3000
_MAX_TEXT_IN = 1_000_000      # longer strings are cut before anything else looks at them


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def records(value: object) -> list[Mapping[str, Any]]:
    """The objects in a list (anything else in it is dropped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def edge(value: object) -> list[Mapping[str, Any]]:
    """The ``data`` of a Graph edge (``{"data": [...], "paging": {...}}``)."""
    return records(mapping(value).get("data"))


def ident(value: object) -> str | None:
    """An id we can store: a non-empty printable string without spaces, at most
    MAX_HANDLE long (numbers, as some webhooks send them, become strings)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_HANDLE:
        return None
    if not value.isprintable() or any(ch.isspace() for ch in value):
        return None
    return value


def node_id(value: object) -> str | None:
    """An id we may also put in a URL path."""
    found = ident(value)
    return found if found is not None and NODE_ID.fullmatch(found) else None


def label(value: object, limit: int = MAX_HANDLE) -> str:
    """A display string (a name, a username), cut to ``limit``, one line."""
    if not isinstance(value, str):
        return ""
    return " ".join(value[: limit * 4].split())[:limit]


def text(value: object) -> str:
    """Message text: never empty, never over the domain's limit."""
    return inbound_text(value[:_MAX_TEXT_IN] if isinstance(value, str) else None)


def plain(value: object) -> str:
    """Our own post's text as read back (may be empty)."""
    return value[:_MAX_TEXT_IN] if isinstance(value, str) else ""


def when(value: object) -> datetime | None:
    """A Graph time: ISO 8601 (``2024-05-01T12:00:00+0000``) or Unix seconds
    (milliseconds where the number is too big to be seconds)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        if seconds > _MAX_EPOCH:
            seconds /= 1000
        if not 0 <= seconds <= _MAX_EPOCH:
            return None
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def after_cursor(edge_value: object) -> str | None:
    """The cursor for the next page, only when Graph says there is one."""
    paging = mapping(mapping(edge_value).get("paging"))
    if not paging.get("next"):
        return None
    after = mapping(paging.get("cursors")).get("after")
    return after if isinstance(after, str) and 0 < len(after) <= 2000 and after.isprintable() else None
