import threading
from datetime import UTC, datetime, timedelta

import pytest

from warden.auth.errors import TooManyAttempts
from warden.auth.throttle import (
    BackoffPolicy,
    InMemoryThrottleStore,
    LoginThrottle,
    Throttle,
    client_bucket,
)

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_backoff_schedule() -> None:
    policy = BackoffPolicy(free_failures=5, base_delay=timedelta(seconds=1), max_delay=timedelta(minutes=15))
    delays = [policy.delay_after(n).total_seconds() for n in range(1, 18)]
    assert delays == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert policy.delay_after(10_000) == timedelta(minutes=15)
    huge = BackoffPolicy(base_delay=timedelta(hours=1), max_delay=timedelta(days=2), forget_after=timedelta(days=3))
    assert huge.delay_after(60) == timedelta(days=2)  # no timedelta overflow


@pytest.mark.parametrize(
    "kwargs",
    [
        {"free_failures": -1},
        {"base_delay": timedelta(0)},
        {"base_delay": timedelta(hours=1), "max_delay": timedelta(minutes=1)},
        {"max_delay": timedelta(days=2)},
    ],
)
def test_invalid_policies(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BackoffPolicy(**kwargs)  # type: ignore[arg-type]


def test_throttle_backs_off_and_recovers(clock: FakeClock) -> None:
    throttle = Throttle(InMemoryThrottleStore(clock=clock), BackoffPolicy(free_failures=3), clock=clock)
    for _ in range(3):
        throttle.check("member:7")
        assert throttle.failure("member:7") == timedelta(0)
    assert throttle.failure("member:7") == timedelta(seconds=1)
    with pytest.raises(TooManyAttempts) as info:
        throttle.check("member:7")
    assert info.value.code == "too_many_attempts"
    assert info.value.retry_after == timedelta(seconds=1) and info.value.retry_after_seconds == 1
    throttle.check("member:8")  # other keys are unaffected
    clock.advance(seconds=1)
    throttle.check("member:7")
    assert throttle.failure("member:7") == timedelta(seconds=2)
    clock.advance(seconds=0.5)
    with pytest.raises(TooManyAttempts) as info:
        throttle.check("member:7")
    assert info.value.retry_after == timedelta(seconds=1.5) and info.value.retry_after_seconds == 2
    throttle.reset("member:7")
    throttle.check("member:7")


def test_quiet_period_forgets(clock: FakeClock) -> None:
    policy = BackoffPolicy(free_failures=1, forget_after=timedelta(hours=1))
    throttle = Throttle(InMemoryThrottleStore(clock=clock), policy, clock=clock)
    throttle.failure("k")
    throttle.failure("k")
    assert throttle.wait_time("k") == timedelta(seconds=1)
    clock.advance(minutes=59)
    assert throttle.failure("k") == timedelta(seconds=2)  # still remembered
    clock.advance(hours=1)
    assert throttle.failure("k") == timedelta(0)  # forgotten: counting starts again


def test_login_throttle_per_account_and_address(clock: FakeClock) -> None:
    login = LoginThrottle(InMemoryThrottleStore(clock=clock), clock=clock)
    for _ in range(5):
        login.check("Alice", "203.0.113.7")
        login.record_failure("Alice", "203.0.113.7")
    login.record_failure("alice ", "203.0.113.7")  # same account: case and spaces do not matter
    with pytest.raises(TooManyAttempts):
        login.check("ALICE", "203.0.113.7")
    login.check("alice", "198.51.100.9")  # the member can still sign in from elsewhere
    login.check("bob", "203.0.113.7")  # and the address can still be used for other accounts


def test_distributed_guessing_hits_the_account_limit(clock: FakeClock) -> None:
    login = LoginThrottle(InMemoryThrottleStore(clock=clock), clock=clock)
    for n in range(21):
        login.record_failure("alice", f"198.51.100.{n}")
    with pytest.raises(TooManyAttempts):
        login.check("alice", "192.0.2.200")


def test_password_spraying_hits_the_address_limit(clock: FakeClock) -> None:
    login = LoginThrottle(InMemoryThrottleStore(clock=clock), clock=clock)
    for n in range(51):
        login.record_failure(f"user{n}", "2001:db8:1:2::1")
    with pytest.raises(TooManyAttempts):
        login.check("someone-new", "2001:db8:1:2:ffff::9")  # same /64
    login.check("someone-new", "2001:db8:1:3::1")


def test_success_resets_account_but_not_address(clock: FakeClock) -> None:
    login = LoginThrottle(
        InMemoryThrottleStore(clock=clock), clock=clock, per_address=BackoffPolicy(free_failures=6)
    )
    for _ in range(6):
        login.record_failure("alice", "203.0.113.7")
    clock.advance(seconds=2)
    login.check("alice", "203.0.113.7")
    login.record_success("alice", "203.0.113.7")
    login.record_failure("alice", "203.0.113.7")  # the pair starts again from zero ...
    login.record_failure("mallory", "203.0.113.7")
    with pytest.raises(TooManyAttempts):  # ... but the address counter kept counting
        login.check("carol", "203.0.113.7")


def test_asvs_2_2_1_at_most_100_guesses_an_hour(clock: FakeClock) -> None:
    login = LoginThrottle(InMemoryThrottleStore(clock=clock), clock=clock)
    end = START + timedelta(hours=1)
    guesses = 0
    while clock.now < end:
        try:
            login.check("alice", "203.0.113.7")
        except TooManyAttempts as exc:
            clock.now += exc.retry_after
            continue
        login.record_failure("alice", "203.0.113.7")
        guesses += 1
    assert guesses < 20


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd:12::/64"),
    ],
)
def test_client_buckets(address: str, bucket: str) -> None:
    assert client_bucket(address) == bucket


def test_unparseable_address_is_hashed() -> None:
    assert client_bucket("unknown").startswith("raw-") and "unknown" not in client_bucket("unknown")


def test_store_expiry_and_bound(clock: FakeClock) -> None:
    store = InMemoryThrottleStore(clock=clock, max_keys=3)
    throttle = Throttle(store, BackoffPolicy(forget_after=timedelta(hours=1)), clock=clock)
    for key in "abcd":
        throttle.failure(key)
    assert len(store) == 3 and store.get("a") is None and store.get("d") is not None
    clock.advance(hours=1)
    assert store.get("d") is None


def test_store_updates_are_atomic(clock: FakeClock) -> None:
    store = InMemoryThrottleStore(clock=clock)
    throttle = Throttle(store, clock=clock)

    def hammer() -> None:
        for _ in range(200):
            throttle.failure("shared")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = store.get("shared")
    assert state is not None and state.failures == 1600


def test_naive_clock_refused() -> None:
    throttle = Throttle(InMemoryThrottleStore(), clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone"):
        throttle.check("k")


def test_stored_keys_are_keyed_hashes_of_user_and_address(clock: FakeClock) -> None:
    stores = [InMemoryThrottleStore(clock=clock), InMemoryThrottleStore(clock=clock)]
    for store, key in zip(stores, (b"k" * 32, b"j" * 32), strict=True):
        LoginThrottle(store, clock=clock, key=key).record_failure("north/alice", "203.0.113.7")
    names = [set(store._items) for store in stores]
    assert len(names[0]) == 3 and not any("alice" in n or "203.0.113" in n for n in names[0])
    assert names[0].isdisjoint(names[1])  # another secret key, other stored names: guessing needs the key
