"""Graph's failures, read from the error body and the usage headers.

Graph reports most failures with HTTP 400 or 403 and a JSON ``error`` whose
``code`` says what happened (https://developers.facebook.com/docs/graph-api/guides/error-handling):
throttling is 4, 17, 32, 613 or 80001-80014 (Business Use Case limits), an
invalid or expired token is 190 even on a 400, a missing permission is 10 or
200-299. How long to wait comes from ``X-Business-Use-Case-Usage`` (its
``estimated_time_to_regain_access`` is in minutes) and its siblings
(https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from warden.connectors.errors import (
    AuthFailed,
    ConnectorError,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Transient,
)
from warden.connectors.http import DEFAULT_BACKOFF, retry_after
from warden.connectors.meta.fields import label, mapping

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
TOKEN_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})
USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-page-usage", "x-ad-account-usage")
_MAX_WAIT = timedelta(days=1)


def _header_json(headers: httpx.Headers, name: str) -> Any:
    value = headers.get(name)
    if not value or len(value) > 20_000:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _usage_records(headers: httpx.Headers) -> Iterator[Mapping[str, Any]]:
    """Every usage object in the headers: the app/page ones are a single object,
    the business use case one maps an object id to a list of them."""
    for name in USAGE_HEADERS:
        value = _header_json(headers, name)
        if name == "x-business-use-case-usage":
            for entries in mapping(value).values():
                for entry in entries if isinstance(entries, list) else [entries]:
                    if isinstance(entry, dict):
                        yield entry
        elif isinstance(value, dict):
            yield value


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e9:
        return float(value)
    return None


def regain_at(headers: httpx.Headers, now: datetime) -> datetime | None:
    """When access comes back, from the largest ``estimated_time_to_regain_access`` (minutes)."""
    minutes = [m for r in _usage_records(headers)
               if (m := _number(r.get("estimated_time_to_regain_access"))) is not None]
    if not minutes:
        return None
    return now + min(timedelta(minutes=max(minutes)), _MAX_WAIT)


def usage_percent(headers: httpx.Headers) -> int | None:
    """The highest share of any quota used (call count, CPU time, total time), in percent."""
    shares = [n for r in _usage_records(headers)
              for key in ("call_count", "total_cputime", "total_time", "acc_id_util_pct")
              if (n := _number(r.get(key))) is not None]
    return int(min(max(shares), 100)) if shares else None


def graph_error(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return mapping(mapping(body).get("error"))


def _code(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def failure(response: httpx.Response, what: str, *, writes: bool, acting: bool, now: datetime,
            secrets: tuple[str, ...] = ()) -> ConnectorError:
    """The connector error for a failed Graph response.

    ``writes``: the request may have published something (a timeout-like
    failure is then OutcomeUnknown). ``acting``: it changes something, so a
    permission error concerns that object (Rejected) rather than the whole
    account (AuthFailed, as on a read). ``secrets`` are scrubbed from Graph's
    message, in case it quotes the token back.
    """
    error = graph_error(response)
    code, subcode = _code(error.get("code")), _code(error.get("error_subcode"))
    status = response.status_code
    detail = f"{what}: HTTP {status}"
    if code is not None:
        detail += f", Graph error {code}" + (f"/{subcode}" if subcode is not None else "")
        message = error.get("message")
        message = message[:5000] if isinstance(message, str) else ""
        for secret in secrets:
            message = message.replace(secret, "[redacted]")
        message = label(message, 200)
        if message:
            detail += f": {message}"
    if code in RATE_LIMIT_CODES or status == 429:
        when = retry_after(response.headers, now) or regain_at(response.headers, now)
        return RateLimited(f"{detail} (rate limited)", retry_at=when or now + DEFAULT_BACKOFF)
    if code in TOKEN_CODES or status == 401:
        return AuthFailed(f"{detail} (the token is invalid or expired: reconnect the account)")
    if code in PERMISSION_CODES:
        if acting:
            return Rejected(f"{detail} (not permitted on this object)")
        return AuthFailed(f"{detail} (the token lacks a permission: reconnect the account)")
    if code in TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
        return OutcomeUnknown(f"{detail} after sending") if writes else Transient(detail)
    return Rejected(detail)
