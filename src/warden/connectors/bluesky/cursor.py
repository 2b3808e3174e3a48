"""Walking Bluesky's notifications, newest first, without skipping any.

``listNotifications`` returns the newest page first and a cursor to OLDER
pages, ordered by ``indexedAt`` (the earlier of the record's ``createdAt``
and the time the AppView saw it). Warden wants what is new since last time,
oldest first, so each fetch pages back from the top until it is past the
newest item already delivered (the *mark*) and hands over the oldest new ones.

Three things make that harder, and the cursor carries what each needs:

- A notification can land slightly *below* the mark (indexing lag, a
  client's clock behind): the walk looks ``LOOKBACK`` further back (at most
  ``OVERLAP_PAGES`` pages) and remembers recently delivered items (``seen``)
  so nothing comes twice.
- A gap bigger than one walk (a long outage): the walk stops after
  ``window`` pages, remembers the API cursor there (a *waypoint*) and carries
  on from it next time, so the oldest items are always delivered first and
  the walks climb back up waypoint by waypoint.
- ``seen`` must stay small: past ``SEEN_CAP`` its oldest entries go and a
  *floor* is raised above them, so they cannot come back either.

When a walk has delivered everything it found, the mark moves up to the
newest item it walked past, wanted or not (likes, follows), so the next walk
stops early.

Two limits come from the AppView, not from here: a post backdated further
than ``LOOKBACK`` sorts below everything already read and no walk finds it,
and the API's own cursor ("older than this time") skips an item that shares
its millisecond with the last item of a page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from warden.connectors.bluesky.inbound import KINDS, Note
from warden.connectors.errors import Rejected

LOOKBACK_MS = 10 * 60 * 1000
OVERLAP_PAGES = 20   # at most this many pages below the mark are searched for late arrivals
SLACK_PAGES = 2      # a walk may go this far past its window to find the mark
SEEN_CAP = 3000
MAX_WAYPOINTS = 1000  # a backlog of a million notifications

Page = tuple[list[Note], str | None]
PageFetcher = Callable[[str | None], Page]  # API cursor -> (notes, cursor to older)


def short(uri: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(uri.encode()).digest()[:9]).decode()


@dataclass
class State:
    mark: int | None = None               # ms up to which every item walked past is dealt with
    floor: int = 0                        # ms below which nothing is delivered again
    seen: dict[str, int] = field(default_factory=dict)  # short(uri) -> ms
    waypoints: list[str] = field(default_factory=list)

    def encode(self) -> str:
        return json.dumps({"v": 1, "m": self.mark, "f": self.floor, "s": self.seen, "w": self.waypoints},
                          separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str | None) -> State:
        if cursor is None:
            return cls()
        try:
            data: Any = json.loads(cursor)
        except ValueError:
            data = None
        if not _valid(data):
            raise Rejected("the stored Bluesky cursor is not one this connector wrote")
        mark, floor, seen, waypoints = data["m"], data["f"], data["s"], data["w"]
        return cls(mark=mark, floor=floor, seen=seen, waypoints=waypoints)

    def deliver(self, chosen: list[Note], covered: int | None = None) -> None:
        """Record ``chosen`` as delivered and everything up to ``covered`` (ms) as considered."""
        for note in chosen:
            self.seen[short(note.uri)] = note.at_ms
        for at_ms in [n.at_ms for n in chosen] + ([covered] if covered is not None else []):
            self.mark = at_ms if self.mark is None else max(self.mark, at_ms)
        if self.mark is None:
            return
        boundary = self.mark - LOOKBACK_MS
        self.seen = {key: ms for key, ms in self.seen.items() if ms >= boundary}
        if len(self.seen) > SEEN_CAP:
            ordered = sorted(self.seen.items(), key=lambda item: item[1], reverse=True)
            self.floor = max(self.floor, max(ms for _, ms in ordered[SEEN_CAP:]) + 1)
            self.seen = dict(ordered[:SEEN_CAP])

    def wanted(self, note: Note) -> bool:
        if note.reason not in KINDS or short(note.uri) in self.seen or note.at_ms < self.floor:
            return False
        return self.mark is None or note.at_ms >= self.mark - LOOKBACK_MS


def _valid(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("v") != 1 or not {"m", "f", "s", "w"} <= data.keys():
        return False
    mark, floor, seen, waypoints = data["m"], data["f"], data["s"], data["w"]
    return ((mark is None or type(mark) is int) and type(floor) is int and isinstance(seen, dict)
            and isinstance(waypoints, list) and all(type(v) is int for v in seen.values())
            and all(isinstance(w, str) for w in waypoints))


def first(fetch: PageFetcher, limit: int) -> tuple[list[Note], State]:
    """No cursor yet: start from now, with the newest few items for context."""
    page, _ = fetch(None)
    state = State()
    chosen = sorted((n for n in page if state.wanted(n)), key=lambda n: (n.at_ms, n.uri))[-limit:]
    if page:
        # Everything on this page counts as read; older pages are history.
        state.mark = max(n.at_ms for n in page)
        state.floor = min(n.at_ms for n in page)
        state.seen = {short(n.uri): n.at_ms for n in page}
    state.deliver(chosen)
    return chosen, state


def walk(fetch: PageFetcher, state: State, limit: int, window: int,
         overlap: int = OVERLAP_PAGES) -> tuple[list[Note], bool]:
    """The oldest new items (at most ``limit``) and whether more are ready now.

    Updates ``state`` to cover exactly what it returns.
    """
    assert state.mark is not None
    window = max(1, window)
    mark, boundary = state.mark, state.mark - LOOKBACK_MS
    api_cursor = state.waypoints[-1] if state.waypoints else None
    found: dict[str, Note] = {}
    newest, depth, depth_cursor = mark, 0, None
    below_mark: int | None = None  # pages walked since the first one reaching the mark
    while True:
        page, api_cursor = fetch(api_cursor)
        depth += 1
        newest = max([newest, *(n.at_ms for n in page)])
        for note in page:
            if state.wanted(note):
                found.setdefault(note.uri, note)
        if below_mark is not None:
            below_mark += 1
        elif any(n.at_ms <= mark for n in page):
            below_mark = 0
        if depth == window:
            depth_cursor = api_cursor
        if not api_cursor or any(n.at_ms < boundary for n in page) or (below_mark or 0) >= overlap:
            break
        if below_mark is None and depth >= window + SLACK_PAGES and len(state.waypoints) < MAX_WAYPOINTS:
            # The mark is deeper than one walk: deliver nothing yet, go on from `window` pages down.
            assert depth_cursor is not None
            state.waypoints.append(depth_cursor)
            return [], True
    ordered = sorted(found.values(), key=lambda n: (n.at_ms, n.uri))
    chosen = ordered[:limit]
    exhausted = len(ordered) <= limit
    from_waypoint = bool(state.waypoints)  # then newer items wait above it
    if exhausted and from_waypoint:
        state.waypoints.pop()
    # Exhausted: every item walked past is dealt with, wanted or not (likes,
    # follows), so the mark moves up to the newest of them and the next walk,
    # one waypoint up, finds it right below its own pages.
    state.deliver(chosen, covered=newest if exhausted else None)
    return chosen, not exhausted or from_waypoint
