"""The notification walk against a model of ``listNotifications`` as the
lexicon and the AppView define it: newest first by ``indexedAt`` (the earlier
of createdAt and indexing time), a cursor to strictly older pages."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warden.connectors.bluesky import cursor as walk
from warden.connectors.bluesky.inbound import Note

pytestmark = pytest.mark.doc_fixture
MINUTE = 60_000


@dataclass
class Feed:
    """The AppView's notifications for one account; ``page`` pages as it does."""

    size: int = 3
    notes: list[Note] = field(default_factory=list)
    now: int = 1_800_000_000_000
    calls: int = 0

    def add(self, reason: str = "mention", back: int = 0) -> Note:
        self.now += 1000
        at = self.now - back
        while any(n.at_ms == at for n in self.notes):
            at -= 1
        note = Note(uri=f"at://did:plc:x/app.bsky.feed.post/{len(self.notes):013d}", reason=reason, at_ms=at, raw={})
        self.notes.append(note)
        return note

    def page(self, cursor: str | None) -> walk.Page:
        self.calls += 1
        ordered = sorted(self.notes, key=lambda n: n.at_ms, reverse=True)
        if cursor is not None:
            ordered = [n for n in ordered if n.at_ms < int(cursor)]
        chosen = ordered[: self.size]
        return chosen, str(chosen[-1].at_ms) if len(chosen) == self.size else None


def fetch(feed: Feed, state: walk.State | None, limit: int, window: int = 2,
          overlap: int = 10_000) -> tuple[list[Note], walk.State, bool]:
    if state is None or state.mark is None:
        chosen, state = walk.first(feed.page, limit)
        return chosen, walk.State.decode(state.encode()), False
    chosen, more = walk.walk(feed.page, state, limit, window, overlap)
    return chosen, walk.State.decode(state.encode()), more  # through the string, as the pipeline stores it


def drain(feed: Feed, state: walk.State, limit: int, window: int = 2) -> tuple[list[Note], walk.State]:
    got: list[Note] = []
    for _ in range(10_000):
        chosen, state, more = fetch(feed, state, limit, window)
        assert [n.at_ms for n in chosen] == sorted(n.at_ms for n in chosen)
        got += chosen
        if not more:
            return got, state
    raise AssertionError("the walk never finished")


def started(feed: Feed) -> walk.State:
    feed.add("like")
    _, state, _ = fetch(feed, None, 10)
    assert state.mark is not None
    feed.now += 10 * MINUTE  # later posts, even backdated a little, are after the start
    return state


def test_first_fetch_takes_the_newest_and_treats_the_rest_as_history() -> None:
    feed = Feed()
    old = [feed.add() for _ in range(5)]
    chosen, state, more = fetch(feed, None, 2)
    assert chosen == old[-2:] and more is False
    assert fetch(feed, state, 10)[0] == []
    new = feed.add()
    assert fetch(feed, state, 10)[0] == [new]


def test_a_long_backlog_is_walked_with_waypoints_oldest_first() -> None:
    feed = Feed()
    state = started(feed)
    wanted = [feed.add("reply" if n % 4 else "quote") for n in range(100)]
    for _ in range(40):
        feed.add("like")
    got, state = drain(feed, state, 7)
    assert got == wanted
    assert state.waypoints == []
    assert fetch(feed, state, 7)[0] == []


def test_late_arrivals_within_the_lookback_come_once() -> None:
    feed = Feed()
    state = started(feed)
    first = [feed.add() for _ in range(3)]
    got, state = drain(feed, state, 10)
    assert got == first
    late = feed.add(back=5 * MINUTE)  # sorted below everything delivered
    assert drain(feed, state, 10)[0] == [late]
    assert drain(feed, state, 10)[0] == []


def test_a_post_backdated_beyond_the_lookback_is_not_found() -> None:
    """Documented limit: the AppView sorts it among old history."""
    feed = Feed()
    state = started(feed)
    feed.now += 120 * MINUTE
    feed.add()
    drain(feed, state, 10)
    feed.add(back=60 * MINUTE)  # above where fetching started, far below the newest delivered
    assert drain(feed, state, 10)[0] == []


def test_a_full_seen_set_raises_the_floor_instead_of_redelivering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(walk, "SEEN_CAP", 4)
    feed = Feed(size=50)
    state = started(feed)
    batch = [feed.add() for _ in range(10)]
    got, state = drain(feed, state, 3)
    assert got == batch
    assert len(state.seen) <= 4 and state.floor > batch[0].at_ms
    assert drain(feed, state, 3)[0] == []


operations = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(1, 12), st.sampled_from(["mention", "reply", "quote", "like", "follow"]),
              st.integers(0, 4 * MINUTE)),
    st.tuples(st.just("fetch"), st.integers(1, 9), st.just(""), st.just(0)),
), max_size=25)


@settings(max_examples=150, deadline=None)
@given(operations, st.integers(2, 5), st.integers(1, 3))
def test_every_wanted_notification_is_delivered_exactly_once(
        ops: list[tuple[str, int, str, int]], size: int, window: int) -> None:
    feed = Feed(size=size)
    state = started(feed)
    wanted: list[Note] = []
    got: list[Note] = []
    for op, count, reason, back in ops:
        if op == "add":
            added = [feed.add(reason, back) for _ in range(count)]
            wanted += [n for n in added if reason in ("mention", "reply", "quote")]
        else:
            chosen, _ = walk.walk(feed.page, state, count, window, 10_000)
            state = walk.State.decode(state.encode())
            assert [n.at_ms for n in chosen] == sorted(n.at_ms for n in chosen)
            got += chosen
    rest, _ = drain(feed, state, 5, window)
    got += rest
    assert sorted(n.uri for n in got) == sorted(n.uri for n in wanted)  # all of them, none twice
