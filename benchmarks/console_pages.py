"""Server time of the console's busiest pages with 100,000 cases in the database.

For each database (``--database``, repeatable; SQLite in a temporary file by default, or a PostgreSQL URL,
where a schema of its own is made and dropped):

1. seeded exactly as ``api_latency.py`` seeds (its ``database`` and ``seed``: bulk insert of ``--cases``
   inbound messages with their decisions and cases, a tenth as many drafts, an audit chain, sessions), plus
   the approver role for the first member, so that the approvals queue has a reader;
2. ``warden serve`` (uvicorn, one process, the shipped settings; ``api_latency.server``) is started on it;
3. one client (httpx, one connection, the seeded session cookie) requests each page ``--requests`` times
   in turn after a warm-up: the inbox (``/inbox``, the default view: open cases, most urgent first, 50 per
   page), a case page (``/cases/{id}``, a different case each time), the approvals queue (``/approvals``).

Requests are sequential, so the latency the client sees is the server's time plus a loopback round trip
(well under a millisecond): it is reported as server time. The table gives p50 and p95 in milliseconds
and the target (p95 under 200 ms).

    python benchmarks/console_pages.py --cases 100000 --requests 200 \\
        --database sqlite --database postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from api_latency import database, seed, server
from warden.storage.tables import Membership

TARGET_MS = 200.0
PAGES = ("GET /inbox", "GET /cases/{id}", "GET /approvals")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(spec: str, cases: int, requests: int, workdir: Path) -> dict[str, list[float]]:
    rng = random.Random(7)
    with database(spec, workdir) as (url, engine):
        seeded = seed(engine, url, cases, 1, rng)
        with engine.begin() as connection:
            connection.execute(Membership.__table__.insert(), [
                {"id": uuid.uuid4(), "organisation_id": seeded.org_id, "member_id": seeded.members[0],
                 "team_id": team, "role": "approver"} for team in seeded.teams])
        print(f"{spec.split('://')[0]}: seeded {seeded.counts} in {seeded.seconds:.1f} s", file=sys.stderr)
        timings: dict[str, list[float]] = {name: [] for name in PAGES}
        with server(url, workdir) as base, httpx.Client(base_url=base, timeout=30,
                                                        cookies={"warden_session": seeded.sessions[0]}) as http:
            def get(name: str, path: str, record: bool) -> None:
                began = time.perf_counter()
                response = http.get(path)
                elapsed = (time.perf_counter() - began) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
                if record:
                    timings[name].append(elapsed)

            for n in range(requests + 10):
                record = n >= 10  # warm-up
                get("GET /inbox", "/inbox", record)
                get("GET /cases/{id}", f"/cases/{seeded.case_ids[rng.randrange(len(seeded.case_ids))]}", record)
                get("GET /approvals", "/approvals", record)
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", action="append", default=[])
    args = parser.parse_args()
    rows: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for spec in args.database or ["sqlite"]:
            timings = measure(spec, args.cases, args.requests, Path(folder))
            for name in PAGES:
                rows.append((spec.split("://")[0], name, statistics.median(timings[name]),
                             percentile(timings[name], 0.95)))
    print(f"\nConsole pages, {args.cases:,} cases, {args.requests} sequential requests per page (warden serve)\n")
    print(f"| database   | page              | p50 ms | p95 ms | p95 < {TARGET_MS:.0f} ms |")
    print("|------------|-------------------|-------:|-------:|:----------:|")
    for db, name, p50, p95 in rows:
        print(f"| {db:<10} | {name:<17} | {p50:6.1f} | {p95:6.1f} | {'yes' if p95 < TARGET_MS else 'NO':^10} |")


if __name__ == "__main__":
    main()
