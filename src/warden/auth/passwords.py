"""Password hashing (argon2id) and the password policy.

Hashing (ASVS 2.4.1, 2.4.2, 2.4.4, 6.2.4): argon2id through argon2-cffi, a fresh 128-bit salt per
hash, parameters encoded in the hash so they can be raised later (``needs_rehash`` tells the
caller to re-hash after a successful login). The default is RFC 9106's low-memory profile
(t=3, m=64 MiB, p=4), stronger than OWASP's floor (m=19 MiB, t=2, p=1); parameters below OWASP's
floor are refused unless explicitly allowed (tests only).

Passwords are NFKC-normalised before hashing and verifying (NIST SP 800-63B 5.1.1.2), so the same
password typed on different keyboards or platforms verifies. Nothing is truncated (ASVS 2.1.3):
argon2 takes the whole UTF-8 encoding.

Unknown users (ASVS 2.2.1 / account enumeration): ``verify(None, password)`` checks the password
against a dummy hash made with the current parameters, so an unknown user name costs the same time
as a wrong password.

Policy (ASVS 2.1.1, 2.1.2, 2.1.4, 2.1.7, 2.1.9): at least 12 characters (runs of spaces count as
one), at most 128, any printable Unicode, no composition rules; refuses common passwords (a bundled
list plus simple variants: case, leading/trailing digits and symbols, leetspeak), repetitive and
sequential strings, and passwords that contain the user name, the e-mail local part or other
context words.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from warden.auth.errors import InsecureConfiguration, PasswordHashError, WeakPassword
from warden.auth.redaction import Secret, reveal

#: Anything longer is refused outright (before any work), whatever the policy says.
MAX_PASSWORD_INPUT_CHARS = 4096

# OWASP Password Storage Cheat Sheet: m=47104/t=1, m=19456/t=2, m=12288/t=3, m=9216/t=4, m=7168/t=5.
_OWASP_MIN_MEMORY_KIB = 7168
_OWASP_MIN_MEMORY_TIME_PRODUCT = 35_840


@dataclass(frozen=True)
class Argon2Parameters:
    """argon2id cost parameters. ``memory_cost_kib`` is in KiB."""

    time_cost: int = 3
    memory_cost_kib: int = 65_536
    parallelism: int = 4
    hash_len: int = 32
    salt_len: int = 16
    #: Only for tests: accept parameters below OWASP's minimum.
    allow_below_minimum: bool = False

    def __post_init__(self) -> None:
        if min(self.time_cost, self.memory_cost_kib, self.parallelism) < 1:
            raise InsecureConfiguration("argon2 parameters must be positive")
        if self.hash_len < 16 or self.salt_len < 16:
            raise InsecureConfiguration("argon2 hash and salt must be at least 16 bytes")
        if self.allow_below_minimum:
            return
        if (
            self.memory_cost_kib < _OWASP_MIN_MEMORY_KIB
            or self.memory_cost_kib * self.time_cost < _OWASP_MIN_MEMORY_TIME_PRODUCT
        ):
            raise InsecureConfiguration(
                "argon2 parameters are below OWASP's minimum (e.g. m=19456 KiB with t=2, or m=47104 KiB with t=1)"
            )


def normalise_password(password: str) -> str:
    """NFKC, as used for hashing, verifying and the policy."""
    return unicodedata.normalize("NFKC", password)


def _encode(password: str) -> bytes:
    # surrogatepass: a lone surrogate (which the policy refuses on set) must not crash a login.
    return normalise_password(password).encode("utf-8", "surrogatepass")


class PasswordHasher:
    """argon2id hashing with timing-equal verification for unknown users."""

    def __init__(self, parameters: Argon2Parameters | None = None) -> None:
        self.parameters = parameters or Argon2Parameters()
        p = self.parameters
        self._argon2 = argon2.PasswordHasher(
            time_cost=p.time_cost,
            memory_cost=p.memory_cost_kib,
            parallelism=p.parallelism,
            hash_len=p.hash_len,
            salt_len=p.salt_len,
            type=argon2.Type.ID,
        )
        # Made once, eagerly, so that even the first unknown-user login takes the usual time.
        self._dummy_hash = self._argon2.hash(secrets.token_urlsafe(32))

    def hash(self, password: str | Secret[str]) -> str:
        """The encoded argon2id hash (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``) to store."""
        plain = reveal(password)
        if len(plain) > MAX_PASSWORD_INPUT_CHARS:
            raise WeakPassword("password is too long", reasons=("too_long",))
        return self._argon2.hash(_encode(plain))

    def verify(self, stored_hash: str | None, password: str | Secret[str]) -> bool:
        """True when ``password`` matches ``stored_hash``.

        Pass ``None`` for an unknown user: the password is checked against a dummy hash so that
        the call takes as long as a real one, and the answer is False. A corrupt stored hash
        raises ``PasswordHashError`` (a data problem, not a wrong password).
        """
        plain = reveal(password)
        if stored_hash is None or len(plain) > MAX_PASSWORD_INPUT_CHARS:
            self._burn(plain[:MAX_PASSWORD_INPUT_CHARS])
            return False
        try:
            return self._argon2.verify(stored_hash, _encode(plain))
        except VerifyMismatchError:
            return False
        except InvalidHashError as exc:
            raise PasswordHashError("the stored password hash is not a valid argon2 hash") from exc
        except VerificationError:
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when ``stored_hash`` was made with other parameters (or not with argon2id)."""
        try:
            return self._argon2.check_needs_rehash(stored_hash)
        except (InvalidHashError, ValueError) as exc:
            raise PasswordHashError("the stored password hash is not a valid argon2 hash") from exc

    def _burn(self, plain: str) -> None:
        with contextlib.suppress(VerificationError):
            self._argon2.verify(self._dummy_hash, _encode(plain))


