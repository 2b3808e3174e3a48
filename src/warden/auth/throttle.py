"""Throttling of login and second-factor attempts (ASVS 2.2.1, 2.8.x anti-automation).

Pure logic over a clock and a small store protocol. After ``free_failures`` failures each further
failure imposes a wait that doubles each time (``base_delay``, 2x, 4x ... up to ``max_delay``); a success resets the
counter; a quiet period of ``forget_after`` forgets it. This is a soft lock-out: the account is
never disabled, so an attacker cannot lock a member out for long, and at the defaults no more
than a handful of guesses per hour are possible against one account (ASVS 2.2.1 asks for at most
100).

``LoginThrottle`` keeps three counters, so that the usual attacks meet a limit without letting an
attacker freeze a member's account from one address:

- account + client address: 5 free failures, up to 15 minutes (one attacker, one account);
- account, from anywhere: 20 free failures, up to 15 minutes (distributed guessing);
- client address, any account: 50 free failures, up to 1 hour (password spraying).

Unknown user names are counted exactly like known ones (no enumeration). User names and addresses
are stored only as keyed hashes (HMAC with a key derived from the application's secret key, so a
stored IPv4 address cannot be recovered by trying all 2^32); IPv6 addresses are grouped by /64
(one subscriber).

Stores: ``InMemoryThrottleStore`` (tests and the single-process embedded mode); the storage layer
may add a database or Redis store. ``update`` must be atomic per key (a lock, ``SELECT ... FOR
UPDATE``, or a Redis transaction), else concurrent failures are lost.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from warden.auth._time import Clock, require_aware, utc_now
from warden.auth.errors import TooManyAttempts

ZERO = timedelta(0)
#: The key of tests and of callers without a secret: a keyed hash with a public key is a plain hash.
PUBLIC_KEY = b"warden/throttle/v1"


@dataclass(frozen=True)
class BackoffPolicy:
    free_failures: int = 5
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.free_failures < 0 or not ZERO < self.base_delay <= self.max_delay < self.forget_after:
            raise ValueError("need free_failures >= 0 and 0 < base_delay <= max_delay < forget_after")

    def delay_after(self, failures: int) -> timedelta:
        """The wait imposed after the ``failures``-th consecutive failure (none up to ``free_failures``)."""
        excess = failures - self.free_failures - 1
        if excess < 0:
            return ZERO
        # Compare in float seconds first: base_delay * 2**excess can overflow timedelta.
        if excess >= 64 or self.base_delay.total_seconds() * 2.0**excess >= self.max_delay.total_seconds():
            return self.max_delay
        return self.base_delay * (1 << excess)


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    last_failure_at: datetime
    blocked_until: datetime


def current_state(state: ThrottleState | None, now: datetime, policy: BackoffPolicy) -> ThrottleState | None:
    """``state``, or ``None`` once it has been quiet for ``policy.forget_after``."""
    if state is None or now - state.last_failure_at >= policy.forget_after:
        return None
    return state


def after_failure(state: ThrottleState | None, now: datetime, policy: BackoffPolicy) -> ThrottleState:
    """The state after one more failure at ``now``."""
    live = current_state(state, now, policy)
    failures = (live.failures if live else 0) + 1
    return ThrottleState(failures=failures, last_failure_at=now, blocked_until=now + policy.delay_after(failures))


def wait_time(state: ThrottleState | None, now: datetime, policy: BackoffPolicy) -> timedelta:
    """How long until another attempt is allowed (zero when allowed now)."""
    live = current_state(state, now, policy)
    return max(ZERO, live.blocked_until - now) if live else ZERO


class ThrottleStore(Protocol):
    def get(self, key: str) -> ThrottleState | None: ...

    def update(
        self, key: str, change: Callable[[ThrottleState | None], ThrottleState | None], ttl: timedelta
    ) -> ThrottleState | None:
        """Atomically replace the state of ``key`` with ``change(old)`` (``None`` deletes it); keep it
        at most ``ttl``; return the new state."""
        ...


class InMemoryThrottleStore:
    """A thread-safe, size-bounded store for one process (oldest keys go first when full)."""

    def __init__(self, *, clock: Clock = utc_now, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._items: OrderedDict[str, tuple[ThrottleState, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> ThrottleState | None:
        with self._lock:
            return self._live(key)

    def update(
        self, key: str, change: Callable[[ThrottleState | None], ThrottleState | None], ttl: timedelta
    ) -> ThrottleState | None:
        with self._lock:
            new = change(self._live(key))
            self._items.pop(key, None)
            if new is not None:
                self._items[key] = (new, self._clock() + ttl)
                while len(self._items) > self._max_keys:
                    self._items.popitem(last=False)
            return new

    def __len__(self) -> int:
        return len(self._items)

    def _live(self, key: str) -> ThrottleState | None:
        item = self._items.get(key)
        if item is None:
            return None
        if self._clock() >= item[1]:
            del self._items[key]
            return None
        return item[0]


class Throttle:
    """One back-off counter per key, e.g. second-factor attempts per member."""

    def __init__(self, store: ThrottleStore, policy: BackoffPolicy | None = None, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.policy = policy or BackoffPolicy()
        self._clock = clock

    def wait_time(self, key: str) -> timedelta:
        return wait_time(self.store.get(key), self._now(), self.policy)

    def check(self, key: str) -> None:
        """Raise ``TooManyAttempts`` while ``key`` must wait. Call before checking the credential."""
        _raise_if_waiting(self.wait_time(key))

    def failure(self, key: str) -> timedelta:
        """Count a failure; return the wait now imposed."""
        now = self._now()
        state = self.store.update(key, lambda old: after_failure(old, now, self.policy), self.policy.forget_after)
        return wait_time(state, now, self.policy)

    def reset(self, key: str) -> None:
        self.store.update(key, lambda _old: None, self.policy.forget_after)

    def _now(self) -> datetime:
        return require_aware(self._clock(), "clock()")


class LoginThrottle:
    """The three login counters described in the module docstring, behind one small interface."""

    def __init__(
        self,
        store: ThrottleStore,
        *,
        clock: Clock = utc_now,
        per_account_and_address: BackoffPolicy | None = None,
        per_account: BackoffPolicy | None = None,
        per_address: BackoffPolicy | None = None,
        namespace: str = "login",
        key: bytes = PUBLIC_KEY,
    ) -> None:
        self.namespace = namespace
        self._key = key
        self._pair = Throttle(store, per_account_and_address or BackoffPolicy(), clock=clock)
        self._account = Throttle(store, per_account or BackoffPolicy(free_failures=20), clock=clock)
        self._address = Throttle(
            store, per_address or BackoffPolicy(free_failures=50, max_delay=timedelta(hours=1)), clock=clock
        )

    def check(self, username: str, address: str) -> None:
        """Raise ``TooManyAttempts`` (with the longest wait) before any password is checked."""
        keys = self._keys(username, address)
        _raise_if_waiting(
            max(self._pair.wait_time(keys[0]), self._account.wait_time(keys[1]), self._address.wait_time(keys[2]))
        )

    def record_failure(self, username: str, address: str) -> timedelta:
        """Count a failed attempt (wrong password, unknown user or wrong second factor)."""
        pair, account, addr = self._keys(username, address)
        return max(self._pair.failure(pair), self._account.failure(account), self._address.failure(addr))

    def record_success(self, username: str, address: str) -> None:
        """Reset the account counters; the address counter is left to decay (a valid login of the
        attacker's own account must not buy more guesses against others)."""
        pair, account, _ = self._keys(username, address)
        self._pair.reset(pair)
        self._account.reset(account)

    def _keys(self, username: str, address: str) -> tuple[str, str, str]:
        user = identifier_hash(self._key, username.strip().casefold())
        addr = identifier_hash(self._key, client_bucket(address))  # stored keys name no address in clear
        ns = self.namespace
        return f"{ns}:pair:{user}:{addr}", f"{ns}:account:{user}", f"{ns}:address:{addr}"


def client_bucket(address: str) -> str:
    """An IPv4 address as is, an IPv6 address as its /64, anything else hashed."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "raw-" + _hash(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def identifier_hash(key: bytes, text: str) -> str:
    """A user name or an address group as stored: HMAC-SHA-256 under ``key``, 128 bits in hex."""
    return hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _hash(text: str) -> str:
    return identifier_hash(PUBLIC_KEY, text)


def _raise_if_waiting(wait: timedelta) -> None:
    if wait > ZERO:
        raise TooManyAttempts("too many failed attempts; try again later", retry_after=wait)
