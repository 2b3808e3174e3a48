"""Which thread a status belongs to: the id of the thread's first post.

A case holds one conversation, so every reply in a thread must carry the same
key. Mastodon statuses only name their direct parent, so a reply's root comes
from ``GET /api/v1/statuses/{id}/context`` (whose ancestors run root first).
Roots already found in this batch are reused, so a busy thread costs one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from warden.connectors.errors import Rejected
from warden.connectors.mastodon.api import MastodonApi, segment
from warden.connectors.mastodon.fields import an_id, as_dict


class ThreadKeys:
    def __init__(self, api: MastodonApi) -> None:
        self._api = api
        self._roots: dict[str, str] = {}

    def key(self, status: Mapping[str, Any]) -> str:
        status_id = an_id(status.get("id")) or ""
        parent = an_id(status.get("in_reply_to_id"))
        if parent is None:
            self._roots[status_id] = status_id  # a new thread starts here
            return status_id
        root = self._roots.get(parent) or self._roots.get(status_id) or self._ask(status_id, parent)
        self._roots[status_id] = root
        return root

    def _ask(self, status_id: str, parent: str) -> str:
        try:
            context = self._api.get(f"/api/v1/statuses/{segment(status_id)}/context")
        except Rejected:
            return parent  # the thread above is hidden from us (404/403): its parent is all we know
        data = as_dict(context)
        ancestors = data.get("ancestors") if data is not None else None
        if not isinstance(ancestors, list) or not ancestors:
            return parent
        found = [a for a in (as_dict(item) for item in ancestors) if a is not None]
        top = next((a for a in found if a.get("in_reply_to_id") is None), found[0] if found else None)
        if top is None:
            return parent
        # Where the very first post is hidden, the topmost visible one names it as its parent.
        root = an_id(top.get("in_reply_to_id")) or an_id(top.get("id")) or parent
        for ancestor in found:
            ancestor_id = an_id(ancestor.get("id"))
            if ancestor_id is not None:
                self._roots[ancestor_id] = root
        return root
