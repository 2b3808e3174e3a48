"""What the Facebook and Instagram connectors share: reading the account's
settings and credentials, the token check behind ``health``, and reading the
answer to a publish."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from warden.connectors.base import AccountRef, Health
from warden.connectors.errors import AuthFailed, OutcomeUnknown, Rejected
from warden.connectors.meta.fields import NODE_ID, ident, label, mapping, when
from warden.connectors.meta.graph import Graph, graph_root
from warden.connectors.meta.limits import usage_percent


def setting_id(account: AccountRef, name: str) -> str:
    value = account.settings.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not NODE_ID.fullmatch(value.strip()):
        raise Rejected(f"the {account.network} account has no valid {name} setting")
    return value.strip()


def _secret(credentials: Mapping[str, str], name: str) -> str | None:
    value = credentials.get(name)
    if not isinstance(value, str) or not value.strip() or not value.isascii() or not value.isprintable():
        return None
    return value.strip()


def open_graph(account: AccountRef, credentials: Mapping[str, str], http: httpx.Client,
               clock: Callable[[], datetime]) -> Graph:
    token = _secret(credentials, "access_token")
    if token is None:
        raise AuthFailed(f"the {account.network} account has no usable access_token: reconnect it")
    return Graph(http, root=graph_root(account.settings.get("graph_url")), token=token,
                 app_secret=_secret(credentials, "app_secret"), clock=clock)


def lookback_days(account: AccountRef, default: int) -> int:
    value = account.settings.get("lookback_days", default)
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 90 else default


def published_id(body: Mapping[str, Any], *keys: str) -> str:
    """The new object's id from a publish answer; without one the post may
    exist with no way to name it, which is an unknown outcome."""
    for key in keys:
        found = ident(body.get(key))
        if found is not None:
            return found
    raise OutcomeUnknown("the network answered the publish without an id")


def _granted(graph: Graph, account: AccountRef, credentials: Mapping[str, str]) -> tuple[list[str], str]:
    """The token's scopes from ``debug_token``, when the app id and secret are known."""
    app_id = credentials.get("app_id") or account.settings.get("app_id")
    secret = _secret(credentials, "app_secret")
    if not isinstance(app_id, str) or not NODE_ID.fullmatch(app_id) or secret is None:
        return [], "scopes unknown (no app_id and app_secret to ask debug_token)"
    token = _secret(credentials, "access_token") or ""
    answer = graph.batch_get("debug_token?" + urlencode({"input_token": token}), token=f"{app_id}|{secret}")
    data = mapping(answer.get("data"))
    if data.get("is_valid") is not True:
        raise AuthFailed("debug_token says the access token is not valid: reconnect the account")
    raw = data.get("scopes")
    scopes = [s for s in raw if isinstance(s, str)] if isinstance(raw, list) else []
    expires = when(data.get("expires_at"))
    detail = f"token expires {expires.isoformat()}" if expires and expires.timestamp() > 0 else "token does not expire"
    return [label(s, 100) for s in scopes[:100]], detail


def check_health(graph: Graph, account: AccountRef, credentials: Mapping[str, str], *, path: str,
                 object_id: str, fields: str, required: Collection[str]) -> Health:
    """Reading ``path`` proves the token works and names whose it is;
    ``debug_token`` (when possible) lists its scopes, and those the connector
    needs are checked. ``rate_limit_remaining`` is a percentage: Graph
    reports usage as shares of a quota, not as a count of calls."""
    response = graph.send("GET", path, params={"fields": fields})
    me = graph.body(response)
    if ident(me.get("id")) != object_id:
        return Health(ok=False, detail=f"the token belongs to another {account.network} account, not {object_id}")
    scopes, detail = _granted(graph, account, credentials)
    missing = sorted(set(required) - set(scopes)) if scopes else []
    used = usage_percent(response.headers)
    if used is not None:
        detail += f"; {used}% of the rate limit used"
    if missing:
        detail = f"missing permissions: {', '.join(missing)}; {detail}"
    return Health(ok=not missing, detail=detail, scopes=tuple(scopes),
                  rate_limit_remaining=None if used is None else 100 - used)
