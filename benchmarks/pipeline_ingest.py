"""Sustained ingest: messages fetched, stored, scored and filed into cases per
second, and arrival-to-case latency, through the real pipeline.

Two runs per configuration:
  throughput  every message is available at once; messages/s until all are filed
  latency     messages arrive at a steady rate (--rate, below capacity); the
              time from a message becoming available to its case being written

Configurations: SQLite with the pipeline in one process (the embedded default),
and PostgreSQL with 1 and 2 `warden worker` processes (row leases; add
--broker redis://127.0.0.1:6379/0 to dispatch through Dramatiq instead).

    .venv/bin/python benchmarks/pipeline_ingest.py [--messages 20000] [--rate 300]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--broker URL]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from warden.auth.passwords import Argon2Parameters, PasswordHasher
from warden.storage.database import make_engine, migrate, session_factory
from warden.storage.tables import Message, Team
from warden.storage.work_tables import AccountSync
from warden.workflow import accounts, organisations
from warden.workflow.loading import member_principal

TEXTS = ["When does the A64 reopen?", "You lot are a disgrace, useless idiots", "Thanks for the quick response",
         "I know where you live and I will find you", "Lost dog near the park, brown spaniel",
         "Is the front counter open on Sunday?", "Someone is breaking into cars on Elm Road right now",
         "Great work by the team at the weekend", "Why was nobody arrested? Absolute joke", "Happy to help"]
HASHER = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1, allow_below_minimum=True))


def write_feed(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            handle.write(json.dumps({"id": f"m{n}", "text": f"{TEXTS[n % len(TEXTS)]} #{n}",
                                     "author": f"@resident{n % 997}", "kind": "reply",
                                     "in_reply_to": f"post{n % 200}"}) + "\n")


def prepare(url: str, feed: Path, rate: float) -> None:
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    org_id, admin_id = organisations.create_organisation(
        sessions, name="Bench Police", slug=f"bench{uuid.uuid4().hex[:6]}", admin_email="admin@bench.example",
        admin_name="Admin", admin_password="Quartz-Lantern-Meadow-9172", hasher=HASHER)
    with sessions() as session:
        admin = member_principal(session, admin_id)
        team = session.execute(select(Team.id).where(Team.organisation_id == org_id)).scalars().first()
    if team is None:
        team = organisations.create_team(sessions, admin, "Comms")
    accounts.add_account(sessions, admin, team_id=team, network="replay", handle="bench_feed",
                         account_type="corporate", settings={"file": str(feed), "speed": rate}, files_allowed=True)
    engine.dispose()


def progress(url: str) -> tuple[int, datetime | None]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        filed = session.execute(select(func.count()).select_from(Message)).scalar_one()
        cursor = session.execute(select(AccountSync.cursor)).scalar_one_or_none()
    engine.dispose()
    started = datetime.fromisoformat(json.loads(cursor)["started"]) if cursor else None
    return filed, started


def latencies(url: str, rate: float, started: datetime) -> list[float]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = session.execute(select(Message.network_id, Message.received_at)).all()
    engine.dispose()
    out = []
    for network_id, received in rows:
        arrival = started.timestamp() + int(network_id[1:]) / rate if rate else started.timestamp()
        out.append(max(0.0, received.timestamp() - arrival))
    return out


def run(url: str, count: int, rate: float, workers: int, broker: str | None, timeout: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "feed.jsonl"
        write_feed(feed, count)
        prepare(url, feed, rate)
        env = {**os.environ, "WARDEN_ENVIRONMENT": "development", "WARDEN_DATABASE_URL": url}
        commands = []
        for n in range(workers):
            command = [sys.executable, "-m", "warden", "worker", "--threads", "1", "--idle", "0.05",
                       "--lease-seconds", "30"]
            if broker:
                command += ["--broker", broker] + (["--dispatch"] if n == 0 else [])
            commands.append(command)
        processes = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for c in commands]
        begun = time.monotonic()
        try:
            filed, started = 0, None
            while time.monotonic() - begun < timeout:
                filed, started = progress(url)
                if filed >= count:
                    break
                time.sleep(0.25)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
        if started is None or filed < count:
            raise SystemExit(f"only {filed} of {count} filed in {timeout:.0f} s")
        waits = latencies(url, rate, started)
        engine = make_engine(url)
        with session_factory(engine)() as session:
            last = session.execute(select(func.max(Message.received_at))).scalar_one()
        engine.dispose()
        elapsed = (last - started).total_seconds()
        waits.sort()
        return {"per_second": count / elapsed if elapsed > 0 else float("inf"),
                "p50": statistics.median(waits), "p95": waits[int(0.95 * (len(waits) - 1))]}


def fresh_postgres(base: str) -> str:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = make_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return str(make_url(base).set(query={"options": f"-csearch_path={schema}"})).replace("***", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=300.0, help="arrival rate for the latency run (messages/s)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--broker", default=None, help="dispatch through Dramatiq on this broker")
    parser.add_argument("--skip-postgres", action="store_true")
    options = parser.parse_args()
    configs = [("SQLite, 1 process", "sqlite", 1)]
    if not options.skip_postgres:
        configs += [("PostgreSQL, 1 worker", "postgres", 1), ("PostgreSQL, 2 workers", "postgres", 2)]
    print(f"pipeline ingest: {options.messages} messages (replay feed, 10 texts, 200 threads); "
          f"{os.cpu_count()} cores; {datetime.now(UTC):%Y-%m-%d}")
    print(f"{'configuration':24} {'throughput msg/s':>17} {'latency run rate':>17} {'p50 s':>7} {'p95 s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind, workers in configs:
            def database(label: str, kind: str = kind) -> str:
                return f"sqlite:///{tmp}/{label}.sqlite3" if kind == "sqlite" else fresh_postgres(options.postgres)

            burst = run(database("throughput"), options.messages, 0, workers, options.broker, timeout=900)
            steady = run(database("latency"), min(options.messages, int(options.rate * 30)), options.rate, workers,
                         options.broker, timeout=900)
            print(f"{name:24} {burst['per_second']:17.0f} {options.rate:17.0f} {steady['p50']:7.2f} "
                  f"{steady['p95']:7.2f}", flush=True)

if __name__ == "__main__":
    main()
