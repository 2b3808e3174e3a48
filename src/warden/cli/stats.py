"""``warden stats``: counts for operators and scripts."""

from __future__ import annotations

import json

import click
from sqlalchemy import func, select

from warden.cli.database import database_option
from warden.storage.database import make_engine, session_factory
from warden.storage.tables import AuditEntryRow, Case, Draft, Member, Message, SocialAccount
from warden.storage.work_tables import InboxItem, OutboxPost


@click.command("stats")
@database_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def stats_command(database_url: str, as_json: bool) -> None:
    """Members, accounts, drafts by state, messages, cases by state, audit entries, inbox and outbox by state."""
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        def count(model: type) -> int:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())

        def by_state(model: type[Draft] | type[Case] | type[InboxItem] | type[OutboxPost]) -> dict[str, int]:
            rows = session.execute(select(model.state, func.count()).group_by(model.state)).all()
            return {state: int(n) for state, n in sorted(rows)}

        stats = {
            "members": int(session.execute(select(func.count()).select_from(Member)
                                           .where(Member.status == "active")).scalar_one()),
            "accounts": count(SocialAccount),
            "drafts": by_state(Draft),
            "messages": count(Message),
            "cases": by_state(Case),
            "audit_entries": count(AuditEntryRow),
            "inbox": by_state(InboxItem),  # pending items wait to be filed; dead letters need a person
            "outbox": by_state(OutboxPost),  # unconfirmed posts need a person to settle them
        }
    engine.dispose()
    if as_json:
        click.echo(json.dumps(stats, sort_keys=True))
    else:
        for key, value in stats.items():
            click.echo(f"{key:<14} {value}")
