"""Fixtures for the X connector tests: a spec-validating mock and a connector at a fixed time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
import respx
from x_spec import BASE, ME, NOW, TOKEN, XMock

from warden.connectors.base import AccountRef
from warden.connectors.x import XConnector
from warden.connectors.x.api import XApi


@pytest.fixture
def x_api() -> Iterator[XMock]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield XMock(router)


@pytest.fixture
def make_x() -> Iterator[Callable[..., XConnector]]:
    clients: list[httpx.Client] = []

    def make(*, direct_messages: bool = True, search_replies: bool = True, now: datetime = NOW,
             **settings: Any) -> XConnector:
        client = httpx.Client(timeout=5)
        clients.append(client)
        account = AccountRef("acct-1", "x", "@ExamplePolice", {"user_id": ME, **settings})
        api = XApi(client, TOKEN, base_url=BASE, clock=lambda: now)
        return XConnector(account, api, ME, direct_messages=direct_messages, search_replies=search_replies,
                          scopes=("tweet.read", "users.read"))

    yield make
    for client in clients:
        client.close()
