"""A demo organisation that looks alive: Northshire Police (invented), a member
for every role, two replay accounts fed from the bundled feeds (a backlog at
once, then a message every few seconds), the people in active proceedings
that the feeds talk about, and drafts waiting in every state.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from warden.auth.passwords import PasswordHasher
from warden.storage.database import session_factory
from warden.workflow import accounts, drafts, organisations, policies
from warden.workflow.loading import member_principal
from warden.workflow.principal import Principal

SLUG = "northshire"
ROLES = ("admin", "approver", "publisher", "contributor", "moderator", "auditor")
FEEDS = (("NorthshirePolice", "corporate", "inbound_corporate.jsonl", 60),
         ("NorthshireNPT_Eastgate", "neighbourhood", "inbound_neighbourhood.jsonl", 20))
SPEED = 0.5  # messages per second per account after the backlog
PROCEEDINGS = ("Jason Tulley", "Kim Rowsell", "Wayne Marsh")
DRAFTS = (
    ("contributor", "Road closure: the A64 eastbound is closed between Tadcaster and York after a collision. "
                    "Please find another route and allow extra time."),
    ("contributor", "Another idiot driver doing 90 in a 30 on Millbrook Road this morning. Unbelievable."),
    ("contributor", "Wayne Marsh, 41, of Eastgate has been charged and we all know he did it."),
    ("publisher", "Join us at Eastgate library on Tuesday at 7pm to meet your neighbourhood team."),
    ("contributor", "PNC shows the driver has been stopped before, so expect more news soon."),
)


@dataclass(frozen=True)
class Demo:
    organisation_id: uuid.UUID
    slug: str
    password: str
    logins: dict[str, str]  # role -> email
    feeds: list[Path]


def demo_password() -> str:
    return f"Northshire-{secrets.token_hex(3)}-{secrets.token_hex(3)}"


def _shifted_feed(source: str, target: Path, backlog: int, now: datetime) -> None:
    """The bundled feed with its times moved so the backlog happened in the
    last three hours and the rest arrives from now at the demo's speed."""
    lines = resources.files("warden.demo").joinpath(source).read_text("utf-8").splitlines()
    with target.open("w", encoding="utf-8") as handle:
        for n, line in enumerate(lines):
            record = json.loads(line)
            when = now - timedelta(hours=3) * (backlog - n) / backlog if n < backlog else \
                now + timedelta(seconds=(n - backlog) / SPEED)
            record["created_at"] = when.isoformat()
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def seed(engine: Engine, directory: Path, hasher: PasswordHasher, password: str | None = None) -> Demo:
    """Create the demo organisation in a freshly migrated database."""
    sessions: sessionmaker[Session] = session_factory(engine)
    password = password or demo_password()
    now = datetime.now(UTC)
    org_id, admin_id = organisations.create_organisation(
        sessions, name="Northshire Police (demo)", slug=SLUG, admin_email=f"admin@{SLUG}.example",
        admin_name="Avery Admin", admin_password=password, hasher=hasher)
    with sessions() as session:
        admin = member_principal(session, admin_id)
    corporate_team = organisations.create_team(sessions, admin, "Corporate communications")
    local_team = organisations.create_team(sessions, admin, "Eastgate neighbourhood team")
    teams = {"corporate": corporate_team, "neighbourhood": local_team}
    logins = {"admin": f"admin@{SLUG}.example"}
    members: dict[str, Principal] = {"admin": admin}
    signed_in = replace(admin, authenticated_at=datetime.now(UTC))  # adding members is a step-up action
    for role in ROLES[1:]:
        email = f"{role}@{SLUG}.example"
        roles = ("approver", "contributor") if role == "approver" else (role,)
        member_id = organisations.add_member(
            sessions, signed_in, email=email, display_name=f"{role.title()} (demo)", password=password,
            roles={team: roles for team in teams.values()}, hasher=hasher)
        with sessions() as session:
            members[role] = member_principal(session, member_id)
        logins[role] = email
    for name in PROCEEDINGS:
        policies.add_register_entry(sessions, admin, "active_proceedings", name)
    directory.mkdir(parents=True, exist_ok=True)
    feeds, account_ids = [], {}
    for handle, kind, source, backlog in FEEDS:
        feed = directory / f"{handle}.jsonl"
        _shifted_feed(source, feed, backlog, now)
        feeds.append(feed)
        account_ids[kind] = accounts.add_account(
            sessions, admin, team_id=teams[kind], network="replay", handle=handle,
            account_type="corporate" if kind == "corporate" else "neighbourhood",
            settings={"file": str(feed), "speed": SPEED, "backlog": backlog}, files_allowed=True)
    for role, text in DRAFTS:
        author = members[role]
        draft_id = drafts.create_draft(sessions, author, team_id=corporate_team,
                                       account_ids=[account_ids["corporate"]], text=text)
        drafts.submit_draft(sessions, author, draft_id)
    return Demo(org_id, SLUG, password, logins, feeds)
