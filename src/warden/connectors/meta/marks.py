"""The fetch cursor: one high-water mark per stream (comments, tags, messages).

Graph has no "since this id" for comments, so each stream remembers the time
of the newest item it delivered and the ids delivered at exactly that second:
an item is new if it is later, or at that second and not yet delivered. Items
from every stream are merged oldest first and cut at ``limit``; each stream's
mark moves only to the last of its items actually returned, so nothing left
behind by the cut is ever skipped.

When a stream was read completely and nothing of it is left waiting, its mark
moves up to ``settle`` before now: otherwise a quiet stream would keep an old
mark and every poll would look back further.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from warden.connectors.errors import Rejected
from warden.connectors.meta.fields import epoch
from warden.domain.messages import Incoming

_VERSION = 1
_MAX_IDS = 1000


@dataclass(frozen=True)
class Mark:
    at: int                           # Unix seconds
    ids: frozenset[str] = frozenset()  # delivered at exactly ``at``

    def admits(self, item: Incoming) -> bool:
        second = epoch(item.sent_at)
        return second > self.at or (second == self.at and item.network_id not in self.ids)

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)


@dataclass(frozen=True)
class Candidate:
    stream: str
    item: Incoming


def load(cursor: str | None, streams: Iterable[str], start: datetime) -> dict[str, Mark]:
    """The marks in ``cursor``; streams it does not name start at ``start``."""
    marks = {name: Mark(epoch(start)) for name in streams}
    if cursor is None:
        return marks
    try:
        stored = json.loads(cursor)
        if not isinstance(stored, dict) or stored.get("v") != _VERSION:
            raise ValueError("not a Meta cursor")
        for name, value in stored["marks"].items():
            if name in marks:
                at, ids = value["at"], value.get("ids", [])
                if not isinstance(at, int) or isinstance(at, bool) or not isinstance(ids, list):
                    raise ValueError("bad mark")
                marks[name] = Mark(at, frozenset(str(i) for i in ids))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise Rejected("the stored cursor is not one this connector wrote") from error
    return marks


def dump(marks: Mapping[str, Mark]) -> str:
    return json.dumps({"v": _VERSION, "marks": {
        name: {"at": mark.at, "ids": sorted(mark.ids)[:_MAX_IDS]} for name, mark in sorted(marks.items())}},
        separators=(",", ":"))


def _key(candidate: Candidate) -> tuple[int, str]:
    return epoch(candidate.item.sent_at), candidate.item.network_id


Selection = tuple[list[Incoming], dict[str, Mark], bool]


def select(marks: Mapping[str, Mark], candidates: Iterable[Candidate], limit: int, *,
           complete: Iterable[str] = (), settle: datetime | None = None) -> Selection:
    """The next ``limit`` new items oldest first, the marks after them, and
    whether more new items are waiting. ``complete`` names the streams read to
    the end this time (they may move up to ``settle`` when fully delivered)."""
    seen: set[str] = set()
    fresh: list[Candidate] = []
    for candidate in sorted(candidates, key=_key):
        mark = marks.get(candidate.stream)
        if mark is None or candidate.item.network_id in seen or not mark.admits(candidate.item):
            continue
        seen.add(candidate.item.network_id)
        fresh.append(candidate)
    taken, left = fresh[:limit], fresh[limit:]
    moved = dict(marks)
    finished = set(complete)
    for name, mark in marks.items():
        mine: Sequence[Candidate] = [c for c in taken if c.stream == name]
        if mine:
            last = epoch(mine[-1].item.sent_at)
            ids = {c.item.network_id for c in mine if epoch(c.item.sent_at) == last}
            mark = Mark(last, frozenset(ids | (mark.ids if last == mark.at else set())))
        if settle is not None and name in finished and not any(c.stream == name for c in left):
            floor = epoch(settle)
            if floor > mark.at:
                mark = Mark(floor)
        moved[name] = mark
    return [c.item for c in taken], moved, bool(left)
