"""Reading form fields: text the database can store, identifiers, versions."""

from __future__ import annotations

import uuid

from warden.domain.errors import InvalidInput


def text(value: str, what: str, *, max_chars: int = 65_536, required: bool = False) -> str:
    """The field as typed (NUL refused: no database stores it; PostgreSQL fails deep inside a query)."""
    if "\x00" in value:
        raise InvalidInput(f"the {what} contains a character that cannot be stored")
    if len(value) > max_chars:
        raise InvalidInput(f"the {what} is longer than {max_chars} characters")
    if required and not value.strip():
        raise InvalidInput(f"enter the {what}")
    return value


def identifier(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        raise InvalidInput(f"the {what} is not valid") from None


def optional_identifier(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def version(value: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("the page is out of date; reload it and try again") from None
    if number < 1:
        raise InvalidInput("the page is out of date; reload it and try again")
    return number
