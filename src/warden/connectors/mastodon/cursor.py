"""The Mastodon fetch cursor: the newest notification id already delivered.

Stored as a small versioned JSON object so that it can grow (another stream)
without a migration. ``min_id`` asks Mastodon for the notifications just after
this id, oldest first across pages, so no notification is skipped however
many arrive between polls.
"""

from __future__ import annotations

import json

from warden.connectors.errors import Rejected
from warden.connectors.mastodon.fields import an_id, as_dict

VERSION = 1
# The cursor after a first poll found nothing: every later notification is new.
BEGINNING = "0"


def encode(min_id: str) -> str:
    return json.dumps({"v": VERSION, "min_id": min_id}, separators=(",", ":"))


def decode(cursor: str | None) -> str | None:
    """The ``min_id`` to page from, or None to start from the newest notifications."""
    if cursor is None:
        return None
    try:
        data = as_dict(json.loads(cursor)) if len(cursor) < 1_000 else None
    except (json.JSONDecodeError, RecursionError):
        data = None
    min_id = an_id(data.get("min_id")) if data is not None and data.get("v") == VERSION else None
    if min_id is None:
        # Restarting from "now" would silently skip messages; a person must look.
        raise Rejected("the stored Mastodon cursor is not one this connector wrote")
    return min_id
