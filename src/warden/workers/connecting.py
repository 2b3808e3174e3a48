"""Building a connector for a stored account: its credentials decrypted only
here, at the moment of use, and never kept outside the connector."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from warden.auth.credentials import CredentialCipher
from warden.connectors import registry
from warden.connectors.base import AccountRef, Connector
from warden.connectors.errors import AuthFailed, Transient
from warden.connectors.oauth import ConnectFailed, refresh_x_token
from warden.storage.tables import SocialAccount
from warden.workflow.accounts import UnreadableCredentials, needs_refresh, refresh_credentials, stored_credentials
from warden.workflow.unit import Clock, utcnow

#: Every network call has a deadline: a hung network must not hold a lease forever.
TIMEOUT = httpx.Timeout(20.0, connect=5.0)

ConnectorSource = Callable[[SocialAccount], Connector]

#: Networks whose access tokens expire and how to refresh them (http, settings, credentials).
REFRESHERS = {"x": refresh_x_token}


def account_ref(account: SocialAccount) -> AccountRef:
    return AccountRef(id=str(account.id), network=account.network, handle=account.handle,
                      settings=dict(account.settings or {}))


class Connectors:
    """Connectors by account, rebuilt when the account's credentials change
    (a Bluesky or OAuth session is worth keeping between calls) or its access
    token is about to expire. With ``sessions``, an expiring token is refreshed
    and the new one stored before the connector is built."""

    def __init__(self, cipher: CredentialCipher, http: httpx.Client | None = None, *,
                 sessions: sessionmaker[Session] | None = None, clock: Clock = utcnow) -> None:
        self._cipher = cipher
        self._http = http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self._sessions = sessions
        self._clock = clock
        self._cache: dict[uuid.UUID, tuple[bytes | None, str, Mapping[str, str], Connector]] = {}
        self._lock = threading.Lock()

    def __call__(self, account: SocialAccount) -> Connector:
        settings_key = json.dumps(account.settings or {}, sort_keys=True, default=str)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(account.id)
            if (cached is not None and cached[0] == account.credentials and cached[1] == settings_key
                    and not self._expiring(account, cached[2], now)):
                return cached[3]
        credentials = self._credentials(account, now)
        connector = registry.connect(account_ref(account), credentials, self._http)
        with self._lock:
            self._cache[account.id] = (account.credentials, settings_key, credentials, connector)
        return connector

    def _expiring(self, account: SocialAccount, credentials: Mapping[str, str], now: datetime) -> bool:
        return account.network in REFRESHERS and needs_refresh(credentials, now)

    def _credentials(self, account: SocialAccount, now: datetime) -> Mapping[str, str]:
        try:
            credentials = stored_credentials(account, self._cipher)
            if self._sessions is None or not self._expiring(account, credentials, now):
                return credentials
            refresher = REFRESHERS[account.network]
            settings = dict(account.settings or {})
            return refresh_credentials(self._sessions, account.id, self._cipher,
                                       lambda stored: refresher(self._http, settings, stored), self._clock)
        except UnreadableCredentials as error:  # an account problem (reconnect it), never a crash
            raise AuthFailed(error.message) from None
        except ConnectFailed as error:
            if error.code == "connect_network_error":  # try again later; the stored token is unchanged
                raise Transient(f"refreshing the access token: {error.message}") from None
            # Refused or malformed: the refresh token is spent or revoked, only reconnecting helps.
            raise AuthFailed(f"refreshing the access token failed ({error.code}); connect the account again") \
                from None

    def close(self) -> None:
        self._http.close()
