"""The inbox and the case view in a real browser: filters, most urgent first, the thread with its
findings and reasons, offered actions, assignment, SLA clock, blurred content, audited reveal."""

from __future__ import annotations

import re
import uuid

import pytest
from console_browser import Console
from console_browser import tag as unique_tag

pytestmark = pytest.mark.browser
THREAT = "I know where you live and I will kill you"
DOXXING = "That officer lives at 14 Acacia Avenue, go and pay him a visit"
ABUSE = "You are a useless idiot"
REPORT = "My car was stolen last night, how do I report it?"


def test_inbox_filters_and_orders_by_urgency(console: Console) -> None:
    world = console.world
    tag = unique_tag()
    world.inbound(REPORT, author=f"@calm_{tag}", name=f"Calm {tag}")
    world.inbound(THREAT, author=f"@threat_{tag}", name=f"Threat {tag}")
    page = console.signed_in("moderator")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    rows = page.locator("tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    threat_at = next(i for i, t in enumerate(texts) if f"Threat {tag}" in t)
    calm_at = next(i for i, t in enumerate(texts) if f"Calm {tag}" in t)
    assert threat_at < calm_at  # most urgent first
    assert "Urgent" in texts[threat_at] and "Content warning" in texts[threat_at]
    assert THREAT not in texts[threat_at]  # not shown in the list
    assert "in 14 min" in texts[threat_at] or "in 15 min" in texts[threat_at]  # the 15-minute SLA
    console.audit(page, "inbox")
    page.get_by_label("Severity").select_option("4")
    page.get_by_label("Category").select_option(label="Threat to kill or seriously harm")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"severity=4"))
    shown = page.locator("tbody tr")
    assert shown.count() >= 1
    assert all("Urgent" in shown.nth(i).inner_text() for i in range(shown.count()))
    assert page.locator("tbody tr", has_text=f"Calm {tag}").count() == 0
    page.get_by_label("Assigned to").select_option("me")
    page.get_by_role("button", name="Apply filters").click()
    assert page.locator("tbody tr", has_text=f"Threat {tag}").count() == 0


def test_case_view_blurs_reveals_and_acts(console: Console) -> None:
    world = console.world
    thread = uuid.uuid4().hex
    abuse_id, case_id = world.inbound(ABUSE, thread=thread, author="@angry", name="Angry Person")
    doxx_id, _ = world.inbound(DOXXING, thread=thread, author="@doxxer", name="Doxxer")
    world.hide(case_id, doxx_id)
    page = console.signed_in("moderator")
    page.goto(f"/cases/{case_id}")
    assert "Case on north_police" in page.get_by_role("heading", level=1).inner_text()
    concealed = page.locator(f"#content-{abuse_id}")
    assert "is-concealed" in (concealed.get_attribute("class") or "")
    assert concealed.get_attribute("aria-hidden") == "true"
    assert page.locator(f"#text-{doxx_id}").inner_text().count("Acacia") == 0  # withheld, not just blurred
    console.audit(page, "case")
    page.get_by_role("button", name="Show the message").click()
    assert "is-concealed" not in (concealed.get_attribute("class") or "")
    assert "You are a useless" in concealed.inner_text() and "idiot" in concealed.inner_text()
    before = world.audit_actions().count("message.viewed_hidden")
    page.get_by_role("button", name=re.compile("^Reveal the hidden message")).click()
    page.locator(f"#text-{doxx_id}", has_text="Acacia Avenue").wait_for()
    assert world.audit_actions().count("message.viewed_hidden") == before + 1
    console.audit(page, "case-revealed")

    page.get_by_label("Assign to").select_option("me")
    page.get_by_role("button", name="Assign").click()
    assert "The case was assigned" in page.locator(".notice").inner_text()
    assert "Moderator North" in page.locator(".summary").inner_text()
    page.get_by_role("button", name="Mark as lawful").click()
    assert "Say why (mark lawful)" in page.locator("[data-error-summary]").inner_text()
    page.get_by_label("Why it is lawful").fill("Criticism of the force, not of a person.")
    page.get_by_role("button", name="Mark as lawful").click()
    assert "Done: the action is recorded" in page.locator(".notice").inner_text()
    page.get_by_role("button", name="Close the case").click()
    assert "The case was closed" in page.locator(".notice").inner_text()
    assert page.get_by_label("Why it is reopened").is_visible()
    assert "case.closed" in world.audit_actions()


def test_an_auditor_reads_cases_but_is_offered_no_actions(console: Console) -> None:
    _, case_id = console.world.inbound(REPORT)
    page = console.signed_in("auditor")
    page.goto(f"/cases/{case_id}")
    assert page.get_by_role("heading", name="What you can do").count() == 0
    assert page.locator("main form").count() == 0
