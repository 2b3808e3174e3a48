"""Publishing and moderation against the official AT Protocol dev network."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bsky_devenv import Network, eventually
from bsky_people import Person, xrpc_error

from warden.connectors.base import Media, OutboundPost, RecentPost
from warden.connectors.bluesky import BlueskyConnector
from warden.connectors.bluesky.syntax import TID_PATTERN, parse_uri
from warden.connectors.errors import NotSupported, Rejected

pytestmark = pytest.mark.real_server
PNG = base64.b64decode(  # one white pixel
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def record(who: Person, uri: str) -> dict[str, Any] | None:
    at = parse_uri(uri)
    assert at is not None
    status, error = xrpc_error(who.http, who.pds, "GET", "com.atproto.repo.getRecord",
                               params={"repo": at.repo, "collection": at.collection, "rkey": at.rkey})
    if status == 400 and error == "RecordNotFound":
        return None
    value: dict[str, Any] = who.call("GET", "com.atproto.repo.getRecord",
                                     params={"repo": at.repo, "collection": at.collection, "rkey": at.rkey})["value"]
    return value


def viewer(who: Person, subject: Person) -> dict[str, Any]:
    """How ``who`` relates to ``subject``, once the AppView has indexed the new account."""
    def profile() -> dict[str, Any] | None:
        status, _ = xrpc_error(who.http, who.pds, "GET", "app.bsky.actor.getProfile", params={"actor": subject.did},
                               token=who.access)
        return who.call("GET", "app.bsky.actor.getProfile", params={"actor": subject.did}) if status == 200 else None
    return dict(eventually(profile).get("viewer", {}))


def test_publish_twice_with_one_ref_makes_one_post(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    connector = connector_for(police)
    post = OutboundPost(ref=str(uuid.uuid4()), text="Roads reopened #A1 see https://example.org/roads.")
    first = connector.publish(post)
    second = connector.publish(post)  # e.g. the first answer was lost
    assert first.network_id == second.network_id
    at = parse_uri(first.network_id)
    assert at is not None and at.repo == police.did and TID_PATTERN.match(at.rkey)
    assert first.url == f"https://bsky.app/profile/{police.did}/post/{at.rkey}"
    posts = [r for r in police.records("app.bsky.feed.post") if r["value"]["text"] == post.text]
    assert len(posts) == 1
    features = [f["features"][0] for f in posts[0]["value"]["facets"]]
    assert {"$type": "app.bsky.richtext.facet#tag", "tag": "A1"} in features
    assert {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/roads"} in features

    other = connector.publish(OutboundPost(ref=str(uuid.uuid4()), text=post.text))
    assert other.network_id != first.network_id  # the same words under another ref are another post
    with pytest.raises(Rejected):
        connector.publish(OutboundPost(ref=post.ref, text="something else entirely"))


def test_reply_threads_under_the_conversation_root(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    root = bob.post("Who do I call about a lost dog?")
    follow_up = bob.post("It is a spaniel", reply_to=root)
    connector = connector_for(police)
    answer = eventually(lambda: _try_reply(connector, follow_up.uri))
    value = record(police, answer)
    assert value is not None
    assert value["reply"] == {"root": root.ref, "parent": follow_up.ref}
    with pytest.raises(Rejected):  # not a post
        connector.publish(OutboundPost(ref=str(uuid.uuid4()), text="x", in_reply_to="at://nope"))


def _try_reply(connector: BlueskyConnector, uri: str) -> str | None:
    try:
        return connector.publish(OutboundPost(ref=str(uuid.uuid4()), text="Call 101", in_reply_to=uri)).network_id
    except Rejected:
        return None  # the AppView has not indexed the parent yet


def test_recent_posts_recover_the_ref_and_respect_since(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    connector = connector_for(police)
    police.post("from last week", created_at=(datetime.now(UTC) - timedelta(days=7)).isoformat())
    since = datetime.now(UTC) - timedelta(minutes=1)
    ours = OutboundPost(ref=str(uuid.uuid4()), text="Missing person found safe")
    published = connector.publish(ours)
    by_hand = police.post("posted in the Bluesky app")

    def both_listed() -> list[RecentPost] | None:
        found = list(connector.recent_posts(since))
        return found if len(found) >= 2 else None

    recent = eventually(both_listed)
    by_id = {post.network_id: post for post in recent}
    assert set(by_id) == {published.network_id, by_hand.uri}
    assert by_id[published.network_id].ref == ours.ref and by_id[published.network_id].text == ours.text
    assert by_id[by_hand.uri].ref is None
    assert [post.created_at for post in recent] == sorted((post.created_at for post in recent), reverse=True)


def test_publish_with_an_image(person: Callable[[str], Person],
                               connector_for: Callable[..., BlueskyConnector]) -> None:
    police = person("pol")
    connector = connector_for(police)
    post = OutboundPost(ref=str(uuid.uuid4()), text="Have you seen this van?",
                        media=[Media("van.png", "image/png", PNG, alt_text="A white van")])
    value = record(police, connector.publish(post).network_id)
    assert value is not None
    embed = value["embed"]
    assert isinstance(embed, dict) and embed["$type"] == "app.bsky.embed.images"
    assert embed["images"][0]["alt"] == "A white van"
    assert embed["images"][0]["image"]["mimeType"] == "image/png"
    with pytest.raises(NotSupported):
        connector.publish(OutboundPost(ref=str(uuid.uuid4()), text="x", media=[Media("a.mp4", "video/mp4", b"0")]))


def test_delete_own_post_only(person: Callable[[str], Person],
                              connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    connector = connector_for(police)
    published = connector.publish(OutboundPost(ref=str(uuid.uuid4()), text="posted in error"))
    assert record(police, published.network_id) is not None
    connector.delete(published.network_id)
    assert record(police, published.network_id) is None
    connector.delete(published.network_id)  # again: already gone is done
    theirs = bob.post("not yours to delete")
    with pytest.raises(Rejected):
        connector.delete(theirs.uri)
    assert record(bob, theirs.uri) is not None


def test_hide_and_unhide_replies_with_the_threadgate(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob, alice = person("pol"), person("bob"), person("alice")
    connector = connector_for(police)
    root = police.post("Appeal: burglary on High Street")
    abusive = bob.post("abusive reply", reply_to=root)
    other = alice.post("another reply", reply_to=root)
    gate_uri = f"at://{police.did}/app.bsky.feed.threadgate/{parse_uri(root.uri).rkey}"  # type: ignore[union-attr]
    eventually(lambda: _try_hide(connector, abusive.uri))
    assert record(police, gate_uri)["hiddenReplies"] == [abusive.uri]  # type: ignore[index]
    # The AppView honours it: the thread's gate lists the hidden reply.
    def appview_hides() -> bool:
        thread = police.call("GET", "app.bsky.feed.getPostThread", params={"uri": root.uri})
        return abusive.uri in thread.get("threadgate", {}).get("record", {}).get("hiddenReplies", [])
    eventually(appview_hides)

    eventually(lambda: _try_hide(connector, other.uri))
    connector.set_reply_hidden(other.uri, True)  # already hidden: nothing changes
    assert record(police, gate_uri)["hiddenReplies"] == [abusive.uri, other.uri]  # type: ignore[index]
    connector.set_reply_hidden(abusive.uri, False)
    assert record(police, gate_uri)["hiddenReplies"] == [other.uri]  # type: ignore[index]
    connector.set_reply_hidden(other.uri, False)
    assert record(police, gate_uri) is None  # nothing left in it: the gate is gone

    # Someone else's thread cannot be gated by the account.
    theirs = bob.post("bob's own thread")
    reply_there = alice.post("reply", reply_to=theirs)
    eventually(lambda: police.call("GET", "app.bsky.feed.getPosts", params={"uris": [reply_there.uri]})["posts"])
    with pytest.raises(Rejected):
        connector.set_reply_hidden(reply_there.uri, True)


def test_hiding_keeps_the_reply_rules_a_person_set(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    connector = connector_for(police)
    root = police.post("Consultation: mentions only")
    reply = bob.post("I was mentioned", reply_to=root)
    rkey = parse_uri(root.uri).rkey  # type: ignore[union-attr]
    rules = [{"$type": "app.bsky.feed.threadgate#mentionRule"}]
    police.call("POST", "com.atproto.repo.putRecord", body={
        "repo": police.did, "collection": "app.bsky.feed.threadgate", "rkey": rkey,
        "record": {"$type": "app.bsky.feed.threadgate", "post": root.uri, "allow": rules,
                   "createdAt": "2026-01-01T00:00:00Z"}})
    eventually(lambda: _try_hide(connector, reply.uri))
    gate_uri = f"at://{police.did}/app.bsky.feed.threadgate/{rkey}"
    gate = record(police, gate_uri)
    assert gate is not None and gate["allow"] == rules and gate["hiddenReplies"] == [reply.uri]
    connector.set_reply_hidden(reply.uri, False)
    gate = record(police, gate_uri)
    assert gate is not None and gate["allow"] == rules and gate["hiddenReplies"] == []


def _try_hide(connector: BlueskyConnector, uri: str) -> bool:
    try:
        connector.set_reply_hidden(uri, True)
    except Rejected:
        return False  # not indexed yet
    return True


def test_block_is_one_record_however_often_it_is_asked(
        person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    connector = connector_for(police)
    connector.block(bob.handle)
    connector.block(f"@{bob.handle.upper()}")
    connector.block(bob.did)
    blocks = police.records("app.bsky.graph.block")
    assert [b["value"]["subject"] for b in blocks] == [bob.did]
    assert eventually(lambda: viewer(police, bob).get("blocking")) == blocks[0]["uri"]
    with pytest.raises(Rejected):
        connector.block("nobody-here.test")  # the PDS cannot resolve it
    with pytest.raises(Rejected):
        connector.block("not a handle")


def test_mute(person: Callable[[str], Person], connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    connector = connector_for(police)
    assert viewer(police, bob).get("muted") is False
    connector.mute(bob.handle)
    connector.mute(bob.handle)
    assert eventually(lambda: viewer(police, bob).get("muted")) is True
    with pytest.raises(Rejected):
        connector.mute("<script>")


def test_report_reaches_the_moderation_service(
        bsky_net: Network, http: httpx.Client, person: Callable[[str], Person],
        connector_for: Callable[..., BlueskyConnector]) -> None:
    police, bob = person("pol"), person("bob")
    connector = connector_for(police)
    threat = bob.post("a threatening post")
    eventually(lambda: police.call("GET", "app.bsky.feed.getPosts", params={"uris": [threat.uri]})["posts"])
    connector.report(threat.uri, bob.handle, "threat")
    connector.report("at://gone", bob.handle, "abuse")  # no post to point at: the account is reported
    admin = httpx.BasicAuth("admin", "admin-pass")  # the dev network's Ozone admin

    def reports() -> list[dict[str, Any]] | None:
        response = http.get(f"{bsky_net.ozone}/xrpc/tools.ozone.moderation.queryEvents", auth=admin,
                            params={"types": ["tools.ozone.moderation.defs#modEventReport"], "createdBy": police.did})
        response.raise_for_status()
        events = response.json()["events"]
        return events if len(events) >= 2 else None

    events = eventually(reports)
    subjects = {(e["subject"].get("uri") or e["subject"].get("did")): e["event"]["reportType"] for e in events}
    assert subjects == {threat.uri: "com.atproto.moderation.defs#reasonViolation",
                        bob.did: "com.atproto.moderation.defs#reasonRude"}
