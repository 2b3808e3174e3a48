"""Approvals in a real browser: the queue with risk, reasons, author and due time; approve; reject
with a reason; request changes; override a block with a reason and re-authentication; bulk approve."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from console_browser import Console, World
from console_browser import tag as unique_tag
from PIL import Image
from web_org import BLOCKED, PASSWORD, RISKY, Tenant, build_tenant

from warden.domain.errors import InvalidInput
from warden.workflow import drafts, image_uploads

pytestmark = pytest.mark.browser
CORPUS = Path(__file__).with_name("xss_payloads.txt")


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


# ------------------------------------------------------------------------------------------- images

def _png(colour: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(out, "PNG")
    return out.getvalue()


def _with_images(tenant: Tenant, text: str, images: list[image_uploads.Upload], role: str = "contributor") -> uuid.UUID:
    author = tenant.principal(role)
    draft_id = drafts.create_draft(tenant.sessions, author, team_id=tenant.team, account_ids=[tenant.corporate],
                                   text=text, images=images)
    drafts.submit_draft(tenant.sessions, author, draft_id)
    return draft_id


def test_approvers_see_the_images_with_their_descriptions(console: Console) -> None:
    world = console.world
    tag = unique_tag()
    name = '"><img src=x onerror="window.__pwned=1">.png'
    draft_id = _with_images(world.tenant, f"Our new response cars are on the road ({tag}).", [
        image_uploads.Upload(name, _png(), f"A marked police car outside the station ({tag})"),
        image_uploads.Upload("second.png", _png("navy"), f"The same car from behind ({tag})")])
    page = console.signed_in("approver2")
    page.goto("/approvals")
    row = page.locator("tbody tr", has_text=tag)
    thumbnails = row.get_by_role("img")
    assert thumbnails.count() == 2
    assert thumbnails.first.get_attribute("alt") == f"A marked police car outside the station ({tag})"
    assert row.locator(".file-name").first.inner_text() == name
    assert page.locator("img[src='x']").count() == 0 and page.evaluate("() => window.__pwned") is None
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    console.audit(page, "approvals-images")
    row.get_by_role("link", name=re.compile("^Review")).click()
    page.wait_for_url(re.compile(f"/approvals/{draft_id}$"))
    assert page.get_by_role("img", name=f"The same car from behind ({tag})").is_visible()
    assert "Image 2, description" in page.locator("figure").nth(1).inner_text()
    assert page.get_by_role("button", name=re.compile("^Remove image")).count() == 0  # only the author edits
    console.audit(page, "review-images")
    page.get_by_role("button", name="Approve").click()
    assert "The draft was approved" in page.locator(".notice").inner_text()


def test_hostile_file_names_and_descriptions_stay_text_on_the_approvals_pages(console: Console) -> None:
    """Every payload of the XSS corpus as an image's file name and as another image's description, in a
    separate organisation's queue: shown as text (as cleaned: a file name loses any path before it), and
    nothing runs."""
    engine = console.world.tenant.sessions.kw["bind"]
    tenant = build_tenant(engine, f"hostilemedia{uuid.uuid4().hex[:6]}")
    corpus = [line for line in CORPUS.read_text(encoding="utf-8").split("\n") if line]
    image = _png()
    names: set[str] = set()
    alts: set[str] = set()
    draft_ids = []
    for start in range(0, len(corpus), image_uploads.MAX_PER_DRAFT):
        uploads = []
        for i in range(start, min(start + image_uploads.MAX_PER_DRAFT, len(corpus))):
            name = image_uploads.safe_filename(corpus[i])
            try:
                alt = image_uploads.alt_text(corpus[(i + 1) % len(corpus)], name)
            except InvalidInput:
                alt = f"Payload {i} as a description"
            names.add(name)
            alts.add(alt)
            uploads.append(image_uploads.Upload(corpus[i], image, alt))
        draft_ids.append(_with_images(tenant, f"Hostile names, drafts {start}.", uploads))
    console.world = World(base=console.world.base, tenant=tenant, totp_email=console.world.totp_email,
                          totp_secret=console.world.totp_secret, log=console.world.log)
    page = console.signed_in("approver2")
    for where in ["/approvals", *(f"/approvals/{d}" for d in draft_ids[::25])]:
        response = page.goto(where)
        assert "script-src 'self';" in response.headers["content-security-policy"]
        shown = page.evaluate("""() => ({pwned: window.__pwned === undefined ? null : String(window.__pwned),
            names: Array.from(document.querySelectorAll('.file-name')).map(e => e.textContent),
            alts: Array.from(document.images).map(i => i.alt)})""")
        assert shown["pwned"] is None, f"{where}: a payload ran"
        if where == "/approvals":
            assert set(shown["names"]) == names  # every name, character for character
            assert alts <= set(shown["alts"])
        else:
            assert shown["names"] and set(shown["names"]) <= names
    assert len(alts) >= 300 and len(names) >= 200  # names cut at a path separator fall together
