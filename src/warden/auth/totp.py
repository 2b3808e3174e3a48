"""TOTP second factor (RFC 6238) and single-use recovery codes.

TOTP (ASVS 2.8.1, 2.8.3, 2.8.4, 2.8.6): 160-bit random secrets (RFC 4226 section 4), HMAC-SHA1,
6 digits, 30-second steps (what every authenticator app supports), a window of one step either
side for clock skew, and replay protection: ``verify_totp`` accepts only a time step later than the
last one used and returns the step it matched, which the caller stores (in the same transaction as
the login) and passes back next time. The secret must be stored encrypted
(``credentials.CredentialCipher`` with the member id as associated data), never in clear.

Enrolment is two-step: show ``TotpEnrolment.provisioning_uri`` (as a QR code) and activate the
secret only after the member has entered one valid code (``verify_totp(..., last_used_step=None)``).

Recovery codes (ASVS 2.6.1, 2.6.2, 2.6.3): ten codes of 16 Crockford base32 characters (80 random
bits each), shown once and stored only as salted SHA-256 hashes (80 random bits make offline
guessing infeasible, so a slow hash is not needed). ``consume_recovery_code`` says which hash was
used so the caller deletes it; the caller must delete it atomically (a conditional delete that
affects one row) so that two concurrent uses cannot both succeed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pyotp

from warden.auth._time import require_aware
from warden.auth.errors import InvalidMfaCode, MfaCodeReplayed
from warden.auth.redaction import Secret, reveal

ISSUER = "Warden"
TOTP_DIGITS = 6
TOTP_INTERVAL_SECONDS = 30
TOTP_SECRET_CHARS = 32  # base32 characters: 160 bits
MAX_WINDOW = 2

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_CHARS = 16
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE_NOISE = re.compile(r"[\s-]+")
_RECOVERY_HASH_SCHEME = "rc1"


@dataclass(frozen=True)
class TotpEnrolment:
    """A new TOTP secret and the ``otpauth://`` URI an authenticator app scans (it holds the secret)."""

    secret: Secret[str]
    provisioning_uri: Secret[str]


def enrol_totp(account_name: str, *, issuer: str = ISSUER) -> TotpEnrolment:
    """A fresh random secret for ``account_name`` (shown in the app, e.g. the member's e-mail)."""
    if not account_name.strip():
        raise ValueError("account_name must not be empty")
    secret = pyotp.random_base32(length=TOTP_SECRET_CHARS)
    uri = _totp(secret).provisioning_uri(name=account_name, issuer_name=issuer)
    return TotpEnrolment(secret=Secret(secret), provisioning_uri=Secret(uri))


def totp_step(now: datetime) -> int:
    """The RFC 6238 time step (counter) that contains ``now``."""
    return int(require_aware(now, "now").timestamp()) // TOTP_INTERVAL_SECONDS


def totp_code(secret: str | Secret[str], step: int) -> str:
    """The code for ``step`` (for tests, fixtures and the CLI)."""
    return _totp(reveal(secret)).generate_otp(step)


def verify_totp(
    secret: str | Secret[str],
    code: str | Secret[str],
    *,
    now: datetime,
    last_used_step: int | None,
    window: int = 1,
) -> int:
    """Check ``code`` and return the time step it matched; the caller stores it as ``last_used_step``.

    Accepts steps within ``window`` of ``now`` that are later than ``last_used_step``. Raises
    ``MfaCodeReplayed`` for a code of an already used step and ``InvalidMfaCode`` otherwise.
    Every candidate is compared in constant time.
    """
    if not 0 <= window <= MAX_WINDOW:
        raise ValueError(f"window must be between 0 and {MAX_WINDOW}")
    presented = _CODE_NOISE.sub("", reveal(code))
    if len(presented) != TOTP_DIGITS or not presented.isascii() or not presented.isdigit():
        raise InvalidMfaCode("the code must be 6 digits")
    totp = _totp(reveal(secret))
    current = totp_step(now)
    matched: int | None = None
    replayed = False
    for step in range(current - window, current + window + 1):
        if step < 0:
            continue
        if hmac.compare_digest(totp.generate_otp(step).encode(), presented.encode()):
            if last_used_step is not None and step <= last_used_step:
                replayed = True
            else:
                matched = step  # ascending: the latest matching step wins
    if matched is not None:
        return matched
    if replayed:
        raise MfaCodeReplayed("this code has already been used; wait for the next one")
    raise InvalidMfaCode("the code is not valid")


