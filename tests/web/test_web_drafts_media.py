"""Images on drafts through the API: a multipart upload (type from the content, metadata removed, alt text
required, 5 MB and 4 images at most), the draft answered with its images and the caller's available actions,
the image served as its own sandboxed type, removal with a version, scheduling refused with its reason."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image
from sqlalchemy import update
from web_org import CLEAN, RISKY, Tenant, Web

from warden.storage.tables import SocialAccount
from warden.workflow import image_uploads

pytestmark = pytest.mark.db
API = "/api/v1"
ALT = "Two officers talking to children at a school fair"


def photo() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Force Issue 12"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                               ExifTags.GPS.GPSLatitude: (53.0, 48.0, 0.5)})
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "teal").save(out, "JPEG", exif=exif)
    return out.getvalue()


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def version(client: Any, draft_id: uuid.UUID | str) -> int:
    return int(client.get(f"{API}/drafts/{draft_id}").json()["version"])


def attach(client: Any, draft_id: uuid.UUID | str, data: bytes, *, name: str = "fair.jpg", alt: str = ALT,
           expected: int | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    expected = expected if expected is not None else version(client, draft_id)
    return client.post(f"{API}/drafts/{draft_id}/media", files={"file": (name, data, "image/jpeg")},
                       data={"alt_text": alt, "expected_version": str(expected)}, headers=headers)  # type: ignore[no-any-return]


def test_an_image_is_uploaded_cleaned_listed_served_and_removed(web: Web, north: Tenant) -> None:
    author = web.signed_in(north, "contributor")
    draft_id = north.draft("contributor", CLEAN)
    before = version(author, draft_id)
    answer = attach(author, draft_id, photo())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["state"] == "held" and body["version"] > before
    assert body["available_actions"] == ["edit", "withdraw"]
    [image] = body["media"]
    assert (image["filename"], image["content_type"], image["alt_text"], image["position"]) == (
        "fair.jpg", "image/jpeg", ALT, 1)
    assert image["url"] == f"{API}/drafts/{draft_id}/media/{image['id']}"
    served = web.signed_in(north, "approver2").get(image["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert b"Exif" not in served.content and b"Force Issue" not in served.content
    assert image_uploads.hashlib.sha256(served.content).hexdigest() == image["sha256"]
    reviewer = web.signed_in(north, "approver2").get(f"{API}/drafts/{draft_id}").json()
    assert reviewer["media"] == body["media"]
    assert reviewer["available_actions"] == ["approve", "request_changes", "reject"]

    stale = author.delete(f"{API}/drafts/{draft_id}/media/{image['id']}", params={"expected_version": before})
    assert stale.status_code == 409 and error(stale)["code"] == "stale_version"
    removed = author.delete(f"{API}/drafts/{draft_id}/media/{image['id']}",
                            params={"expected_version": body["version"]})
    assert removed.status_code == 200 and removed.json()["media"] == []
    assert author.get(image["url"]).status_code == 404


def test_uploads_are_refused_for_what_they_are_not_for_their_names(web: Web, north: Tenant) -> None:
    author = web.signed_in(north, "contributor")
    draft_id = north.draft("contributor", CLEAN)
    svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    refused = attach(author, draft_id, svg, name="photo.png")
    assert refused.status_code == 415 and error(refused)["code"] == "unsupported_media_type"
    broken = attach(author, draft_id, b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    assert broken.status_code == 422 and "could not be read" in error(broken)["message"]
    too_big = attach(author, draft_id, b"\xff\xd8\xff" + b"\x00" * image_uploads.MAX_FILE_BYTES)
    assert too_big.status_code == 413 and error(too_big)["code"] == "payload_too_large"
    for alt in ("", "image"):
        missing = attach(author, draft_id, photo(), alt=alt)
        assert missing.status_code == 422, alt
    huge = author.post(f"{API}/drafts/{draft_id}/media", content=b"x" * (image_uploads.MAX_UPLOAD_BODY + 1),
                       headers={"content-type": "multipart/form-data; boundary=x"})
    assert huge.status_code == 413  # the body limit of uploads, before anything is parsed
    elsewhere = author.post(f"{API}/drafts", content=b"x" * (2 * 1024 * 1024),
                            headers={"content-type": "application/json"})
    assert elsewhere.status_code == 413  # every other route keeps the ordinary limit
    assert author.get(f"{API}/drafts/{draft_id}").json()["media"] == []


def test_four_images_at_most_and_a_repeated_request_attaches_once(web: Web, north: Tenant) -> None:
    author = web.signed_in(north, "contributor")
    draft_id = north.draft("contributor", CLEAN)
    # the same request again: the same key, the same body (a multipart boundary of its own, as a client retrying)
    key = {"Idempotency-Key": f"attach-{draft_id}", "Content-Type": "multipart/form-data; boundary=warden-test"}
    seen, data = version(author, draft_id), photo()
    first = attach(author, draft_id, data, headers=key, expected=seen)
    again = attach(author, draft_id, data, headers=key, expected=seen)
    assert first.status_code == again.status_code == 201 and again.headers["idempotency-replayed"] == "true"
    assert len(author.get(f"{API}/drafts/{draft_id}").json()["media"]) == 1
    for _ in range(3):
        assert attach(author, draft_id, photo()).status_code == 201
    fifth = attach(author, draft_id, photo())
    assert fifth.status_code == 422 and "at most 4" in error(fifth)["message"]


def test_the_description_is_checked_like_the_post(web: Web, north: Tenant) -> None:
    author = web.signed_in(north, "publisher")
    draft_id = north.draft("publisher", CLEAN)
    assert author.get(f"{API}/drafts/{draft_id}").json()["state"] == "allowed"
    held = attach(author, draft_id, photo(), alt=RISKY)
    assert held.status_code == 201 and held.json()["state"] == "held"
    evidence = [e["text"] for r in held.json()["decision"]["reasons"] for e in r["evidence"]]
    assert any("idiot driver" in text for text in evidence)


def test_scheduling_an_image_for_a_network_without_images_is_refused_with_the_reason(web: Web,
                                                                                     north: Tenant) -> None:
    with north.sessions.begin() as session:  # the corporate account on X, which Warden publishes text to only
        session.execute(update(SocialAccount).where(SocialAccount.id == north.corporate).values(network="x"))
    author = web.signed_in(north, "publisher")
    draft_id = north.draft("publisher", CLEAN)
    attached = attach(author, draft_id, photo())
    when = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    refused = author.post(f"{API}/drafts/{draft_id}/schedule",
                          json={"expected_version": attached.json()["version"], "scheduled_for": when})
    assert refused.status_code == 409
    message = error(refused)["message"]
    assert "north_police (an X account)" in message and "cannot publish images" in message
    assert "remove the images" in message


def test_an_image_is_scheduled_for_a_network_that_takes_them(web: Web, north: Tenant) -> None:
    author = web.signed_in(north, "publisher")
    draft_id = north.draft("publisher", CLEAN)  # for the corporate account, on the replay network
    attached = attach(author, draft_id, photo())
    when = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    scheduled = author.post(f"{API}/drafts/{draft_id}/schedule",
                            json={"expected_version": attached.json()["version"], "scheduled_for": when})
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["state"] == "scheduled"


def test_only_the_author_attaches_and_other_organisations_see_nothing(web: Web, north: Tenant,
                                                                      south: Tenant) -> None:
    draft_id = north.draft("contributor", CLEAN)
    image = attach(web.signed_in(north, "contributor"), draft_id, photo()).json()["media"][0]
    approver = web.signed_in(north, "approver2")
    refused = attach(approver, draft_id, photo())
    assert refused.status_code == 403
    outsider = web.signed_in(south, "contributor")
    assert attach(outsider, draft_id, photo(), expected=1).status_code == 404
    assert outsider.get(image["url"]).status_code == 404
    assert outsider.delete(image["url"], params={"expected_version": 1}).status_code == 404
    assert web.signed_in(north, "moderator").get(image["url"]).status_code == 403
