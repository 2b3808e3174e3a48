import unicodedata
from pathlib import Path

import argon2
import pytest

from warden.auth.errors import InsecureConfiguration, PasswordHashError, WeakPassword
from warden.auth.passwords import (
    MAX_PASSWORD_INPUT_CHARS,
    Argon2Parameters,
    PasswordHasher,
    PasswordPolicy,
    common_passwords,
)
from warden.auth.redaction import Secret

CHEAP = Argon2Parameters(time_cost=1, memory_cost_kib=1024, parallelism=1, allow_below_minimum=True)


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(CHEAP)


def test_round_trip(hasher: PasswordHasher) -> None:
    stored = hasher.hash("purple elephant dances")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert hasher.verify(stored, "purple elephant dances")
    assert hasher.verify(stored, Secret("purple elephant dances"))
    assert not hasher.verify(stored, "purple elephant dance")
    assert not hasher.verify(stored, "Purple elephant dances")


def test_fresh_salt_every_time(hasher: PasswordHasher) -> None:
    assert hasher.hash("same password here") != hasher.hash("same password here")


def test_no_truncation(hasher: PasswordHasher) -> None:
    # bcrypt would ignore everything after 72 bytes; argon2 must not.
    long = "x" * 100 + "correct ending"
    stored = hasher.hash(long)
    assert hasher.verify(stored, long)
    assert not hasher.verify(stored, "x" * 100 + "correct endinG")


def test_unicode_is_nfkc_normalised(hasher: PasswordHasher) -> None:
    composed = "café crème brûlée"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert hasher.verify(hasher.hash(composed), decomposed)
    assert hasher.verify(hasher.hash("🐙 octopus garden ☂"), "🐙 octopus garden ☂")


class _SpyArgon2:
    def __init__(self, real: argon2.PasswordHasher, calls: list[str]) -> None:
        self.real, self.calls = real, calls

    def verify(self, stored: str, password: bytes) -> bool:
        self.calls.append(stored)
        return self.real.verify(stored, password)


def test_unknown_user_costs_one_argon2_verification(hasher: PasswordHasher, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(hasher, "_argon2", _SpyArgon2(hasher._argon2, calls))
    assert hasher.verify(None, "whatever password") is False
    assert len(calls) == 1 and calls[0].startswith("$argon2id$v=19$m=1024,t=1,p=1$")  # same cost as a real one
    assert hasher.verify(None, "y" * (MAX_PASSWORD_INPUT_CHARS + 1)) is False
    assert len(calls) == 2


def test_lone_surrogate_does_not_crash(hasher: PasswordHasher) -> None:
    stored = hasher.hash("an ordinary password")
    assert hasher.verify(stored, "bad \ud800 input") is False


def test_corrupt_hash_is_a_data_error(hasher: PasswordHasher) -> None:
    with pytest.raises(PasswordHashError):
        hasher.verify("$2b$12$notargon", "password")
    with pytest.raises(PasswordHashError):
        hasher.needs_rehash("not a hash")


def test_needs_rehash(hasher: PasswordHasher) -> None:
    stored = hasher.hash("purple elephant dances")
    assert not hasher.needs_rehash(stored)
    stronger = PasswordHasher(
        Argon2Parameters(time_cost=2, memory_cost_kib=2048, parallelism=1, allow_below_minimum=True)
    )
    assert stronger.needs_rehash(stored)
    assert stronger.verify(stored, "purple elephant dances")  # old hashes keep working


def test_overlong_input_refused_before_hashing(hasher: PasswordHasher) -> None:
    with pytest.raises(WeakPassword) as info:
        hasher.hash("z" * (MAX_PASSWORD_INPUT_CHARS + 1))
    assert info.value.reasons == ("too_long",)


def test_default_parameters_are_rfc9106_low_memory() -> None:
    params = Argon2Parameters()
    assert (params.time_cost, params.memory_cost_kib, params.parallelism) == (3, 65_536, 4)
    stored = PasswordHasher().hash("a real-cost hash")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize(("memory", "time"), [(19_456, 2), (47_104, 1), (12_288, 3), (9_216, 4), (7_168, 5)])
def test_owasp_options_accepted(memory: int, time: int) -> None:
    Argon2Parameters(time_cost=time, memory_cost_kib=memory, parallelism=1)


@pytest.mark.parametrize(("memory", "time"), [(19_456, 1), (4_096, 10), (1_024, 1)])
def test_below_owasp_refused(memory: int, time: int) -> None:
    with pytest.raises(InsecureConfiguration):
        Argon2Parameters(time_cost=time, memory_cost_kib=memory, parallelism=1)


def test_short_salt_refused_even_in_tests() -> None:
    with pytest.raises(InsecureConfiguration):
        Argon2Parameters(salt_len=8, allow_below_minimum=True)


# --- policy --------------------------------------------------------------------------------

POLICY = PasswordPolicy()


@pytest.mark.parametrize(
    "password",
    [
        "purple elephant dances quietly",
        "Tr0ub4dor&3xyz",
        "日本語のパスワードです長い",
        "🐙🦑🐳 under the sea ride",
        "correct pony staple battery",
        "abbZq9!mN4#kL2@",
        "Fjord-Quartz-Vixen-17",
    ],
)
def test_good_passwords(password: str) -> None:
    assert POLICY.problems(password, username="alice", email="alice.jones@police.example") == ()
    POLICY.enforce(password)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "too_short"),
        ("a          b", "too_short"),  # runs of spaces count once (ASVS 2.1.1)
        ("x7" * 64 + "q", "too_long"),
        ("password1234", "common"),
        ("PASSWORD12345", "common"),
        ("P@ssw0rd1234!", "common"),
        ("Liverpool1892!", "common"),
        ("qwertyuiopasdf", "common"),
        ("iloveyou forever", "common"),
        ("thinblueline1!!", "common"),
        ("aaaaaaaaaaaa", "repetitive"),
        ("abababababab", "repetitive"),
        ("hellohellohello", "repetitive"),
        ("abcdefghijklmn", "sequential"),
        ("9876543210987", "sequential"),
        ("Alice.Jones-2024!", "contains_user_name"),
        ("my name is alicejones!", "contains_user_name"),
        ("big boss ajones99 here", "contains_user_name"),
        ("my warden password!", "contains_context_word"),
        ("tab\there\tand\tthere", "invalid_characters"),
        ("bad \ud800 surrogate x", "invalid_characters"),
    ],
)
def test_refused_passwords(password: str, reason: str) -> None:
    reasons = POLICY.problems(password, username="ajones99", email="alice.jones@police.example")
    assert reason in reasons


