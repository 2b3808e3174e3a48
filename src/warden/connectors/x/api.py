"""One authenticated call to X API v2, with X's own failure modes mapped.

``warden.connectors.http.request`` does the general mapping (429 with
``x-rate-limit-reset``, 401, 5xx, timeouts). X adds one special case: a 403
whose body is the bare ``Forbidden`` problem means the OAuth 2.0 token lacks a
scope (``tweet.moderate.write``, ``dm.read``...), and ``unsupported-authentication``
or ``client-forbidden`` mean the token or the app cannot use the endpoint at
all. Those are ``AuthFailed`` (the account needs reconnecting or the app its
access level fixed), not a refusal of this one request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard

import httpx

from warden.connectors.errors import AuthFailed, OutcomeUnknown, Rejected, Transient
from warden.connectors.http import epoch_reset, json_body, now_utc, request

X_API = "https://api.x.com"
RESET = epoch_reset("x-rate-limit-reset")
_ID = re.compile(r"[0-9]{1,19}")
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}")
MAX_TOKEN = 512  # pagination tokens are short; anything longer is not X's
# The 403 bodies that are about the token or the app, not about this request.
_AUTH_403 = re.compile(
    r'problems/(unsupported-authentication|client-forbidden)|"detail"\s*:\s*"Forbidden"', re.IGNORECASE)

Json = dict[str, Any]


def is_id(value: object) -> TypeGuard[str]:
    """An X snowflake id (tweet, user, DM event): 1 to 19 digits."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def is_username(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _USERNAME.fullmatch(value) is not None


def is_token(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= MAX_TOKEN and value.isprintable()


def as_dict(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def header_int(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def header_epoch(headers: httpx.Headers, name: str) -> datetime | None:
    value = header_int(headers, name)
    return datetime.fromtimestamp(value, UTC) if value is not None else None


class XApi:
    """X API v2 for one OAuth 2.0 user access token. The token never appears in
    messages or reprs; only the ``Authorization`` header carries it."""

    def __init__(self, http: httpx.Client, token: str, *, base_url: str = X_API,
                 clock: Callable[[], datetime] = now_utc) -> None:
        self._http = http
        self._token = token
        self._base = base_url.rstrip("/")
        self.clock = clock

    def __repr__(self) -> str:
        return f"XApi(base_url={self._base!r})"

    def get(self, path: str, params: Mapping[str, str]) -> tuple[Json, httpx.Headers]:
        response = self._send("GET", path, writes=False, params=dict(params))
        body = json_body(response)
        if not isinstance(body, dict):
            raise Transient(f"GET {path}: X answered with JSON that is not an object")
        return body, response.headers

    def write(self, method: str, path: str, body: Json | None, *, outcome_unknown: bool) -> Json:
        """A call that changes something. ``outcome_unknown`` is for posts: a
        timeout or a garbled answer may hide a live post. Idempotent writes
        (delete, hide, mute) are simply ``Transient`` then: repeating them is safe."""
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        response = self._send(method, path, writes=outcome_unknown, **kwargs)
        answer = json_body(response, writes=outcome_unknown)
        if not isinstance(answer, dict):
            raise (OutcomeUnknown if outcome_unknown else Transient)(
                f"{method} {path}: X answered with JSON that is not an object")
        return answer

    def _send(self, method: str, path: str, *, writes: bool, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            return request(self._http, method, self._base + path, writes=writes, reset=RESET,
                           clock=self.clock, headers=headers, **kwargs)
        except Rejected as error:
            # http.request keeps the status and an excerpt of the body in the message.
            message = str(error)
            if ": 403 " in message and _AUTH_403.search(message):
                raise AuthFailed(f"{method} {path}: X refused the token or app for this endpoint "
                                 f"(a missing scope or access level): {message}") from error
            raise
