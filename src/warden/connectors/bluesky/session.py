"""An app-password session: log in once, refresh when the token expires.

Bluesky limits ``createSession`` hard (30 per 5 minutes, 300 a day per
account), and workers rebuild connectors freely, so tokens live in a small
process-wide cache keyed by service, identifier and a hash of the password.
It is a cache, not state: losing it costs one login.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from warden.connectors.bluesky.xrpc import Xrpc
from warden.connectors.errors import AuthFailed, Rejected, Transient

CacheKey = tuple[str, str, str]


@dataclass(frozen=True)
class Tokens:
    did: str
    handle: str
    access: str = field(repr=False)
    refresh: str = field(repr=False)


_CACHE: dict[CacheKey, Tokens] = {}
_LOCK = threading.Lock()
_RENEWING = threading.Lock()  # rare, and short: one refresh call


def cache_key(service_url: str, identifier: str, password: str) -> CacheKey:
    return (service_url.rstrip("/"), identifier.lower(), hashlib.sha256(password.encode()).hexdigest())


def cached(key: CacheKey) -> Tokens | None:
    with _LOCK:
        return _CACHE.get(key)


def remember(key: CacheKey, tokens: Tokens | None) -> None:
    with _LOCK:
        if tokens is None:
            _CACHE.pop(key, None)
        else:
            _CACHE[key] = tokens


def token_scope(access: str) -> str:
    """The ``scope`` claim of an access JWT (read, not verified: the server verifies)."""
    try:
        payload = access.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    scope = claims.get("scope") if isinstance(claims, dict) else None
    return scope[:200] if isinstance(scope, str) else ""


def _tokens(data: dict[str, Any], nsid: str) -> Tokens:
    values = [data.get(name) for name in ("did", "handle", "accessJwt", "refreshJwt")]
    if not all(isinstance(value, str) and value for value in values):
        raise Transient(f"{nsid}: the session answer is missing its tokens")
    did, handle, access, refresh = (str(value) for value in values)
    return Tokens(did=did, handle=handle[:253], access=access, refresh=refresh)


class Session:
    """Tokens for one account. Holds the app password; never shows it."""

    def __init__(self, xrpc: Xrpc, identifier: str, app_password: str) -> None:
        self._xrpc = xrpc
        self._identifier = identifier
        self._password = app_password
        self._key = cache_key(xrpc.base, identifier, app_password)

    def __repr__(self) -> str:
        return f"Session({self._identifier!r})"

    def tokens(self) -> Tokens:
        return cached(self._key) or self.login()

    def login(self) -> Tokens:
        try:
            data = self._xrpc.json("POST", "com.atproto.server.createSession",
                                   body={"identifier": self._identifier, "password": self._password})
        except Rejected as error:  # a wrong identifier, a deleted or taken-down account
            raise AuthFailed(f"Bluesky refused the app password for {self._identifier}: {error.message}") from None
        tokens = _tokens(data, "createSession")
        remember(self._key, tokens)
        return tokens

    def renew(self, stale: Tokens) -> Tokens:
        """Fresh tokens after ``stale`` expired: another thread's, a refreshed pair, or a new login.

        One renewal at a time: a refresh token is good for one use, so two
        threads refreshing together would log one of them out.
        """
        with _RENEWING:
            current = cached(self._key)
            if current is not None and current.access != stale.access:
                return current
            return self._refresh(stale)

    def _refresh(self, stale: Tokens) -> Tokens:
        try:
            data = self._xrpc.json("POST", "com.atproto.server.refreshSession", token=stale.refresh)
        except (AuthFailed, Rejected):  # the refresh token expired or was revoked: the password may still work
            remember(self._key, None)
            return self.login()
        tokens = _tokens(data, "refreshSession")
        remember(self._key, tokens)
        return tokens

    def forget(self) -> None:
        remember(self._key, None)
