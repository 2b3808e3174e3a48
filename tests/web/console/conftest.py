"""Browser tests of the console: one real uvicorn server for the whole session on a
free port, a seeded organisation (a member of every role, accounts, drafts and
inbound cases made per test through the workflow), and Debian's Chromium driven
by Playwright.

Every page a test opens is checked for Content-Security-Policy violations,
script errors and dialogs (none allowed); ``audit(page, name)`` runs the
vendored axe-core (0 serious or critical violations) and saves a screenshot to
$WARDEN_ARTEFACTS (default build/screenshots).

Without Chromium the browser tests skip, except under CI (env CI set), where
they fail: ``make test`` installs it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from console_browser import Console, World
from web_org import HASHER, PASSWORD, build_tenant

from warden.auth.credentials import CredentialCipher, Keyring
from warden.auth.keys import generate_key
from warden.storage.database import make_engine, migrate
from warden.storage.tables import Member
from warden.web.mfa import totp_owner
from warden.workflow import organisations

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def chromium_executable() -> str | None:
    for candidate in (os.environ.get("WARDEN_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def chromium() -> str:
    found = chromium_executable()
    if found is None:
        message = "Chromium is not installed (apt-get install chromium; `make test` does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def artefacts() -> Path:
    folder = Path(os.environ.get("WARDEN_ARTEFACTS") or ROOT / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def world(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{folder / 'warden.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    tenant = build_tenant(engine, "north")
    credential_key = generate_key()
    secret = pyotp.random_base32()
    totp_email = "totp@north.example.com"
    member_id = organisations.add_member(tenant.sessions, tenant.principal("admin"), email=totp_email,
                                         display_name="Tess Totp", password=PASSWORD,
                                         roles={tenant.team: ("publisher",)}, hasher=HASHER)
    cipher = CredentialCipher(Keyring.from_text(credential_key))
    with tenant.sessions.begin() as session:
        member = session.get(Member, member_id)
        assert member is not None
        member.totp_secret = cipher.encrypt(secret.encode("ascii"), totp_owner(member_id))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update(WARDEN_SECRET_KEY=generate_key(), WARDEN_CREDENTIAL_KEYS=credential_key, WARDEN_COOKIE_SECURE="false",
               WARDEN_ENVIRONMENT="production", PYTHONWARNINGS="ignore",
               WARDEN_OIDC_ALLOW_INSECURE_LOCALHOST="true")  # the local identity provider is http://127.0.0.1
    log_path = folder / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, str(HERE / "console_server.py"), url, str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/sign-in", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("the console server did not start:\n" + log_path.read_text())
                time.sleep(0.1)
        yield World(base=base, tenant=tenant, totp_email=totp_email, totp_secret=secret, log=log_path)
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
        engine.dispose()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Per module: Playwright's synchronous API holds an event loop on this thread while it runs, which
    the ASGI-client tests (their own asyncio runner) cannot share; it stops when the module is done."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def console(browser: Any, world: World, artefacts: Path, request: pytest.FixtureRequest) -> Iterator[Console]:
    opened = Console(browser, world, artefacts, request.node.name)
    yield opened
    opened.close()
