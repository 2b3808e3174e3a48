"""Keeping secrets out of logs, error messages and API responses (ASVS 7.1.1, 7.1.2, 8.3.4).

``Secret`` wraps a value so that every ordinary way of turning it into text (``str``, ``repr``,
f-strings and format specs, ``%`` formatting, ``logging``, ``json.dumps(default=str)``, the repr
of a dataclass that holds it) shows ``**********``. The value is reached only by calling
``reveal()``, which makes every use of the plaintext greppable. Secrets cannot be pickled (so they
do not end up in a task queue or a cache by accident) and ``json.dumps`` without ``default``
refuses them.

``redact`` masks secrets inside structures about to be logged (values under sensitive keys, API
tokens, bearer tokens, JWTs and ``otpauth://`` secrets found in text), and ``RedactingFilter``
applies the text rules to every log record that passes through a handler.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, Generic, NoReturn, TypeVar, overload

MASK = "**********"

T = TypeVar("T")


class Secret(Generic[T]):
    """A value that never shows itself. ``reveal()`` is the only way in."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        if isinstance(value, Secret):
            raise TypeError("Secret(Secret(...)) is a mistake: wrap the plain value once")
        self._value = value

    def reveal(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        """Constant-time for ``str`` and ``bytes`` values; a Secret never equals a plain value."""
        if not isinstance(other, Secret):
            return NotImplemented
        mine, theirs = self._value, other._value
        if isinstance(mine, str) and isinstance(theirs, str):
            return hmac.compare_digest(mine.encode(), theirs.encode())
        if isinstance(mine, bytes) and isinstance(theirs, bytes):
            return hmac.compare_digest(mine, theirs)
        return bool(mine == theirs)

    __hash__ = None  # type: ignore[assignment]  # equality is by value; do not use secrets as keys

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or serialised; call reveal() deliberately")

    def __copy__(self) -> Secret[T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret[T]:
        return self


@overload
def reveal(value: Secret[T]) -> T: ...
@overload
def reveal(value: T) -> T: ...
def reveal(value: Any) -> Any:
    """The plain value of ``value``, whether or not it is wrapped."""
    return value.reveal() if isinstance(value, Secret) else value


SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|authori[sz]ation|cookie|api[_-]?key|private[_-]?key|"
    r"credential|session[_-]?id|csrf|otp|recovery|pepper|signature",
    re.IGNORECASE,
)

_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Warden API tokens: keep the lookup prefix (useful for support), hide the secret.
    (re.compile(r"\b(wdn_[0-9a-f]{12}_)[A-Za-z0-9_-]{20,}"), r"\g<1>" + MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\g<1> " + MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"(?i)([?&]secret=)[A-Z2-7=]+"), r"\g<1>" + MASK),
)


def redact_text(text: str) -> str:
    """Mask API tokens, bearer/basic credentials, JWTs and TOTP secrets in free text."""
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, *, extra_keys: Iterable[str] = ()) -> Any:
    """A copy of ``value`` that is safe to log.

    Secrets become ``MASK``; in mappings, values under sensitive-looking keys (``password``,
    ``token``, ``authorization``, ``cookie``, ``api_key``, ``secret`` ... and ``extra_keys``)
    become ``MASK``; strings pass through ``redact_text``; lists, tuples and sets are walked.
    Other values are returned unchanged.
    """
    extra = frozenset(k.casefold() for k in extra_keys)
    return _redact(value, extra, depth=0)


def _redact(value: Any, extra: frozenset[str], depth: int) -> Any:
    if depth > 32:
        return MASK  # pathological nesting: safer to hide than to recurse without bound
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            key: MASK if _sensitive(key, extra) else _redact(item, extra, depth + 1) for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_redact(item, extra, depth + 1) for item in value)
    return value


def _sensitive(key: object, extra: frozenset[str]) -> bool:
    return isinstance(key, str) and (SENSITIVE_KEY.search(key) is not None or key.casefold() in extra)


class RedactingFilter(logging.Filter):
    """A logging filter that applies ``redact_text`` to each record's final message.

    Attach it to handlers (``handler.addFilter(RedactingFilter())``) so that it sees records from
    every logger. It is a safety net: code should still never pass a plain secret to a logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