# ---------------------------------------------------------------------------------------------
# Policy


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, NFKC-normalised and case-folded."""
    text = resources.files("warden.auth").joinpath("data/common_passwords.txt").read_text("utf-8")
    return _parse_blocklist(text)


def _parse_blocklist(text: str) -> frozenset[str]:
    entries = (line.strip() for line in text.splitlines())
    return frozenset(_fold(line) for line in entries if line and not line.startswith("#"))


def _fold(text: str) -> str:
    return normalise_password(text).casefold()


_LEET = str.maketrans({"@": "a", "4": "a", "8": "b", "3": "e", "6": "g", "1": "i", "!": "i",
                       "0": "o", "5": "s", "$": "s", "7": "t", "2": "z", "+": "t", "|": "l"})
_EDGE_NOISE = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_SPACES = re.compile(r"\s+")
_DIGITS = frozenset("0123456789")
_SEPARATORS = re.compile(r"[._+\-]+")

REASONS = {
    "too_short": "Use at least {min_length} characters; a few unrelated words make a good password.",
    "too_long": "Use at most {max_length} characters.",
    "invalid_characters": "Control characters cannot be used in a password.",
    "common": "This password is too common; attackers try it first.",
    "repetitive": "This password repeats itself too much.",
    "sequential": "This password is a simple sequence.",
    "contains_user_name": "The password must not contain your user name or e-mail name.",
    "contains_context_word": "The password must not contain the name of this service or organisation.",
}


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules a new password must meet. Composition rules are deliberately absent (ASVS 2.1.9)."""

    min_length: int = 12
    max_length: int = 128
    blocklist: frozenset[str] = field(default_factory=common_passwords, repr=False)
    context_words: frozenset[str] = frozenset({"warden"})

    def __post_init__(self) -> None:
        if self.min_length < 8 or self.max_length < max(64, self.min_length):
            raise InsecureConfiguration("password length limits below ASVS 2.1.1/2.1.2 (min >= 8, max >= 64)")

    def with_blocklist_file(self, path: Path) -> PasswordPolicy:
        """This policy plus a local blocklist file (one password per line, ``#`` comments)."""
        extra = _parse_blocklist(path.read_text("utf-8"))
        return replace(self, blocklist=self.blocklist | extra)

    def problems(
        self,
        password: str | Secret[str],
        *,
        username: str | None = None,
        email: str | None = None,
        context_words: Iterable[str] = (),
    ) -> tuple[str, ...]:
        """Reason codes (keys of ``REASONS``) why ``password`` is refused; empty when acceptable."""
        plain = normalise_password(reveal(password))
        reasons: list[str] = []
        length = len(_SPACES.sub(" ", plain))
        if length < self.min_length:
            reasons.append("too_short")
        if len(plain) > self.max_length:
            reasons.append("too_long")
        if any(unicodedata.category(ch) in ("Cc", "Cs", "Cn") for ch in plain):
            reasons.append("invalid_characters")
        folded = plain.casefold()
        if self._is_common(folded):
            reasons.append("common")
        if _is_repetitive(folded):
            reasons.append("repetitive")
        if _is_sequential(folded):
            reasons.append("sequential")
        squashed = _SPACES.sub("", folded)
        forms = (squashed, squashed.translate(_LEET))
        if any(w in form for w in _identity_words(username, email) for form in forms):
            reasons.append("contains_user_name")
        if any(w in form for w in _words([*self.context_words, *context_words]) for form in forms):
            reasons.append("contains_context_word")
        return tuple(reasons)

    def enforce(
        self,
        password: str | Secret[str],
        *,
        username: str | None = None,
        email: str | None = None,
        context_words: Iterable[str] = (),
    ) -> None:
        """Raise ``WeakPassword`` (with every reason) unless ``password`` is acceptable."""
        reasons = self.problems(password, username=username, email=email, context_words=context_words)
        if reasons:
            message = " ".join(
                REASONS[r].format(min_length=self.min_length, max_length=self.max_length) for r in reasons
            )
            raise WeakPassword(message, reasons=reasons)

    def _is_common(self, folded: str) -> bool:
        squashed = _SPACES.sub("", folded)
        candidates = {folded, squashed}
        for text in (folded, squashed):
            base = _EDGE_NOISE.sub("", text)
            if len(base) >= 4:
                candidates.add(base)
            leet = text.translate(_LEET)
            candidates.update({leet, leet.replace("i", "l"), _EDGE_NOISE.sub("", leet)})
            stripped_leet = _EDGE_NOISE.sub("", text).translate(_LEET)
            if len(stripped_leet) >= 4:
                candidates.add(stripped_leet)
        return not candidates.isdisjoint(self.blocklist)


