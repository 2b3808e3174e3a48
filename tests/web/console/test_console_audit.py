"""The audit log in a real browser: search (itself recorded), verify the chain, export after re-authentication."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from console_browser import Console
from web_org import PASSWORD

pytestmark = pytest.mark.browser


def test_search_verify_and_export(console: Console) -> None:
    world = console.world
    world.draft("contributor", "Road closure on the A64 tonight (audit).")
    page = console.signed_in("auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    assert page.locator("tbody tr").count() > 3
    console.audit(page, "audit")
    page.get_by_label("Action").fill("draft.")
    page.get_by_role("button", name="Search").click()
    actions = page.locator("tbody tr td:nth-child(4)").all_inner_texts()
    assert actions and all(a.startswith("draft.") for a in actions)
    page.get_by_role("button", name="Verify the chain").click()
    assert "The chain verifies" in page.locator("[role=status]").first.inner_text()
    assert "audit.consulted" in world.audit_actions()
    page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Export the log").click()
    lines = Path(downloaded.value.path()).read_text("utf-8").splitlines()
    assert lines and json.loads(lines[0])["seq"] == 1
    assert "audit.exported" in world.audit_actions()
