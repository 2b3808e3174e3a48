"""Response fixtures shaped from the Mastodon API documentation
(docs.joinmastodon.org: entities/Notification, entities/Status, entities/Account,
methods/notifications, methods/statuses, methods/media, api/rate-limits), for
the parts mastodon_mock does not produce."""

from __future__ import annotations

from typing import Any

BASE = "https://police.example.social"
OWN_ID = "109000000000000001"


def account(acct: str = "alice@other.example", id: str = "109000000000000002", **extra: Any) -> dict[str, Any]:
    username = acct.split("@")[0]
    return {"id": id, "username": username, "acct": acct, "display_name": username.title(), "locked": False,
            "bot": False, "created_at": "2022-11-01T00:00:00.000Z", "note": "", "url": f"https://x/@{username}",
            "avatar": "https://x/a.png", "followers_count": 1, "following_count": 1, "statuses_count": 1,
            "emojis": [], "fields": [], **extra}


def status(id: str, content: str = "<p>hello</p>", **extra: Any) -> dict[str, Any]:
    return {"id": id, "uri": f"https://other.example/users/alice/statuses/{id}",
            "url": f"https://other.example/@alice/{id}", "created_at": "2024-05-01T10:00:00.000Z",
            "account": account(), "content": content, "visibility": "public", "sensitive": False,
            "spoiler_text": "", "media_attachments": [], "mentions": [], "tags": [], "emojis": [],
            "in_reply_to_id": None, "in_reply_to_account_id": None, "reblog": None, **extra}


def notification(id: str, type: str = "mention", status_: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": id, "type": type, "created_at": "2024-05-01T10:00:01.000Z", "account": account(),
            "status": status_ if status_ is not None else (status(f"9{id}") if type in ("mention", "favourite",
                                                                                       "reblog", "poll") else None)}
