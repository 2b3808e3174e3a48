"""Harness for API tests: an app on a real database, organisations with a member
of every role (all with passwords), and synchronous httpx clients on the ASGI app."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from warden.auth.keys import generate_key
from warden.auth.passwords import Argon2Parameters, PasswordHasher
from warden.auth.throttle import InMemoryThrottleStore
from warden.settings import Settings
from warden.storage.database import session_factory
from warden.storage.tables import SocialAccount
from warden.web.app import create_app
from warden.workflow import drafts, organisations
from warden.workflow.loading import member_principal
from warden.workflow.principal import Principal

# Cheap hashing: these tests are about the API, not password cost.
HASHER = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1, allow_below_minimum=True))
PASSWORD = "Quartz-Lantern-Meadow-9172"
ROLES = ("admin", "approver", "approver2", "publisher", "contributor", "moderator", "auditor")
MEMBER_ROLES = {"approver": ("approver", "contributor"), "approver2": ("approver",), "publisher": ("publisher",),
                "contributor": ("contributor",), "moderator": ("moderator",), "auditor": ("auditor",)}
SAFE = {"GET", "HEAD", "OPTIONS"}
CLEAN = "Road closure: the A64 eastbound is closed. Please find another route."
RISKY = "Another idiot driver doing 90 in a 30."
BLOCKED = "PNC shows he has been stopped before."
WARN_PERSONAL = "Off my face after shift last night"


class Clock:
    """Real time plus an offset that tests move forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class Tenant:
    sessions: sessionmaker[Session]
    id: uuid.UUID
    slug: str
    team: uuid.UUID
    corporate: uuid.UUID
    personal: uuid.UUID
    member_ids: dict[str, uuid.UUID]

    def email(self, role: str) -> str:
        return f"{role}@{self.slug}.example.com"

    def principal(self, role: str) -> Principal:
        with self.sessions() as session:
            return replace(member_principal(session, self.member_ids[role]), authenticated_at=datetime.now(UTC))

    def draft(self, role: str, text: str, account: str = "corporate", submit: bool = True) -> uuid.UUID:
        """A draft by ``role`` made through the workflow (fast set-up for API tests)."""
        author = self.principal(role)
        draft_id = drafts.create_draft(self.sessions, author, team_id=self.team,
                                       account_ids=[getattr(self, account)], text=text)
        if submit:
            drafts.submit_draft(self.sessions, author, draft_id)
        return draft_id


def build_tenant(engine: Engine, slug: str) -> Tenant:
    sessions = session_factory(engine)
    org_id, admin_id = organisations.create_organisation(
        sessions, name=f"{slug.title()} Police", slug=slug, admin_email=f"admin@{slug}.example.com",
        admin_name="Ada Admin", admin_password=PASSWORD, hasher=HASHER)
    with sessions() as session:
        admin = member_principal(session, admin_id)
    team = organisations.create_team(sessions, admin, "Corporate comms")
    member_ids = {"admin": admin_id}
    for role, roles in MEMBER_ROLES.items():
        member_ids[role] = organisations.add_member(
            sessions, replace(admin, authenticated_at=datetime.now(UTC)), email=f"{role}@{slug}.example.com",
            display_name=f"{role.title()} {slug.title()}",
            password=PASSWORD, roles={team: roles}, hasher=HASHER)
    with sessions.begin() as session:
        corporate = SocialAccount(organisation_id=org_id, team_id=team, network="replay", handle=f"{slug}_police",
                                  account_type="corporate")
        personal = SocialAccount(organisation_id=org_id, team_id=team, network="replay", handle=f"{slug}_pc_jones",
                                 account_type="personal_officer")
        session.add_all([corporate, personal])
        session.flush()
        corporate_id, personal_id = corporate.id, personal.id
    return Tenant(sessions, org_id, slug, team, corporate_id, personal_id, member_ids)


class Client:
    """A synchronous face on ``httpx.AsyncClient`` + ``ASGITransport``; sends the CSRF token it was given."""

    def __init__(self, web: Web, address: str = "127.0.0.1") -> None:
        self.web = web
        transport = httpx.ASGITransport(app=web.app, client=(address, 123))
        self.http = httpx.AsyncClient(transport=transport, base_url="https://testserver")
        self.csrf: str | None = None

    def request(self, method: str, url: str, *, csrf: bool = True, headers: dict[str, str] | None = None,
                **options: Any) -> httpx.Response:
        sent = dict(headers or {})
        if csrf and self.csrf and method.upper() not in SAFE:
            sent.setdefault("X-CSRF-Token", self.csrf)
        return self.web.run(self.http.request(method, url, headers=sent, **options))

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)

    def delete(self, url: str, **options: Any) -> httpx.Response:
        return self.request("DELETE", url, **options)

    def login(self, tenant: Tenant, role: str, **extra: Any) -> httpx.Response:
        response = self.post("/api/v1/auth/login", json={"organisation": tenant.slug, "email": tenant.email(role),
                                                          "password": PASSWORD, **extra})
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response


@dataclass
class Web:
    engine: Engine
    settings: Settings
    clock: Clock = field(default_factory=Clock)
    runner: asyncio.Runner = field(default_factory=asyncio.Runner)
    clients: list[Client] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = InMemoryThrottleStore(clock=self.clock)
        self.app = create_app(self.settings, self.engine, hasher=HASHER, clock=self.clock, throttle_store=self.store)

    def run(self, awaitable: Any) -> Any:
        return self.runner.run(awaitable)

    def client(self, address: str = "127.0.0.1") -> Client:
        """A new browser (its own cookies), connecting from ``address``."""
        client = Client(self, address)
        self.clients.append(client)
        return client

    def signed_in(self, tenant: Tenant, role: str) -> Client:
        client = self.client()
        response = client.login(tenant, role)
        assert response.status_code == 200, response.text
        return client

    def close(self) -> None:
        for client in self.clients:
            self.run(client.http.aclose())
        self.runner.close()


def api_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"environment": "production", "secret_key": SecretStr(generate_key()),
                              "credential_keys": SecretStr(generate_key()), "cookie_secure": True}
    values.update(overrides)
    return Settings(**values)


def latest_session_id(tenant: Tenant, role: str) -> str:
    from warden.storage.tables import Session as SessionRow

    with tenant.sessions() as session:
        return session.execute(select(SessionRow.id).where(SessionRow.member_id == tenant.member_ids[role])
                               .order_by(SessionRow.created_at.desc())).scalars().first()  # type: ignore[return-value]
