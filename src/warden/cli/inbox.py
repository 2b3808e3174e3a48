"""``warden inbox dead|retry``: the inbound messages that could not be filed.

A message that keeps failing to file is set aside (a dead letter) with an alert
so it never holds up the rest; after the fix, an admin puts it back in the queue.
"""

from __future__ import annotations

import uuid

import click

from warden.cli.accounts import admin_principal
from warden.cli.database import database_option
from warden.storage.database import make_engine, migrate, session_factory
from warden.workflow import inbox


@click.group("inbox")
def inbox_group() -> None:
    """Inbound messages waiting to be filed."""


@inbox_group.command("dead")
@database_option
@click.option("--organisation", default=None, help="Organisation slug (needed when there are several).")
@click.option("--as", "as_email", default=None, help="Admin to act as (default: the first admin).")
def dead_command(database_url: str, organisation: str | None, as_email: str | None) -> None:
    """List dead letters: id, account, network id, attempts, error (never the message's text)."""
    sessions = session_factory(make_engine(database_url))
    letters = inbox.dead_letters(sessions, admin_principal(sessions, organisation, as_email))
    for letter in letters:
        error = " ".join(letter.error.split())[:120]
        click.echo(f"{letter.id}  {letter.account_id}  {letter.network_id[:40]:40}  {letter.attempts}  {error}")
    click.echo(f"{len(letters)} dead letter(s)", err=True)


@inbox_group.command("retry")
@database_option
@click.argument("ids", nargs=-1, type=click.UUID)
@click.option("--all", "every", is_flag=True, help="Retry every dead letter of the organisation.")
@click.option("--organisation", default=None, help="Organisation slug (needed when there are several).")
@click.option("--as", "as_email", default=None, help="Admin to act as (default: the first admin).")
def retry_command(database_url: str, ids: tuple[uuid.UUID, ...], every: bool, organisation: str | None,
                  as_email: str | None) -> None:
    """Put dead letters (IDS, or --all) back in the queue; audited as the admin."""
    if bool(ids) == every:
        raise click.UsageError("name dead letters by id, or give --all")
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    count = inbox.retry_dead(sessions, admin_principal(sessions, organisation, as_email),
                             None if every else list(ids))
    click.echo(f"{count} dead letter(s) queued again")
