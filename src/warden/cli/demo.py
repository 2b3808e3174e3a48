"""``warden demo``: check a bundled sample of drafts and inbound messages."""

from __future__ import annotations

import json
import sys
from importlib import resources

import click

from warden.cli.render import render
from warden.domain.context import CheckContext, Registers
from warden.domain.enums import AccountType, Direction
from warden.engine import Engine
from warden.policy.loader import load

# A demo organisation's registers: what the text alone cannot reveal.
DEMO_REGISTERS = Registers(active_proceedings=("Jo Bloggs",), anonymity=(), operations=("Nightjar",))


@click.command("demo")
@click.option("--policy", metavar="FILE|NAME", default=None, help="Policy pack (default: uk-policing).")
def demo_command(policy: str | None) -> None:
    """Check the bundled sample drafts and inbound messages and print why."""
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
