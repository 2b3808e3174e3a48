"""Reading fields out of Mastodon JSON, which is hostile.

Statuses arrive from every server in the fediverse, relayed by the account's
instance, so no field is trusted to exist, to have its documented type or to
be of a sane size. Ids are checked strictly because they key deduplication and
the cursor; everything else falls back to a bounded, harmless value so that a
message with one odd field is still delivered rather than lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from warden.domain.messages import MAX_HANDLE

# Mastodon ids are decimal snowflakes; compatible servers use ULIDs or flake ids.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DIGITS = re.compile(r"[0-9]{1,30}")
UNKNOWN_HANDLE = "unknown"


def as_dict(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def an_id(value: object) -> str | None:
    """A well-formed id, or None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if isinstance(value, str) and _ID.fullmatch(value):
        return value
    return None


def id_order(value: str) -> tuple[int, int, str]:
    """Sort key for ids: numerically for Mastodon's decimal ids, else as text
    (ULIDs and flake ids sort lexically)."""
    if _DIGITS.fullmatch(value):
        return (0, int(value), "")
    return (1, 0, value)


def newest_id(ids: list[str]) -> str:
    """The newest of a page's ids; the server's first (newest) one when they
    cannot be compared reliably."""
    if all(_DIGITS.fullmatch(i) for i in ids):
        return max(ids, key=int)
    return ids[0]


def timestamp(value: object) -> datetime | None:
    """An ISO 8601 time as tz-aware UTC, or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def handle(account: Mapping[str, Any] | None) -> str:
    """The author's ``acct`` (``user`` on this instance, ``user@domain`` elsewhere)."""
    if account is None:
        return UNKNOWN_HANDLE
    for key in ("acct", "username"):
        value = account.get(key)
        if isinstance(value, str):
            value = "".join(value.split()).lstrip("@")
            if value and value.isprintable():
                return value[:MAX_HANDLE]
    return UNKNOWN_HANDLE


def normal_handle(value: str) -> str:
    """A handle as the lookup endpoint wants it: no leading ``@``, no spaces."""
    return "".join(value.split()).lstrip("@")
