"""``warden init``, ``warden audit checkpoint/verify`` and ``warden stats``, as real processes."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

PASSWORD = "Quartz-Lantern-Meadow-9172"


def warden(tmp_path: Path, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WARDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}",
           "WARDEN_AUDIT_KEY": str(tmp_path / "audit.key"), "WARDEN_ADMIN_PASSWORD": password,
           "WARDEN_AUDIT_CHECKPOINTS": str(tmp_path / "checkpoints.jsonl")}
    return subprocess.run([sys.executable, "-m", "warden", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False, cwd=tmp_path)


def test_init_stats_checkpoint_verify_and_tamper(tmp_path: Path) -> None:
    result = warden(tmp_path, "init", "--org-name", "North Police", "--slug", "north")
    assert result.returncode == 0, result.stderr
    assert "sign in as admin@example.com" in result.stdout
    assert oct((tmp_path / "audit.key").stat().st_mode)[-3:] == "600"

    stats = json.loads(warden(tmp_path, "stats", "--json").stdout)
    assert stats["members"] == 1 and stats["audit_entries"] == 3 and stats["drafts"] == {}
    assert stats["inbox"] == {} and stats["outbox"] == {}

    signed = warden(tmp_path, "audit", "checkpoint")
    assert signed.returncode == 0 and "signed tree size 3" in signed.stdout, signed.stderr
    assert len((tmp_path / "checkpoints.jsonl").read_text().splitlines()) == 1
    assert warden(tmp_path, "audit", "verify").returncode == 0

    with sqlite3.connect(tmp_path / "w.sqlite3") as db:
        body = db.execute("SELECT body FROM audit_entries WHERE seq = 2").fetchone()[0]
        db.execute("UPDATE audit_entries SET body = ? WHERE seq = 2", (body.replace("Headquarters", "Elsewhere"),))
    verify = warden(tmp_path, "audit", "verify", "--json")
    assert verify.returncode == 1
    report = json.loads(verify.stdout)
    assert report["ok"] is False and report["first_bad_entry"]["seq"] == 2


def test_init_refuses_weak_password_and_duplicate_slug(tmp_path: Path) -> None:
    weak = warden(tmp_path, "init", password="password123")
    assert weak.returncode == 2 and ("weak_password" in weak.stderr or "common" in weak.stderr)
    assert warden(tmp_path, "init").returncode == 0
    again = warden(tmp_path, "init")
    assert again.returncode == 2 and "exists already" in again.stderr


@pytest.mark.parametrize("args", [("audit", "verify", "--org", "nope"), ("stats", "--database", "mysql://x/y")])
def test_bad_arguments_are_clear(tmp_path: Path, args: tuple[str, ...]) -> None:
    warden(tmp_path, "init")
    result = warden(tmp_path, *args)
    assert result.returncode == 2 and "error [" in result.stderr
