"""A ``ThrottleStore`` in the database, so that every ``warden serve`` and ``warden worker`` process
(on one machine or many) counts the same failures.

The one module of ``warden.auth`` that touches storage: an adapter behind the pure ``throttle``
logic, over the ``throttle_counters`` table (``storage.tables.ThrottleCounter``). Keys arrive
already hashed (``throttle.LoginThrottle``), so no user name or address is stored in clear.

``update`` is atomic per key: on PostgreSQL the row is created if missing
(``INSERT ... ON CONFLICT DO NOTHING``) and then locked (``SELECT ... FOR UPDATE``), so two
processes failing at once for the same key both count; on SQLite every transaction takes the
write lock first (``BEGIN IMMEDIATE``, see ``storage.database``), which serialises them anyway.
Expired rows are deleted now and then by the writes themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from warden.auth._time import Clock, require_aware, utc_now
from warden.auth.throttle import ThrottleState
from warden.storage.tables import ThrottleCounter

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Delete expired counters once every this many writes (per process).
SWEEP_EVERY = 200


class SqlThrottleStore:
    """Throttle counters in the ``throttle_counters`` table of ``engine``'s database."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now, sweep_every: int = SWEEP_EVERY) -> None:
        self._engine = engine
        self._clock = clock
        self._sweep_every = sweep_every
        self._writes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> ThrottleState | None:
        now = self._now()
        with self._engine.begin() as connection:
            row = connection.execute(select(ThrottleCounter).where(ThrottleCounter.key == key)).first()
        return _live(row, now)

    def update(
        self, key: str, change: Callable[[ThrottleState | None], ThrottleState | None], ttl: timedelta
    ) -> ThrottleState | None:
        now = self._now()
        table = ThrottleCounter
        with self._engine.begin() as connection:
            exists = self._lock_row(connection, key)
            new = change(_live(exists, now))
            if new is None:
                connection.execute(delete(table).where(table.key == key))
            else:
                values = {"failures": new.failures, "last_failure_at": new.last_failure_at,
                          "blocked_until": new.blocked_until, "expires_at": now + ttl}
                if exists is not None:
                    connection.execute(update(table).where(table.key == key).values(**values))
                else:
                    connection.execute(insert(table).values(key=key, **values))
            if self._due_for_sweep():
                connection.execute(delete(table).where(table.expires_at <= now))
        return new

    def __len__(self) -> int:
        """Live counters (for tests and operators)."""
        now = self._now()
        with self._engine.begin() as connection:
            rows = connection.execute(select(ThrottleCounter.key).where(ThrottleCounter.expires_at > now)).all()
        return len(rows)

    def _lock_row(self, connection: Connection, key: str) -> Any:
        """The row of ``key`` (locked until commit), or ``None``."""
        query = select(ThrottleCounter).where(ThrottleCounter.key == key)
        if connection.dialect.name == "postgresql":
            connection.execute(pg_insert(ThrottleCounter).values(
                key=key, failures=0, last_failure_at=_EPOCH, blocked_until=_EPOCH, expires_at=_EPOCH,
            ).on_conflict_do_nothing(index_elements=["key"]))
            query = query.with_for_update()
        return connection.execute(query).first()

    def _due_for_sweep(self) -> bool:
        with self._lock:
            self._writes += 1
            return self._writes % self._sweep_every == 0

    def _now(self) -> datetime:
        return require_aware(self._clock(), "clock()")


def _live(row: Any, now: datetime) -> ThrottleState | None:
    if row is None or row.failures <= 0 or row.expires_at <= now:
        return None
    return ThrottleState(failures=row.failures, last_failure_at=row.last_failure_at, blocked_until=row.blocked_until)
