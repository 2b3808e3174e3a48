"""``warden check``: one text, or a JSONL file of texts."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO

import click

from warden import batch
from warden.cli.options import build_context
from warden.cli.render import render
from warden.domain.enums import AccountType, Direction
from warden.domain.errors import InvalidInput
from warden.engine import Engine
from warden.policy.loader import load
from warden.settings import get_settings


def _text_argument(text: str) -> str:
    if text == "-":
        data = sys.stdin.buffer.read(batch.MAX_LINE_BYTES + 1)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"standard input is not valid UTF-8 (byte {exc.start})") from exc
    # Undecodable bytes in argv arrive as lone surrogates.
    if any("\udc80" <= c <= "\udcff" for c in text):
        raise InvalidInput("the text is not valid UTF-8")
    return text


class _Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        if self.enabled:
            rate = done / max(time.monotonic() - self.started, 1e-9)
            sys.stderr.write(f"\r{done:,} lines checked ({rate:,.0f}/s)")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


@click.command("check")
@click.argument("text", required=False)
@click.option("--direction", type=click.Choice([d.value for d in Direction]), default="outbound", show_default=True)
@click.option("--account-type", type=click.Choice([a.value for a in AccountType]), default="corporate",
              show_default=True)
@click.option("--policy", "policy", metavar="FILE|NAME",
              help="Policy pack file, or built-in 'uk-policing'/'enterprise'.")
@click.option("--registers", type=click.Path(path_type=Path, dir_okay=False),
              help="YAML with active_proceedings, anonymity, operations and links: {allow, deny}.")
@click.option("--election-period", is_flag=True, help="Apply pre-election (purdah) escalations.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--input", "input_path", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="JSONL file of {id, text[, direction, account_type]} ('-' for stdin).")
@click.option("--output", "output_path", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="Where to write JSONL decisions (default: stdout).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes for --input (default: cores).")
def check_command(text: str | None, direction: str, account_type: str, policy: str | None, registers: Path | None,
                  election_period: bool, output_format: str, input_path: Path | None, output_path: Path | None,
                  workers: int | None) -> None:
    """Check TEXT (or '-' for stdin) and explain the decision; or check a JSONL file with --input.

    Exit status: 0 when every text was checked, 1 when some lines of --input
    failed (each reported with its line number), 2 for a bad command line,
    policy or text.
    """
    settings = get_settings()
    policy = policy or settings.policy
    workers = workers or settings.workers
    context = build_context(direction, account_type, registers, election_period)
    if input_path is not None:
        if text is not None:
            raise click.UsageError("give either TEXT or --input, not both")
        sys.exit(_check_file(input_path, output_path, policy, context, workers))
    if text is None:
        raise click.UsageError("give a TEXT to check, '-' to read it from stdin, or --input FILE.jsonl")
    engine = Engine(load(policy), max_chars=settings.max_text_chars)
    value = _text_argument(text)
    decision = engine.check(value, context)
    if output_format == "json":
        click.echo(json.dumps({"text": value, **decision.to_dict()}, ensure_ascii=False, indent=2))
    else:
        click.echo(render(value, decision, account_type, colour=sys.stdout.isatty()))


def _open_source(path: Path) -> IO[bytes]:
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        return path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc


def _check_file(input_path: Path, output_path: Path | None, policy: str | None, context: object,
                workers: int | None) -> int:
    load(policy)  # a bad policy fails here, before any output is written
    source = _open_source(input_path)
    sink: IO[str] = sys.stdout
    if output_path is not None and str(output_path) != "-":
        try:
            sink = output_path.open("w", encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {output_path}: {exc.strerror}") from exc
    progress = _Progress()
    try:
        summary = batch.run(source, sink, policy=policy, defaults=context,  # type: ignore[arg-type]
                            workers=workers, progress=progress,
                            on_error=lambda message: click.echo(f"error: {message}", err=True))
    finally:
        progress.close()
        if sink is not sys.stdout:
            sink.close()
        if source is not sys.stdin.buffer:
            source.close()
    click.echo(f"{summary.lines} lines checked, {summary.errors} with errors", err=True)
    return 1 if summary.errors else 0
