import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from warden.auth.errors import InvalidMfaCode, MfaCodeReplayed
from warden.auth.redaction import MASK, Secret
from warden.auth.totp import (
    RECOVERY_CODE_COUNT,
    consume_recovery_code,
    enrol_totp,
    generate_recovery_codes,
    hash_recovery_code,
    totp_code,
    totp_step,
    verify_totp,
)

NOW = datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STEP = totp_step(NOW)


def code_at(offset_steps: int) -> str:
    return totp_code(SECRET, STEP + offset_steps)


def test_enrolment() -> None:
    enrolment = enrol_totp("alice.jones@police.example")
    secret = enrolment.secret.reveal()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)  # 160 bits
    assert len(base64.b32decode(secret)) == 20
    uri = urlparse(enrolment.provisioning_uri.reveal())
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert uri.path == "/Warden:alice.jones%40police.example"
    query = parse_qs(uri.query)
    assert query["secret"] == [secret] and query["issuer"] == ["Warden"]
    assert secret not in repr(enrolment) and MASK in repr(enrolment)
    assert enrol_totp("alice").secret != enrolment.secret


def test_matches_rfc6238_and_pyotp() -> None:
    rfc_secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(rfc_secret, 59 // 30) == "287082"  # RFC 6238 appendix B, T=59, last 6 digits
    assert totp_code(SECRET, STEP) == pyotp.TOTP(SECRET).at(NOW)


def test_current_code_returns_its_step() -> None:
    assert verify_totp(SECRET, code_at(0), now=NOW, last_used_step=None) == STEP
    assert verify_totp(Secret(SECRET), Secret(code_at(0)), now=NOW, last_used_step=STEP - 5) == STEP


def test_replay_refused() -> None:
    used = verify_totp(SECRET, code_at(0), now=NOW, last_used_step=None)
    with pytest.raises(MfaCodeReplayed) as info:
        verify_totp(SECRET, code_at(0), now=NOW + timedelta(seconds=5), last_used_step=used)
    assert info.value.code == "mfa_code_replayed" and isinstance(info.value, InvalidMfaCode)
    # An earlier code, still inside the window, is refused too once a later step was used.
    with pytest.raises(MfaCodeReplayed):
        verify_totp(SECRET, code_at(-1), now=NOW, last_used_step=used)
    # The next code is fine.
    assert verify_totp(SECRET, code_at(1), now=NOW + timedelta(seconds=30), last_used_step=used) == STEP + 1


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_of_skew_either_side(offset: int) -> None:
    assert verify_totp(SECRET, code_at(offset), now=NOW, last_used_step=None) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_outside_the_window(offset: int) -> None:
    with pytest.raises(InvalidMfaCode) as info:
        verify_totp(SECRET, code_at(offset), now=NOW, last_used_step=None)
    assert type(info.value) is InvalidMfaCode


def test_window_zero_and_two() -> None:
    with pytest.raises(InvalidMfaCode):
        verify_totp(SECRET, code_at(-1), now=NOW, last_used_step=None, window=0)
    assert verify_totp(SECRET, code_at(-2), now=NOW, last_used_step=None, window=2) == STEP - 2
    with pytest.raises(ValueError, match="window"):
        verify_totp(SECRET, code_at(0), now=NOW, last_used_step=None, window=5)


def test_spaces_and_hyphens_allowed_in_input() -> None:
    code = code_at(0)
    assert verify_totp(SECRET, f" {code[:3]} {code[3:]} ", now=NOW, last_used_step=None) == STEP
    assert verify_totp(SECRET, f"{code[:3]}-{code[3:]}", now=NOW, last_used_step=None) == STEP


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "１２３４５６", "12345\n"])
def test_malformed_codes(bad: str) -> None:
    with pytest.raises(InvalidMfaCode):
        verify_totp(SECRET, bad, now=NOW, last_used_step=None)


def test_wrong_code() -> None:
    wrong = f"{(int(code_at(0)) + 1) % 1_000_000:06d}"
    if wrong in {code_at(-1), code_at(1)}:  # astronomically unlikely, but keep the test honest
        pytest.skip("neighbouring code collision")
    with pytest.raises(InvalidMfaCode):
        verify_totp(SECRET, wrong, now=NOW, last_used_step=None)


def test_naive_time_and_weak_secret_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        verify_totp(SECRET, code_at(0), now=NOW.replace(tzinfo=None), last_used_step=None)
    with pytest.raises(ValueError, match="128 bits"):
        verify_totp("JBSWY3DPEHPK3PXP", "123456", now=NOW, last_used_step=None)


# --- recovery codes ------------------------------------------------------------------------


def test_recovery_codes_shape() -> None:
    issued = generate_recovery_codes()
    codes = [c.reveal() for c in issued.codes]
    assert len(codes) == RECOVERY_CODE_COUNT == len(issued.hashes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", c) for c in codes)
    assert all(h.startswith("rc1$") for h in issued.hashes)
    assert not any(c.replace("-", "") in h for c in codes for h in issued.hashes)
    assert not any(c in repr(issued) for c in codes)
    assert len(set(hash_recovery_code("AAAA-BBBB-CCCC-DDDD") for _ in range(3))) == 3  # salted


def test_recovery_code_is_single_use() -> None:
    issued = generate_recovery_codes()
    code = issued.codes[3]
    use = consume_recovery_code(code, issued.hashes)
    assert use.used_hash == issued.hashes[3]
    assert use.remaining == issued.hashes[:3] + issued.hashes[4:]
    with pytest.raises(InvalidMfaCode):
        consume_recovery_code(code, use.remaining)
    # The others still work.
    assert consume_recovery_code(issued.codes[0], use.remaining).used_hash == issued.hashes[0]


def test_recovery_code_input_is_forgiving() -> None:
    stored = (hash_recovery_code("0123-4567-89AB-CDEF"),)
    for typed in ["0123-4567-89ab-cdef", "o123 4567 89ab cdef", "0I23456789ABCDEF", "0L23-4567-89AB-CDEF"]:
        assert consume_recovery_code(typed, stored).remaining == ()


@pytest.mark.parametrize("bad", ["", "0123-4567-89AB-CDEE", "0123-4567-89AB", "not a code at all"])
def test_wrong_recovery_code(bad: str) -> None:
    stored = (hash_recovery_code("0123-4567-89AB-CDEF"),)
    with pytest.raises(InvalidMfaCode):
        consume_recovery_code(bad, stored)


def test_garbage_stored_hash_is_a_bug() -> None:
    with pytest.raises(ValueError):
        consume_recovery_code("0123-4567-89AB-CDEF", ["plain text code"])
