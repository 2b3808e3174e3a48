"""Compose in a real browser: the risk check runs as you type (debounced), highlights each finding in
the text and gives its reason in the policy's words; submit; acknowledge a warning; my drafts."""

from __future__ import annotations

import re

import pytest
from console_browser import Console
from web_org import CLEAN, RISKY, WARN_PERSONAL

pytestmark = pytest.mark.browser


def test_live_check_explains_findings_and_the_draft_is_submitted(console: Console) -> None:
    page = console.signed_in("contributor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compose").click()
    page.get_by_label("north_police").check()
    with page.expect_response(re.compile(r"/compose/check$")) as checked:
        page.get_by_label("Your post").press_sequentially(RISKY, delay=5)
    assert checked.value.status == 200
    mark = page.locator("#check mark")
    mark.first.wait_for()
    assert "idiot driver" in mark.first.inner_text()
    reason = page.locator("#check .reason").first
    text = reason.inner_text()
    assert "Abuse, insults or bullying" in text
    assert "Respect and empathy (2024)" in text and "S2 Authority, respect and courtesy" in text
    assert "Why it matters" in text and "Safer alternative" in text
    assert "without labelling them" in text
    status = page.locator("#check-status")
    assert "Needs approval" in status.inner_text() and status.get_attribute("role") == "status"
    console.audit(page, "compose-check")
    page.get_by_label("Your post").fill(CLEAN)
    page.locator("#check", has_text="No concerns").wait_for()
    assert page.locator("#check mark").count() == 0
    page.get_by_label("Your post").fill(RISKY)
    page.locator("#check mark").first.wait_for()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/drafts/[0-9a-f-]{36}\?done=submitted$"))
    assert page.get_by_role("heading", level=1).inner_text().endswith("Waiting for approval")
    assert "idiot driver" in page.locator("main mark").first.inner_text()
    console.audit(page, "draft")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My drafts").click()
    row = page.locator("tbody tr", has_text="Another idiot driver").first
    assert "Waiting for approval" in row.inner_text()
    console.audit(page, "my-drafts")


def test_compose_refuses_an_empty_draft_and_keeps_the_choices(console: Console) -> None:
    page = console.signed_in("contributor")
    page.goto("/compose")
    page.get_by_role("button", name="Submit").click()
    summary = page.locator("[data-error-summary]")
    assert "Choose at least one account" in summary.inner_text() or "Enter the text" in summary.inner_text()
    page.get_by_label("north_police").check()
    page.wait_for_load_state("networkidle")  # the check the change started has answered
    page.get_by_role("button", name="Submit").click()
    assert "Enter the text" in page.locator("[data-error-summary]").inner_text()
    assert page.get_by_label("north_police").is_checked()
    console.audit(page, "compose-error")


def test_a_warning_is_acknowledged_by_its_author(console: Console) -> None:
    page = console.signed_in("publisher")
    page.goto("/compose")
    page.get_by_label("north_pc_jones").check()
    page.get_by_label("Your post").fill(WARN_PERSONAL)
    page.locator("#check", has_text="Warning").wait_for()
    assert "acknowledge the warning" in page.locator("#check").inner_text()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/drafts/"))
    assert page.get_by_role("heading", level=1).inner_text().endswith("Warning to acknowledge")
    page.get_by_role("button", name="I have read the warning: continue").click()
    assert "You acknowledged the warning" in page.locator(".notice").inner_text()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Ready to publish")
