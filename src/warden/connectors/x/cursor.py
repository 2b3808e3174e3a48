"""The X cursor: one walk per stream, as compact JSON.

X lists newest first. A stream catches up by walking back from the newest item
to ``since`` page by page (``next`` holds X's pagination token meanwhile);
``since`` moves to ``top`` (the newest item of the walk) only when the walk
has reached it, so a cursor never moves past an item that was not returned.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from warden.connectors.errors import Rejected
from warden.connectors.x.api import as_dict, as_list, is_id, is_token
from warden.connectors.x.items import newest

VERSION = 1
MAX_WATCH = 25


@dataclass(frozen=True)
class Walk:
    since: str | None = None  # the newest id already delivered
    next: str | None = None   # X's pagination token while walking back to ``since``
    top: str | None = None    # the newest id of the walk in progress

    def page(self, token: str | None, page_newest: str | None) -> Walk:
        """The walk after one page. Without ``since`` (a first poll) only the
        newest page is taken: Warden starts from now, not from the archive."""
        top = self.top if self.next else page_newest
        if token and self.since is not None:
            return Walk(self.since, token, top)
        return Walk(newest(self.since, top))

    @property
    def walking(self) -> bool:
        return self.next is not None


@dataclass(frozen=True)
class Cursor:
    mentions: Walk = field(default_factory=Walk)
    replies: Walk = field(default_factory=Walk)
    dms: Walk = field(default_factory=Walk)
    watch: tuple[str, ...] = ()  # conversation ids of our recent posts (replies stream)
    watched_at: int = 0          # when ``watch`` was read, Unix seconds

    def encode(self) -> str:
        data: dict[str, Any] = {"v": VERSION, **asdict(self)}
        data["watch"] = list(self.watch)
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, raw: str | None) -> Cursor:
        if raw is None:
            return cls()
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise Rejected("the stored X cursor is not JSON; it was not written by this connector") from None
        if not isinstance(data, dict) or data.get("v") != VERSION:
            raise Rejected("the stored X cursor has an unknown shape or version")
        watch = as_list(data.get("watch"))
        watched_at = data.get("watched_at", 0)
        if len(watch) > MAX_WATCH or not all(is_id(item) for item in watch) or type(watched_at) is not int:
            raise Rejected("the stored X cursor has an invalid watch list")
        return cls(_walk(data.get("mentions")), _walk(data.get("replies")), _walk(data.get("dms")),
                   tuple(watch), watched_at)


def _walk(raw: object) -> Walk:
    data = as_dict(raw)
    since, token, top = data.get("since"), data.get("next"), data.get("top")
    if (since is not None and not is_id(since)) or (top is not None and not is_id(top)) or (
            token is not None and not is_token(token)):
        raise Rejected("the stored X cursor holds an invalid id or token")
    return Walk(since, token, top)
