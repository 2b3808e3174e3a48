"""Replay: a network made of files. It reads inbound messages from a JSONL
file at a chosen speed and records what Warden publishes and does, so it
powers the demo, load tests, training exercises and the crash tests.
Images published with a post are written beside the published file, in a
``.media`` directory, under names of Warden's making (never the uploader's).

One message per line: ``id``, ``text``, ``author``, ``kind`` (reply,
mention, comment, dm), optional ``in_reply_to``, ``thread``, ``author_name``
and ``created_at`` (ISO 8601). Settings: ``file``, ``speed`` (messages per
second; 0 = as fast as fetched), ``backlog`` (lines delivered at once before the
paced rest) and ``published_file`` (default: the file
name with ``.published.jsonl``). A malformed line is delivered as a marked
message rather than skipped: nothing is lost silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from warden.connectors.base import (
    AccountRef,
    Capability,
    FetchPage,
    Health,
    Media,
    OutboundPost,
    Published,
    RecentPost,
)
from warden.connectors.errors import NotSupported, Rejected, Transient
from warden.domain.messages import KINDS, MAX_HANDLE, Incoming, inbound_text

MAX_LINE_BYTES = 256 * 1024
CAPABILITIES = frozenset({Capability.FETCH, Capability.PUBLISH, Capability.PUBLISH_MEDIA, Capability.REPLY,
                          Capability.DELETE,
                          Capability.HIDE_REPLY, Capability.UNHIDE_REPLY, Capability.BLOCK, Capability.MUTE,
                          Capability.REPORT, Capability.RECENT_POSTS, Capability.DIRECT_MESSAGES})
#: The file extension of each image type Warden publishes (it publishes only what ``workflow.image_uploads`` cleaned).
IMAGE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}


class LineError(ValueError):
    pass


def parse_line(raw: bytes, number: int) -> Incoming:
    """One line as a message; ``LineError`` names what is wrong."""
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LineError(f"line {number}: not JSON ({error.__class__.__name__})") from None
    if not isinstance(record, dict):
        raise LineError(f"line {number}: not a JSON object")
    for key in ("id", "text", "author"):
        if not isinstance(record.get(key), str) or not record[key]:
            raise LineError(f"line {number}: '{key}' must be a non-empty string")
    kind = record.get("kind", "reply")
    if kind not in KINDS:
        raise LineError(f"line {number}: kind {kind!r} is not one of {', '.join(KINDS)}")
    sent_at = datetime.now(UTC)
    if record.get("created_at") is not None:
        try:
            sent_at = datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
        except ValueError:
            raise LineError(f"line {number}: created_at is not an ISO 8601 time") from None
        sent_at = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
    reply_to = record.get("in_reply_to")
    if reply_to is not None and not isinstance(reply_to, str):
        raise LineError(f"line {number}: in_reply_to must be a string")
    thread = record.get("thread") or reply_to or record["id"]
    return Incoming(network_id=record["id"][:MAX_HANDLE], thread_key=str(thread)[:MAX_HANDLE], kind=kind,
                    author_handle=record["author"][:MAX_HANDLE],
                    author_name=str(record.get("author_name") or "")[:MAX_HANDLE],
                    text=inbound_text(record["text"]), in_reply_to=reply_to[:MAX_HANDLE] if reply_to else None,
                    sent_at=sent_at)


def check_file(path: Path) -> list[str]:
    """Every problem in a replay file (empty when it is good)."""
    problems: list[str] = []
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                if len(raw) > MAX_LINE_BYTES:
                    problems.append(f"line {number}: longer than {MAX_LINE_BYTES} bytes")
                    continue
                try:
                    parse_line(raw, number)
                except LineError as error:
                    problems.append(str(error))
    except OSError as error:
        problems.append(f"{path}: {error.strerror or error}")
    return problems


def _malformed(raw: bytes, number: int, reason: str) -> Incoming:
    text = raw.decode("utf-8", "replace").strip()
    return Incoming(network_id=f"line-{number}", thread_key=f"line-{number}", kind="comment",
                    author_handle="replay:malformed-line",
                    text=inbound_text(f"[malformed replay line: {reason}] {text}"), sent_at=datetime.now(UTC))


class ReplayConnector:
    network = "replay"
    capabilities = CAPABILITIES

    def __init__(self, account: AccountRef, clock: Any = None) -> None:
        settings = account.settings
        if not settings.get("file"):
            raise Rejected("a replay account needs a 'file' setting")
        self.path = Path(str(settings["file"]))
        self.speed = float(settings.get("speed") or 0)
        self.backlog = int(float(settings.get("backlog") or 0))  # delivered at once, before the paced rest
        published = settings.get("published_file") or str(self.path.with_suffix("")) + ".published.jsonl"
        self.published_path = Path(str(published))
        self.actions_path = Path(str(self.published_path).replace(".published.jsonl", "") + ".actions.jsonl")
        self.media_dir = Path(str(self.published_path).replace(".published.jsonl", "") + ".media")
        self._clock = clock or (lambda: datetime.now(UTC))

    # ----------------------------------------------------------------- inbound

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchPage:
        state: dict[str, Any] = json.loads(cursor) if cursor else {
            "offset": 0, "line": 0, "count": 0, "started": self._clock().isoformat()}
        allowed = limit
        if self.speed > 0:
            elapsed = (self._clock() - datetime.fromisoformat(state["started"])).total_seconds()
            allowed = max(0, min(limit, self.backlog + int(elapsed * self.speed) - int(state["count"])))
        items: list[Incoming] = []
        offset, line = int(state["offset"]), int(state["line"])
        try:
            with self.path.open("rb") as handle:
                handle.seek(offset)
                while len(items) < allowed:
                    raw = handle.readline(MAX_LINE_BYTES + 1)
                    if not raw or (not raw.endswith(b"\n") and len(raw) <= MAX_LINE_BYTES):
                        break  # end of file, or a line still being written: wait for its newline
                    if len(raw) > MAX_LINE_BYTES:
                        rest = handle.readline()
                        while rest and not rest.endswith(b"\n"):
                            rest = handle.readline()
                        line += 1
                        items.append(_malformed(raw[:2000], line, "line too long"))
                        offset = handle.tell()
                        continue
                    offset, line = handle.tell(), line + 1
                    if not raw.strip():
                        continue
                    try:
                        items.append(parse_line(raw, line))
                    except LineError as error:
                        items.append(_malformed(raw, line, str(error)))
                more = bool(handle.readline(1))
        except OSError as error:
            raise Transient(f"cannot read the replay file: {error.strerror or error}") from None
        state.update(offset=offset, line=line, count=int(state["count"]) + len(items))
        paced = self.speed > 0 and more
        return FetchPage(items=items, cursor=json.dumps(state), more=more and len(items) == allowed and allowed > 0,
                         next_in=timedelta(seconds=1 / self.speed) if paced else None)

    # ---------------------------------------------------------------- outbound

    def _append(self, path: Path, record: Mapping[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, data)  # one write of one line: whole or not at all for readers
        finally:
            os.close(descriptor)

    def publish(self, post: OutboundPost) -> Published:
        network_id = f"replay-{uuid.uuid4()}"
        images = [self._keep(network_id, number, image) for number, image in enumerate(post.media, 1)]
        record: dict[str, Any] = {"id": network_id, "ref": post.ref, "text": post.text,
                                  "in_reply_to": post.in_reply_to, "created_at": self._clock().isoformat()}
        if images:
            record["media"] = images
        self._append(self.published_path, record)  # the post exists once this line does
        return Published(network_id=network_id)

    def _keep(self, network_id: str, number: int, image: Media) -> dict[str, str]:
        extension = IMAGE_EXTENSIONS.get(image.content_type)
        if extension is None:
            raise NotSupported(f"replay accounts take PNG, JPEG, GIF and WebP images, not {image.content_type[:60]}")
        self.media_dir.mkdir(parents=True, exist_ok=True)
        name = f"{network_id}-{number}{extension}"
        partial = self.media_dir / f".{name}.part"
        partial.write_bytes(image.data)
        os.replace(partial, self.media_dir / name)  # whole or absent: a crash leaves no half image
        return {"file": name, "content_type": image.content_type, "alt_text": image.alt_text,
                "sha256": hashlib.sha256(image.data).hexdigest()}

    def recent_posts(self, since: datetime, limit: int = 100) -> Sequence[RecentPost]:
        posts: list[RecentPost] = []
        try:
            with self.published_path.open("rb") as handle:
                for raw in handle:
                    try:
                        record = json.loads(raw)
                        created = datetime.fromisoformat(record["created_at"])
                    except (ValueError, KeyError, TypeError):
                        continue
                    if created >= since:
                        posts.append(RecentPost(network_id=record["id"], text=record["text"], created_at=created,
                                                ref=record.get("ref")))
        except FileNotFoundError:
            return []
        return list(reversed(posts))[:limit]

    def _action(self, action: str, target: str, **extra: str) -> None:
        self._append(self.actions_path, {"action": action, "target": target, **extra,
                                         "at": self._clock().isoformat()})

    def delete(self, network_id: str) -> None:
        self._action("delete", network_id)

    def set_reply_hidden(self, network_id: str, hidden: bool) -> None:
        self._action("hide" if hidden else "unhide", network_id)

    def block(self, author_handle: str) -> None:
        self._action("block", author_handle)

    def mute(self, author_handle: str) -> None:
        self._action("mute", author_handle)

    def report(self, network_id: str, author_handle: str, reason: str) -> None:
        self._action("report", network_id or author_handle, reason=reason)

    def health(self) -> Health:
        if not self.path.is_file():
            return Health(ok=False, detail=f"replay file {self.path} is missing")
        return Health(ok=True, detail=f"replaying {self.path.name}")


def connect(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client) -> ReplayConnector:
    return ReplayConnector(account)
