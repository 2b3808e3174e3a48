"""``warden policy``: validate and inspect policy packs."""

from __future__ import annotations

import click

from warden.engine import Engine
from warden.policy.loader import load


@click.group("policy")
def policy_group() -> None:
    """Validate and inspect policy packs."""


@policy_group.command("validate")
@click.argument("reference", metavar="FILE|NAME")
def validate(reference: str) -> None:
    """Validate a pack (keys, actions, regexes, categories known to the detectors)."""
    policy = load(reference)
    Engine(policy)  # also checks every category names a detector's output
    pack = policy.pack
    click.echo(f"ok: {pack.id} {pack.version} revision {policy.revision}, {len(pack.rules)} rules")


@policy_group.command("show")
@click.argument("reference", metavar="FILE|NAME", default="uk-policing")
def show(reference: str) -> None:
    """List a pack's rules with their actions and principles."""
    pack = load(reference).pack
    click.echo(f"{pack.name} ({pack.id} {pack.version})")
    for rule in pack.rules:
        action = rule.action if isinstance(rule.action, str) else (
            f"corporate {rule.action.corporate} / neighbourhood {rule.action.neighbourhood} / "
            f"personal {rule.action.personal_officer}")
        click.echo(f"  {rule.id:<22} {rule.direction.value:<8} {action:<50} {rule.title}")
