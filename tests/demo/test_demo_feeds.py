"""The bundled demo feeds: every line replays, threads hang together, and the mix is what the README claims."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from warden.connectors.replay import check_file, parse_line
from warden.domain.messages import Incoming

DEMO = Path(str(resources.files("warden.demo")))
# Each feed and how many posts of ours (post-001 onwards) its replies may hang from.
FEEDS = {"inbound_corporate.jsonl": 30, "inbound_neighbourhood.jsonl": 12}
SIZES = {"inbound_corporate.jsonl": (280, 320), "inbound_neighbourhood.jsonl": (110, 130)}
KEYS = {"id", "text", "author", "author_name", "kind", "in_reply_to", "thread", "created_at", "_label"}
TOLERANCE = 0.025  # a label's share may be this far from the README's figure
# Anything that looks like a UK mobile number must be in Ofcom's drama range.
PHONE = re.compile(r"(?:\+44\s?7|\b07)\d{3}\s?\d{3}\s?\d{3}\b")
DRAMA = re.compile(r"^(?:\+447|07)700900\d{3}$")


def load(name: str) -> list[tuple[dict[str, Any], Incoming]]:
    rows = []
    for number, raw in enumerate((DEMO / name).read_bytes().splitlines(keepends=True), start=1):
        assert raw.strip(), f"{name} line {number} is blank"
        rows.append((json.loads(raw), parse_line(raw, number)))
    return rows


def claimed_mix() -> dict[str, float]:
    """The `| `label` | covers | NN% |` rows of the README's category table."""
    text = (DEMO / "README.md").read_text("utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \|.*\| (\d+)% \|$", text, flags=re.MULTILINE)
    return {label: int(share) / 100 for label, share in rows}


@pytest.fixture(params=sorted(FEEDS))
def feed(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_line_parses_and_the_file_checks_clean(feed: str) -> None:
    assert check_file(DEMO / feed) == []
    rows = load(feed)
    low, high = SIZES[feed]
    assert low <= len(rows) <= high
    for record, message in rows:
        assert set(record) <= KEYS, record["id"]
        assert message.network_id == record["id"] and message.text == record["text"]
        assert record["author"].startswith("@") and record["author_name"]
        assert record["created_at"].endswith("Z")


def test_ids_are_unique(feed: str) -> None:
    ids = [record["id"] for record, _ in load(feed)]
    assert len(ids) == len(set(ids))
    prefix = feed.removeprefix("inbound_")[0]
    assert all(re.fullmatch(prefix + r"\d{4}", i) for i in ids)


def test_threads_refer_to_earlier_messages_or_to_our_posts(feed: str) -> None:
    ours = {f"post-{n:03d}" for n in range(1, FEEDS[feed] + 1)}
    seen: dict[str, Incoming] = {}
    conversations: Counter[str] = Counter()
    for record, message in load(feed):
        reply_to, thread = record.get("in_reply_to"), record.get("thread")
        if reply_to is None:
            assert thread is None, record["id"]
            assert record["kind"] in ("mention", "dm"), record["id"]
        elif reply_to in ours:
            assert thread == reply_to, record["id"]
            assert record["kind"] in ("reply", "comment"), record["id"]
        else:
            parent = seen.get(reply_to)
            assert parent is not None, f"{record['id']} replies to {reply_to}, which is not an earlier message"
            assert parent.sent_at < message.sent_at, record["id"]
            assert thread == parent.thread_key, record["id"]
            assert (record["kind"] == "dm") == (parent.kind == "dm"), record["id"]
            conversations[thread] += 1
        if thread is not None:
            assert thread in ours or thread in seen, record["id"]
        seen[record["id"]] = message
    # several conversations of messages replying to each other, not just single replies
    assert sum(1 for n in conversations.values() if n >= 2) >= 3


def test_times_run_in_order_over_three_days(feed: str) -> None:
    times = [message.sent_at for _, message in load(feed)]
    assert times == sorted(times)
    assert timedelta(days=2) < times[-1] - times[0] <= timedelta(days=3)


def test_the_label_mix_is_what_the_readme_claims(feed: str) -> None:
    claimed = claimed_mix()
    assert len(claimed) >= 10 and abs(sum(claimed.values()) - 1) < 0.02
    rows = load(feed)
    counts = Counter(record["_label"] for record, _ in rows)
    assert set(counts) == set(claimed)
    for label, share in claimed.items():
        actual = counts[label] / len(rows)
        assert abs(actual - share) <= TOLERANCE, f"{label}: {actual:.1%} in {feed}, README says {share:.0%}"
    dms = sum(record["kind"] == "dm" for record, _ in rows) / len(rows)
    assert 0.03 <= dms <= 0.08


def test_phone_numbers_are_invented(feed: str) -> None:
    for record, _ in load(feed):
        for number in PHONE.findall(record["text"]):
            assert DRAMA.match(re.sub(r"\s", "", number)), f"{record['id']}: {number}"
