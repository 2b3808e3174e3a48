"""Building a connector for a stored account: its credentials decrypted only
here, at the moment of use, and never kept outside the connector."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping

import httpx

from warden.auth.credentials import CredentialCipher
from warden.connectors import registry
from warden.connectors.base import AccountRef, Connector
from warden.connectors.errors import AuthFailed
from warden.storage.tables import SocialAccount
from warden.workflow.accounts import UnreadableCredentials, stored_credentials

#: Every network call has a deadline: a hung network must not hold a lease forever.
TIMEOUT = httpx.Timeout(20.0, connect=5.0)

ConnectorSource = Callable[[SocialAccount], Connector]


def account_ref(account: SocialAccount) -> AccountRef:
    return AccountRef(id=str(account.id), network=account.network, handle=account.handle,
                      settings=dict(account.settings or {}))


class Connectors:
    """Connectors by account, rebuilt when the account's credentials change
    (a Bluesky or OAuth session is worth keeping between calls)."""

    def __init__(self, cipher: CredentialCipher, http: httpx.Client | None = None) -> None:
        self._cipher = cipher
        self._http = http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self._cache: dict[uuid.UUID, tuple[bytes | None, str, Connector]] = {}
        self._lock = threading.Lock()

    def __call__(self, account: SocialAccount) -> Connector:
        settings_key = json.dumps(account.settings or {}, sort_keys=True, default=str)
        with self._lock:
            cached = self._cache.get(account.id)
            if cached is not None and cached[0] == account.credentials and cached[1] == settings_key:
                return cached[2]
        connector = registry.connect(account_ref(account), self._credentials(account), self._http)
        with self._lock:
            self._cache[account.id] = (account.credentials, settings_key, connector)
        return connector

    def _credentials(self, account: SocialAccount) -> Mapping[str, str]:
        try:
            return stored_credentials(account, self._cipher)
        except UnreadableCredentials as error:  # an account problem (reconnect it), never a crash
            raise AuthFailed(error.message) from None

    def close(self) -> None:
        self._http.close()
