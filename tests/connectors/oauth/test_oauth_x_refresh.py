"""X's refresh-token grant (``connectors.oauth.refresh_x_token``), against fixtures shaped from
X's OAuth 2.0 documentation (the token endpoint is not in X's OpenAPI document)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from warden.connectors.oauth import ConnectFailed, pkce_pair, refresh_x_token

TOKEN_URL = "https://api.x.com/2/oauth2/token"
# Throwaway values for mocks, not credentials.
STORED = {"access_token": "old-access", "refresh_token": "old-refresh", "client_id": "cid", "scope": "tweet.read"}

pytestmark = pytest.mark.doc_fixture


def test_refresh_trades_the_refresh_token_for_a_new_pair() -> None:
    with respx.mock() as router, httpx.Client() as http:
        route = router.post(TOKEN_URL).mock(return_value=httpx.Response(200, json={
            "token_type": "bearer", "expires_in": 7200, "access_token": "new-access",
            "scope": "tweet.read offline.access", "refresh_token": "new-refresh"}))
        fresh = refresh_x_token(http, {"user_id": "1"}, STORED)
    form = parse_qs(route.calls.last.request.content.decode())
    assert form == {"grant_type": ["refresh_token"], "refresh_token": ["old-refresh"], "client_id": ["cid"]}
    assert fresh["access_token"] == "new-access" and fresh["refresh_token"] == "new-refresh"
    assert fresh["expires_in"] == "7200"


def test_confidential_client_uses_basic_auth_and_api_url_setting() -> None:
    with respx.mock() as router, httpx.Client() as http:
        route = router.post("https://x.example/2/oauth2/token").mock(return_value=httpx.Response(200, json={
            "token_type": "bearer", "access_token": "new-access"}))
        fresh = refresh_x_token(http, {"api_url": "https://x.example/"}, {**STORED, "client_secret": "sec"})
    assert route.calls.last.request.headers["authorization"] == "Basic " + base64.b64encode(b"cid:sec").decode()
    assert fresh["refresh_token"] == "old-refresh"  # none returned: the stored one is kept


def test_refresh_refused_or_unavailable() -> None:
    with respx.mock() as router, httpx.Client() as http:
        router.post(TOKEN_URL).mock(return_value=httpx.Response(400, json={
            "error": "invalid_request", "error_description": "Value passed for the token was invalid. old-refresh"}))
        with pytest.raises(ConnectFailed) as refused:
            refresh_x_token(http, {}, STORED)
    assert refused.value.code == "connect_refused" and "old-refresh" not in refused.value.message
    with httpx.Client() as http, pytest.raises(ConnectFailed) as missing:
        refresh_x_token(http, {}, {"access_token": "a"})
    assert missing.value.code == "connect_refresh_unavailable"


def test_pkce_challenge_is_s256_of_the_verifier() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == expected
