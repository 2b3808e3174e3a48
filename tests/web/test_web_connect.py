"""Connecting accounts with OAuth through the API: Mastodon end to end against ``mastodon_mock``'s
own OAuth endpoints, X and Facebook token exchanges against documentation-shaped fixtures, and
every way the state can be wrong."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from mastodon_mock.testing import MockServer
from sqlalchemy import select
from web_org import HASHER, PASSWORD, Client, Tenant, Web

from mastodon_seed import mastodon_with
from warden.storage.tables import AuditEntryRow, SocialAccount
from warden.workflow import organisations
from warden.workflow.accounts import read_credentials

pytestmark = pytest.mark.db

X_TOKEN_URL = "https://api.x.com/2/oauth2/token"
GRAPH = "https://graph.facebook.com/v21.0"
# Throwaway values for mocks, not credentials.
X_CLIENT_ID, X_CLIENT_SECRET = "x-client-id", "x-client-secret"
META_APP_ID, META_APP_SECRET = "1234567890", "meta-app-secret"


@pytest.fixture(scope="module")
def mastodon_server() -> Iterator[MockServer]:
    with mastodon_with("police", "alice") as server:
        yield server


def add_account(client: Client, tenant: Tenant, network: str, handle: str, **settings: Any) -> str:
    response = client.post("/api/v1/accounts", json={"team_id": str(tenant.team), "network": network,
                                                     "handle": handle, "account_type": "corporate",
                                                     "settings": settings})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def start(client: Client, account_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/accounts/{account_id}/connect", json=body)


def callback_path(state: str, code: str = "the-code") -> str:
    return f"/api/v1/accounts/connect/callback?state={state}&code={code}"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def stored(web: Web, tenant: Tenant, account_id: str) -> dict[str, str]:
    with tenant.sessions() as session:
        raw = read_credentials(session, tenant.id, uuid.UUID(account_id), web.app.state.warden.cipher).reveal()
    loaded: dict[str, str] = json.loads(raw)
    return loaded


def health(tenant: Tenant, account_id: str) -> str:
    with tenant.sessions() as session:
        account = session.get(SocialAccount, uuid.UUID(account_id))
        assert account is not None
        return account.health


def actions(tenant: Tenant) -> list[str]:
    with tenant.sessions() as session:
        return list(session.execute(select(AuditEntryRow.action).where(AuditEntryRow.organisation_id == tenant.id)
                                    .order_by(AuditEntryRow.seq)).scalars())


def authorise_on_mastodon(authorize_url: str, username: str) -> str:
    """Act as the person at the instance: open the authorisation page and pick the account."""
    params = query(authorize_url)
    base = authorize_url.split("/oauth/authorize")[0]
    with httpx.Client(timeout=10) as http:
        page = http.get(authorize_url)
        assert page.status_code == 200 and username in page.text
        answer = http.post(base + "/oauth/authorize", data={
            "username": username, "redirect_uri": params["redirect_uri"], "client_id": params["client_id"],
            "scope": params["scope"], "state": params["state"]})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith("https://testserver/api/v1/accounts/connect/callback?")
    return location.removeprefix("https://testserver")


# ------------------------------------------------------------------------------------- Mastodon

@pytest.mark.third_party_mock
def test_mastodon_connects_end_to_end(web: Web, north: Tenant, mastodon_server: MockServer) -> None:
    admin = web.signed_in(north, "admin")
    account_id = add_account(admin, north, "mastodon", "police", base_url=mastodon_server.base_url)
    response = start(admin, account_id)
    assert response.status_code == 200, response.text
    url = response.json()["authorize_url"]
    params = query(url)
    assert url.startswith(mastodon_server.base_url + "/oauth/authorize?")
    assert params["scope"] == "read write" and params["code_challenge_method"] == "S256"
    assert params["redirect_uri"] == "https://testserver/api/v1/accounts/connect/callback"

    back = admin.get(authorise_on_mastodon(url, "police"))
    assert back.status_code == 303, back.text
    assert back.headers["location"] == f"/accounts?connected={account_id}"
    assert health(north, account_id) == "connected"
    credentials = stored(web, north, account_id)
    with httpx.Client(timeout=10) as http:  # the stored token works, and it is police's
        me = http.get(mastodon_server.base_url + "/api/v1/accounts/verify_credentials",
                      headers={"Authorization": f"Bearer {credentials['access_token']}"})
    assert me.json()["username"] == "police"
    assert credentials["client_id"] and credentials["client_secret"]
    assert actions(north)[-3:] == ["account.connect_started", "account.credentials_set", "account.connected"]
    text = json.dumps([r for r in actions(north)])
    assert credentials["access_token"] not in text

    # Connecting again reuses the registered app (no second registration needed).
    again = start(admin, account_id)
    assert query(again.json()["authorize_url"])["client_id"] == credentials["client_id"]


@pytest.mark.third_party_mock
def test_mastodon_refuses_another_account_authorised(web: Web, north: Tenant, mastodon_server: MockServer) -> None:
    admin = web.signed_in(north, "admin")
    account_id = add_account(admin, north, "mastodon", "@police@police.example", base_url=mastodon_server.base_url)
    url = start(admin, account_id).json()["authorize_url"]
    back = admin.get(authorise_on_mastodon(url, "alice"), headers={"Accept": "application/json"})
    assert back.status_code == 409 and back.json()["error"]["code"] == "connect_wrong_account"
    assert health(north, account_id) == "disconnected"
    assert actions(north)[-1] == "account.connect_failed"


# ------------------------------------------------------------------------------------- the state

@pytest.fixture
def x_account(web: Web, north: Tenant) -> tuple[Client, str]:
    admin = web.signed_in(north, "admin")
    return admin, add_account(admin, north, "x", "northpolice", user_id="1234")


def x_state(admin: Client, account_id: str) -> str:
    response = start(admin, account_id, client_id=X_CLIENT_ID, client_secret=X_CLIENT_SECRET)
    assert response.status_code == 200, response.text
    return query(response.json()["authorize_url"])["state"]


def x_token_route(router: respx.MockRouter, response: httpx.Response) -> respx.Route:
    return router.post(X_TOKEN_URL).mock(return_value=response)


X_TOKENS = {"token_type": "bearer", "expires_in": 7200, "access_token": "x-access-token",
            "scope": "tweet.read tweet.write users.read offline.access dm.read mute.write",
            "refresh_token": "x-refresh-token"}


@pytest.mark.doc_fixture
def test_x_connects_with_pkce(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    response = start(admin, account_id, client_id=X_CLIENT_ID, client_secret=X_CLIENT_SECRET)
    url = response.json()["authorize_url"]
    params = query(url)
    assert url.startswith("https://x.com/i/oauth2/authorize?")
    assert params["scope"] == "tweet.read tweet.write users.read offline.access dm.read mute.write"
    assert params["code_challenge_method"] == "S256" and params["client_id"] == X_CLIENT_ID
    assert X_CLIENT_SECRET not in response.text
    with respx.mock(assert_all_called=True) as router:
        route = x_token_route(router, httpx.Response(200, json=X_TOKENS))
        back = admin.get(callback_path(params["state"]), headers={"Accept": "application/json"})
    assert back.status_code == 200, back.text
    assert back.json() == {"account_id": account_id, "network": "x", "connected": True}
    sent = route.calls.last.request
    form = parse_qs(sent.content.decode())
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["the-code"]
    assert len(form["code_verifier"][0]) >= 43 and form["redirect_uri"] == [params["redirect_uri"]]
    assert sent.headers["authorization"].startswith("Basic ")
    credentials = stored(web, north, account_id)
    assert credentials["access_token"] == "x-access-token" and credentials["refresh_token"] == "x-refresh-token"
    assert health(north, account_id) == "connected"


@pytest.mark.doc_fixture
def test_state_is_single_use(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    state = x_state(admin, account_id)
    with respx.mock() as router:
        x_token_route(router, httpx.Response(200, json=X_TOKENS))
        assert admin.get(callback_path(state)).status_code == 303
        replayed = admin.get(callback_path(state))
    assert replayed.status_code == 400 and replayed.json()["error"]["code"] == "connect_state_invalid"


def test_unknown_or_missing_state_is_refused(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, _ = x_account
    assert admin.get(callback_path("made-up")).json()["error"]["code"] == "connect_state_invalid"
    missing = admin.get("/api/v1/accounts/connect/callback?code=abc")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "connect_state_invalid"


def test_expired_state_is_refused(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    state = x_state(admin, account_id)
    web.clock.advance(minutes=11)
    with respx.mock(assert_all_called=False) as router:
        route = x_token_route(router, httpx.Response(200, json=X_TOKENS))
        expired = admin.get(callback_path(state))
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "connect_state_expired"
    assert not route.called and health(north, account_id) == "disconnected"


def test_another_admins_state_is_refused(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    organisations.add_member(north.sessions, north.principal("admin"), email="second@north.example.com",
                             display_name="Second Admin", password=PASSWORD, roles={north.team: ("admin",)},
                             hasher=HASHER)
    state = x_state(admin, account_id)
    other = web.client()
    logged = other.post("/api/v1/auth/login", json={"organisation": north.slug, "email": "second@north.example.com",
                                                    "password": PASSWORD})
    assert logged.status_code == 200, logged.text
    with respx.mock(assert_all_called=False) as router:
        route = x_token_route(router, httpx.Response(200, json=X_TOKENS))
        refused = other.get(callback_path(state))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "connect_state_mismatch"
    assert not route.called and health(north, account_id) == "disconnected"


def test_another_browser_is_refused(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    state = x_state(admin, account_id)
    stranger = web.client()  # no session, no binding cookie
    refused = stranger.get(callback_path(state))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "connect_state_mismatch"


@pytest.mark.doc_fixture
def test_browser_binding_alone_is_enough(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    """The session cookie is SameSite=Strict and is not sent on the way back from the network."""
    admin, account_id = x_account
    state = x_state(admin, account_id)
    browser = web.client()
    binding = admin.http.cookies.get("__Host-warden_connect")
    assert binding
    with respx.mock() as router:
        x_token_route(router, httpx.Response(200, json=X_TOKENS))
        back = browser.get(callback_path(state), headers={"Cookie": f"__Host-warden_connect={binding}"})
        assert back.status_code == 303, back.text
    assert health(north, account_id) == "connected"


@pytest.mark.doc_fixture
def test_network_refusing_the_code(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    state = x_state(admin, account_id)
    refusal = {"error": "invalid_request",
               "error_description": "Value passed for the authorization code was invalid. the-code"}
    with respx.mock() as router:
        x_token_route(router, httpx.Response(400, json=refusal))
        refused = admin.get(callback_path(state))
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "connect_refused" and "invalid_request" in error["message"]
    assert "the-code" not in refused.text and "authorization code was invalid" not in refused.text
    assert health(north, account_id) == "disconnected" and actions(north)[-1] == "account.connect_failed"


@pytest.mark.doc_fixture
@pytest.mark.parametrize("answer", [
    httpx.Response(200, json={"token_type": "bearer", "expires_in": 7200}),
    httpx.Response(200, json={"access_token": 12345}),
    httpx.Response(200, text="<html>not json</html>"),
    httpx.Response(200, json=["access_token"]),
])
def test_malformed_token_answers(web: Web, north: Tenant, x_account: tuple[Client, str],
                                 answer: httpx.Response) -> None:
    admin, account_id = x_account
    state = x_state(admin, account_id)
    with respx.mock() as router:
        x_token_route(router, answer)
        failed = admin.get(callback_path(state))
    assert failed.status_code == 502 and failed.json()["error"]["code"] == "connect_bad_response"
    assert health(north, account_id) == "disconnected"


@pytest.mark.doc_fixture
def test_network_unavailable(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    state = x_state(admin, account_id)
    with respx.mock() as router:
        router.post(X_TOKEN_URL).mock(side_effect=httpx.ConnectError("down"))
        failed = admin.get(callback_path(state))
    assert failed.status_code == 502 and failed.json()["error"]["code"] == "connect_network_error"


def test_person_declines_at_the_network(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    state = x_state(admin, account_id)
    declined = admin.get(f"/api/v1/accounts/connect/callback?state={state}&error=access_denied"
                         "&error_description=<script>")
    assert declined.status_code == 400 and declined.json()["error"]["code"] == "connect_denied"
    assert "access_denied" in declined.text and "<script>" not in declined.text
    assert actions(north)[-1] == "account.connect_failed"


def test_x_needs_a_client_id(web: Web, north: Tenant, x_account: tuple[Client, str]) -> None:
    admin, account_id = x_account
    response = start(admin, account_id)
    assert response.status_code == 422 and "client_id" in response.json()["error"]["message"]


def test_bluesky_uses_an_app_password(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    account_id = add_account(admin, north, "bluesky", "police.bsky.social")
    response = start(admin, account_id)
    assert response.status_code == 422 and response.json()["error"]["code"] == "oauth_not_supported"
    assert "app password" in response.json()["error"]["message"]


def test_only_account_admins_connect(web: Web, north: Tenant, south: Tenant, x_account: tuple[Client, str]) -> None:
    _, account_id = x_account
    approver = web.signed_in(north, "approver")
    assert start(approver, account_id, client_id=X_CLIENT_ID).status_code == 403
    other_tenant = web.signed_in(south, "admin")
    assert start(other_tenant, account_id, client_id=X_CLIENT_ID).status_code == 404


# ------------------------------------------------------------------------------------- Facebook

@pytest.mark.doc_fixture
def test_facebook_gets_a_long_lived_page_token(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    account_id = add_account(admin, north, "facebook", "northpolice", page_id="111")
    response = start(admin, account_id, client_id=META_APP_ID, client_secret=META_APP_SECRET)
    assert response.status_code == 200, response.text
    url = response.json()["authorize_url"]
    params = query(url)
    assert url.startswith("https://www.facebook.com/v21.0/dialog/oauth?") and "pages_manage_engagement" in url

    def token(request: httpx.Request) -> httpx.Response:
        sent = dict(request.url.params)
        if sent.get("grant_type") == "fb_exchange_token":
            assert sent["fb_exchange_token"] == "short-user-token"
            return httpx.Response(200, json={"access_token": "long-user-token", "token_type": "bearer",
                                             "expires_in": 5183944})
        assert sent["code"] == "the-code" and sent["client_secret"] == META_APP_SECRET
        return httpx.Response(200, json={"access_token": "short-user-token", "token_type": "bearer",
                                         "expires_in": 3600})

    pages = {"data": [{"id": "222", "name": "Other", "access_token": "other-page-token"},
                      {"id": "111", "name": "North Police", "access_token": "page-token"}],
             "paging": {"cursors": {"before": "a", "after": "b"}}}
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{GRAPH}/oauth/access_token").mock(side_effect=token)
        me = router.get(f"{GRAPH}/me/accounts").mock(return_value=httpx.Response(200, json=pages))
        back = admin.get(callback_path(params["state"]))
    assert back.status_code == 303, back.text
    assert me.calls.last.request.headers["authorization"] == "Bearer long-user-token"
    assert stored(web, north, account_id) == {"access_token": "page-token", "app_id": META_APP_ID,
                                              "app_secret": META_APP_SECRET, "page_id": "111"}


@pytest.mark.doc_fixture
def test_instagram_needs_a_page_linked_to_the_account(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    account_id = add_account(admin, north, "instagram", "northpolice", ig_user_id="17841400000000000")
    state = query(start(admin, account_id, client_id=META_APP_ID, client_secret=META_APP_SECRET)
                  .json()["authorize_url"])["state"]
    pages = {"data": [{"id": "111", "access_token": "page-token",
                       "instagram_business_account": {"id": "17841499999999999"}}]}
    with respx.mock() as router:
        router.get(f"{GRAPH}/oauth/access_token").mock(return_value=httpx.Response(200, json={
            "access_token": "user-token", "token_type": "bearer"}))
        router.get(f"{GRAPH}/me/accounts").mock(return_value=httpx.Response(200, json=pages))
        refused = admin.get(callback_path(state))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "connect_wrong_account"
