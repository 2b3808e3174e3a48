"""The login-throttle store in the database: the same behaviour as the in-memory one, shared by
every process that uses the database, and atomic under concurrent failures (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from warden.auth.errors import TooManyAttempts
from warden.auth.throttle import BackoffPolicy, LoginThrottle, Throttle, ThrottleState
from warden.auth.throttle_sql import SqlThrottleStore
from warden.storage.database import make_engine
from warden.storage.tables import ThrottleCounter

pytestmark = pytest.mark.db
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FOREVER = timedelta(days=1)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(ThrottleCounter)).scalar_one())


def test_get_update_delete_and_ttl(db_engine: Engine) -> None:
    clock = FakeClock()
    store = SqlThrottleStore(db_engine, clock=clock)
    assert store.get("k") is None
    state = ThrottleState(failures=2, last_failure_at=START, blocked_until=START + timedelta(seconds=3))
    assert store.update("k", lambda old: state if old is None else None, timedelta(minutes=10)) == state
    assert store.get("k") == state and len(store) == 1
    seen: list[ThrottleState | None] = []
    store.update("k", lambda old: seen.append(old) or old, timedelta(minutes=10))  # type: ignore[func-returns-value]
    assert seen == [state]
    clock.advance(minutes=10)
    assert store.get("k") is None and len(store) == 0  # past its ttl: gone for readers at once
    store.update("k", lambda old: state, timedelta(minutes=10))
    store.update("k", lambda old: None, timedelta(minutes=10))
    assert store.get("k") is None and rows(db_engine) == 0


def test_login_throttle_over_the_database(db_engine: Engine) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(SqlThrottleStore(db_engine, clock=clock), clock=clock)
    for _ in range(6):
        throttle.check("north/pc@north.example.com", "203.0.113.9")
        throttle.record_failure("north/pc@north.example.com", "203.0.113.9")
    with pytest.raises(TooManyAttempts) as info:
        throttle.check("north/pc@north.example.com", "203.0.113.9")
    assert info.value.retry_after == timedelta(seconds=1)
    throttle.check("north/other@north.example.com", "203.0.113.9")  # another account is not held up
    clock.advance(seconds=1)
    throttle.record_success("north/pc@north.example.com", "203.0.113.9")
    throttle.check("north/pc@north.example.com", "203.0.113.9")
    with db_engine.connect() as connection:
        keys = " ".join(connection.execute(select(ThrottleCounter.key)).scalars())
    assert "pc@north" not in keys and "north.example.com" not in keys  # user names are stored hashed
    assert "203.0.113" not in keys  # and so are addresses


def test_two_stores_on_one_database_share_the_counts(db_engine: Engine) -> None:
    """Two ``warden serve`` processes, as far as the database can tell."""
    clock = FakeClock()
    other_engine = make_engine(db_engine.url.render_as_string(hide_password=False))
    try:
        first = Throttle(SqlThrottleStore(db_engine, clock=clock), BackoffPolicy(free_failures=3), clock=clock)
        second = Throttle(SqlThrottleStore(other_engine, clock=clock), BackoffPolicy(free_failures=3), clock=clock)
        for throttle in (first, second, first):
            throttle.failure("member:7")
        assert second.failure("member:7") == timedelta(seconds=1)  # the fourth failure, counted across both
        with pytest.raises(TooManyAttempts):
            first.check("member:7")
        second.reset("member:7")
        first.check("member:7")
    finally:
        other_engine.dispose()


def test_concurrent_failures_are_all_counted(db_engine: Engine) -> None:
    store = SqlThrottleStore(db_engine)
    policy = BackoffPolicy(free_failures=1000, forget_after=timedelta(days=1))
    throttle = Throttle(store, policy)
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(10):
                throttle.failure("shared")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert store.get("shared") is not None and store.get("shared").failures == 40  # type: ignore[union-attr]


def test_separate_processes_share_and_count_every_failure(db_engine: Engine) -> None:
    url = db_engine.url.render_as_string(hide_password=False)
    script = textwrap.dedent("""
        import sys
        from datetime import timedelta
        from warden.auth.throttle import BackoffPolicy, Throttle
        from warden.auth.throttle_sql import SqlThrottleStore
        from warden.storage.database import make_engine
        engine = make_engine(sys.argv[1])
        throttle = Throttle(SqlThrottleStore(engine), BackoffPolicy(free_failures=1000))
        for _ in range(15):
            throttle.failure("login:account:shared")
        engine.dispose()
    """)
    workers = [subprocess.Popen([sys.executable, "-c", script, url]) for _ in range(2)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    state = SqlThrottleStore(db_engine).get("login:account:shared")
    assert state is not None and state.failures == 30


def test_expired_rows_are_swept_by_later_writes(db_engine: Engine) -> None:
    clock = FakeClock()
    store = SqlThrottleStore(db_engine, clock=clock, sweep_every=5)
    state = ThrottleState(failures=1, last_failure_at=START, blocked_until=START)
    for n in range(4):
        store.update(f"old-{n}", lambda old: state, timedelta(minutes=1))
    clock.advance(minutes=2)
    assert rows(db_engine) == 4
    store.update("new", lambda old: state, FOREVER)  # the fifth write sweeps
    assert rows(db_engine) == 1
