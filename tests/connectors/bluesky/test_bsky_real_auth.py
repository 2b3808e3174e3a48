"""Sessions, health and failures against the official AT Protocol dev network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from bsky_devenv import Network
from bsky_people import Person

from warden.connectors.base import AccountRef, OutboundPost
from warden.connectors.bluesky import BlueskyConnector, build
from warden.connectors.bluesky.session import Tokens, cached, remember
from warden.connectors.errors import AuthFailed, Rejected

pytestmark = pytest.mark.real_server
DEV_JWT_SECRET = b"jwt-secret"  # @atproto/dev-env's PDS signs its session tokens with this


def expired(token: str) -> str:
    """The same access token, expired an hour ago, signed as the dev PDS signs."""
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["iat"], claims["exp"] = int(time.time()) - 7200, int(time.time()) - 3600
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signature = hmac.new(DEV_JWT_SECRET, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_health_reports_the_account_and_its_scope(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    health = connector_for(police).health()
    assert health.ok is True
    assert health.detail == f"@{police.handle}"
    assert health.scopes == ("com.atproto.appPass",)


def test_an_expired_access_token_is_refreshed_once(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    connector = connector_for(police)
    connector.health()
    key = connector.api.session._key
    tokens = cached(key)
    assert tokens is not None
    stale = Tokens(tokens.did, tokens.handle, access=expired(tokens.access), refresh=tokens.refresh)
    remember(key, stale)
    assert connector.health().ok is True  # the PDS said ExpiredToken; the connector refreshed
    fresh = cached(key)
    assert fresh is not None and fresh.access != stale.access and fresh.refresh != stale.refresh


def test_a_revoked_app_password_is_auth_failed(
        bsky_net: Network, http: httpx.Client, person: Callable[[str], Person],
        connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    connector = connector_for(police)
    connector.health()
    police.call("POST", "com.atproto.server.revokeAppPassword", body={"name": "warden"})
    key = connector.api.session._key
    tokens = cached(key)
    assert tokens is not None
    remember(key, Tokens(tokens.did, tokens.handle, access=expired(tokens.access), refresh=tokens.refresh))
    with pytest.raises(AuthFailed) as failure:
        connector.fetch(None)
    assert police.app_password not in str(failure.value)


def test_a_wrong_app_password_is_auth_failed_without_showing_it(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    with pytest.raises(AuthFailed) as failure:
        connector_for(police, password="wxyz-wxyz-wxyz-wxyz").fetch(None)
    assert "wxyz" not in str(failure.value)


def test_credentials_for_another_account_are_auth_failed(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    with pytest.raises(AuthFailed):
        connector_for(police, did=bob.did).publish(OutboundPost(ref=str(uuid.uuid4()), text="wrong account"))
    assert police.records("app.bsky.feed.post") == []


def test_the_server_refuses_an_over_long_post(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    with pytest.raises(Rejected) as refused:
        connector_for(police).publish(OutboundPost(ref=str(uuid.uuid4()), text="x" * 301))
    assert "InvalidRequest" in str(refused.value)
    assert police.records("app.bsky.feed.post") == []


def test_health_of_a_deactivated_account(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    connector = connector_for(police)
    assert connector.health().ok is True
    police.call("POST", "com.atproto.server.deactivateAccount", body={})
    health = connector.health()
    assert health.ok is False and health.detail == f"@{police.handle} is deactivated"


def test_a_taken_down_account_is_unhealthy_then_cannot_sign_in(
        bsky_net: Network, http: httpx.Client, person: Callable[[str], Person],
        connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    connector = connector_for(police)
    assert connector.health().ok is True
    response = http.post(f"{bsky_net.pds}/xrpc/com.atproto.admin.updateSubjectStatus", auth=("admin", "admin-pass"),
                         json={"subject": {"$type": "com.atproto.admin.defs#repoRef", "did": police.did},
                               "takedown": {"applied": True, "ref": "warden-test"}})
    response.raise_for_status()
    assert connector.health().ok is False
    connector.api.session.forget()
    with pytest.raises(AuthFailed):
        connector.health()


def test_the_accounts_the_dev_network_starts_with_sign_in(bsky_net: Network, http: httpx.Client) -> None:
    for name, account in bsky_net.accounts.items():
        ref = AccountRef(id=name, network="bluesky", handle=account.handle,
                         settings={"service_url": bsky_net.pds, "did": account.did})
        health = build(ref, {"identifier": account.handle, "app_password": account.app_password}, http).health()
        assert health.ok and health.detail == f"@{account.handle}"
