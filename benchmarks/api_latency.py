"""API latency and throughput at N concurrent clients against a real ``warden serve`` process.

For each database (``--database``, repeatable; SQLite in a temporary file by default):

1. a fresh schema is migrated and seeded by bulk insert (SQLAlchemy Core ``executemany``, not the API,
   so that seeding 100,000 rows takes seconds): one organisation, 4 teams, 20 accounts, one member per
   client (moderator, contributor and auditor in every team), ``--messages`` inbound messages each with
   its stored decision and its case (one message per case), a tenth as many drafts, as many audit entries
   as messages (a real hash chain), and a signed-in session per client;
2. ``warden serve`` (uvicorn, one process, the shipped settings) is started on that database;
3. ``--clients`` clients (``httpx.AsyncClient``, one connection each) run the reads for ``--duration``
   seconds, then the writes for ``--duration`` seconds, after a short warm-up:

   reads   GET /cases (the queue), GET /cases/{id}, GET /cases?account_id= (an account's messages: the API
           lists them through their cases; there is no separate list route), GET /drafts, GET /audit
   writes  POST /drafts, POST /drafts/{id}/submit (runs the risk engine), POST /cases/{id}/assign,
           POST /cases/{id}/actions (escalate)

The table gives, per operation, the requests completed, requests per second, p50/p95/p99 latency in
milliseconds as the clients saw it, and errors (any answer other than the expected status). The client
and the server share the machine's CPUs: the figures are for the whole box.

    python benchmarks/api_latency.py --messages 100000 --clients 50 --duration 20 \\
        --database sqlite --database postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

from warden.audit import Actor, ActorKind, AuditObject, canonical_json, next_entry
from warden.auth.keys import generate_key
from warden.auth.passwords import PasswordHasher
from warden.auth.tokens import issue_session
from warden.storage.database import make_engine, migrate
from warden.storage.tables import (
    AuditEntryRow,
    Case,
    DecisionRow,
    Draft,
    Member,
    Membership,
    Message,
    Organisation,
    SocialAccount,
    Team,
)
from warden.storage.tables import Session as SessionRow

API = "/api/v1"
BATCH = 5_000
TEAMS, ACCOUNTS_PER_TEAM = 4, 5
CASE_STATES = ["new"] * 6 + ["assigned"] * 2 + ["actioned", "closed"]
DRAFT_STATES = ["draft", "allowed", "allowed", "held", "warned", "approved", "scheduled", "rejected"]
TEXTS = ["Road closure on the A64 eastbound, find another route.", "Thanks for your help finding the dog!",
         "Why did nobody come when I called about the burglary?", "Great work by the neighbourhood team today.",
         "You lot are useless, three hours waiting for a call back.", "Is the station open on Sunday?"]
READS = ("GET /cases (queue)", "GET /cases/{id}", "GET /cases?account_id= (an account's messages)",
         "GET /drafts", "GET /audit")
WRITES = ("POST /drafts", "POST /drafts/{id}/submit", "POST /cases/{id}/assign", "POST /cases/{id}/actions")


# ----------------------------------------------------------------------------------- the database

@dataclass
class Seeded:
    url: str
    org_id: uuid.UUID
    teams: list[uuid.UUID]
    accounts: list[uuid.UUID]
    members: list[uuid.UUID]
    sessions: list[str]
    cases_by_client: list[list[tuple[uuid.UUID, int]]]
    case_ids: list[uuid.UUID]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@contextmanager
def database(spec: str, workdir: Path) -> Iterator[tuple[str, Engine]]:
    """A fresh, migrated database: a SQLite file, or a schema of its own in the PostgreSQL database."""
    if spec == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        engine = make_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(spec)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(spec).set(query={"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _bulk(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(table), rows[start:start + BATCH])


def seed(engine: Engine, url: str, messages: int, clients: int, rng: random.Random) -> Seeded:
    began = time.perf_counter()
    migrate(engine)
    now = datetime.now(UTC)
    org_id = uuid.uuid4()
    _bulk(engine, Organisation, [{"id": org_id, "slug": "bench", "name": "Bench Police", "mfa_required": False,
                                  "locked_down": False, "lockdown_reason": None, "election_period": False,
                                  "created_at": now}])
    teams = [uuid.uuid4() for _ in range(TEAMS)]
    _bulk(engine, Team, [{"id": t, "organisation_id": org_id, "name": f"Team {n}", "created_at": now}
                         for n, t in enumerate(teams)])
    password = PasswordHasher().hash(secrets.token_urlsafe(16))  # nobody signs in with it: sessions are seeded
    members = [uuid.uuid4() for _ in range(clients)]
    _bulk(engine, Member, [{"id": m, "organisation_id": org_id, "email": f"member{n}@bench.example.com",
                            "display_name": f"Member {n}", "password_hash": password, "totp_secret": None,
                            "totp_last_step": None, "sso_subject": None, "status": "active", "created_at": now,
                            "removed_at": None} for n, m in enumerate(members)])
    _bulk(engine, Membership, [{"id": uuid.uuid4(), "organisation_id": org_id, "member_id": m, "team_id": t,
                                "role": role} for m in members for t in teams
                               for role in ("moderator", "contributor", "auditor")])
    accounts = [uuid.uuid4() for _ in range(TEAMS * ACCOUNTS_PER_TEAM)]
    _bulk(engine, SocialAccount, [{"id": a, "organisation_id": org_id, "team_id": teams[n % TEAMS],
                                   "network": "replay", "handle": f"bench_{n}", "display_name": f"Bench {n}",
                                   "account_type": "corporate" if n % 3 else "neighbourhood",
                                   "health": "healthy", "health_detail": "", "credentials": None,
                                   "settings": {}, "created_at": now} for n, a in enumerate(accounts)])

    def decision(subject_kind: str, subject_id: uuid.UUID, direction: str, action: str, at: datetime
                 ) -> dict[str, Any]:
        return {"id": uuid.uuid4(), "organisation_id": org_id, "subject_kind": subject_kind,
                "subject_id": subject_id, "direction": direction, "account_type": "corporate", "action": action,
                "categories": [], "reasons": [], "findings": [], "scores": {"abuse": 0.1},
                "policy_revision": "bench", "detector_versions": {"bench": "1"}, "created_at": at}

    decisions: list[dict[str, Any]] = []
    message_rows: list[dict[str, Any]] = []
    case_rows: list[dict[str, Any]] = []
    for n in range(messages):
        at = now - timedelta(seconds=rng.randrange(90 * 86400))
        account = accounts[rng.randrange(len(accounts))]
        message_id, thread = uuid.uuid4(), f"thread-{n}"
        made = decision("message", message_id, "inbound", rng.choice(["no_action", "review", "escalate_urgent"]), at)
        decisions.append(made)
        message_rows.append({"id": message_id, "organisation_id": org_id, "account_id": account,
                             "network_id": f"n-{n}", "thread_key": thread, "kind": "reply",
                             "author_handle": f"@person{n % 5000}", "author_name": "", "text": rng.choice(TEXTS),
                             "in_reply_to": None, "sent_at": at, "received_at": at, "decision_id": made["id"],
                             "hidden": False})
        state = rng.choice(CASE_STATES)
        case_rows.append({"id": uuid.uuid4(), "organisation_id": org_id, "account_id": account, "thread_key": thread,
                          "state": state, "severity": rng.choice([0, 0, 1, 1, 2, 3, 4]),
                          "assignee_id": members[n % clients] if state != "new" else None,
                          "sla_due_at": at + timedelta(hours=4), "version": 1, "opened_at": at, "updated_at": at,
                          "closed_at": at if state == "closed" else None})
    draft_rows: list[dict[str, Any]] = []
    for n in range(messages // 10):
        at = now - timedelta(seconds=rng.randrange(90 * 86400))
        draft_id, team = uuid.uuid4(), rng.randrange(TEAMS)
        made = decision("draft", draft_id, "outbound", "allow", at)
        decisions.append(made)
        draft_rows.append({"id": draft_id, "organisation_id": org_id, "team_id": teams[team],
                           "author_id": members[n % clients],
                           "account_ids": [str(accounts[team + TEAMS * rng.randrange(ACCOUNTS_PER_TEAM)])],
                           "text": rng.choice(TEXTS), "state": rng.choice(DRAFT_STATES), "version": 2,
                           "decision_id": made["id"], "acknowledged_at": None, "scheduled_for": None,
                           "created_at": at, "updated_at": at})
    _bulk(engine, DecisionRow, decisions)
    _bulk(engine, Message, message_rows)
    _bulk(engine, Case, case_rows)
    _bulk(engine, Draft, draft_rows)

    audit_rows: list[dict[str, Any]] = []
    head = None
    start = now - timedelta(days=90)
    step = timedelta(days=90) / max(messages, 1)
    for n in range(messages):
        member = members[n % clients]
        case = case_rows[n]
        entry = next_entry(head, organisation_id=str(org_id), actor=Actor(id=str(member), name=f"Member {n % clients}",
                                                                          kind=ActorKind.MEMBER),
                           action=rng.choice(["case.opened", "case.assigned", "case.actioned", "draft.created"]),
                           object=AuditObject(type="case", id=str(case["id"]), name=case["thread_key"]),
                           occurred_at=start + step * n)
        head = entry
        audit_rows.append({"organisation_id": org_id, "seq": entry.seq, "occurred_at": entry.occurred_at,
                           "action": entry.action, "actor_id": entry.actor.id, "object_type": entry.object.type,
                           "object_id": entry.object.id, "entry_hash": entry.entry_hash,
                           "body": canonical_json(entry.to_dict()).decode("utf-8")})
    _bulk(engine, AuditEntryRow, audit_rows)

    cookies: list[str] = []
    session_rows: list[dict[str, Any]] = []
    for member in members:
        issued = issue_session()
        cookies.append(issued.session_id.reveal())
        session_rows.append({"id": issued.digest, "organisation_id": org_id, "member_id": member, "created_at": now,
                             "last_seen_at": now, "authenticated_at": now, "mfa_at": None,
                             "expires_at": now + timedelta(hours=12), "revoked_at": None,
                             "csrf_secret": "hmac-sha256-v1", "user_agent": "bench", "ip": "127.0.0.1",
                             "method": "password"})
    _bulk(engine, SessionRow, session_rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))

    open_cases = [c for c in case_rows if c["state"] != "closed"]
    by_client: list[list[tuple[uuid.UUID, int]]] = [[] for _ in range(clients)]
    for n, case in enumerate(open_cases):
        by_client[n % clients].append((case["id"], 1))
    return Seeded(url=url, org_id=org_id, teams=teams, accounts=accounts, members=members, sessions=cookies,
                  cases_by_client=by_client, case_ids=[c["id"] for c in case_rows],
                  counts={"messages": messages, "cases": messages, "decisions": len(decisions),
                          "drafts": len(draft_rows), "audit entries": messages, "accounts": len(accounts),
                          "members": clients},
                  seconds=time.perf_counter() - began)


# ------------------------------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_errors(log: Path, limit: int = 5) -> list[str]:
    """The distinct exceptions the server logged (the last line of each traceback)."""
    found: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout|Locked)[\w]*: ", line) and line not in found:
            found.append(line[:300])
    return found[:limit]


@contextmanager
def server(url: str, workdir: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "WARDEN_SECRET_KEY": generate_key(), "WARDEN_CREDENTIAL_KEYS": generate_key(),
           "WARDEN_COOKIE_SECURE": "false", "WARDEN_ENVIRONMENT": "production"}
    log = (workdir / f"server-{port}.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "warden", "serve", "--database", url, "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"warden serve exited ({process.returncode}); see {log.name}")
            try:
                if httpx.get(f"{base}{API}/auth/session", timeout=2).status_code == 401:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("warden serve did not start within 120 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# ------------------------------------------------------------------------------------ the clients

@dataclass
class Client:
    index: int
    http: httpx.AsyncClient
    csrf: str
    member: uuid.UUID
    cases: list[tuple[uuid.UUID, int]]
    rng: random.Random


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, str] = {}

    async def call(self, name: str, client: Client, method: str, path: str, expect: int, **options: Any
                   ) -> httpx.Response | None:
        headers = {"X-CSRF-Token": client.csrf} if method != "GET" else {}
        began = time.perf_counter()
        try:
            response = await client.http.request(method, path, headers=headers, **options)
        except httpx.HTTPError as exc:
            self.errors[name] += 1
            self.samples.setdefault(name, repr(exc))
            return None
        self.latencies[name].append(time.perf_counter() - began)
        if response.status_code != expect:
            self.errors[name] += 1
            self.samples.setdefault(name, f"{response.status_code} {response.text[:200]}")
            return None
        return response


async def read_once(client: Client, seeded: Seeded, rec: Recorder, step: int) -> None:
    rng = client.rng
    name = READS[step % len(READS)]
    if name.startswith("GET /cases (queue)"):
        await rec.call(name, client, "GET", f"{API}/cases", 200, params={"limit": "50"})
    elif name == "GET /cases/{id}":
        await rec.call(name, client, "GET", f"{API}/cases/{rng.choice(seeded.case_ids)}", 200)
    elif name.startswith("GET /cases?account_id"):
        await rec.call(name, client, "GET", f"{API}/cases", 200,
                       params={"account_id": str(rng.choice(seeded.accounts)), "limit": "50"})
    elif name == "GET /drafts":
        await rec.call(name, client, "GET", f"{API}/drafts", 200, params={"limit": "50"})
    else:
        await rec.call(name, client, "GET", f"{API}/audit", 200, params={"limit": "50", "action": "case."})


async def write_once(client: Client, seeded: Seeded, rec: Recorder, step: int) -> None:
    rng = client.rng
    phase = step % 3
    if phase == 0:
        team = rng.randrange(TEAMS)
        account = seeded.accounts[team + TEAMS * rng.randrange(ACCOUNTS_PER_TEAM)]
        made = await rec.call("POST /drafts", client, "POST", f"{API}/drafts", 201, json={
            "team_id": str(seeded.teams[team]), "account_ids": [str(account)], "text": rng.choice(TEXTS)})
        if made is not None:
            await rec.call("POST /drafts/{id}/submit", client, "POST", f"{API}/drafts/{made.json()['id']}/submit",
                           200, json={})
        return
    if not client.cases:
        return
    slot = rng.randrange(len(client.cases))
    case_id, version = client.cases[slot]
    if phase == 1:
        answer = await rec.call("POST /cases/{id}/assign", client, "POST", f"{API}/cases/{case_id}/assign", 200,
                                json={"assignee_id": str(client.member), "expected_version": version})
    else:
        answer = await rec.call("POST /cases/{id}/actions", client, "POST", f"{API}/cases/{case_id}/actions", 200,
                                json={"action": "escalate", "expected_version": version,
                                      "reason": "Benchmark escalation"})
    if answer is not None:
        client.cases[slot] = (case_id, answer.json()["version"])


async def run_phase(clients: list[Client], seeded: Seeded, work: Any, seconds: float, rec: Recorder) -> float:
    stop = time.perf_counter() + seconds

    async def loop(client: Client) -> None:
        step = client.index
        while time.perf_counter() < stop:
            await work(client, seeded, rec, step)
            step += 1

    began = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in clients))
    return time.perf_counter() - began


async def measure(base: str, seeded: Seeded, duration: float, warmup: float) -> dict[str, tuple[Recorder, float]]:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(120.0)
    clients: list[Client] = []
    for n, (cookie, member) in enumerate(zip(seeded.sessions, seeded.members, strict=True)):
        http = httpx.AsyncClient(base_url=base, cookies={"warden_session": cookie}, limits=limits, timeout=timeout)
        me = await http.get(f"{API}/auth/session")
        me.raise_for_status()
        clients.append(Client(n, http, me.json()["csrf_token"], member, seeded.cases_by_client[n],
                              random.Random(n)))
    try:
        warm = Recorder()
        await write_once(clients[0], seeded, warm, 0)  # loads the risk engine and its models in the server
        await run_phase(clients, seeded, read_once, warmup, warm)
        results: dict[str, tuple[Recorder, float]] = {}
        for label, work in (("reads", read_once), ("writes", write_once)):
            rec = Recorder()
            results[label] = (rec, await run_phase(clients, seeded, work, duration, rec))
        return results
    finally:
        await asyncio.gather(*(c.http.aclose() for c in clients))


# --------------------------------------------------------------------------------------- the table

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(label: str, seeded: Seeded, results: dict[str, tuple[Recorder, float]], clients: int,
           duration: float) -> None:
    counts = ", ".join(f"{v:,} {k}" for k, v in seeded.counts.items())
    print(f"\n== {label}: {clients} concurrent clients, {duration:g} s per phase, 1 `warden serve` process "
          f"(uvicorn), {os.cpu_count()} CPUs shared by clients and server")
    print(f"   seeded by bulk insert (SQLAlchemy Core executemany, not through the API) in {seeded.seconds:.1f} s: "
          f"{counts}")
    header = f"   {'phase':7} {'operation':48} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} " \
             f"{'p99 ms':>8} {'errors':>7}"
    print(header)
    print("   " + "-" * (len(header) - 3))
    for phase, (rec, elapsed) in results.items():
        names = READS if phase == "reads" else WRITES
        every: list[float] = []
        for name in names:
            values = [v * 1000 for v in rec.latencies.get(name, [])]
            every += values
            print(f"   {phase:7} {name:48} {len(values):9,} {len(values) / elapsed:8.1f} {percentile(values, 50):8.1f} "
                  f"{percentile(values, 95):8.1f} {percentile(values, 99):8.1f} {rec.errors.get(name, 0):7,}")
        print(f"   {phase:7} {'all ' + phase:48} {len(every):9,} {len(every) / elapsed:8.1f} "
              f"{percentile(every, 50):8.1f} {percentile(every, 95):8.1f} {percentile(every, 99):8.1f} "
              f"{sum(rec.errors.values()):7,}")
        for name, sample in rec.samples.items():
            print(f"   ! {name}: first error: {sample}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="inbound messages (and cases) to seed")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase (reads, then writes)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of unmeasured reads first")
    parser.add_argument("--database", action="append", default=None,
                        help="'sqlite' (a temporary file) or a PostgreSQL URL (a schema of its own is made and "
                             "dropped); repeat for several. Default: sqlite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    specs = args.database or ["sqlite"]
    print(f"python {' '.join(sys.argv)}")
    for spec in specs:
        with tempfile.TemporaryDirectory(prefix="warden-bench-") as tmp, database(spec, Path(tmp)) as (url, engine):
            label = "SQLite" if spec == "sqlite" else "PostgreSQL"
            seeded = seed(engine, url, args.messages, args.clients, random.Random(args.seed))
            engine.dispose()
            with server(url, Path(tmp)) as base:
                results = asyncio.run(measure(base, seeded, args.duration, args.warmup))
            report(label, seeded, results, args.clients, args.duration)
            for line in server_errors(next(Path(tmp).glob("server-*.log"))):
                print(f"   ! server logged: {line}")


if __name__ == "__main__":
    main()
