"""Bluesky (AT Protocol): one account on its PDS, signed in with an app password.

Credentials: ``identifier`` (handle, DID or e-mail) and ``app_password``.
Settings: ``service_url`` (the account's PDS; default https://bsky.social),
``did`` (the account; checked against the session) and optionally
``web_url`` (where post links point; default https://bsky.app).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from warden.connectors.base import AccountRef, Connector
from warden.connectors.bluesky.api import Api
from warden.connectors.bluesky.connector import CAPABILITIES, BlueskyConnector
from warden.connectors.bluesky.session import Session
from warden.connectors.bluesky.xrpc import Xrpc
from warden.connectors.errors import AuthFailed

DEFAULT_SERVICE = "https://bsky.social"

__all__ = ["CAPABILITIES", "BlueskyConnector", "connect"]


def connect(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client) -> Connector:
    return build(account, credentials, http)


def build(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client, **options: int) -> BlueskyConnector:
    """``connect`` with the connector's own type (tests pass a small ``page_size`` and ``window``)."""
    identifier = credentials.get("identifier") or account.handle
    password = credentials.get("app_password")
    if not identifier or not password:
        raise AuthFailed("Bluesky needs an identifier and an app password")
    settings = account.settings
    service = str(settings.get("service_url") or DEFAULT_SERVICE)
    did = settings.get("did")
    xrpc = Xrpc(http, service)
    api = Api(xrpc, Session(xrpc, identifier, password), did if isinstance(did, str) and did else None)
    return BlueskyConnector(account, api, web_url=str(settings.get("web_url") or "https://bsky.app"), **options)
