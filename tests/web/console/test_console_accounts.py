"""Accounts in a real browser: the health of every account, connecting one with the network's OAuth
(Mastodon, against ``mastodon_mock``) and disconnecting it, and the lockdown switch (administrators
only, with confirmation, a reason and the password again), shown on every page while it is on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from console_browser import Console
from mastodon_mock.testing import MockServer
from sqlalchemy import delete, update
from web_org import PASSWORD

from mastodon_seed import mastodon_with
from warden.storage.tables import Organisation, SocialAccount
from warden.storage.work_tables import AccountOAuthState, AccountSync
from warden.workflow import accounts

pytestmark = pytest.mark.browser


def test_accounts_health_and_lockdown(console: Console) -> None:
    world = console.world
    with world.tenant.sessions.begin() as session:
        session.execute(update(SocialAccount).where(SocialAccount.id == world.tenant.personal).values(
            health="auth_failed", health_detail="The token was revoked at the network."))
        session.execute(update(SocialAccount).where(SocialAccount.id == world.tenant.corporate).values(
            health="connected"))
    try:
        page = console.signed_in("admin")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
        row = page.locator("tbody tr", has_text="north_pc_jones")
        assert "Sign-in refused: reconnect it" in row.inner_text()
        assert "The token was revoked at the network." in row.inner_text()
        assert "Connected" in page.locator("tbody tr", has_text="north_police").inner_text()
        console.audit(page, "accounts")
        page.get_by_label("Reason", exact=True).fill("Suspected compromise of the corporate account")
        page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
        page.get_by_role("button", name="Lock down every account").click()
        assert "Confirm that you want to stop" in page.locator("[data-error-summary]").inner_text()
        page.get_by_label("I understand that nothing will be published").check()
        page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
        page.get_by_role("button", name="Lock down every account").click()
        assert "Lockdown is on" in page.locator(".notice").inner_text()
        console.audit(page, "accounts-locked")
        page.goto("/")
        assert "Lockdown is on" in page.locator(".lockdown-banner").inner_text()
        page.goto("/accounts")
        page.get_by_label("Reason", exact=True).fill("Account secured; passwords changed")
        page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
        page.get_by_role("button", name="Lift the lockdown").click()
        assert "Lockdown is lifted" in page.locator(".notice").inner_text()
        actions = world.audit_actions()
        assert "organisation.lockdown" in actions and "organisation.lockdown_lifted" in actions
    finally:
        with world.tenant.sessions.begin() as session:
            session.execute(update(Organisation).where(Organisation.id == world.tenant.id).values(
                locked_down=False, lockdown_reason=None))
            session.execute(update(SocialAccount).where(SocialAccount.organisation_id == world.tenant.id).values(
                health="disconnected", health_detail=""))


def test_only_administrators_are_offered_the_lockdown(console: Console) -> None:
    page = console.signed_in("publisher")
    page.goto("/accounts")
    assert page.locator("tbody tr").count() == 2
    assert page.get_by_role("button", name="Lock down every account").count() == 0


@pytest.fixture
def mastodon_server() -> Iterator[MockServer]:
    with mastodon_with("police") as server:
        yield server


@pytest.mark.third_party_mock
def test_connect_and_disconnect_an_account(console: Console, mastodon_server: MockServer) -> None:
    world = console.world
    tenant = world.tenant
    account_id = accounts.add_account(tenant.sessions, tenant.principal("admin"), team_id=tenant.team,
                                      network="mastodon", handle="police", account_type="corporate",
                                      settings={"base_url": mastodon_server.base_url})
    try:
        page = console.signed_in("admin")
        page.goto("/accounts")
        row = page.locator("tbody tr", has_text="police").filter(has_text="mastodon")
        row.get_by_role("button", name="Connect police").click()
        link = page.locator("#continue-to-network")
        authorize_url = link.get_attribute("href") or ""
        assert authorize_url.startswith(mastodon_server.base_url + "/oauth/authorize?")
        console.audit(page, "connect-continue")
        params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert params["redirect_uri"] == world.base + "/api/v1/accounts/connect/callback"
        with httpx.Client(timeout=10) as http:  # the admin signs in at the instance and allows Warden
            allowed = http.post(mastodon_server.base_url + "/oauth/authorize", data={
                "username": "police", "redirect_uri": params["redirect_uri"], "client_id": params["client_id"],
                "scope": params["scope"], "state": params["state"]})
        assert allowed.status_code == 302
        page.goto(allowed.headers["location"])  # the network sends this browser back
        assert "The account is connected" in page.locator(".notice").inner_text()
        row = page.locator("tbody tr", has_text="police").filter(has_text="mastodon")
        assert "Connected" in row.inner_text() and "Held by Warden" in row.inner_text()

        row.get_by_text("Disconnect").first.click()
        row.get_by_role("button", name="Disconnect police").click()
        assert "Confirm that Warden should forget" in page.locator("[data-error-summary]").inner_text()
        row = page.locator("tbody tr", has_text="police").filter(has_text="mastodon")
        row.locator("summary", has_text="Disconnect").click()
        row.get_by_label("Forget its sign-in and stop reading it").check()
        row.get_by_label("Reason for disconnecting").fill("Handing the account to the new neighbourhood team")
        row.get_by_role("button", name="Disconnect police").click()
        assert "The account is disconnected" in page.locator(".notice").inner_text()
        row = page.locator("tbody tr", has_text="police").filter(has_text="mastodon")
        assert "Not connected" in row.inner_text() and "None" in row.inner_text()
        actions = world.audit_actions()
        assert {"account.connect_started", "account.connected", "account.disconnected"} <= set(actions)
    finally:
        with tenant.sessions.begin() as session:
            session.execute(delete(AccountOAuthState).where(AccountOAuthState.account_id == account_id))
            session.execute(delete(AccountSync).where(AccountSync.account_id == account_id))
            session.execute(delete(SocialAccount).where(SocialAccount.id == uuid.UUID(str(account_id))))


def test_other_roles_are_not_offered_connecting(console: Console) -> None:
    page = console.signed_in("moderator")
    page.goto("/accounts")
    assert page.get_by_role("button", name="Connect").count() == 0
    assert page.locator("summary", has_text="Disconnect").count() == 0
