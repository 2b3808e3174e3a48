"""Fixtures for the Bluesky connector tests: the dev network (once per session)
and connectors for accounts on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from bsky_devenv import Network, Unavailable, install, start
from bsky_people import Person

from warden.connectors.base import AccountRef
from warden.connectors.bluesky import BlueskyConnector, build


def _unavailable(reason: str) -> None:
    message = f"@atproto/dev-env cannot run here: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI has npm, PostgreSQL and Redis: not running is a failure
    pytest.skip(message)


@pytest.fixture(scope="session")
def bsky_net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    try:
        network = start(install(), Path(tmp_path_factory.mktemp("atproto")))
    except Unavailable as error:
        _unavailable(str(error))
        raise  # pragma: no cover
    try:
        yield network
    finally:
        network.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20) as client:
        yield client


@pytest.fixture
def person(bsky_net: Network, http: httpx.Client) -> Callable[[str], Person]:
    """Sign up a fresh account, so each test sees only its own notifications."""
    return lambda prefix: Person.sign_up(http, bsky_net.pds, prefix)


@pytest.fixture
def connector_for(bsky_net: Network, http: httpx.Client) -> Callable[..., BlueskyConnector]:
    def make(who: Person, *, password: str | None = None, did: str | None = None, **options: int) -> BlueskyConnector:
        account = AccountRef(id=f"acct-{who.handle}", network="bluesky", handle=who.handle,
                             settings={"service_url": bsky_net.pds, "did": did or who.did})
        credentials = {"identifier": who.handle, "app_password": password or who.app_password}
        return build(account, credentials, http, **options)

    return make
