"""Instagram actions: the two-step container publish (with the image staged
on the linked Page), text-only refusal, reply, hide, delete, the unsupported
ones, recent posts and health."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from meta_fake import (
    CREDENTIALS,
    IG_USER_ID,
    NOW,
    PAGE_ID,
    FakeGraph,
    fail,
    fixture,
    form,
    instagram_account,
    reply,
)

from warden.connectors.base import Connector, Media, OutboundPost
from warden.connectors.errors import AuthFailed, NotSupported, OutcomeUnknown, Rejected, Transient
from warden.connectors.meta import instagram

pytestmark = pytest.mark.doc_fixture

FLOW = fixture("ig_publish_flow")
JPEG = Media(filename="talk.jpg", content_type="image/jpeg", data=b"\xff\xd8talk", alt_text="Officers at a school")
CONTAINER = FLOW["container"]["id"]


def account(graph: FakeGraph, naps: list[float] | None = None, **settings: object) -> Connector:
    sleeps = naps if naps is not None else []
    return instagram.connect(instagram_account(**settings), CREDENTIALS, graph.client(), clock=lambda: NOW,
                             sleep=sleeps.append)


def publish_graph(*statuses: str) -> FakeGraph:
    return (FakeGraph()
            .on("POST", f"{PAGE_ID}/photos", reply(FLOW["staged_photo"]))
            .on("GET", "555000111", reply(FLOW["photo_images"]))
            .on("DELETE", "555000111", reply(FLOW["success"]))
            .on("POST", f"{IG_USER_ID}/media", reply(FLOW["container"]))
            .on("GET", CONTAINER, *(reply(FLOW[s]) for s in statuses or ("status_finished",)))
            .on("POST", f"{IG_USER_ID}/media_publish", reply(FLOW["published"])))


def test_publish_one_image_through_a_container() -> None:
    graph = publish_graph("status_in_progress", "status_finished")
    naps: list[float] = []
    published = account(graph, naps).publish(OutboundPost(ref="o", text="Safety talk today", media=[JPEG]))
    assert published.network_id == "17920238422030506"
    assert graph.paths() == [f"POST {PAGE_ID}/photos", "GET 555000111", f"POST {IG_USER_ID}/media",
                             f"GET {CONTAINER}", f"GET {CONTAINER}", f"POST {IG_USER_ID}/media_publish",
                             "DELETE 555000111"]
    assert b'name="published"\r\n\r\nfalse' in graph.requests[0].content
    container = form(graph.calls("POST", f"{IG_USER_ID}/media")[0])
    assert container == {"image_url": "https://scontent.xx.fbcdn.net/v/t39.30808-6/555000111_1080.jpg",
                         "caption": "Safety talk today", "alt_text": "Officers at a school"}
    assert form(graph.calls("POST", f"{IG_USER_ID}/media_publish")[0]) == {"creation_id": CONTAINER}
    assert len(naps) == 1


def test_publish_several_images_as_a_carousel() -> None:
    graph = publish_graph().on("POST", f"{IG_USER_ID}/media", reply({"id": "801"}), reply({"id": "802"}),
                               reply(FLOW["container"]))
    account(graph).publish(OutboundPost(ref="o", text="Two", media=[JPEG, JPEG]))
    children, _, carousel = (form(r) for r in graph.calls("POST", f"{IG_USER_ID}/media"))
    assert children["is_carousel_item"] == "true"
    assert carousel == {"media_type": "CAROUSEL", "children": "801,802", "caption": "Two"}


def test_text_only_video_and_no_page_are_not_supported() -> None:
    graph = FakeGraph()
    with pytest.raises(NotSupported, match="text alone"):
        account(graph).publish(OutboundPost(ref="o", text="Just words"))
    with pytest.raises(NotSupported):
        account(graph).publish(OutboundPost(ref="o", text="clip",
                                            media=[Media(filename="a.png", content_type="image/png", data=b"p")]))
    with pytest.raises(NotSupported, match="page_id"):
        account(graph, page_id=None).publish(OutboundPost(ref="o", text="x", media=[JPEG]))
    assert graph.requests == []


def test_a_container_in_error_is_rejected_and_never_published() -> None:
    graph = publish_graph("status_error")
    with pytest.raises(Rejected):
        account(graph).publish(OutboundPost(ref="o", text="x", media=[JPEG]))
    assert graph.calls("POST", f"{IG_USER_ID}/media_publish") == []
    assert graph.calls("DELETE", "555000111")  # the staged copy is still cleaned up


def test_a_container_never_ready_is_transient() -> None:
    graph = publish_graph("status_in_progress")
    with pytest.raises(Transient):
        account(graph).publish(OutboundPost(ref="o", text="x", media=[JPEG]))
    assert graph.calls("POST", f"{IG_USER_ID}/media_publish") == []


def test_only_media_publish_can_end_unknown() -> None:
    before = publish_graph().on("POST", f"{IG_USER_ID}/media", fail(httpx.ReadTimeout))
    with pytest.raises(Transient):
        account(before).publish(OutboundPost(ref="o", text="x", media=[JPEG]))
    during = publish_graph().on("POST", f"{IG_USER_ID}/media_publish", fail(httpx.ReadTimeout))
    with pytest.raises(OutcomeUnknown):
        account(during).publish(OutboundPost(ref="o", text="x", media=[JPEG]))


def test_reply_goes_under_the_comment() -> None:
    graph = FakeGraph().on("POST", "17850000000000011/replies", reply({"id": "17873440459141021"}))
    published = account(graph).publish(OutboundPost(ref="o", text="Thanks!", in_reply_to="17850000000000011"))
    assert published.network_id == "17873440459141021"
    assert form(graph.requests[0]) == {"message": "Thanks!"}
    with pytest.raises(NotSupported):
        account(graph).publish(OutboundPost(ref="o", text="x", in_reply_to="1785", media=[JPEG]))


@pytest.mark.parametrize(("hidden", "sent"), [(True, "true"), (False, "false")])
def test_hide_and_unhide(hidden: bool, sent: str) -> None:
    graph = FakeGraph().on("POST", "17850000000000012", reply(FLOW["success"]))
    account(graph).set_reply_hidden("17850000000000012", hidden)
    assert form(graph.requests[0]) == {"hide": sent}


def test_delete_a_comment() -> None:
    graph = FakeGraph().on("DELETE", "17850000000000012", reply(FLOW["success"]))
    account(graph).delete("17850000000000012")
    assert graph.paths() == ["DELETE 17850000000000012"]


def test_block_mute_report_are_not_supported() -> None:
    graph = FakeGraph()
    connector = account(graph)
    with pytest.raises(NotSupported):
        connector.block("resident_one")
    with pytest.raises(NotSupported):
        connector.mute("resident_one")
    with pytest.raises(NotSupported):
        connector.report("17850000000000012", "resident_one", "abuse")
    assert graph.requests == []


def test_recent_posts_newest_first() -> None:
    graph = FakeGraph().on("GET", f"{IG_USER_ID}/media", reply(fixture("ig_user_media_recent")))
    posts = account(graph).recent_posts(NOW - timedelta(days=2))
    assert [p.network_id for p in posts] == ["17900000000000003", "17900000000000001"]
    assert posts[0].text == "Safety talk at the school today"
    assert len(graph.requests) == 1  # the first page already reached past ``since``


def test_health_reads_the_instagram_user() -> None:
    graph = FakeGraph().on("GET", IG_USER_ID, reply({"id": IG_USER_ID, "username": "exampleconstabulary"}))
    health = account(graph).health()
    assert health.ok and "scopes unknown" in health.detail
    graph = FakeGraph().on("GET", IG_USER_ID, reply(fixture("graph_error_token_expired"), 400))
    with pytest.raises(AuthFailed):
        account(graph).health()
