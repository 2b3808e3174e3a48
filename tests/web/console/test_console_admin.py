"""Admin in a real browser: organisation settings shown; members added, their roles per team changed and
removed (the last two with the password again: step-up); API tokens created with scopes (the secret
shown once), listed and revoked; non-administrators are not offered the page."""

from __future__ import annotations

import pytest
from console_browser import Console
from console_browser import tag as unique_tag
from web_org import PASSWORD

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
