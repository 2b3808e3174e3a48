"""Approvals in a real browser: the queue with risk, reasons, author and due time; approve; reject
with a reason; request changes; override a block with a reason and re-authentication; bulk approve."""

from __future__ import annotations

import re

import pytest
from console_browser import Console
from console_browser import tag as unique_tag
from web_org import BLOCKED, PASSWORD, RISKY

pytestmark = pytest.mark.browser


def test_queue_reject_request_changes_and_bulk_approve(console: Console) -> None:
    world = console.world
    tag = unique_tag()
    held = world.draft("contributor", f"{RISKY} ({tag} held)")
    changes = world.draft("contributor", f"{RISKY} ({tag} changes)")
    [world.draft("contributor", f"Road closure on the A64 tonight ({tag} low {n}).") for n in (1, 2)]
    page = console.signed_in("approver2")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    row = page.locator("tbody tr", has_text=f"{tag} held")
    assert "Abuse, insults or bullying" in row.inner_text() and "Contributor North" in row.inner_text()
    assert "High" in row.inner_text() and row.locator("time[data-clock]").count() == 1
    console.audit(page, "approvals")
    for n in (1, 2):
        page.locator("tbody tr", has_text=f"{tag} low {n}").get_by_role("checkbox").check()
    page.get_by_role("button", name="Approve the selected low-risk drafts").click()
    assert "The selected drafts were approved" in page.locator(".notice").inner_text()
    assert page.locator("tbody tr", has_text=f"{tag} low").count() == 0

    page.locator("tbody tr", has_text=f"{tag} held").get_by_role("link", name=re.compile("^Review")).click()
    page.wait_for_url(re.compile(f"/approvals/{held}$"))
    console.audit(page, "review")
    page.get_by_role("button", name="Reject").click()
    assert "Say why the draft is rejected" in page.locator("[data-error-summary]").inner_text()
    page.get_by_label("Why it is rejected").fill("Describe the driving, not the driver.")
    page.get_by_role("button", name="Reject").click()
    assert "The draft was rejected" in page.locator(".notice").inner_text()

    page.goto(f"/approvals/{changes}")
    page.get_by_label("What should change").fill("Take out 'idiot'.")
    page.get_by_role("button", name="Ask for changes").click()
    assert "The author was asked for changes" in page.locator(".notice").inner_text()
    assert page.locator("tbody tr", has_text=tag).count() == 0

    author = console.signed_in("contributor")
    author.goto(f"/drafts/{held}")
    assert author.get_by_role("heading", level=1).inner_text().endswith("Rejected")
    assert "Describe the driving, not the driver." in author.locator(".history").inner_text()
    author.goto(f"/drafts/{changes}")
    author.get_by_label("New text").fill(f"A driver was stopped doing 90 in a 30 ({tag}).")
    author.get_by_role("button", name="Save and check again").click()
    assert "Your changes were saved" in author.locator(".notice").inner_text()


def test_a_block_is_overridden_only_with_a_reason_and_the_password(console: Console) -> None:
    world = console.world
    blocked = world.draft("contributor", f"{BLOCKED} ({unique_tag()})")
    page = console.signed_in("approver2")
    page.goto(f"/approvals/{blocked}")
    assert page.get_by_role("heading", level=1).inner_text().endswith("Blocked")
    assert "Approve" not in [b.inner_text() for b in page.get_by_role("button").all()]
    page.get_by_label("Why the block should be overridden").fill("The public need to know this now.")
    page.get_by_label("Your password, to confirm it is you").fill("wrong password")
    page.get_by_role("button", name="Override the block").click()
    assert "The password or code is not right" in page.locator("[data-error-summary]").inner_text()
    assert page.get_by_label("Why the block should be overridden").input_value() == "The public need to know this now."
    console.audit(page, "override-error")
    page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    page.get_by_role("button", name="Override the block").click()
    assert "The block was overridden" in page.locator(".notice").inner_text()
    actions = world.audit_actions()
    assert "session.reauthenticated" in actions and "draft.block_overridden" in actions


def test_an_approver_never_reviews_their_own_draft(console: Console) -> None:
    world = console.world
    own = world.draft("approver", f"{RISKY} ({unique_tag()} own)")
    page = console.signed_in("approver")
    page.goto("/approvals")
    row = page.locator("tbody tr", has_text="own)")
    assert "another approver reviews it" in row.inner_text()
    assert row.get_by_role("button").count() == 0
    page.goto(f"/approvals/{own}")
    assert page.get_by_role("button", name="Approve").count() == 0
