"""Mastodon (and servers speaking its REST API): mentions, replies and direct
messages in; posts, replies, deletes, blocks, mutes and reports out."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from warden.connectors.base import AccountRef, Connector
from warden.connectors.errors import AuthFailed
from warden.connectors.mastodon.api import MastodonApi, instance_url
from warden.connectors.mastodon.connector import CAPABILITIES, MastodonConnector

__all__ = ["CAPABILITIES", "MastodonConnector", "connect"]


def connect(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client) -> Connector:
    """The connector for ``account``: ``settings['base_url']`` names the instance,
    ``credentials['access_token']`` is the user's OAuth token."""
    base_url = instance_url(account.settings.get("base_url"))
    token = credentials.get("access_token")
    if not isinstance(token, str) or not token.strip() or not token.isascii() or not token.isprintable():
        raise AuthFailed("the Mastodon account has no usable access_token: reconnect it")
    return MastodonConnector(account, MastodonApi(base_url, token.strip(), http))
