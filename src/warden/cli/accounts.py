"""``warden accounts add|list|connect``: social accounts from the server.

The command acts as an admin of the organisation (``--as``, default its
first admin), so the audit log names who did it. Network secrets are read
from a JSON file, never from the command line (which shells keep in history).
"""

from __future__ import annotations

import contextlib
import json
import secrets as tokens
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import click
import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from warden.auth.redaction import Secret
from warden.cli.database import database_option
from warden.connectors.oauth import ConnectFailed
from warden.connectors.replay import check_file
from warden.domain.enums import AccountType
from warden.domain.errors import InvalidInput
from warden.settings import get_settings
from warden.storage.database import make_engine, migrate, session_factory
from warden.storage.tables import Member, Membership, Organisation, SocialAccount, Team
from warden.web.state import credential_cipher, secret_key
from warden.workflow import accounts, connecting
from warden.workflow.loading import member_principal
from warden.workflow.principal import Principal


def admin_principal(sessions: sessionmaker[Session], organisation: str | None, email: str | None) -> Principal:
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
    principal = admin_principal(sessions, organisation, as_email)
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


#: Where networks send the browser back (``web.api.connect``'s callback route).
CALLBACK_PATH = "/api/v1/accounts/connect/callback"


def _account_id(sessions: sessionmaker[Session], principal: Principal, which: str) -> uuid.UUID:
    named = SocialAccount.handle == which
    with contextlib.suppress(ValueError):  # not an id: a handle only
        named = or_(named, SocialAccount.id == uuid.UUID(which))
    with sessions() as session:
        found = session.execute(select(SocialAccount.id).where(
            SocialAccount.organisation_id == principal.organisation_id, named)).scalars().all()
    if len(found) != 1:
        raise InvalidInput(f"no account {which!r}" if not found else
                           f"several accounts are called {which!r}: give the id (`warden accounts list`)")
    return found[0]


@accounts_group.command("connect")
@database_option
@click.argument("account")
@click.option("--organisation", default=None, help="Organisation slug (needed when there are several).")
@click.option("--as", "as_email", default=None, help="Admin to act as (default: the first admin).")
@click.option("--public-url", default=None, help="Warden's address as browsers see it (default: the "
              "public_url setting); the network sends the browser to <public-url>" + CALLBACK_PATH + ".")
@click.option("--client-id", default=None, help="The organisation's app id at the network (X, Meta).")
@click.option("--client-secret-file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A file holding the app's secret (never on the command line).")
def connect_command(database_url: str, account: str, organisation: str | None, as_email: str | None,
                    public_url: str | None, client_id: str | None, client_secret_file: Path | None) -> None:
    """Connect ACCOUNT (handle or id) with the network's OAuth flow.

    Prints the address to open in a browser. If the browser comes back to a running Warden where
    the same admin is signed in, Warden finishes there; otherwise paste the address the browser
    was sent back to (the page may fail to load: copy it from the address bar)."""
    base = public_url or get_settings().public_url
    if not base:
        raise click.UsageError("give --public-url (or set WARDEN_PUBLIC_URL): the network needs the address to "
                               "send the browser back to")
    secret = Secret(client_secret_file.read_text().strip()) if client_secret_file is not None else None
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    principal = admin_principal(sessions, organisation, as_email)
    account_id = _account_id(sessions, principal, account)
    app_settings = get_settings()
    cipher = credential_cipher(app_settings, secret_key(app_settings))
    binding = tokens.token_urlsafe(32)  # this command stands in for the browser
    try:
        with httpx.Client(timeout=connecting.NETWORK_TIMEOUT, follow_redirects=False) as http:
            url = connecting.begin_connect(sessions, principal, cipher, http, account_id=account_id,
                                           redirect_uri=base.rstrip("/") + CALLBACK_PATH, browser_binding=binding,
                                           client_id=client_id, client_secret=secret)
            click.echo(f"Open this address in a browser and authorise the account:\n\n  {url}\n")
            answer = click.prompt("Then paste the address the browser was sent back to (or press Enter if "
                                  "Warden finished it)", default="", show_default=False).strip()
            if not answer:
                click.echo("not finished here: `warden accounts list` shows whether the account is connected")
                return
            params = dict(parse_qsl(urlsplit(answer).query))
            done = connecting.complete_connect(sessions, cipher, http, params=params, browser_binding=binding,
                                               caller_member_id=principal.member_id)
    except ConnectFailed as error:
        raise click.ClickException(error.message) from None
    click.echo(f"connected {done.network} account {account} ({done.account_id})")
