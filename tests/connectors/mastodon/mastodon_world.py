"""The Mastodon test world: a real ``mastodon_mock`` server (the third-party
mock from PyPI, a FastAPI app that uvicorn runs on a free port on 127.0.0.1),
its seed accounts, and helpers that act as other people on it."""

from __future__ import annotations

from typing import Any

import httpx
from mastodon_mock.config import DatabaseConfig, MastodonMockConfig, SeedAccount, SeedConfig, StreamingConfig
from mastodon_mock.testing import MockServer

from warden.connectors.base import AccountRef
from warden.connectors.mastodon import MastodonConnector, connect

# Tokens for accounts on a throwaway mock server, not credentials.
POLICE_TOKEN = "police_token"
SEED = SeedConfig(accounts=[
    SeedAccount(username="police", display_name="Example Police", access_token=POLICE_TOKEN),
    SeedAccount(username="alice", display_name="Alice", access_token="alice_token"),
    SeedAccount(username="bob", display_name="Bob <b>B</b>", access_token="bob_token"),
    SeedAccount(username="moderator", display_name="Moderator", role="admin", access_token="moderator_token"),
    SeedAccount(username="dave", display_name="Dave", domain="remote.example"),
])


def mock_config(**overrides: Any) -> MastodonMockConfig:
    return MastodonMockConfig(database=DatabaseConfig(path=":memory:"), seed=SEED,
                              streaming=StreamingConfig(heartbeat_seconds=0.2), **overrides)


class Mastodon:
    """The mock server, reset for one test, with helpers to act as other people."""

    def __init__(self, server: MockServer, client: httpx.Client) -> None:
        self.server = server
        self.base_url = server.base_url
        self.client = client
        self.requests: list[httpx.Request] = []
        self.clients: list[httpx.Client] = []

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = self.client.request(method, self.base_url + path,
                                       headers={"Authorization": f"Bearer {token}"}, **kwargs)
        assert response.is_success, response.text
        return response.json()

    def post(self, token: str, text: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.api("POST", "/api/v1/statuses", token, json={"status": text, **fields})
        return result

    def account_id(self, acct: str) -> str:
        return str(self.api("GET", "/api/v1/accounts/lookup", POLICE_TOKEN, params={"acct": acct})["id"])

    def fault(self, rule: dict[str, Any]) -> None:
        response = self.client.post(self.base_url + "/api/v1/_mock/faults", json=rule)
        assert response.is_success, response.text

    def connector(self, *, token: str = POLICE_TOKEN, handle: str = "police", timeout: float = 10.0,
                  **settings: Any) -> MastodonConnector:
        http = httpx.Client(timeout=timeout, event_hooks={"request": [self.requests.append]})
        self.clients.append(http)
        account = AccountRef(id="acc-1", network="mastodon", handle=handle,
                             settings={"base_url": self.base_url, **settings})
        made = connect(account, {"access_token": token}, http)
        assert isinstance(made, MastodonConnector)
        return made


def reset(server: MockServer, client: httpx.Client) -> None:
    client.post(server.base_url + "/api/v1/_mock/reset").raise_for_status()
