"""A ``mastodon_mock`` server (the third-party mock of Mastodon's API) seeded with accounts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mastodon_mock.config import DatabaseConfig, MastodonMockConfig, SeedAccount, SeedConfig
from mastodon_mock.testing import MockServer


@contextmanager
def mastodon_with(*usernames: str) -> Iterator[MockServer]:
    """Each account's access token is ``seed_<username>``."""
    seed = SeedConfig(accounts=[SeedAccount(username=name, display_name=name.title(), access_token=f"seed_{name}")
                                for name in usernames])
    with MockServer(config=MastodonMockConfig(database=DatabaseConfig(path=":memory:"), seed=seed)) as server:
        yield server
