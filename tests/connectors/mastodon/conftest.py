"""Fixtures for the Mastodon connector tests: the running ``mastodon_mock``
server (``mastodon_world``) and the documentation-shaped responses
(``mastodon_docs``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx
from mastodon_docs import BASE, OWN_ID
from mastodon_mock.testing import MockServer
from mastodon_world import Mastodon, mock_config, reset

from warden.connectors.base import AccountRef
from warden.connectors.mastodon import MastodonConnector, connect


@pytest.fixture(scope="session")
def mastodon_server() -> Iterator[MockServer]:
    with MockServer(config=mock_config()) as server:
        yield server


@pytest.fixture
def mastodon(mastodon_server: MockServer) -> Iterator[Mastodon]:
    with httpx.Client(timeout=10.0) as client:
        reset(mastodon_server, client)
        world = Mastodon(mastodon_server, client)
        try:
            yield world
        finally:
            for http in world.clients:
                http.close()
            reset(mastodon_server, client)
    # Some instances and proxies do not route trailing-slash paths.
    assert not [r.url for r in world.requests if r.url.path.endswith("/")]


@pytest.fixture
def police(mastodon: Mastodon) -> MastodonConnector:
    return mastodon.connector()


@pytest.fixture
def docs_api() -> Iterator[respx.MockRouter]:
    """Every request the connector sends answered by documentation-shaped fixtures."""
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router
    assert not [call.request.url for call in router.calls if call.request.url.path.endswith("/")]


@pytest.fixture
def docs_police(docs_api: respx.MockRouter) -> Iterator[MastodonConnector]:
    account = AccountRef(id="acc-1", network="mastodon", handle="@police@police.example.social",
                         settings={"base_url": BASE + "/", "user_id": OWN_ID})
    with httpx.Client(timeout=5) as http:
        made = connect(account, {"access_token": "secret-token"}, http)
        assert isinstance(made, MastodonConnector)
        yield made
