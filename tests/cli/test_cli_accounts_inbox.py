"""``warden accounts add|list|connect`` and ``warden inbox dead|retry``, as real processes.
Connecting runs Mastodon's OAuth end to end against ``mastodon_mock``."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from mastodon_mock.testing import MockServer

from mastodon_seed import mastodon_with
from warden.auth.keys import generate_key

PASSWORD = "Quartz-Lantern-Meadow-9172"
KEY, CREDENTIAL_KEY = generate_key(), generate_key()
PUBLIC = "https://warden.north.example"


def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "WARDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}",
            "WARDEN_AUDIT_KEY": str(tmp_path / "audit.key"), "WARDEN_ADMIN_PASSWORD": PASSWORD,
            "WARDEN_SECRET_KEY": KEY, "WARDEN_CREDENTIAL_KEYS": CREDENTIAL_KEY}


def warden(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warden", *args], capture_output=True, text=True,
                          env=env(tmp_path), timeout=120, check=False, cwd=tmp_path)


@pytest.fixture
def initialised(tmp_path: Path) -> Path:
    assert warden(tmp_path, "init", "--slug", "north").returncode == 0
    return tmp_path


def test_add_replay_account_and_list(initialised: Path) -> None:
    feed = initialised / "feed.jsonl"
    feed.write_text(json.dumps({"id": "1", "text": "hello", "author": "@a", "kind": "reply",
                                "created_at": "2026-11-01T09:00:00+00:00"}) + "\n")
    added = warden(initialised, "accounts", "add", "--network", "replay", "--handle", "north_police",
                   "--file", str(feed), "--speed", "5")
    assert added.returncode == 0 and "added replay account north_police" in added.stdout, added.stderr
    listed = warden(initialised, "accounts", "list").stdout
    assert "replay" in listed and "north_police" in listed and " connected " in listed


@pytest.mark.parametrize(("args", "message"), [
    (("--network", "replay", "--handle", "r"), "needs --file"),
    (("--network", "x", "--handle", "x", "--setting", "user_id"), "KEY=VALUE"),
    (("--network", "x", "--handle", "x", "--setting", "base_url=https://x"), "no setting base_url"),
    (("--network", "mastodon", "--handle", "m", "--setting", "base_url=https://m.example",
      "--credentials-file", "creds.json"), "JSON object"),
])
def test_add_refuses_bad_input_clearly(initialised: Path, args: tuple[str, ...], message: str) -> None:
    (initialised / "creds.json").write_text("[1, 2]")
    result = warden(initialised, "accounts", "add", *args)
    assert result.returncode != 0 and message in result.stderr
    assert "mastodon" not in warden(initialised, "accounts", "list").stdout  # nothing half-added


def test_add_names_the_bad_lines_of_a_replay_file(initialised: Path) -> None:
    feed = initialised / "bad.jsonl"
    feed.write_text("{not json\n")
    result = warden(initialised, "accounts", "add", "--network", "replay", "--handle", "r", "--file", str(feed))
    assert result.returncode == 1 and "1 bad line" in result.stderr


@pytest.fixture
def mastodon_server() -> Iterator[MockServer]:
    with mastodon_with("police") as server:
        yield server


@pytest.mark.third_party_mock
def test_connect_mastodon_from_the_command_line(initialised: Path, mastodon_server: MockServer) -> None:
    added = warden(initialised, "accounts", "add", "--network", "mastodon", "--handle", "police",
                   "--setting", f"base_url={mastodon_server.base_url}")
    assert added.returncode == 0, added.stderr
    process = subprocess.Popen([sys.executable, "-m", "warden", "accounts", "connect", "police", "--public-url",
                                PUBLIC], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env(initialised), cwd=initialised)
    assert process.stdout is not None and process.stderr is not None
    url = ""
    try:
        while not url:
            line = process.stdout.readline()
            assert line, process.stderr.read()
            if line.strip().startswith("http"):
                url = line.strip()
    finally:
        if not url:
            process.kill()
            process.communicate()
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert params["redirect_uri"] == PUBLIC + "/api/v1/accounts/connect/callback"
    with httpx.Client(timeout=10) as http:  # the admin authorises at the instance
        answer = http.post(mastodon_server.base_url + "/oauth/authorize", data={
            "username": "police", "redirect_uri": params["redirect_uri"], "client_id": params["client_id"],
            "scope": params["scope"], "state": params["state"]})
    assert answer.status_code == 302
    out, err = process.communicate(answer.headers["location"] + "\n", timeout=60)
    assert process.returncode == 0, err
    assert "connected mastodon account police" in out
    assert " connected " in warden(initialised, "accounts", "list").stdout
    with sqlite3.connect(initialised / "w.sqlite3") as db:
        actions = [row[0] for row in db.execute("SELECT action FROM audit_entries ORDER BY seq")]
        stored = db.execute("SELECT credentials FROM social_accounts").fetchone()[0]
    assert actions[-3:] == ["account.connect_started", "account.credentials_set", "account.connected"]
    assert b"seed_police" not in stored and b"access_token" not in stored  # encrypted


@pytest.mark.third_party_mock
def test_connect_refuses_a_forged_answer(initialised: Path, mastodon_server: MockServer) -> None:
    warden(initialised, "accounts", "add", "--network", "mastodon", "--handle", "police",
           "--setting", f"base_url={mastodon_server.base_url}")
    result = subprocess.run([sys.executable, "-m", "warden", "accounts", "connect", "police", "--public-url", PUBLIC],
                            input=PUBLIC + "/api/v1/accounts/connect/callback?state=forged&code=x\n",
                            capture_output=True, text=True, env=env(initialised), timeout=120, check=False,
                            cwd=initialised)
    assert result.returncode == 1 and "start connecting again" in result.stderr
    assert " disconnected " in warden(initialised, "accounts", "list").stdout


def test_connect_needs_a_public_address_and_a_known_account(initialised: Path) -> None:
    assert "--public-url" in warden(initialised, "accounts", "connect", "nobody").stderr
    unknown = warden(initialised, "accounts", "connect", "nobody", "--public-url", PUBLIC)
    assert unknown.returncode == 2 and "no account 'nobody'" in unknown.stderr


def test_dead_letters_are_listed_and_retried(initialised: Path) -> None:
    feed = initialised / "feed.jsonl"
    feed.write_text("")
    warden(initialised, "accounts", "add", "--network", "replay", "--handle", "north_police", "--file", str(feed))
    with sqlite3.connect(initialised / "w.sqlite3") as db:
        org, account = db.execute("SELECT organisation_id, id FROM social_accounts").fetchone()
        db.execute("INSERT INTO inbox_items (id, organisation_id, account_id, network_id, payload, source, state, "
                   "attempts, error, arrived_at) VALUES ('0123456789abcdef0123456789abcdef', ?, ?, 'n1', "
                   "'{\"text\": \"secret words\"}', 'webhook', 'dead', 3, 'KeyError: thread_key', "
                   "'2026-11-01 09:00:00.000000')", (org, account))
    listed = warden(initialised, "inbox", "dead")
    assert listed.returncode == 0 and "n1" in listed.stdout and "KeyError" in listed.stdout
    assert "secret words" not in listed.stdout and "1 dead letter(s)" in listed.stderr
    assert warden(initialised, "inbox", "retry").returncode == 2  # neither ids nor --all
    retried = warden(initialised, "inbox", "retry", "01234567-89ab-cdef-0123-456789abcdef")
    assert retried.returncode == 0 and "1 dead letter(s) queued again" in retried.stdout, retried.stderr
    assert "0 dead letter(s)" in warden(initialised, "inbox", "dead").stderr
