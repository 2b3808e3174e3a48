"""Keyset pagination: ``limit`` (at most 200) and an opaque ``cursor``.

A cursor is the sort key of the last item returned, base64url JSON. It is
opaque to clients but not secret: every query it feeds is still filtered on
the caller's organisation, so a forged cursor can only move within what the
caller may see anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from warden.domain.errors import InvalidInput

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
T = TypeVar("T")


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None

    def after(self) -> list[Any] | None:
        """The decoded sort key, or None for the first page."""
        if self.cursor is None:
            return None
        try:
            padded = self.cursor + "=" * (-len(self.cursor) % 4)
            value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (UnicodeError, ValueError, binascii.Error):
            raise InvalidCursor("the cursor is not valid; start again without one") from None
        if not isinstance(value, list) or not value:
            raise InvalidCursor("the cursor is not valid; start again without one")
        return value


def page_request(limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
                 cursor: Annotated[str | None, Query(max_length=400, description="From a previous page's "
                                                     "next_cursor.")] = None) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


def encode_cursor(*key: Any) -> str:
    parts = [k.isoformat() if isinstance(k, datetime) else str(k) if isinstance(k, uuid.UUID) else k for k in key]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode("ascii").rstrip("=")


def key_datetime_uuid(after: list[Any]) -> tuple[datetime, uuid.UUID]:
    try:
        moment, ident = after
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(ident)
    except (TypeError, ValueError):
        raise InvalidCursor("the cursor is not valid; start again without one") from None


def key_text_uuid(after: list[Any]) -> tuple[str, uuid.UUID]:
    try:
        text, ident = after
        if not isinstance(text, str):
            raise ValueError("not text")
        return text, uuid.UUID(ident)
    except (TypeError, ValueError):
        raise InvalidCursor("the cursor is not valid; start again without one") from None


def key_int(after: list[Any]) -> int:
    if len(after) != 1 or not isinstance(after[0], int) or isinstance(after[0], bool):
        raise InvalidCursor("the cursor is not valid; start again without one")
    return after[0]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def key_int_datetime_uuid(after: list[Any]) -> tuple[int, datetime, uuid.UUID]:
    if len(after) != 3 or not isinstance(after[0], int) or isinstance(after[0], bool):
        raise InvalidCursor("the cursor is not valid; start again without one")
    return (after[0], *key_datetime_uuid(after[1:]))