def test_length_limits_are_inclusive() -> None:
    assert "too_short" not in POLICY.problems("lmnop qrs tu")  # 12 characters
    assert "too_short" in POLICY.problems("lmnop qrs t")
    ok_128 = ("Fjord Quartz Vixen 17 " * 6)[:127] + "!"
    assert len(ok_128) == 128 and "too_long" not in POLICY.problems(ok_128)
    assert "too_long" in POLICY.problems(ok_128 + "x")


def test_username_that_is_an_email_and_extra_context_words() -> None:
    assert "contains_user_name" in POLICY.problems("hello mjones the great", username="mjones@force.example")
    assert "contains_context_word" in POLICY.problems(
        "northshire rocks always", context_words=["Northshire"]
    )
    assert POLICY.problems("purple elephant dances", username="al") == ()  # too short to be meaningful


def test_enforce_lists_every_reason_and_never_echoes_the_password() -> None:
    with pytest.raises(WeakPassword) as info:
        POLICY.enforce("alicealice", username="alice")
    assert info.value.code == "weak_password"
    assert set(info.value.reasons) >= {"too_short", "repetitive", "contains_user_name"}
    assert "alicealice" not in str(info.value)
    assert "12 characters" in str(info.value)


def test_bundled_list() -> None:
    words = common_passwords()
    assert len(words) >= 300
    assert all(w == w.casefold() and w == w.strip() and not w.startswith("#") for w in words)


def test_local_blocklist_file(tmp_path: Path) -> None:
    extra = tmp_path / "local.txt"
    extra.write_text("# force-specific\nNorthshire Constabulary\n", encoding="utf-8")
    policy = POLICY.with_blocklist_file(extra)
    assert "common" in policy.problems("northshire constabulary")
    assert "common" not in POLICY.problems("northshire constabulary")


def test_policy_floor() -> None:
    with pytest.raises(InsecureConfiguration):
        PasswordPolicy(min_length=6)
    with pytest.raises(InsecureConfiguration):
        PasswordPolicy(max_length=32)
