"""One way to call a network over HTTP and turn what goes wrong into
``warden.connectors.errors``.

The important distinction is ``writes``: a read that times out is simply
retried, but a post that times out may already be live, so it becomes
``OutcomeUnknown`` and is reconciled instead of sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from warden.connectors.errors import AuthFailed, OutcomeUnknown, RateLimited, Rejected, Transient

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
DEFAULT_BACKOFF = timedelta(seconds=60)
ResetParser = Callable[[httpx.Headers, datetime], datetime | None]


def now_utc() -> datetime:
    return datetime.now(UTC)


def retry_after(headers: httpx.Headers, now: datetime) -> datetime | None:
    """``Retry-After`` as seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=min(int(value), 86_400))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def epoch_reset(header: str) -> ResetParser:
    """A reset header holding Unix seconds (X's ``x-rate-limit-reset``, Bluesky's ``ratelimit-reset``)."""

    def parse(headers: httpx.Headers, now: datetime) -> datetime | None:
        value = headers.get(header, "").strip()
        if not value.isdigit():
            return None
        return datetime.fromtimestamp(min(int(value), 32_503_680_000), UTC)

    return parse


def excerpt(response: httpx.Response, limit: int = 300) -> str:
    """A short, single-line piece of an error body for people (never headers: they may hold tokens)."""
    text = response.text[:limit] if response.content else ""
    return " ".join(text.split())


def send(client: httpx.Client, method: str, url: str, *, writes: bool = False, what: str | None = None,
         **kwargs: Any) -> httpx.Response:
    """Send one request and return the answer whatever its status; only the
    transport is judged here (networks with their own error bodies classify
    the status themselves, then fall back on ``raise_for_status``)."""
    what = what or f"{method} {httpx.URL(url).copy_with(query=None)}"
    try:
        response = client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        raise Transient(f"{what}: could not connect ({type(error).__name__})") from error  # nothing was sent
    except httpx.HTTPError as error:  # sent, no usable answer: a write may have happened
        if writes:
            raise OutcomeUnknown(f"{what}: no answer after sending ({type(error).__name__})") from error
        raise Transient(f"{what}: {type(error).__name__}") from error
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise (OutcomeUnknown if writes else Transient)(
            f"{what}: response of {len(response.content)} bytes is over the limit")
    return response


def raise_for_status(response: httpx.Response, what: str, *, writes: bool = False, reset: ResetParser | None = None,
                     clock: Callable[[], datetime] = now_utc) -> None:
    """The connector error a failed answer means (nothing for a 2xx)."""
    status = response.status_code
    if response.is_success:
        return
    now = clock()
    if status == 429:
        when = retry_after(response.headers, now) or (reset(response.headers, now) if reset else None)
        raise RateLimited(f"{what}: rate limited", retry_at=when or now + DEFAULT_BACKOFF)
    if status == 401:
        raise AuthFailed(f"{what}: the network refused the token ({excerpt(response)})")
    if status >= 500:
        if writes:
            raise OutcomeUnknown(f"{what}: server error {status} after sending")
        raise Transient(f"{what}: server error {status}")
    body = excerpt(response)
    raise Rejected(f"{what}: {status} {body}", status=status, body=body)


def request(client: httpx.Client, method: str, url: str, *, writes: bool = False,
            reset: ResetParser | None = None, clock: Callable[[], datetime] = now_utc,
            **kwargs: Any) -> httpx.Response:
    """Send one request; return the response only if it succeeded (2xx)."""
    what = f"{method} {httpx.URL(url).copy_with(query=None)}"
    response = send(client, method, url, writes=writes, what=what, **kwargs)
    raise_for_status(response, what, writes=writes, reset=reset, clock=clock)
    return response


def json_body(response: httpx.Response, *, writes: bool = False) -> Any:
    """The JSON of a successful response; malformed JSON is the network's fault, not ours."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        message = f"{response.request.method} {response.request.url.path}: malformed JSON from the network"
        raise (OutcomeUnknown if writes else Transient)(message) from error
