"""`warden demo`: a seeded organisation that is alive within seconds."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from warden.auth.passwords import Argon2Parameters, PasswordHasher
from warden.demo.seed import PROCEEDINGS, ROLES, seed
from warden.storage.database import make_engine, migrate, session_factory
from warden.storage.tables import Draft, Member, RegisterEntry, SocialAccount

CHEAP = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1, allow_below_minimum=True))


def test_seed_makes_every_role_two_fed_accounts_registers_and_drafts(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    migrate(engine)
    demo = seed(engine, tmp_path / "feeds", CHEAP)
    assert set(demo.logins) == set(ROLES)
    with session_factory(engine)() as session:
        assert session.execute(select(func.count()).select_from(Member)).scalar_one() == len(ROLES)
        accounts = session.execute(select(SocialAccount)).scalars().all()
        assert {a.health for a in accounts} == {"connected"} and len(accounts) == 2
        assert all(Path(a.settings["file"]).is_file() for a in accounts)
        registered = set(session.execute(select(RegisterEntry.value)).scalars())
        assert registered == set(PROCEEDINGS)
        states = set(session.execute(select(Draft.state)).scalars())
        assert {"held", "blocked", "allowed"} <= states
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_demo_command_serves_a_living_console(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "warden", "demo", "--port", str(port), "--directory",
                                str(tmp_path / "demo")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/sign-in", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("the demo did not start within 60 s")
        assert process.stdout is not None
        banner = b""
        while b"Ctrl-C" not in banner:
            banner += process.stdout.readline()
        password = re.search(rb"password (\S+) for every", banner)
        assert password is not None and b"moderator@northshire.example" in banner
        with httpx.Client(base_url=base) as client:
            login = client.post("/api/v1/auth/login", json={
                "organisation": "northshire", "email": "moderator@northshire.example",
                "password": password.group(1).decode()})
            assert login.status_code == 200, login.text
            deadline = time.monotonic() + 30
            total = 0
            while time.monotonic() < deadline and total < 50:  # the backlog is being filed
                total = len(client.get("/api/v1/cases", params={"limit": 100}).json()["items"])
                time.sleep(0.5)
            assert total >= 20
            assert client.get("/inbox").status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
