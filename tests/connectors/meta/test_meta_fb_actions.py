"""Facebook Page actions: publish (text, photo, several photos), reply, hide,
unhide, delete, block, the unsupported ones, recent posts and health."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from meta_fake import CREDENTIALS, NOW, PAGE_ID, TOKEN, FakeGraph, batched, facebook_account, fixture, form, reply

from warden.connectors.base import Connector, Media, OutboundPost
from warden.connectors.errors import AuthFailed, NotSupported, Rejected, Transient
from warden.connectors.meta import facebook

pytestmark = pytest.mark.doc_fixture

PHOTO = Media(filename="appeal.jpg", content_type="image/jpeg", data=b"\xff\xd8jpeg-bytes", alt_text="CCTV still")
SUCCESS = reply({"success": True})


def connected(graph: FakeGraph, credentials: dict[str, str] | None = None) -> Connector:
    return facebook.connect(facebook_account(), credentials or CREDENTIALS, graph.client(), clock=lambda: NOW)


def test_publish_text_posts_to_the_page_feed() -> None:
    graph = FakeGraph().on("POST", f"{PAGE_ID}/feed", reply({"id": f"{PAGE_ID}_999"}))
    published = connected(graph).publish(OutboundPost(ref="outbox-1", text="Appeal for witnesses"))
    assert published.network_id == f"{PAGE_ID}_999"
    assert published.url == f"https://www.facebook.com/{PAGE_ID}_999"
    assert form(graph.requests[0]) == {"message": "Appeal for witnesses"}


def test_publish_one_photo_uploads_it_with_the_caption() -> None:
    graph = FakeGraph().on("POST", f"{PAGE_ID}/photos", reply({"id": "555", "post_id": f"{PAGE_ID}_556"}))
    published = connected(graph).publish(OutboundPost(ref="o", text="Do you know this man?", media=[PHOTO]))
    assert published.network_id == f"{PAGE_ID}_556"
    body = graph.requests[0].content
    assert b'name="source"; filename="appeal.jpg"' in body and b"\xff\xd8jpeg-bytes" in body
    assert b"Do you know this man?" in body and b'name="alt_text_custom"' in body and b"CCTV still" in body


def test_publish_several_photos_stages_them_unpublished_then_posts_once() -> None:
    graph = (FakeGraph().on("POST", f"{PAGE_ID}/photos", reply({"id": "701"}), reply({"id": "702"}))
             .on("POST", f"{PAGE_ID}/feed", reply({"id": f"{PAGE_ID}_703"})))
    second = Media(filename="b.jpg", content_type="image/jpeg", data=b"b")
    published = connected(graph).publish(OutboundPost(ref="o", text="Two stills", media=[PHOTO, second]))
    assert published.network_id == f"{PAGE_ID}_703"
    uploads = graph.calls("POST", f"{PAGE_ID}/photos")
    assert len(uploads) == 2 and all(b'name="published"\r\n\r\nfalse' in u.content for u in uploads)
    post = form(graph.calls("POST", f"{PAGE_ID}/feed")[0])
    assert post["message"] == "Two stills"
    assert json.loads(post["attached_media[0]"]) == {"media_fbid": "701"}
    assert json.loads(post["attached_media[1]"]) == {"media_fbid": "702"}


def test_video_and_too_many_photos_are_not_supported() -> None:
    graph = FakeGraph()
    video = Media(filename="v.mp4", content_type="video/mp4", data=b"v")
    with pytest.raises(NotSupported):
        connected(graph).publish(OutboundPost(ref="o", text="clip", media=[video]))
    with pytest.raises(NotSupported):
        connected(graph).publish(OutboundPost(ref="o", text="many", media=[PHOTO] * 11))
    assert graph.requests == []


def test_reply_comments_on_the_object() -> None:
    graph = FakeGraph().on("POST", "111_9001/comments", reply({"id": "111_9100"}))
    published = connected(graph).publish(OutboundPost(ref="o", text="About two hours.", in_reply_to="111_9001"))
    assert published.network_id == "111_9100"
    assert form(graph.requests[0]) == {"message": "About two hours."}


def test_reply_to_a_hostile_id_is_refused_before_sending() -> None:
    graph = FakeGraph()
    with pytest.raises(Rejected):
        connected(graph).publish(OutboundPost(ref="o", text="x", in_reply_to="../me/feed"))
    with pytest.raises(Rejected):
        connected(graph).delete("123?fields=x")
    assert graph.requests == []


@pytest.mark.parametrize(("hidden", "sent"), [(True, "true"), (False, "false")])
def test_hide_and_unhide_a_comment(hidden: bool, sent: str) -> None:
    graph = FakeGraph().on("POST", "111_9001", SUCCESS)
    connected(graph).set_reply_hidden("111_9001", hidden)
    assert form(graph.requests[0]) == {"is_hidden": sent}


def test_hide_without_confirmation_is_rejected() -> None:
    graph = FakeGraph().on("POST", "111_9001", reply({"success": False}))
    with pytest.raises(Rejected):
        connected(graph).set_reply_hidden("111_9001", True)


def test_delete_sends_delete_and_needs_confirmation() -> None:
    graph = FakeGraph().on("DELETE", f"{PAGE_ID}_999", SUCCESS)
    connected(graph).delete(f"{PAGE_ID}_999")
    assert [r.method for r in graph.requests] == ["DELETE"]
    graph = FakeGraph().on("DELETE", f"{PAGE_ID}_999", reply({}))
    with pytest.raises(Rejected):
        connected(graph).delete(f"{PAGE_ID}_999")


def test_block_posts_to_the_page_blocked_edge() -> None:
    graph = FakeGraph().on("POST", f"{PAGE_ID}/blocked", reply({"5002": True}))
    connected(graph).block("5002")
    assert form(graph.requests[0]) == {"user": "5002"}
    graph = FakeGraph().on("POST", f"{PAGE_ID}/blocked", reply({"5002": False}))
    with pytest.raises(Rejected):
        connected(graph).block("5002")


def test_mute_and_report_are_not_supported() -> None:
    graph = FakeGraph()
    with pytest.raises(NotSupported):
        connected(graph).mute("5002")
    with pytest.raises(NotSupported):
        connected(graph).report("111_9001", "5002", "abuse")
    assert graph.requests == []


def test_recent_posts_newest_first_since_a_time() -> None:
    graph = FakeGraph().on("GET", f"{PAGE_ID}/posts", reply(fixture("fb_page_posts")))
    since = NOW - timedelta(days=1)
    posts = connected(graph).recent_posts(since)
    assert [p.network_id for p in posts] == [f"{PAGE_ID}_333", f"{PAGE_ID}_111"]
    assert posts[0].text.startswith("Appeal for witnesses") and posts[0].ref is None
    assert graph.requests[0].url.params["since"] == str(int(since.timestamp()))


def test_health_checks_the_page_and_its_scopes() -> None:
    credentials = {**CREDENTIALS, "app_id": "4242424242"}
    graph = (FakeGraph().on("GET", "me", reply({"id": PAGE_ID, "name": "Example Constabulary"},
                                               headers={"X-App-Usage": '{"call_count":12,"total_time":3}'}))
             .on("POST", "", batched(fixture("graph_debug_token"))))
    health = connected(graph, credentials).health()
    assert health.ok and "pages_manage_engagement" in health.scopes
    assert health.rate_limit_remaining == 88
    debug = graph.calls("POST", "")[0]
    assert debug.headers["authorization"] == f"Bearer 4242424242|{CREDENTIALS['app_secret']}"
    assert "appsecret_proof" not in debug.url.params
    [inner] = json.loads(form(debug)["batch"])
    assert inner == {"method": "GET", "relative_url": f"debug_token?input_token={TOKEN}"}
    assert all(TOKEN not in str(r.url) for r in graph.requests)  # the token is never in a URL


def test_health_reports_missing_scopes_and_the_wrong_page() -> None:
    credentials = {**CREDENTIALS, "app_id": "4242424242"}
    token = fixture("graph_debug_token")
    token["data"]["scopes"] = ["pages_show_list", "pages_read_engagement"]
    graph = FakeGraph().on("GET", "me", reply({"id": PAGE_ID})).on("POST", "", batched(token))
    health = connected(graph, credentials).health()
    assert not health.ok and "pages_manage_engagement" in health.detail
    graph = FakeGraph().on("GET", "me", reply({"id": "999999"}))
    assert not connected(graph).health().ok


def test_health_with_an_expired_token_is_auth_failed() -> None:
    graph = FakeGraph().on("GET", "me", reply(fixture("graph_error_token_expired"), 400))
    with pytest.raises(AuthFailed):
        connected(graph).health()
    token = fixture("graph_debug_token")
    token["data"]["is_valid"] = False
    graph = FakeGraph().on("GET", "me", reply({"id": PAGE_ID})).on("POST", "", batched(token))
    with pytest.raises(AuthFailed):
        connected(graph, {**CREDENTIALS, "app_id": "4242424242"}).health()
    graph = (FakeGraph().on("GET", "me", reply({"id": PAGE_ID}))
             .on("POST", "", batched(fixture("graph_error_token_expired"), 400)))
    with pytest.raises(AuthFailed):
        connected(graph, {**CREDENTIALS, "app_id": "4242424242"}).health()
    graph = FakeGraph().on("GET", "me", reply({"id": PAGE_ID})).on("POST", "", reply([{"code": "200"}]))
    with pytest.raises(Transient):
        connected(graph, {**CREDENTIALS, "app_id": "4242424242"}).health()
