"""Networks by name. Each network module exposes ``connect(account, credentials, http)``.

Modules are imported on first use, so a deployment pays only for the
networks it has accounts on.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Protocol

import httpx

from warden.connectors.base import AccountRef, Connector
from warden.domain.errors import InvalidInput

NETWORKS: dict[str, str] = {
    "x": "warden.connectors.x",
    "facebook": "warden.connectors.meta.facebook",
    "instagram": "warden.connectors.meta.instagram",
    "mastodon": "warden.connectors.mastodon",
    "bluesky": "warden.connectors.bluesky",
    "replay": "warden.connectors.replay",
}


class Factory(Protocol):
    def __call__(self, account: AccountRef, credentials: Mapping[str, str], http: httpx.Client) -> Connector: ...


def factory(network: str) -> Factory:
    if network not in NETWORKS:
        raise InvalidInput(f"unknown network {network!r}; one of {', '.join(sorted(NETWORKS))}")
    module = importlib.import_module(NETWORKS[network])
    connect: Factory = module.connect
    return connect


def connect(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client) -> Connector:
    return factory(account.network)(account, credentials, http)
