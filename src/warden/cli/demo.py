"""``warden demo``: a living demo console (an invented force, a member for
every role, replay accounts trickling in realistic messages); ``--check``
instead prints the engine's decisions on a bundled sample."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import click

from warden.cli.render import render
from warden.domain.context import CheckContext, Registers
from warden.domain.enums import AccountType, Direction
from warden.engine import Engine
from warden.policy.loader import load

# A demo organisation's registers: what the text alone cannot reveal.
DEMO_REGISTERS = Registers(active_proceedings=("Jo Bloggs",), anonymity=(), operations=("Nightjar",))


@click.command("demo")
@click.option("--check", "check_only", is_flag=True, help="Only check the bundled samples and print why (no server).")
@click.option("--policy", metavar="FILE|NAME", default=None, help="Policy pack for --check (default: uk-policing).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--directory", type=click.Path(path_type=Path, file_okay=False), default=Path("warden-demo"),
              show_default=True, help="Where the demo database and feeds go (replaced on every run).")
def demo_command(check_only: bool, policy: str | None, host: str, port: int, directory: Path) -> None:
    """Start a demo console with an invented police force and print how to sign in."""
    if check_only:
        _check_samples(policy)
        return
    _serve_demo(host, port, directory)


def _serve_demo(host: str, port: int, directory: Path) -> None:
    import shutil
    import threading

    import uvicorn

    from warden.auth.passwords import PasswordHasher
    from warden.demo.seed import seed
    from warden.settings import Settings
    from warden.storage.database import make_engine, migrate
    from warden.web.app import create_app
    from warden.workers.connecting import Connectors
    from warden.workers.pipeline import Pipeline

    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    url = f"sqlite:///{(directory / 'demo.sqlite3').resolve()}"
    engine = make_engine(url)
    migrate(engine)
    demo = seed(engine, directory, PasswordHasher())
    settings = Settings(environment="development", database_url=url, cookie_secure=False)
    app = create_app(settings, engine)
    state = app.state.warden
    stop = threading.Event()
    pipeline = Pipeline(state.sessions, Connectors(state.cipher, sessions=state.sessions))
    threading.Thread(target=pipeline.run, args=(stop, 0.5), name="warden-pipeline", daemon=True).start()
    click.echo(f"\nWarden demo: {demo.slug!r} (an invented force), messages arriving on two replay accounts")
    click.echo(f"  open   http://{host}:{port}/   (API: http://{host}:{port}/api/v1/openapi.json)")
    click.echo(f"  organisation {demo.slug}, password {demo.password} for every demo member:")
    for role, email in demo.logins.items():
        click.echo(f"    {role:12} {email}")
    click.echo(f"  data in {directory}/ (replaced on the next run); Ctrl-C stops\n")
    try:
        uvicorn.run(app, host=host, port=port, server_header=False, log_level="warning")
    finally:
        stop.set()


def _check_samples(policy: str | None) -> None:
    engine = Engine(load(policy))
    colour = sys.stdout.isatty()
    samples = resources.files("warden.demo").joinpath("samples.jsonl").read_text("utf-8").splitlines()
    click.echo(f"Warden demo: {len(samples)} sample messages, policy {engine.policy.pack.name} "
               f"(revision {engine.policy.revision})")
    click.echo(f"Registers: active proceedings {list(DEMO_REGISTERS.active_proceedings)}, "
               f"live operations {list(DEMO_REGISTERS.operations)}\n")
    for line in samples:
        sample = json.loads(line)
        context = CheckContext(direction=Direction(sample["direction"]),
                               account_type=AccountType(sample["account_type"]), registers=DEMO_REGISTERS)
        decision = engine.check(sample["text"], context)
        click.echo(f"[{sample['id']}] " + render(sample["text"], decision, sample["account_type"], colour) + "\n")
