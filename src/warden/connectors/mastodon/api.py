"""One Mastodon instance's REST API, as the connector calls it.

Builds URLs from the account's ``base_url`` (no trailing slashes: some
instances and proxies do not route them), sends the token as a bearer header
(never in a URL, so it cannot end up in an error message or a log), and maps
Mastodon's own signals on top of ``warden.connectors.http``: the
``X-RateLimit-Reset`` header in ISO 8601, and the 403s that mean the token or
the login is no longer good enough.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from warden.connectors.errors import AuthFailed, Rejected
from warden.connectors.http import json_body, now_utc, request
from warden.connectors.mastodon.fields import timestamp

# Mastodon answers 403 with these when the token lost a scope or the login
# was disabled, suspended or left unconfirmed: the account needs a person.
_AUTH_403 = (
    "outside the authorized scopes",
    "login is currently disabled",
    "login is currently pending approval",
    "login is missing a confirmed e-mail",
    "account is suspended",
)
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def rate_limit_reset(headers: httpx.Headers, now: datetime) -> datetime | None:
    """Mastodon's ``X-RateLimit-Reset``: an ISO 8601 time (Unix seconds tolerated)."""
    value = headers.get("x-ratelimit-reset", "").strip()
    if value.isdigit():
        return datetime.fromtimestamp(min(int(value), 32_503_680_000), UTC)
    return timestamp(value)


def rate_limit_remaining(headers: httpx.Headers) -> int | None:
    value = headers.get("x-ratelimit-remaining", "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def instance_url(base_url: object) -> str:
    """The instance root, checked: https (http only on this machine), no
    credentials, query or fragment, no trailing slash."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise Rejected("the Mastodon account has no base_url setting")
    try:
        url = httpx.URL(base_url.strip())
    except (httpx.InvalidURL, ValueError) as error:
        raise Rejected("the Mastodon base_url is not a valid URL") from error
    local = url.host in _LOOPBACK
    if url.scheme not in ("https", "http") or (url.scheme == "http" and not local) or not url.host:
        raise Rejected("the Mastodon base_url must be an https:// URL")
    if url.userinfo or url.query or url.fragment:
        raise Rejected("the Mastodon base_url must not carry credentials, a query or a fragment")
    return str(url).rstrip("/")


def segment(value: str) -> str:
    """An id or name made safe as one path segment."""
    return quote(value, safe="")


class MastodonApi:
    """Authenticated calls to one instance; holds the token but never shows it."""

    __slots__ = ("_base", "_clock", "_headers", "_http")

    def __init__(self, base_url: str, token: str, http: httpx.Client,
                 clock: Callable[[], datetime] = now_utc) -> None:
        self._base = base_url
        self._http = http
        self._clock = clock
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def __repr__(self) -> str:
        return f"MastodonApi({self._base!r})"

    @property
    def base_url(self) -> str:
        return self._base

    def now(self) -> datetime:
        return self._clock()

    def call(self, method: str, path: str, *, writes: bool = False,
             headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """Send one request to ``/api/...``; only the connector errors escape."""
        try:
            return request(self._http, method, self._base + path, writes=writes, reset=rate_limit_reset,
                           clock=self._clock, headers={**self._headers, **(headers or {})}, **kwargs)
        except Rejected as error:
            text = str(error).lower()
            if ": 403 " in text and any(reason in text for reason in _AUTH_403):
                raise AuthFailed(f"{method} {path}: the instance refused this login (403)") from error
            raise

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """A read's JSON (malformed JSON is Transient)."""
        return json_body(self.call("GET", path, params=dict(params or {})))
