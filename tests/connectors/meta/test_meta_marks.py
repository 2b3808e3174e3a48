"""The cursor's promise, checked on random streams: fetching page after page
delivers every item exactly once, oldest first, whatever the limit and
however many items share a second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warden.connectors.meta import marks
from warden.connectors.meta.marks import Candidate
from warden.domain.messages import Incoming

pytestmark = pytest.mark.doc_fixture

START = datetime(2024, 5, 1, tzinfo=UTC)
STREAMS = ("comments", "tagged", "messages")


def candidate(stream: str, second: int, number: int) -> Candidate:
    return Candidate(stream, Incoming(network_id=f"{stream}-{number}", thread_key="t", kind="comment",
                                      author_handle="a", text="x", sent_at=START + timedelta(seconds=second)))


items = st.lists(st.tuples(st.sampled_from(STREAMS), st.integers(min_value=-3, max_value=6)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(items=items, limit=st.integers(min_value=1, max_value=7))
def test_paging_delivers_everything_once_in_order(items: list[tuple[str, int]], limit: int) -> None:
    universe = [candidate(stream, second, n) for n, (stream, second) in enumerate(items)]
    expected = sorted((c.item for c in universe if c.item.sent_at >= START), key=lambda i: (i.sent_at, i.network_id))
    cursor = None
    delivered: list[Incoming] = []
    for _ in range(len(universe) + 2):
        state = marks.load(cursor, STREAMS, START)
        page, moved, more = marks.select(state, universe, limit)
        assert len(page) <= limit
        delivered.extend(page)
        cursor = marks.dump(moved)
        if not more:
            break
    assert delivered == expected


@settings(max_examples=100, deadline=None)
@given(items=items)
def test_settling_never_passes_an_undelivered_item(items: list[tuple[str, int]]) -> None:
    universe = [candidate(stream, second, n) for n, (stream, second) in enumerate(items)]
    state = marks.load(None, STREAMS, START)
    page, moved, _ = marks.select(state, universe, 2, complete=STREAMS, settle=START + timedelta(seconds=10))
    later, _, _ = marks.select(moved, universe, 1000)
    fresh = [c.item for c in universe if c.item.sent_at >= START]
    assert sorted(i.network_id for i in [*page, *later]) == sorted(i.network_id for i in fresh)


def test_a_quiet_complete_stream_moves_up_to_settle() -> None:
    state = marks.load(None, STREAMS, START)
    settle = START + timedelta(minutes=30)
    _, moved, _ = marks.select(state, [], 10, complete=("comments",), settle=settle)
    assert moved["comments"].moment == settle
    assert moved["tagged"].moment == START  # not read to the end: it stays
