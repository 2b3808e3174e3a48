"""Replying from a case in a real browser: the reply is checked as it is typed (compose's check: findings
highlighted, reasons in the policy's words), sent from the keyboard, scheduled through the outbox when
allowed, held for an approver (who sees what it answers, blurred when abusive) when risky; DMs refused."""

from __future__ import annotations

import re
import uuid

import pytest
from console_browser import Console
from console_browser import tag as unique_tag
from sqlalchemy import select

from warden.storage.tables import Draft, Message
from warden.storage.work_tables import OutboxPost

pytestmark = pytest.mark.browser
QUESTION = "When is the next neighbourhood meeting?"
ABUSE = "You are a useless idiot"
CLEAN = "Thank you for asking: it is on Tuesday at 7pm in the library."
RISKY = "Thanks for the feedback, you muppet."


def network_id(console: Console, message_id: uuid.UUID) -> str:
    with console.world.tenant.sessions() as session:
        return session.execute(select(Message.network_id).where(Message.id == message_id)).scalar_one()


def replies_to(console: Console, message_id: uuid.UUID) -> list[tuple[str, str | None]]:
    """(draft state, the outbox post's in_reply_to) of each reply to the message."""
    with console.world.tenant.sessions() as session:
        rows = session.execute(select(Draft.state, OutboxPost.in_reply_to).outerjoin(
            OutboxPost, OutboxPost.draft_id == Draft.id).where(Draft.reply_to_message_id == message_id)
            .order_by(Draft.created_at)).all()
    return [(state, in_reply_to) for state, in_reply_to in rows]


def test_a_reply_is_checked_as_it_is_typed_and_sent_from_the_keyboard(console: Console) -> None:
    tag = unique_tag()
    message_id, case_id = console.world.inbound(QUESTION, author=f"@asker_{tag}", name=f"Asker {tag}")
    page = console.signed_in("moderator")
    page.goto(f"/cases/{case_id}")
    assert page.get_by_label("Reply to").locator("option").inner_text().startswith(f"Asker {tag}")
    box = page.get_by_label("Your reply")
    box.focus()
    page.keyboard.type(RISKY)
    check = page.locator("#check")
    check.get_by_text("Needs approval").first.wait_for()
    assert check.locator("mark", has_text="muppet").count() == 1
    assert "Abuse, insults or bullying" in check.inner_text()
    assert "An approver must approve it before it is sent." in check.inner_text()
    assert "Abuse, insults or bullying" in page.locator("#check-status").inner_text()
    console.audit(page, "case-reply-check")

    box.fill("")
    box.focus()
    page.keyboard.type(CLEAN)
    check.get_by_text("No concerns found: it is sent as soon as you send it.").wait_for()
    assert check.locator("mark").count() == 0
    page.keyboard.press("Tab")  # the acknowledgement box
    assert page.evaluate("document.activeElement.id") == "reply-acknowledge"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Send the reply"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done=reply_sent"))
    assert "Your reply was checked and is being sent." in page.locator(".notice").inner_text()
    replies = page.locator("#replies")
    assert "Sending" in replies.inner_text() and CLEAN in replies.inner_text()
    assert replies_to(console, message_id) == [("scheduled", network_id(console, message_id))]
    assert "case.replied" in console.world.audit_actions()
    console.audit(page, "case-replied")


def test_a_risky_reply_waits_for_an_approver_who_sees_what_it_answers(console: Console) -> None:
    tag = unique_tag()
    message_id, case_id = console.world.inbound(ABUSE, author=f"@angry_{tag}", name=f"Angry {tag}")
    page = console.signed_in("moderator")
    page.goto(f"/cases/{case_id}")
    page.get_by_label("Your reply").fill(f"{RISKY} {tag}")
    page.get_by_role("button", name="Send the reply").click()
    assert "it waits for an approver" in page.locator(".notice").inner_text()
    assert "Waiting for approval" in page.locator("#replies").inner_text()
    assert replies_to(console, message_id) == [("held", None)]

    approver = console.signed_in("approver2")
    approver.goto("/approvals")
    row = approver.locator("tbody tr", has_text=tag)
    assert f"A reply from north_police to Angry {tag}" in row.inner_text()
    concealed = row.locator(".is-concealed")
    assert concealed.get_attribute("aria-hidden") == "true"  # the abusive message it answers is blurred
    console.audit(approver, "approvals-reply")
    row.get_by_role("button", name="Show the message").click()
    assert "useless" in row.locator("blockquote").inner_text()
    row.get_by_role("link", name=re.compile("^Review")).click()
    assert approver.get_by_role("heading", name="In reply to").is_visible()
    console.audit(approver, "draft-reply")
    approver.goto("/approvals")
    approver.locator("tbody tr", has_text=tag).get_by_role("button", name=re.compile("^Approve")).click()
    assert "The draft was approved" in approver.locator(".notice").inner_text()
    assert replies_to(console, message_id) == [("scheduled", network_id(console, message_id))]
    page.reload()
    assert "Sending" in page.locator("#replies").inner_text()


def test_a_direct_message_cannot_be_answered_from_warden(console: Console) -> None:
    _, case_id = console.world.inbound(QUESTION, kind="dm")
    page = console.signed_in("moderator")
    page.goto(f"/cases/{case_id}")
    assert page.get_by_label("Your reply").count() == 0
    assert "cannot answer a direct message" in page.locator(".reply-panel").inner_text()
    console.audit(page, "case-dm")


def test_a_reply_sent_back_for_changes_is_changed_on_the_case_and_checked_again(console: Console) -> None:
    tag = unique_tag()
    message_id, case_id = console.world.inbound(ABUSE, author=f"@cross_{tag}", name=f"Cross {tag}")
    page = console.signed_in("moderator")
    page.goto(f"/cases/{case_id}")
    page.get_by_label("Your reply").fill(f"{RISKY} {tag}")
    page.get_by_role("button", name="Send the reply").click()
    assert replies_to(console, message_id) == [("held", None)]
    assert page.get_by_role("button", name="Save and check again (reply 1)").is_hidden()  # closed while it waits

    approver = console.signed_in("approver2")
    approver.goto("/approvals")
    approver.locator("tbody tr", has_text=tag).get_by_role("link", name=re.compile("^Review")).click()
    approver.get_by_label("What should change").fill("Leave out 'muppet'.")
    approver.get_by_role("button", name="Ask for changes").click()
    assert replies_to(console, message_id) == [("changes_requested", None)]

    page.reload()
    replies = page.locator("#replies")
    assert "Changes requested" in replies.inner_text() and "Leave out 'muppet'." in replies.inner_text()
    box = page.get_by_label("Your changed reply (reply 1)")
    assert box.input_value() == f"{RISKY} {tag}"  # open, with the words to change
    console.audit(page, "case-reply-changes")
    box.fill("   ")
    page.get_by_role("button", name="Save and check again (reply 1)").click()
    assert "reply" in page.locator("#replies .error-message").inner_text().lower()
    assert replies_to(console, message_id) == [("changes_requested", None)]
    page.get_by_label("Your changed reply (reply 1)").fill(f"{CLEAN} {tag}")
    page.get_by_role("button", name="Save and check again (reply 1)").click()
    page.wait_for_url(re.compile(r"done=reply_sent"))
    assert replies_to(console, message_id) == [("scheduled", network_id(console, message_id))]
    assert f"{CLEAN} {tag}" in page.locator("#replies").inner_text()
    assert "draft.edited" in console.world.audit_actions()
