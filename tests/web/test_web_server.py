"""`warden serve` for real: uvicorn on 127.0.0.1 and a random port, spoken to over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from web_org import PASSWORD, build_tenant

from warden.auth.keys import generate_key

pytestmark = pytest.mark.db
# `warden serve` as the CLI will run it once registered (cli/__init__.py is edited by its owner).
LAUNCH = ("import sys; from warden.cli import cli, main; from warden.cli.serve import serve_command; "
          "cli.add_command(serve_command); main()")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update(extra)
    return env


@pytest.fixture
def server(db_engine: Engine, tmp_path: Path) -> Iterator[str]:
    build_tenant(db_engine, "north")
    port = free_port()
    url = db_engine.url.render_as_string(hide_password=False)
    env = environment(WARDEN_SECRET_KEY=generate_key(), WARDEN_CREDENTIAL_KEYS=generate_key(),
                      WARDEN_COOKIE_SECURE="false", WARDEN_ENVIRONMENT="production")
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-c", LAUNCH, "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--database", url], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("the server did not start:\n" + (tmp_path / "server.log").read_text())
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def test_real_server_signs_in_and_protects(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        signed = client.post("/api/v1/auth/login", json={"organisation": "north", "email": "admin@north.example.com",
                                                         "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        assert "server" not in signed.headers  # no version banner
        assert signed.headers["content-security-policy"].startswith("default-src 'self'")
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith("warden_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        csrf = signed.json()["csrf_token"]
        assert client.get("/api/v1/organisations/me").json()["slug"] == "north"
        assert client.post("/api/v1/teams", json={"name": "Roads"}).status_code == 403
        made = client.post("/api/v1/teams", json={"name": "Roads"}, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201
        big = client.post("/api/v1/check", content=b"x" * 2_000_000, headers={"X-CSRF-Token": csrf,
                                                                             "Content-Type": "application/json"})
        assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"
        assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert client.get("/api/v1/organisations/me").status_code == 401


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", LAUNCH, "serve", "--port", str(free_port()), "--database",
                           f"sqlite:///{tmp_path / 'w.sqlite3'}"], env=environment(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "WARDEN_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr
