"""Accounts in a real browser: the health of every account, and the lockdown switch (administrators
only, with confirmation, a reason and the password again), shown on every page while it is on."""

from __future__ import annotations

import pytest
from console_browser import Console
from sqlalchemy import update
from web_org import PASSWORD

from warden.storage.tables import Organisation, SocialAccount

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
        page.get_by_label("Reason").fill("Suspected compromise of the corporate account")
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
        page.get_by_label("Reason").fill("Account secured; passwords changed")
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
