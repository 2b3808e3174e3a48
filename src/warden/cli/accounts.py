"""``warden accounts add|list``: connect social accounts from the server.

The command acts as an admin of the organisation (``--as``, default its
first admin), so the audit log names who did it. Network secrets are read
from a JSON file, never from the command line (which shells keep in history).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from warden.auth.redaction import Secret
from warden.cli.database import database_option
from warden.connectors.replay import check_file
from warden.domain.enums import AccountType
from warden.domain.errors import InvalidInput
from warden.settings import get_settings
from warden.storage.database import make_engine, migrate, session_factory
from warden.storage.tables import Member, Membership, Organisation, SocialAccount, Team
from warden.web.state import credential_cipher, secret_key
from warden.workflow import accounts
from warden.workflow.loading import member_principal
from warden.workflow.principal import Principal


def _admin(sessions: sessionmaker[Session], organisation: str | None, email: str | None) -> Principal:
    with sessions() as session:
        orgs = session.execute(select(Organisation).order_by(Organisation.created_at)).scalars().all()
        if organisation:
            orgs = [o for o in orgs if o.slug == organisation]
        if not orgs:
            raise InvalidInput(f"no organisation {organisation!r}" if organisation else
                               "no organisation yet: run `warden init` first")
        if len(orgs) > 1:
            raise InvalidInput("several organisations: name one with --organisation SLUG")
        query = (select(Member).join(Membership, Membership.member_id == Member.id)
                 .where(Member.organisation_id == orgs[0].id, Member.status == "active", Membership.role == "admin")
                 .order_by(Member.created_at))
        if email:
            query = query.where(Member.email == email.lower())
        admin = session.execute(query).scalars().first()
        if admin is None:
            raise InvalidInput(f"no active admin {email or ''} in {orgs[0].slug}".replace("  ", " "))
        principal = member_principal(session, admin.id)
    return Principal(organisation_id=principal.organisation_id, name=f"{principal.name} (command line)",
                     kind=principal.kind, member_id=principal.member_id, roles=principal.roles)


@click.group("accounts")
def accounts_group() -> None:
    """Social media accounts."""


@accounts_group.command("add")
@database_option
@click.option("--network", required=True, type=click.Choice(accounts.NETWORKS))
@click.option("--handle", required=True)
@click.option("--type", "account_type", default="corporate", show_default=True,
              type=click.Choice([a.value for a in AccountType]))
@click.option("--team", "team_name", default=None, help="Team name (default: the organisation's first team).")
@click.option("--organisation", default=None, help="Organisation slug (needed when there are several).")
@click.option("--as", "as_email", default=None, help="Admin to act as (default: the first admin).")
@click.option("--file", "replay_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Replay: the JSONL file of messages.")
@click.option("--speed", type=click.FloatRange(0, 100_000), default=None,
              help="Replay: messages per second (0: as fast as fetched).")
@click.option("--setting", "pairs", multiple=True, metavar="KEY=VALUE",
              help="A network setting, e.g. base_url=https://mastodon.example (repeatable).")
@click.option("--credentials-file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="JSON object of the network's secrets (tokens, app secrets); stored encrypted.")
def add_command(database_url: str, network: str, handle: str, account_type: str, team_name: str | None,
                organisation: str | None, as_email: str | None, replay_file: Path | None, speed: float | None,
                pairs: tuple[str, ...], credentials_file: Path | None) -> None:
    """Add an account; a replay account starts fetching at once."""
    settings: dict[str, str | float] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--setting")
        settings[key.strip()] = value.strip()
    if network == "replay":
        if replay_file is None:
            raise click.BadParameter("a replay account needs --file", param_hint="--file")
        problems = check_file(replay_file)
        if problems:
            shown = "\n  ".join(problems[:20])
            raise click.ClickException(f"{replay_file} has {len(problems)} bad line(s):\n  {shown}")
        settings["file"] = str(replay_file)
        if speed is not None:
            settings["speed"] = speed
    secrets: bytes | None = None
    if credentials_file is not None:
        secrets = credentials_file.read_bytes()
        try:
            if not isinstance(json.loads(secrets), dict):
                raise ValueError
        except ValueError:
            raise click.ClickException(f"{credentials_file} must hold a JSON object") from None
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    principal = _admin(sessions, organisation, as_email)
    with sessions() as session:
        query = select(Team).where(Team.organisation_id == principal.organisation_id).order_by(Team.created_at)
        if team_name:
            query = query.where(Team.name == team_name)
        team = session.execute(query).scalars().first()
    if team is None:
        raise InvalidInput(f"no team {team_name!r}" if team_name else "the organisation has no team yet")
    account_id = accounts.add_account(sessions, principal, team_id=team.id, network=network, handle=handle,
                                      account_type=account_type, settings=settings, files_allowed=True)
    if secrets is not None:
        app_settings = get_settings()
        accounts.set_credentials(sessions, principal, account_id, Secret(secrets),
                                 credential_cipher(app_settings, secret_key(app_settings)))
    click.echo(f"added {network} account {handle} ({account_type}, team {team.name}) id {account_id}")


@accounts_group.command("list")
@database_option
def list_command(database_url: str) -> None:
    """Every account with its health."""
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        rows = session.execute(select(SocialAccount.network, SocialAccount.handle, SocialAccount.account_type,
                                      SocialAccount.health, SocialAccount.id)
                               .order_by(SocialAccount.network, SocialAccount.handle)).all()
    for network, handle, account_type, health, account_id in rows:
        click.echo(f"{network:10} {handle:30} {account_type:17} {health:13} {account_id}")
