"""Expiring X access tokens are refreshed before use and the new pair stored at once
(X refresh tokens are single use). The token endpoint is mocked from X's OAuth 2.0
documentation; it is not in X's OpenAPI document."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from sqlalchemy import Engine, select, update

from warden.auth.credentials import CredentialCipher, Keyring
from warden.auth.keys import generate_key
from warden.auth.redaction import Secret
from warden.connectors.errors import AuthFailed, Transient
from warden.storage.tables import AuditEntryRow, SocialAccount
from warden.workers.connecting import Connectors
from warden.workflow.accounts import credentials_owner, stored_credentials, with_expiry
from workflow_org import Org, build_org

pytestmark = [pytest.mark.db, pytest.mark.doc_fixture]

TOKEN_URL = "https://api.x.com/2/oauth2/token"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# Throwaway values for mocks, not credentials.
FRESH = {"token_type": "bearer", "expires_in": 7200, "access_token": "new-access",
         "scope": "tweet.read offline.access", "refresh_token": "new-refresh"}


def x_account(engine: Engine, cipher: CredentialCipher, expires_at: datetime) -> tuple[Org, SocialAccount]:
    org = build_org(engine, "north")
    credentials = {"access_token": "old-access", "refresh_token": "old-refresh", "client_id": "cid",
                   "expires_at": expires_at.isoformat()}
    with org.sessions.begin() as session:
        session.execute(update(SocialAccount).where(SocialAccount.id == org.corporate).values(
            network="x", health="connected", settings={"user_id": "2244994945"},
            credentials=cipher.encrypt(Secret(json.dumps(credentials).encode()), credentials_owner(org.corporate))))
    return org, load(org)


def load(org: Org) -> SocialAccount:
    with org.sessions() as session:
        account = session.get(SocialAccount, org.corporate)
        assert account is not None
        session.expunge(account)
        return account


def refreshes(org: Org) -> list[AuditEntryRow]:
    with org.sessions() as session:
        return list(session.execute(select(AuditEntryRow).where(
            AuditEntryRow.action == "account.credentials_refreshed")).scalars())


@pytest.fixture
def cipher() -> CredentialCipher:
    return CredentialCipher(Keyring.from_text(generate_key()))


def test_an_expiring_token_is_refreshed_stored_and_audited_once(db_engine: Engine, cipher: CredentialCipher) -> None:
    org, account = x_account(db_engine, cipher, NOW + timedelta(minutes=2))
    with respx.mock() as router, httpx.Client() as http:
        route = router.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=FRESH))
        connectors = Connectors(cipher, http, sessions=org.sessions, clock=lambda: NOW)
        connectors(account)
        connectors(load(org))  # fresh now: no second refresh
    assert route.call_count == 1
    assert parse_qs(route.calls.last.request.content.decode())["refresh_token"] == ["old-refresh"]
    stored = stored_credentials(load(org), cipher)
    assert stored["access_token"] == "new-access" and stored["refresh_token"] == "new-refresh"
    assert stored["expires_at"] == (NOW + timedelta(seconds=7200)).isoformat() and "expires_in" not in stored
    [entry] = refreshes(org)
    assert "expires_at" in entry.body and "new-access" not in entry.body and "new-refresh" not in entry.body


def test_a_token_far_from_expiry_is_used_as_it_is(db_engine: Engine, cipher: CredentialCipher) -> None:
    org, account = x_account(db_engine, cipher, NOW + timedelta(hours=1))
    with respx.mock(assert_all_called=False) as router, httpx.Client() as http:
        route = router.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=FRESH))
        Connectors(cipher, http, sessions=org.sessions, clock=lambda: NOW)(account)
    assert route.call_count == 0 and refreshes(org) == []


def test_a_cached_connector_is_rebuilt_when_its_token_nears_expiry(db_engine: Engine,
                                                                   cipher: CredentialCipher) -> None:
    org, account = x_account(db_engine, cipher, NOW + timedelta(hours=1))
    now = [NOW]
    with respx.mock() as router, httpx.Client() as http:
        route = router.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=FRESH))
        connectors = Connectors(cipher, http, sessions=org.sessions, clock=lambda: now[0])
        first = connectors(account)
        assert connectors(account) is first
        now[0] = NOW + timedelta(minutes=56)
        assert connectors(account) is not first
    assert route.call_count == 1


def test_concurrent_workers_refresh_once(db_engine: Engine, cipher: CredentialCipher) -> None:
    """Two workers meeting the same expiring token: the row lock makes the second wait and find
    the new pair (a second refresh would spend X's single-use refresh token twice)."""
    org, account = x_account(db_engine, cipher, NOW - timedelta(minutes=1))
    entered = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        entered.set()
        threading.Event().wait(0.3)
        return httpx.Response(200, json=FRESH)

    errors: list[BaseException] = []
    with respx.mock() as router, httpx.Client() as http:
        route = router.post(TOKEN_URL).mock(side_effect=slow)

        def work() -> None:
            try:
                Connectors(cipher, http, sessions=org.sessions, clock=lambda: NOW)(account)
            except BaseException as error:  # surfaced below
                errors.append(error)
        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert errors == [] and route.call_count == 1 and len(refreshes(org)) == 1


def test_a_refused_refresh_needs_reconnecting_and_a_network_error_waits(db_engine: Engine,
                                                                        cipher: CredentialCipher) -> None:
    org, account = x_account(db_engine, cipher, NOW - timedelta(minutes=1))
    with respx.mock() as router, httpx.Client() as http:
        connectors = Connectors(cipher, http, sessions=org.sessions, clock=lambda: NOW)
        router.post(TOKEN_URL).mock(side_effect=httpx.ConnectError("down"))
        with pytest.raises(Transient):
            connectors(account)
        router.post(TOKEN_URL).mock(return_value=httpx.Response(400, json={
            "error": "invalid_request", "error_description": "Value passed for the token was invalid."}))
        with pytest.raises(AuthFailed, match="connect the account again") as refused:
            connectors(account)
    assert "old-refresh" not in str(refused.value)
    assert stored_credentials(load(org), cipher)["refresh_token"] == "old-refresh"  # unchanged on failure
    assert refreshes(org) == []


def test_with_expiry_makes_lifetimes_absolute() -> None:
    assert with_expiry({"access_token": "a", "expires_in": "60"}, NOW) == {
        "access_token": "a", "expires_at": (NOW + timedelta(seconds=60)).isoformat()}
    assert with_expiry({"access_token": "a", "expires_in": "soon"}, NOW) == {"access_token": "a"}
