"""Check a JSONL file of texts, streaming, in input order, on every core.

Each input line is ``{"id", "text"}`` with optional ``direction`` and
``account_type``. Each output line is the decision for that input line, or an
``error`` record naming the line: nothing is silently dropped. Memory stays
constant: lines are read in chunks and only a few chunks are in flight.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from warden.domain.context import CheckContext
from warden.domain.enums import AccountType, Direction
from warden.domain.errors import InvalidInput, TextTooLong, WardenError
from warden.engine import MAX_TEXT_CHARS, Engine, validate_text
from warden.policy.loader import load

MAX_LINE_BYTES = 1_048_576
CHUNK_LINES = 512


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    raw: bytes | None  # None when the line was too long to keep
    error: str = ""


def read_lines(stream: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Lines of a byte stream; an over-long line is skipped over in bounded
    reads and reported, never held in memory."""
    number = 0
    while True:
        chunk = stream.readline(limit + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(limit)
            yield Line(number, None, f"line is longer than {limit} bytes")
            continue
        if chunk.strip():
            yield Line(number, chunk)


def _error(number: int, identifier: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": identifier, "line": number, "error": {"code": code, "message": message}}


def _parse(line: Line, defaults: CheckContext) -> tuple[Any, str, CheckContext] | dict[str, Any]:
    if line.raw is None:
        return _error(line.number, None, TextTooLong.code, line.error)
    try:
        decoded = line.raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(line.number, None, "invalid_utf8", f"not valid UTF-8 at byte {exc.start}")
    try:
        record = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return _error(line.number, None, "invalid_json", f"not valid JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(record, dict):
        return _error(line.number, None, "invalid_record", "expected a JSON object with 'id' and 'text'")
    identifier = record.get("id")
    if identifier is None or not isinstance(identifier, str | int) or isinstance(identifier, bool):
        return _error(line.number, identifier, "invalid_record", "'id' must be a string or an integer")
    text = record.get("text")
    if not isinstance(text, str):
        return _error(line.number, identifier, "invalid_record", "'text' must be a string")
    try:
        validate_text(text, MAX_TEXT_CHARS)
        context = CheckContext(
            direction=Direction(record.get("direction", defaults.direction.value)),
            account_type=AccountType(record.get("account_type", defaults.account_type.value)),
            registers=defaults.registers, links=defaults.links, election_period=defaults.election_period)
    except WardenError as exc:
        return _error(line.number, identifier, exc.code, exc.message)
    except ValueError as exc:
        return _error(line.number, identifier, InvalidInput.code, str(exc))
    return identifier, text, context


def result_record(identifier: Any, decision: Any) -> dict[str, Any]:
    return {
        "id": identifier,
        "direction": decision.direction.value,
        "action": decision.action.value,
        "categories": decision.categories,
        "findings": [f.to_dict() for f in decision.findings],
        "scores": {k: round(v, 4) for k, v in decision.scores.items()},
        "policy_revision": decision.policy_revision,
    }


_WORKER_ENGINE: Engine | None = None


def _init_worker(policy: str | None) -> None:
    global _WORKER_ENGINE
    _WORKER_ENGINE = Engine(load(policy))


Row = tuple[str, str | None]  # output JSON line, and the error shown to a person (if any)


def check_chunk(lines: list[Line], defaults: CheckContext, engine: Engine | None = None) -> list[Row]:
    """Check one chunk; return one output row per input line."""
    engine = engine or _WORKER_ENGINE
    assert engine is not None
    parsed = [_parse(line, defaults) for line in lines]
    good = [p for p in parsed if isinstance(p, tuple)]
    decisions = iter(engine.check_batch([t for _, t, _ in good], [c for _, _, c in good]))
    out: list[Row] = []
    for item in parsed:
        if isinstance(item, dict):
            out.append((json.dumps(item, ensure_ascii=False), f"line {item['line']}: {item['error']['message']}"))
        else:
            out.append((json.dumps(result_record(item[0], next(decisions)), ensure_ascii=False), None))
    return out


@dataclass
class Summary:
    lines: int = 0
    errors: int = 0


def _chunks(lines: Iterator[Line], size: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(source: IO[bytes], sink: IO[str], *, policy: str | None, defaults: CheckContext,
        workers: int | None = None, progress: Callable[[int], None] | None = None,
        on_error: Callable[[str], None] | None = None) -> Summary:
    """Stream ``source`` to ``sink``. Errors are written in place and also
    passed to ``on_error`` so a person sees them with their line numbers."""
    summary = Summary()
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)

    def emit(rows: list[Row]) -> None:
        for row, error in rows:
            sink.write(row + "\n")
            summary.lines += 1
            if error is not None:
                summary.errors += 1
                if on_error:
                    on_error(error)
        if progress:
            progress(summary.lines)

    chunks = _chunks(read_lines(source), CHUNK_LINES)
    if workers <= 1:
        engine = Engine(load(policy))
        for chunk in chunks:
            emit(check_chunk(chunk, defaults, engine))
        return summary
    window: deque[Future[list[Row]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(policy,)) as pool:
        for chunk in chunks:
            window.append(pool.submit(check_chunk, chunk, defaults))
            if len(window) >= workers * 2:
                emit(window.popleft().result())
        while window:
            emit(window.popleft().result())
    return summary
