"""Canonical JSON: the one byte form of a JSON value that the audit hashes cover.

Rules (version 1; changing any of them changes every hash, so they never change in place):

* Values allowed: ``None``, ``True``/``False``, integers in the interoperable range
  ``-(2**53 - 1) .. 2**53 - 1``, finite floats, strings, lists/tuples and mappings with
  string keys. Anything else is refused with :class:`CanonicalJSONError`: NaN and
  infinities, integers outside that range (write big identifiers such as X post ids as
  strings), bytes, sets, and datetimes (serialise them first, e.g. with
  :func:`warden.audit.entry.format_timestamp`, so the caller chooses the precision).
  ``str``/``int``/``float`` subclasses (such as ``StrEnum`` members) are encoded by value.
* Objects: keys sorted by Unicode code point, no duplicate keys (mappings cannot hold them).
* No insignificant whitespace: separators are ``,`` and ``:``.
* Strings: UTF-8, not escaped beyond what JSON requires (``"``, ``\\`` and the control
  characters below U+0020, written as ``\\n``-style or ``\\u00XX`` escapes); no Unicode
  normalisation is applied, the text is hashed as given. Lone surrogates are refused.
* Numbers: integers in decimal; floats as Python's shortest round-trip ``repr`` (``1.0``,
  ``1e-07``, ``-0.0``). Prefer integers or strings where another language must re-verify.
* Tuples encode as arrays; nesting deeper than 32 levels is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeAlias

from warden.audit.errors import CanonicalJSONError

JsonValue: TypeAlias = "bool | int | float | str | Sequence[JsonValue] | Mapping[str, JsonValue] | None"

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 32

__all__ = ["MAX_DEPTH", "MAX_SAFE_INTEGER", "JsonValue", "canonical_json", "check_canonical", "encode_checked",
           "state_hash"]


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []


_FAST = frozenset({str, bool, type(None)})


def _check(value: object, depth: int) -> None:
    kind = type(value)
    if kind in _FAST or isinstance(value, str):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise _Invalid("integer outside ±(2**53 - 1); write it as a string")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid("NaN and infinities have no JSON form")
        return
    if depth >= MAX_DEPTH:
        raise _Invalid(f"nested deeper than {MAX_DEPTH} levels")
    if kind is dict or kind is MappingProxyType or isinstance(value, Mapping):
        for key, item in value.items():  # type: ignore[attr-defined]
            if not isinstance(key, str):
                raise _Invalid(f"object key {key!r} is not a string")
            if type(item) in _FAST:
                continue
            try:
                _check(item, depth + 1)
            except _Invalid as exc:
                exc.path.append(f".{key}")
                raise
        return
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        for index, item in enumerate(value):  # type: ignore[arg-type]
            if type(item) in _FAST:
                continue
            try:
                _check(item, depth + 1)
            except _Invalid as exc:
                exc.path.append(f"[{index}]")
                raise
        return
    name = type(value).__name__
    hint = " (serialise it first, e.g. with format_timestamp)" if name in {"datetime", "date", "time"} else ""
    raise _Invalid(f"a {name} has no canonical JSON form{hint}")


def check_canonical(value: object, *, root: str = "$") -> None:
    """Raise :class:`CanonicalJSONError` (naming the path, e.g. ``$.a[2]``) unless ``value`` obeys the rules."""
    try:
        _check(value, 0)
    except _Invalid as exc:
        raise CanonicalJSONError(f"{root}{''.join(reversed(exc.path))}: {exc.reason}") from None


def _plain(value: object) -> dict[str, Any]:
    # Called by the json encoder only for non-dict mappings that check_canonical accepted.
    if type(value) is MappingProxyType:
        return value.copy()
    if isinstance(value, Mapping):
        return dict(value)
    raise CanonicalJSONError(f"a {type(value).__name__} has no canonical JSON form")  # pragma: no cover


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"), default=_plain
)
# The C encoder behind json.dumps, built once: json.JSONEncoder.encode rebuilds it on every call.
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODER = (None if _make_c_encoder is None else
              _make_c_encoder(None, _plain, json.encoder.encode_basestring, None, ":", ",", True, False, False))


def _encode(value: object) -> str:
    if _C_ENCODER is None or isinstance(value, str):  # pragma: no cover - CPython always has the C encoder
        return _ENCODER.encode(value)
    return "".join(_C_ENCODER(value, 0))


def canonical_json(value: object) -> bytes:
    """The canonical UTF-8 JSON bytes of ``value`` (see the module docstring for the rules)."""
    check_canonical(value)
    return encode_checked(value)


def encode_checked(value: object) -> bytes:
    """:func:`canonical_json` for a value already known to pass :func:`check_canonical`
    (e.g. the fields of a validated, immutable :class:`AuditEntry`): encodes without re-walking it."""
    try:
        return _encode(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError("a string holds a lone surrogate, which UTF-8 cannot encode") from exc


def state_hash(state: object) -> str:
    """SHA-256 (lower-case hex) of the canonical JSON of an object's state, for before/after hashes."""
    return hashlib.sha256(canonical_json(state)).hexdigest()