def _is_repetitive(folded: str) -> bool:
    if len(set(folded)) < 4:
        return True
    # Made of one unit repeated ("abcabcabcabc", "hellohellohello").
    return len(folded) >= 2 and folded in (folded + folded)[1:-1]


def _is_sequential(folded: str) -> bool:
    if len(folded) < 2:
        return False
    steps: set[int] = set()
    for a, b in itertools.pairwise(folded):
        step = ord(b) - ord(a)
        if a in _DIGITS and b in _DIGITS:
            step = (int(b) - int(a)) % 10
            step = -1 if step == 9 else step
        steps.add(step)
    return steps in ({1}, {-1})


def _identity_words(username: str | None, email: str | None) -> set[str]:
    words: set[str] = set()
    if username:
        name = _fold(username)
        words.update({name, _SEPARATORS.sub("", name)})
        if "@" in name:
            email = email or username
    if email:
        local = _fold(email).rsplit("@", 1)[0]
        words.update({local, _SEPARATORS.sub("", local)})
    return _words(words)


def _words(candidates: Iterable[str]) -> set[str]:
    """Folded, space-free words of at least 3 characters (shorter ones would refuse too much)."""
    folded = (_SPACES.sub("", _fold(c)) for c in candidates)
    return {w for w in folded if len(w) >= 3}
