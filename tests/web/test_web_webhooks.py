"""Signed webhooks into the inbox: the handshakes, signatures checked before
anything is read, duplicate deliveries stored once, other accounts' events
ignored. Signed with the real receivers of X (Account Activity) and Meta."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from web_org import Tenant, Web, build_tenant

from warden.auth.redaction import Secret
from warden.storage.tables import Message
from warden.storage.work_tables import InboxItem
from warden.workflow import accounts, inbox

pytestmark = pytest.mark.db
X_SECRET = "x-consumer-secret-for-tests"
META_SECRET = "meta-app-secret-for-tests"
OUR_X_ID = "2244994945"
PAGE_ID = "104000000000001"


@pytest.fixture
def hooks(web: Web, north: Tenant) -> Iterator[tuple[Web, Tenant, uuid.UUID, uuid.UUID]]:
    admin = north.principal("admin")
    x_account = accounts.add_account(north.sessions, admin, team_id=north.team, network="x", handle="NorthPolice",
                                     account_type="corporate", settings={"user_id": OUR_X_ID})
    accounts.set_credentials(north.sessions, admin, x_account, Secret(json.dumps(
        {"access_token": "token", "consumer_secret": X_SECRET}).encode()), web.app.state.warden.cipher)
    page = accounts.add_account(north.sessions, admin, team_id=north.team, network="facebook",
                                handle="NorthPolicePage", account_type="corporate", settings={"page_id": PAGE_ID})
    accounts.set_credentials(north.sessions, admin, page, Secret(json.dumps(
        {"access_token": "token", "app_secret": META_SECRET, "verify_token": "verify-me"}).encode()),
        web.app.state.warden.cipher)
    yield web, north, x_account, page


def x_signature(body: bytes, secret: str = X_SECRET) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def meta_signature(body: bytes, secret: str = META_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def tweet(n: int, for_user: str = OUR_X_ID) -> bytes:
    event: dict[str, Any] = {
        "for_user_id": for_user,
        "tweet_create_events": [{
            "created_at": "Mon Jun 02 11:10:00 +0000 2025", "id_str": str(1_929_505_775_416_246_272 + n),
            "text": f"@NorthPolice question number {n} about the road closure",
            "in_reply_to_status_id_str": "1928783516267446272", "in_reply_to_user_id_str": OUR_X_ID,
            "user": {"id_str": "1111111111", "name": "Alice", "screen_name": "alice_uk"},
            "timestamp_ms": "1748862600000"}]}
    return json.dumps(event).encode()


def stored(tenant: Tenant, model: type) -> int:
    with tenant.sessions() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_x_crc_challenge_is_answered_with_the_hmac(hooks: tuple[Web, Tenant, uuid.UUID, uuid.UUID]) -> None:
    web, _, x_account, _ = hooks
    response = web.client().get(f"/api/v1/webhooks/x/{x_account}", params={"crc_token": "challenge-123"})
    assert response.status_code == 200
    expected = base64.b64encode(hmac.new(X_SECRET.encode(), b"challenge-123", hashlib.sha256).digest()).decode()
    assert response.json() == {"response_token": f"sha256={expected}"}


def test_meta_handshake_needs_the_verify_token(hooks: tuple[Web, Tenant, uuid.UUID, uuid.UUID]) -> None:
    web, _, _, page = hooks
    client = web.client()
    good = client.get(f"/api/v1/webhooks/facebook/{page}", params={
        "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert (good.status_code, good.text) == (200, "1158201444")
    bad = client.get(f"/api/v1/webhooks/facebook/{page}", params={
        "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"})
    assert bad.status_code == 403


def test_duplicate_deliveries_store_one_message_each(hooks: tuple[Web, Tenant, uuid.UUID, uuid.UUID]) -> None:
    """1,000 deliveries: 100 distinct events, each delivered ten times."""
    web, north, x_account, _ = hooks
    client = web.client()
    for repeat in range(10):
        for n in range(100):
            body = tweet(n)
            response = client.post(f"/api/v1/webhooks/x/{x_account}", content=body, csrf=False,
                                   headers={"x-twitter-webhooks-signature": x_signature(body),
                                            "content-type": "application/json"})
            assert response.status_code == 200, response.text
            assert response.json()["new"] == (1 if repeat == 0 else 0)
    assert stored(north, InboxItem) == 100
    result = inbox.file_pending(north.sessions, north.id)
    assert (result.filed, result.dead) == (100, 0)
    assert stored(north, Message) == 100


def test_forged_or_missing_signatures_are_refused_and_nothing_is_stored(
        hooks: tuple[Web, Tenant, uuid.UUID, uuid.UUID]) -> None:
    web, north, x_account, page = hooks
    client = web.client()
    body = tweet(1)
    for headers in ({}, {"x-twitter-webhooks-signature": x_signature(body, "wrong-secret")},
                    {"x-twitter-webhooks-signature": "sha256="}, {"x-twitter-webhooks-signature": x_signature(b"x")}):
        response = client.post(f"/api/v1/webhooks/x/{x_account}", content=body, headers=headers, csrf=False)
        assert response.status_code == 401
    feed = json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": 1714557600, "changes": [
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1_2", "post_id": f"{PAGE_ID}_9",
                                    "message": "hello", "from": {"id": "7", "name": "R"},
                                    "created_time": 1714557600}}]}]}).encode()
    forged = client.post(f"/api/v1/webhooks/facebook/{page}", content=feed, csrf=False,
                         headers={"X-Hub-Signature-256": meta_signature(feed, "not-the-secret")})
    assert forged.status_code == 401
    assert stored(north, InboxItem) == 0
    signed = client.post(f"/api/v1/webhooks/facebook/{page}", content=feed, csrf=False,
                         headers={"X-Hub-Signature-256": meta_signature(feed)})
    assert signed.status_code == 200 and signed.json()["new"] == 1


def test_events_for_another_account_and_malformed_bodies(hooks: tuple[Web, Tenant, uuid.UUID, uuid.UUID]) -> None:
    web, north, x_account, _ = hooks
    client = web.client()
    elsewhere = tweet(5, for_user="999")
    response = client.post(f"/api/v1/webhooks/x/{x_account}", content=elsewhere, csrf=False,
                           headers={"x-twitter-webhooks-signature": x_signature(elsewhere)})
    assert response.status_code == 200 and response.json() == {"received": 0, "new": 0}
    garbage = b"{not json"
    response = client.post(f"/api/v1/webhooks/x/{x_account}", content=garbage, csrf=False,
                           headers={"x-twitter-webhooks-signature": x_signature(garbage)})
    assert response.status_code == 400
    for url in (f"/api/v1/webhooks/x/{uuid.uuid4()}", f"/api/v1/webhooks/mastodon/{x_account}",
                f"/api/v1/webhooks/facebook/{x_account}"):
        assert client.post(url, content=b"{}", csrf=False).status_code == 404
    assert stored(north, InboxItem) == 0


def test_one_tenants_url_cannot_file_into_another(hooks: tuple[Web, Tenant, uuid.UUID, uuid.UUID],
                                                  db_engine: Engine) -> None:
    """The URL names the account; the secret is that account's own."""
    web, north, _, _ = hooks

    south = build_tenant(db_engine, "south")
    admin = south.principal("admin")
    theirs = accounts.add_account(south.sessions, admin, team_id=south.team, network="x", handle="SouthPolice",
                                  account_type="corporate", settings={"user_id": OUR_X_ID})
    accounts.set_credentials(south.sessions, admin, theirs, Secret(json.dumps(
        {"access_token": "t", "consumer_secret": "south-secret"}).encode()), web.app.state.warden.cipher)
    body = tweet(3)
    signed_for_north = x_signature(body)
    response = web.client().post(f"/api/v1/webhooks/x/{theirs}", content=body, csrf=False,
                                 headers={"x-twitter-webhooks-signature": signed_for_north})
    assert response.status_code == 401
    assert stored(north, InboxItem) == 0
