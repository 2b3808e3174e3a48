"""One XRPC call over HTTP, and what its failures mean.

This follows ``warden.connectors.http.request`` status for status (429 with
Bluesky's ``ratelimit-reset``, 401, 5xx on a read or a write, other 4xx) but
reads the XRPC error name first, because Bluesky says several things with a
400 that Warden must tell apart: ``ExpiredToken`` (refresh and go on),
``InvalidToken`` (reconnect), ``RecordNotFound`` and ``InvalidSwap``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from warden.connectors.errors import AuthFailed, OutcomeUnknown, RateLimited, Rejected, Transient
from warden.connectors.http import (
    DEFAULT_BACKOFF,
    epoch_reset,
    excerpt,
    json_body,
    now_utc,
    retry_after,
    send,
)

RESET = epoch_reset("ratelimit-reset")
# Names that mean the credentials, not the request, are at fault.
AUTH_ERRORS = frozenset({
    "InvalidToken", "AuthMissing", "AuthRequired", "AuthenticationRequired", "AccountTakedown",
    "AccountDeactivated", "AccountNotFound", "InvalidScope",
})


class ExpiredToken(AuthFailed):
    """The access token has expired: refresh the session and try once more."""


class XrpcRejected(Rejected):
    """A 4xx with its XRPC error name, for the callers that act on the name."""

    def __init__(self, message: str, *, error: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message, status=status, body=body)
        self.error = error


def _error_name(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    name, message = body.get("error"), body.get("message")
    return (name[:100] if isinstance(name, str) else "",
            " ".join(message.split())[:200] if isinstance(message, str) else "")


class Xrpc:
    """Calls one service (a PDS) for one account; never sees the credentials."""

    def __init__(self, http: httpx.Client, service_url: str, clock: Callable[[], datetime] = now_utc) -> None:
        self.http = http
        self.base = service_url.rstrip("/") + "/xrpc/"
        self.clock = clock

    def call(self, method: str, nsid: str, *, token: str | None = None, writes: bool = False,
             params: Mapping[str, Any] | None = None, body: Any = None, content: bytes | None = None,
             content_type: str | None = None) -> httpx.Response:
        headers = {"accept": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        if content_type:
            headers["content-type"] = content_type
        response = send(self.http, method, self.base + nsid, writes=writes, what=nsid, params=params, json=body,
                        content=content, headers=headers)
        if response.is_success:
            return response
        self._fail(nsid, response, writes)
        raise AssertionError("unreachable")  # pragma: no cover

    def json(self, method: str, nsid: str, **kwargs: Any) -> dict[str, Any]:
        """The call's JSON object; anything else is a malformed answer."""
        response = self.call(method, nsid, **kwargs)
        writes = bool(kwargs.get("writes"))
        data = json_body(response, writes=writes) if response.content else {}
        if not isinstance(data, dict):
            raise (OutcomeUnknown if writes else Transient)(f"{nsid}: the answer is not a JSON object")
        return data

    def _fail(self, nsid: str, response: httpx.Response, writes: bool) -> None:
        status = response.status_code
        name, message = _error_name(response)
        what = f"{nsid}: {status} {name or 'error'}" + (f" ({message})" if message else "")
        if status == 429:
            now = self.clock()
            when = retry_after(response.headers, now) or RESET(response.headers, now)
            raise RateLimited(f"{nsid}: rate limited", retry_at=when or now + DEFAULT_BACKOFF)
        if name == "ExpiredToken":
            raise ExpiredToken(what)
        if status == 401 or name in AUTH_ERRORS:
            raise AuthFailed(what)
        if status >= 500:
            if writes:
                raise OutcomeUnknown(f"{nsid}: server error {status} after sending")
            raise Transient(f"{nsid}: server error {status}")
        raise XrpcRejected(what, error=name, status=status, body=excerpt(response))