def _totp(secret: str) -> pyotp.TOTP:
    cleaned = secret.replace(" ", "").upper()
    if len(cleaned) < 26 or not re.fullmatch(r"[A-Z2-7]+=*", cleaned):  # 26 base32 chars = 130 bits
        raise ValueError("the TOTP secret must be base32 with at least 128 bits")
    return pyotp.TOTP(cleaned, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_SECONDS)


# ---------------------------------------------------------------------------------------------
# Recovery codes


@dataclass(frozen=True)
class RecoveryCodes:
    """New codes to show once (``codes``) and their hashes to store (``hashes``), in the same order."""

    codes: tuple[Secret[str], ...]
    hashes: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class RecoveryCodeUse:
    """The stored hash that matched (delete it) and the hashes that remain."""

    used_hash: str
    remaining: tuple[str, ...]


def generate_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> RecoveryCodes:
    """``count`` random codes formatted ``XXXX-XXXX-XXXX-XXXX``. Issuing a new set replaces the old one."""
    if not 1 <= count <= 32:
        raise ValueError("count must be between 1 and 32")
    raw = ["".join(secrets.choice(_CROCKFORD) for _ in range(RECOVERY_CODE_CHARS)) for _ in range(count)]
    shown = tuple(Secret("-".join(code[i : i + 4] for i in range(0, RECOVERY_CODE_CHARS, 4))) for code in raw)
    return RecoveryCodes(codes=shown, hashes=tuple(hash_recovery_code(code) for code in raw))


def hash_recovery_code(code: str | Secret[str]) -> str:
    """``rc1$<salt hex>$<sha256 hex>`` of the normalised code, with a fresh 128-bit salt."""
    salt = secrets.token_bytes(16)
    return f"{_RECOVERY_HASH_SCHEME}${salt.hex()}${_digest(salt, _normalise_recovery(reveal(code)))}"


def consume_recovery_code(code: str | Secret[str], stored_hashes: Sequence[str]) -> RecoveryCodeUse:
    """Find the stored hash ``code`` matches; raise ``InvalidMfaCode`` when none does.

    Case, spaces, hyphens and the look-alikes O/0 and I/L/1 do not matter. Every stored hash is
    checked (no early exit).
    """
    normalised = _normalise_recovery(reveal(code))
    used: str | None = None
    for stored in stored_hashes:
        if _matches(stored, normalised) and used is None:
            used = stored
    if used is None or len(normalised) != RECOVERY_CODE_CHARS:
        raise InvalidMfaCode("the recovery code is not valid or has already been used")
    remaining = list(stored_hashes)
    remaining.remove(used)
    return RecoveryCodeUse(used_hash=used, remaining=tuple(remaining))


def _normalise_recovery(code: str) -> str:
    return _CODE_NOISE.sub("", code).upper().translate(_CROCKFORD_FOLD)


def _digest(salt: bytes, normalised: str) -> str:
    return hashlib.sha256(b"warden/recovery-code/v1\x00" + salt + normalised.encode()).hexdigest()


def _matches(stored: str, normalised: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 3 or parts[0] != _RECOVERY_HASH_SCHEME:
        raise ValueError("not a recovery code hash")
    try:
        salt = bytes.fromhex(parts[1])
    except ValueError:
        raise ValueError("not a recovery code hash") from None
    return hmac.compare_digest(_digest(salt, normalised), parts[2])
