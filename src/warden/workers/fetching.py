"""Fetch new items for accounts whose turn has come.

Claim the account's sync row with a lease, ask the network outside any
transaction, then store the items AND move the cursor in one transaction.
A crash before that commit re-fetches the same items next time (the inbox
ignores duplicates); a crash after it loses nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.connectors.base import Capability
from warden.connectors.errors import AuthFailed, ConnectorError, NotSupported, RateLimited
from warden.storage.tables import Alert, SocialAccount
from warden.storage.work_tables import AccountSync
from warden.workers.connecting import ConnectorSource
from warden.workflow import inbox
from warden.workflow.principal import system
from warden.workflow.unit import Clock, Unit, utcnow

FETCHING = ("connected", "rate_limited", "degraded")
INTERVAL = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=15)


@dataclass(frozen=True)
class Fetched:
    accounts: int
    items: int


def ensure_sync_rows(sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
    """Every account that can be fetched has a sync row (new accounts start now)."""
    with sessions() as session, session.begin():
        missing = session.execute(select(SocialAccount.id, SocialAccount.organisation_id).where(
            SocialAccount.health.in_(FETCHING),
            ~SocialAccount.id.in_(select(AccountSync.account_id)))).all()
        for account_id, organisation_id in missing:
            session.add(AccountSync(account_id=account_id, organisation_id=organisation_id, next_fetch_at=clock()))


def _claim(sessions: sessionmaker[Session], worker: str, lease: timedelta, limit: int,
           clock: Clock) -> list[uuid.UUID]:
    now = clock()
    with sessions() as session, session.begin():
        rows = session.execute(
            select(AccountSync).join(SocialAccount, SocialAccount.id == AccountSync.account_id)
            .where(SocialAccount.health.in_(FETCHING), AccountSync.next_fetch_at <= now,
                   or_(AccountSync.lease_until.is_(None), AccountSync.lease_until <= now))
            .order_by(AccountSync.next_fetch_at).limit(limit).with_for_update(skip_locked=True)).scalars().all()
        for row in rows:
            row.lease_owner, row.lease_until = worker, now + lease
        return [row.account_id for row in rows]


def claim_one(sessions: sessionmaker[Session], account_id: uuid.UUID, worker: str, lease: timedelta,
              clock: Clock = utcnow) -> bool:
    """Claim one account if it is due and free (the dispatcher's actors)."""
    now = clock()
    with sessions() as session, session.begin():
        row = session.execute(select(AccountSync).where(
            AccountSync.account_id == account_id, AccountSync.next_fetch_at <= now,
            or_(AccountSync.lease_until.is_(None), AccountSync.lease_until <= now)
        ).with_for_update(skip_locked=True)).scalar_one_or_none()
        if row is None:
            return False
        row.lease_owner, row.lease_until = worker, now + lease
        return True


def fetch_due(sessions: sessionmaker[Session], connectors: ConnectorSource, worker: str, *,
              lease: timedelta = timedelta(minutes=2), limit: int = 20, interval: timedelta = INTERVAL,
              clock: Clock = utcnow) -> Fetched:
    ensure_sync_rows(sessions, clock)
    total = 0
    claimed = _claim(sessions, worker, lease, limit, clock)
    for account_id in claimed:
        total += fetch_account(sessions, connectors, account_id, worker, interval=interval, clock=clock)
    return Fetched(len(claimed), total)


def fetch_account(sessions: sessionmaker[Session], connectors: ConnectorSource, account_id: uuid.UUID,
                  worker: str, *, interval: timedelta = INTERVAL, clock: Clock = utcnow) -> int:
    """One fetch for one claimed account; returns how many new items were stored."""
    with sessions() as session:
        account = session.get(SocialAccount, account_id)
        sync = session.get(AccountSync, account_id)
        if account is None or sync is None or sync.lease_owner != worker:
            return 0
        cursor = sync.cursor
        session.expunge(account)
    try:
        connector = connectors(account)
        if Capability.FETCH not in connector.capabilities:
            raise NotSupported(f"{account.network} accounts are not fetched")
        page = connector.fetch(cursor)
    except ConnectorError as error:
        _failed(sessions, account, worker, error, clock)
        return 0
    with Unit(sessions, system(account.organisation_id, "Warden fetcher"), clock) as unit:
        sync = unit.session.execute(select(AccountSync).where(AccountSync.account_id == account_id)
                                    .with_for_update()).scalar_one()
        if sync.lease_owner != worker or sync.cursor != cursor:
            return 0  # another worker took over; its cursor wins, our items come again
        stored = unit.session.get(SocialAccount, account_id)
        assert stored is not None
        new = inbox.accept(unit.session, stored, list(page.items), "poll", clock)
        now = clock()
        sync.cursor, sync.last_fetch_at, sync.failures, sync.last_error = page.cursor, now, 0, ""
        wait = min(interval, page.next_in) if page.next_in is not None else interval
        sync.next_fetch_at = now if page.more else now + wait
        sync.lease_owner, sync.lease_until = None, None
        if stored.health != "connected":
            _set_health(unit, stored, "connected", "")
        return new


def _set_health(unit: Unit, account: SocialAccount, health: str, detail: str, *, error_code: str | None = None) -> None:
    before = {"health": account.health}
    account.health, account.health_detail = health, detail[:2000]
    unit.record("account.health_changed", AuditObject(type="account", id=str(account.id),
                                                      name=f"{account.network}:{account.handle}"),
                before=before, after={"health": health}, details={"error": error_code} if error_code else None)


def _failed(sessions: sessionmaker[Session], account: SocialAccount, worker: str, error: ConnectorError,
            clock: Clock) -> None:
    """Rate limits wait for the reset; a refused token stops fetching and
    alerts (reconnecting resumes from the stored cursor); anything else backs off."""
    with Unit(sessions, system(account.organisation_id, "Warden fetcher"), clock) as unit:
        sync = unit.session.execute(select(AccountSync).where(AccountSync.account_id == account.id)
                                    .with_for_update()).scalar_one()
        stored = unit.session.execute(select(SocialAccount).where(SocialAccount.id == account.id)
                                      .with_for_update()).scalar_one()
        if sync.lease_owner != worker:
            return
        now = clock()
        sync.lease_owner, sync.lease_until = None, None
        sync.failures += 1
        sync.last_error = error.message[:2000]
        health = stored.health
        if isinstance(error, RateLimited):
            sync.next_fetch_at, health = max(error.retry_at, now), "rate_limited"
        elif isinstance(error, AuthFailed | NotSupported):
            sync.next_fetch_at = now + timedelta(days=3650)  # until reconnected (set_credentials resets it)
            health = "auth_failed" if isinstance(error, AuthFailed) else "not_fetched"
        else:
            sync.next_fetch_at = now + min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** min(sync.failures, 12)))
            health = "degraded" if sync.failures >= 3 else stored.health
        if health != stored.health:
            _set_health(unit, stored, health, error.message, error_code=error.code)
            if health in ("auth_failed", "degraded"):
                unit.session.add(Alert(organisation_id=stored.organisation_id, kind=f"account_{health}",
                                       severity="high", subject=f"{stored.network}:{stored.handle} is {health}",
                                       detail=error.message[:2000], created_at=now))
