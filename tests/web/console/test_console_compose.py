"""Compose in a real browser: the risk check runs as you type (debounced), highlights each finding in
the text and gives its reason in the policy's words; submit; acknowledge a warning; my drafts."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from console_browser import Console
from console_browser import tag as unique_tag
from PIL import ExifTags, Image
from sqlalchemy import update
from web_org import CLEAN, RISKY, WARN_PERSONAL

from warden.storage.tables import SocialAccount

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


# ------------------------------------------------------------------------------------------- images

def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Force Issue 12"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                               ExifTags.GPS.GPSLatitude: (53.0, 48.0, 0.5)})
    out = io.BytesIO()
    Image.new("RGB", (160, 120), "teal").save(out, "JPEG", exif=exif)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), "orange").save(out, "PNG")
    return out.getvalue()


HOSTILE_NAME = '"><img src=x onerror="window.__pwned=1"><svg onload="window.__pwned=2">.jpg'


def test_an_image_is_composed_with_its_description_and_arrives_without_its_location(console: Console) -> None:
    tag = unique_tag()
    alt = f"Officers and a police dog at the open day ({tag})"
    page = console.signed_in("contributor")
    page.goto("/compose")
    page.get_by_label("north_police").check()
    page.wait_for_load_state("networkidle")  # the check the change started has answered (a newer one replaces it)
    page.get_by_label("Your post").fill(f"Thank you to everyone who came to the open day ({tag}).")
    page.get_by_label("Image 1", exact=True).set_input_files(
        files=[{"name": HOSTILE_NAME, "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()}])
    with page.expect_response(re.compile(r"/compose/check$")) as checked:
        page.get_by_label("Description of image 1 (alt text)").fill("Another idiot driver doing 90 in a 30")
    assert checked.value.status == 200
    assert "file_" not in (checked.value.request.post_data or "")  # files travel only with the submit
    page.locator("#check", has_text="Abuse, insults or bullying").wait_for()  # the description is checked too
    page.get_by_label("Description of image 1 (alt text)").fill(alt)
    page.locator("#check", has_text="No concerns").wait_for()
    console.audit(page, "compose-image")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/drafts/[0-9a-f-]{36}\?done=submitted$"))
    figure = page.locator("figure").first
    image = figure.get_by_role("img", name=alt)
    assert image.get_attribute("alt") == alt
    assert figure.locator(".file-name").inner_text() == HOSTILE_NAME  # shown as text, never as markup
    assert page.locator("img[src='x']").count() == 0 and page.evaluate("() => window.__pwned") is None
    assert page.locator("#publishing-problem").count() == 0  # the replay network takes images
    served = page.request.get(image.get_attribute("src"))
    assert served.ok and served.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in served.body() and b"Force Issue" not in served.body()
    with Image.open(io.BytesIO(served.body())) as kept:
        assert kept.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert image.evaluate("i => i.complete && i.naturalWidth") == 160
    console.audit(page, "draft-image")
    assert "draft.media_attached" in console.world.audit_actions()


def test_an_image_needs_a_description_and_a_real_image(console: Console) -> None:
    page = console.signed_in("contributor")
    page.goto("/compose")
    page.get_by_label("north_police").check()
    page.wait_for_load_state("networkidle")  # the check the change started has answered (a newer one replaces it)
    page.get_by_label("Your post").fill(f"Road closure on the A64 tonight ({unique_tag()}).")
    page.get_by_label("Image 1", exact=True).set_input_files(
        files=[{"name": "road.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_role("button", name="Submit").click()
    summary = page.locator("[data-error-summary]")
    assert "Describe the image road.png for people who cannot see it" in summary.inner_text()
    assert summary.get_by_role("link").get_attribute("href") == "#images"
    assert "Choose the images again" in page.locator("#images").inner_text()
    assert page.get_by_label("Your post").input_value().startswith("Road closure")
    console.audit(page, "compose-image-error")
    page.get_by_label("Image 1", exact=True).set_input_files(
        files=[{"name": "road.png", "mimeType": "image/png", "buffer": b"<svg onload='alert(1)'/>"}])
    page.get_by_label("Description of image 1 (alt text)").fill("A road sign saying the A64 is closed")
    page.get_by_role("button", name="Submit").click()
    assert "The image road.png is not a PNG, JPEG, GIF or WebP image" in page.locator(
        "[data-error-summary]").inner_text()


@pytest.fixture
def personal_on_x(console: Console) -> Iterator[None]:
    """The personal account on X (Warden publishes text there, never images) for one test, then back: the
    server and its data are shared by the module's tests."""
    tenant = console.world.tenant

    def network(name: str) -> None:
        with tenant.sessions.begin() as session:
            session.execute(update(SocialAccount).where(SocialAccount.id == tenant.personal).values(network=name))

    network("x")
    yield
    network("replay")


@pytest.mark.usefixtures("personal_on_x")
def test_images_are_added_and_removed_on_the_draft_page_and_scheduling_says_why_not(console: Console) -> None:
    world = console.world
    tag = unique_tag()
    draft_id = world.draft("publisher", f"Road closure on the A64 tonight ({tag}).", account="personal")
    page = console.signed_in("publisher")
    page.goto(f"/drafts/{draft_id}")
    assert page.get_by_role("heading", level=1).inner_text().endswith("Ready to publish")
    form = page.locator("#add-image")
    form.get_by_label("Image", exact=True).set_input_files(
        files=[{"name": "sign.png", "mimeType": "image/png", "buffer": _png()}])
    form.get_by_label("Description of the image (alt text)").fill("An orange square road sign")
    form.get_by_role("button", name="Add the image").click()
    assert "Your changes were saved" in page.locator(".notice").inner_text()
    assert page.get_by_role("img", name="An orange square road sign").is_visible()
    console.audit(page, "draft-image-added")
    page.get_by_label("Publish at (UK time)").fill("2099-01-01T09:00")
    page.get_by_role("button", name="Schedule").click()
    error = page.locator("#schedule-error")
    assert "cannot publish images from north_pc_jones (an X account)" in error.inner_text()
    assert "remove the images" in error.inner_text()
    page.get_by_role("button", name="Remove image 1").click()
    assert "Your changes were saved" in page.locator(".notice").inner_text()
    assert page.locator("figure").count() == 0 and page.locator("#publishing-problem").count() == 0
    actions = world.audit_actions()
    assert actions[-4:] == ["draft.media_attached", "draft.rechecked", "draft.media_removed", "draft.rechecked"]
