"""The replay network: paced reading, malformed lines kept, posts, images and actions recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from warden.connectors.base import AccountRef, Media, OutboundPost
from warden.connectors.errors import NotSupported
from warden.connectors.replay import ReplayConnector, check_file, connect


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def feed(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def line(n: int, **extra: object) -> str:
    return json.dumps({"id": f"m{n}", "text": f"message {n}", "author": f"@a{n}", "kind": "reply", **extra})


def test_reads_in_order_and_resumes_from_the_cursor(tmp_path: Path) -> None:
    path = feed(tmp_path, [line(n) for n in range(5)])
    replay = ReplayConnector(AccountRef("1", "replay", "r", {"file": str(path)}))
    first = replay.fetch(None, limit=3)
    assert [i.network_id for i in first.items] == ["m0", "m1", "m2"] and first.more
    second = replay.fetch(first.cursor, limit=3)
    assert [i.network_id for i in second.items] == ["m3", "m4"] and not second.more
    with path.open("a") as handle:
        handle.write(line(5) + "\n" + line(6)[:10])  # the last line is still being written
    third = replay.fetch(second.cursor)
    assert [i.network_id for i in third.items] == ["m5"]


def test_speed_paces_the_messages(tmp_path: Path) -> None:
    path = feed(tmp_path, [line(n) for n in range(100)])
    clock = Clock()
    replay = ReplayConnector(AccountRef("1", "replay", "r", {"file": str(path), "speed": 10}), clock=clock)
    page = replay.fetch(None)
    assert page.items == [] and page.next_in == timedelta(seconds=0.1)
    clock.now += timedelta(seconds=2.05)
    page = replay.fetch(page.cursor)
    assert len(page.items) == 20


def test_malformed_lines_are_delivered_marked_not_dropped(tmp_path: Path) -> None:
    path = feed(tmp_path, [line(1), "{not json", json.dumps({"id": "m3", "text": "x", "author": "@a", "kind": "shout"}),
                           line(4, in_reply_to="m1")])
    problems = check_file(path)
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3"]
    items = ReplayConnector(AccountRef("1", "replay", "r", {"file": str(path)})).fetch(None).items
    assert [i.network_id for i in items] == ["m1", "line-2", "line-3", "m4"]
    assert items[1].author_handle == "replay:malformed-line" and "not JSON" in items[1].text
    assert items[3].thread_key == "m1" and items[3].in_reply_to == "m1"
    for item in items:
        item.validate()


def test_posts_and_actions_are_recorded_and_read_back(tmp_path: Path) -> None:
    path = feed(tmp_path, [])
    replay = connect(AccountRef("1", "replay", "r", {"file": str(path)}), {}, httpx.Client())
    first = replay.publish(OutboundPost(ref="out-1", text="Road open again"))
    replay.publish(OutboundPost(ref="out-2", text="Meeting at 7pm", in_reply_to="m1"))
    recent = replay.recent_posts(datetime.now(UTC) - timedelta(minutes=1))
    assert [p.ref for p in recent] == ["out-2", "out-1"] and recent[1].network_id == first.network_id
    replay.set_reply_hidden("m9", True)
    replay.block("@troll")
    actions = [json.loads(x) for x in (tmp_path / "feed.actions.jsonl").read_text().splitlines()]
    assert [(a["action"], a["target"]) for a in actions] == [("hide", "m9"), ("block", "@troll")]


def test_images_are_kept_beside_the_post_under_names_of_wardens_making(tmp_path: Path) -> None:
    path = feed(tmp_path, [])
    replay = ReplayConnector(AccountRef("1", "replay", "r", {"file": str(path)}))
    images = (Media("../../etc/passwd.png", "image/png", b"\x89PNG one", "A road sign"),
              Media("<img src=x>.jpg", "image/jpeg", b"\xff\xd8 two", "Officers at the open day"))
    published = replay.publish(OutboundPost(ref="out-1", text="Open day photos", media=images))
    record = json.loads((tmp_path / "feed.published.jsonl").read_text())
    kept = record["media"]
    assert [m["file"] for m in kept] == [f"{published.network_id}-1.png", f"{published.network_id}-2.jpg"]
    assert [m["alt_text"] for m in kept] == ["A road sign", "Officers at the open day"]
    assert [(tmp_path / "feed.media" / m["file"]).read_bytes() for m in kept] == [b"\x89PNG one", b"\xff\xd8 two"]
    assert sorted(p.name for p in (tmp_path / "feed.media").iterdir()) == sorted(m["file"] for m in kept)

    with pytest.raises(NotSupported, match="not image/svg"):  # what Warden never cleans is not taken either
        replay.publish(OutboundPost(ref="out-2", text="x", media=(Media("a.svg", "image/svg+xml", b"<svg/>"),)))
    assert len((tmp_path / "feed.published.jsonl").read_text().splitlines()) == 1  # nothing recorded for it
