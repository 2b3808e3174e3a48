"""X (Twitter API v2): polling connector and Account Activity webhooks.

Account settings: ``user_id`` (the numeric X id, required), ``api_url``
(default ``https://api.x.com``; also where tokens are refreshed), ``direct_messages`` (default true: needs the
``dm.read`` scope and an access level with DM reads) and ``search_replies``
(default true: needs recent search; without it only replies that @mention the
account are seen). Credentials: ``access_token`` (an OAuth 2.0 user access
token), optionally ``scope`` (as granted, shown in health) and, for
webhooks, ``consumer_secret``.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from warden.connectors.base import AccountRef, Connector
from warden.connectors.errors import AuthFailed
from warden.connectors.x.api import X_API, XApi, is_id
from warden.connectors.x.connector import XConnector
from warden.connectors.x.webhooks import XWebhooks

WEBHOOKS = XWebhooks()

__all__ = ["WEBHOOKS", "XConnector", "XWebhooks", "connect"]


def connect(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client) -> Connector:
    token = credentials.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise AuthFailed(f"X account {account.id} has no access token; reconnect it")
    user_id = account.settings.get("user_id")
    if not is_id(user_id):
        raise AuthFailed(f"X account {account.id} has no numeric user_id setting; reconnect it")
    # ``api_url`` (the validated setting) also locates the token endpoint (``oauth.x_token_url``).
    base_url = account.settings.get("api_url") or X_API
    if not _https(base_url):
        raise AuthFailed(f"X account {account.id}: api_url must be an https URL (the token travels with it)")
    scope = credentials.get("scope", "")
    api = XApi(http, token.strip(), base_url=base_url)
    return XConnector(account, api, user_id, direct_messages=_flag(account, "direct_messages"),
                      search_replies=_flag(account, "search_replies"),
                      scopes=scope.split() if isinstance(scope, str) else ())


def _flag(account: AccountRef, name: str) -> bool:
    """An on-by-default setting; forms may store it as text."""
    return account.settings.get(name, True) not in (False, "false", "0", 0)


def _https(url: object) -> bool:
    try:
        return isinstance(url, str) and httpx.URL(url).scheme == "https" and bool(httpx.URL(url).host)
    except httpx.InvalidURL:
        return False
