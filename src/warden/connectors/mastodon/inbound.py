"""Mastodon notifications and statuses to ``Incoming`` messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from warden.connectors.errors import Transient
from warden.connectors.mastodon.fields import an_id, as_dict, handle, timestamp
from warden.connectors.mastodon.text import html_to_text, plain
from warden.domain.messages import MAX_HANDLE, Incoming, inbound_text

MAX_SPOILER = 1_000


def notification_id(item: object) -> str:
    """A notification's id; a page with an unreadable one cannot be trusted at all."""
    data = as_dict(item)
    found = an_id(data.get("id")) if data is not None else None
    if found is None:
        raise Transient("GET /api/v1/notifications: a notification without a usable id")
    return found


def mention_status(item: object) -> Mapping[str, Any] | None:
    """The status a mention notification carries; None for other notifications
    and for a mention whose status is gone (deleted before we polled)."""
    data = as_dict(item)
    if data is None or data.get("type") != "mention":
        return None
    status = as_dict(data.get("status"))
    if status is None:
        return None
    if an_id(status.get("id")) is None:
        raise Transient("GET /api/v1/notifications: a mention whose status has no usable id")
    return status


def status_text(status: Mapping[str, Any]) -> str:
    """What the author wrote: the content warning (also their words) and the body."""
    body = html_to_text(status.get("content"))
    warning = plain(status.get("spoiler_text"), MAX_SPOILER)
    return inbound_text("\n\n".join(part for part in (f"[CW: {warning}]" if warning else "", body) if part))


def kind_of(status: Mapping[str, Any], own_id: str) -> str:
    if status.get("visibility") == "direct":
        return "dm"
    if an_id(status.get("in_reply_to_account_id")) == own_id:
        return "reply"
    return "mention"


def to_incoming(item: Mapping[str, Any], status: Mapping[str, Any], *, own_id: str, thread_key: str,
                now: datetime) -> Incoming:
    """One mention as Warden stores it; odd fields get harmless stand-ins."""
    network_id = an_id(status.get("id"))
    if network_id is None:
        raise Transient("a mention whose status has no usable id")
    account = as_dict(status.get("account")) or as_dict(item.get("account"))
    sent_at = timestamp(status.get("created_at")) or timestamp(item.get("created_at")) or now
    return Incoming(
        network_id=network_id,
        thread_key=thread_key,
        kind=kind_of(status, own_id),
        author_handle=handle(account),
        text=status_text(status),
        sent_at=sent_at,
        author_name=plain(account.get("display_name"), MAX_HANDLE) if account is not None else "",
        in_reply_to=an_id(status.get("in_reply_to_id")),
    )
