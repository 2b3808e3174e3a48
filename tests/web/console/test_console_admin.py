"""Admin in a real browser: organisation settings shown; members added, their roles per team changed and
removed (the last two with the password again: step-up); API tokens created with scopes (the secret
shown once), listed and revoked; a second factor required of everyone (after a confirmation, with the
password and code again), after which a member without one is sent to set it up; a member's lost second
factor reset by an administrator (reason, confirmation, password and code), after which the member signs in
with the password alone; non-administrators are not offered the page."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from console_browser import Console
from console_browser import tag as unique_tag
from sqlalchemy import select, update
from web_org import PASSWORD, Tenant, build_tenant

from warden.storage.tables import AuditEntryRow, Organisation

pytestmark = pytest.mark.browser


def test_members_roles_and_removal(console: Console) -> None:
    world = console.world
    tag = unique_tag()
    name, email = f"Newcomer {tag}", f"new.{tag}@north.example.com"
    page = console.signed_in("admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    assert page.get_by_role("heading", name="Organisation").is_visible()
    assert "North Police" in page.locator(".summary").inner_text()
    console.audit(page, "admin")

    add = page.locator("#form-add")
    add.get_by_label("Name").fill(name)
    add.get_by_label("Email address").fill(email)
    add.get_by_label("First password").fill(PASSWORD)
    add.get_by_label("Moderator").first.check()
    add.get_by_role("button", name="Add the member").click()
    assert "The member was added" in page.locator(".notice").inner_text()
    row = page.locator("tbody tr", has_text=email)
    assert "Moderator" in row.inner_text() and "Auditor" not in row.inner_text()

    row.get_by_text("Change").click()
    roles = row.locator("form[id^=form-roles]")
    roles.get_by_label("Auditor").first.check()
    roles.get_by_label("Your password, to confirm it is you").fill("not the password")
    roles.get_by_role("button", name="Save roles").click()
    assert "The password or code is not right" in page.locator("[data-error-summary]").inner_text()
    console.audit(page, "admin-refused")
    row = page.locator("tbody tr", has_text=email)
    assert "Auditor" not in row.locator("td").nth(3).inner_text()
    roles = row.locator("form[id^=form-roles]")  # the form is open again after the refusal
    roles.get_by_label("Auditor").first.check()
    roles.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    roles.get_by_role("button", name="Save roles").click()
    assert "roles were changed" in page.locator(".notice").inner_text()
    assert "Auditor" in page.locator("tbody tr", has_text=email).inner_text()

    row = page.locator("tbody tr", has_text=email)
    row.get_by_text("Change").click()
    remove = row.locator("form[id^=form-remove]")
    remove.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    remove.get_by_role("button", name="Remove").click()
    assert "Say why" in page.locator("[data-error-summary]").inner_text()
    remove = page.locator("tbody tr", has_text=email).locator("form[id^=form-remove]")
    remove.get_by_label(f"Why {name} is removed").fill("Left the force")
    remove.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    remove.get_by_role("button", name="Remove").click()
    assert "The member was removed" in page.locator(".notice").inner_text()
    assert page.locator("tbody tr", has_text=email).count() == 0
    actions = world.audit_actions()
    assert {"member.added", "member.roles_changed", "member.removed"} <= set(actions)


def test_api_tokens_are_created_with_scopes_shown_once_and_revoked(console: Console) -> None:
    tag = unique_tag()
    page = console.signed_in("admin")
    page.goto("/admin")
    form = page.locator("#form-token")
    form.get_by_label("What it is for").fill(f"SIEM export {tag}")
    form.get_by_role("button", name="Create the token").click()
    assert "at least one scope" in page.locator("[data-error-summary]").inner_text()
    form = page.locator("#form-token")
    assert form.get_by_label("What it is for").input_value() == f"SIEM export {tag}"
    form.get_by_label("inbox:read").check()
    form.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    form.get_by_role("button", name="Create the token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("wdn_") and len(secret) > 20
    console.audit(page, "admin-token")
    row = page.locator("tbody tr", has_text=f"SIEM export {tag}")
    assert "inbox:read" in row.inner_text() and "drafts:write" not in row.inner_text()
    page.goto("/admin")
    assert secret not in page.content()  # shown once
    page.locator("tbody tr", has_text=f"SIEM export {tag}").get_by_role("button", name="Revoke").click()
    assert "The API token was revoked" in page.locator(".notice").inner_text()
    assert "Revoked" in page.locator("tbody tr", has_text=f"SIEM export {tag}").inner_text()
    assert "api_token.revoked" in console.world.audit_actions()


def test_only_administrators_are_offered_admin(console: Console) -> None:
    page = console.signed_in("moderator")
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").count() == 0
    response = page.goto("/admin")
    assert response is not None and response.status == 403


def _sign_in_to(page: Any, tenant: Tenant, role: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Organisation").fill(tenant.slug)
    page.get_by_label("Email address").fill(tenant.email(role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def _enrol(page: Any, *, previous_step: bool = False) -> str:
    """Set up an authenticator app from the page; the code typed is the previous step's when asked (still
    accepted), so that the current one is left for a step-up straight after."""
    page.goto("/account/second-factor")
    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.locator("code.secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(totp.at(time.time() - 30) if previous_step else totp.now())
    page.get_by_role("button", name="Turn on the authenticator app").click()
    assert "Your authenticator app is set up" in page.locator(".notice").inner_text()
    return secret


def test_requiring_a_second_factor_sends_members_without_one_to_enrol(console: Console) -> None:
    """In an organisation of its own (the shared one must stay as it is for the other tests)."""
    world = console.world
    tenant = build_tenant(world.tenant.sessions.kw["bind"], f"mfa-{unique_tag()}")
    admin = console.page()
    _sign_in_to(admin, tenant, "admin")
    admin.goto("/admin#mfa")
    panel = admin.locator("#form-mfa")
    assert "set up your own authenticator app" in panel.inner_text()
    assert "Moderator" in admin.locator("#mfa-without").inner_text()
    panel.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    panel.get_by_role("button", name="Require a second factor").click()
    assert "Confirm that members without a second factor" in admin.locator("[data-error-summary]").inner_text()
    panel = admin.locator("#form-mfa")
    panel.get_by_label("I understand").check()
    panel.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    panel.get_by_role("button", name="Require a second factor").click()
    assert "your own authenticator app" in admin.locator("[data-error-summary]").inner_text()

    secret = _enrol(admin, previous_step=True)
    admin.goto("/admin#mfa")
    console.audit(admin, "admin-mfa")
    panel = admin.locator("#form-mfa")
    panel.get_by_label("I understand").check()
    panel.get_by_label("Reason (optional)").fill("Force policy from today")
    panel.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    panel.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    panel.get_by_role("button", name="Require a second factor").click()
    assert "A second factor is now required" in admin.locator(".notice").inner_text()
    assert "Required for every member" in admin.locator(".summary").inner_text()
    console.audit(admin, "admin-mfa-required")

    moderator = console.page()
    _sign_in_to(moderator, tenant, "moderator")
    assert moderator.url.endswith("/account/second-factor")
    assert "Your organisation requires a second factor" in moderator.locator("main").inner_text()
    console.audit(moderator, "second-factor-required")
    moderator.goto("/inbox")
    assert moderator.url.endswith("/account/second-factor")  # nothing else until enrolled
    _enrol(moderator)
    moderator.goto("/inbox")
    assert moderator.url.endswith("/inbox")
    assert moderator.get_by_role("heading", level=1).inner_text() == "Inbox"

    panel = admin.locator("#form-mfa")  # switching it off again needs a reason
    panel.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    panel.get_by_role("button", name="Stop requiring a second factor").click()
    assert "Say why" in admin.locator("[data-error-summary]").inner_text()
    with tenant.sessions() as session:
        actions = list(session.execute(select(AuditEntryRow.action).where(
            AuditEntryRow.organisation_id == tenant.id)).scalars())
    assert actions.count("organisation.mfa_required") == 1 and actions.count("member.mfa_enrolled") == 2


def test_a_lost_second_factor_is_reset_and_the_member_signs_in_without_a_code(console: Console) -> None:
    """In an organisation of its own: the moderator lost their phone and recovery codes; an administrator
    resets the second factor (a reason, a confirmation, the password and code again); the moderator is
    signed out, signs in with the password alone and, the organisation requiring one, is sent to enrol."""
    tenant = build_tenant(console.world.tenant.sessions.kw["bind"], f"reset-{unique_tag()}")
    moderator = console.page()
    _sign_in_to(moderator, tenant, "moderator")
    _enrol(moderator)
    admin = console.page()
    _sign_in_to(admin, tenant, "admin")
    secret = _enrol(admin, previous_step=True)
    with tenant.sessions.begin() as session:  # set-up: the organisation requires a second factor
        session.execute(update(Organisation).where(Organisation.id == tenant.id).values(mfa_required=True))

    admin.goto("/admin")
    row = admin.locator("tbody tr", has_text=tenant.email("moderator"))
    assert "Password + authenticator" in row.inner_text()
    assert admin.locator("tbody tr", has_text=tenant.email("auditor")).locator("form[id^=form-reset]").count() == 0
    assert admin.locator("tbody tr", has_text=tenant.email("admin")).locator("form[id^=form-reset]").count() == 0
    row.get_by_text("Change").click()
    form = row.locator("form[id^=form-reset]")
    form.get_by_label("I understand").check()
    form.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    form.get_by_role("button", name="Reset second factor").click()
    assert "Say why" in admin.locator("[data-error-summary]").inner_text()
    form = admin.locator("tbody tr", has_text=tenant.email("moderator")).locator("form[id^=form-reset]")
    form.get_by_label("Why Moderator").fill("Lost phone and recovery codes (ticket 4411)")
    form.get_by_label("I understand").check()
    form.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    form.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    form.get_by_role("button", name="Reset second factor").click()
    assert "second factor was reset" in admin.locator(".notice").inner_text()
    row = admin.locator("tbody tr", has_text=tenant.email("moderator"))
    assert "authenticator" not in row.inner_text() and row.locator("form[id^=form-reset]").count() == 0
    console.audit(admin, "admin-second-factor-reset")

    moderator.goto("/inbox")  # signed out everywhere
    assert "/sign-in" in moderator.url
    _sign_in_to(moderator, tenant, "moderator")  # the password alone: no code asked for
    assert moderator.url.endswith("/account/second-factor")
    assert "Your organisation requires a second factor" in moderator.locator("main").inner_text()
    _enrol(moderator)
    moderator.goto("/inbox")
    assert moderator.url.endswith("/inbox")
    with tenant.sessions() as session:
        actions = list(session.execute(select(AuditEntryRow.action).where(
            AuditEntryRow.organisation_id == tenant.id)).scalars())
    assert actions.count("member.second_factor_reset") == 1
