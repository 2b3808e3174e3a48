"""Policy in a real browser (administrators): the active pack, the registers, a test of any text."""

from __future__ import annotations

import pytest
from console_browser import Console

pytestmark = pytest.mark.browser


def test_registers_change_what_the_check_says(console: Console) -> None:
    page = console.signed_in("admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Policy").click()
    assert "UK policing" in page.locator(".summary").inner_text()
    assert page.locator("tbody tr", has_text="Abuse, insults or bullying").count() == 1
    console.audit(page, "policy")
    page.get_by_label("Text", exact=True).fill("Update on Operation Kestrel: arrests expected tonight")
    page.get_by_role("button", name="Test").click()
    before = page.locator(".test-result").inner_text()
    page.get_by_label("Register", exact=True).select_option(label="Live operation names")
    page.get_by_label("Name", exact=True).fill("Kestrel")
    page.get_by_role("button", name="Add", exact=True).click()
    assert "The entry was added" in page.locator(".notice").inner_text()
    assert page.locator(".register li", has_text="Kestrel").count() == 1
    page.get_by_label("Text", exact=True).fill("Update on Operation Kestrel: arrests expected tonight")
    page.get_by_role("button", name="Test").click()
    assert "Blocked" in page.locator(".test-result").inner_text() and "Blocked" not in before
    assert "Live operation name" in page.locator("#main .reasons").inner_text()
    console.audit(page, "policy-tested")
    page.locator(".register li", has_text="Kestrel").get_by_role("button", name="Remove Kestrel").click()
    assert "The entry was removed" in page.locator(".notice").inner_text()
    assert page.locator(".register li", has_text="Kestrel").count() == 0


def test_the_policy_page_is_for_administrators(console: Console) -> None:
    page = console.signed_in("approver2")
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Policy").count() == 0
    page.goto("/policy")
    assert page.get_by_role("heading", level=1).inner_text() == "You cannot do that here"
