"""Record keys, URIs, facets and the shapes of health and author-feed answers,
from the AT Protocol specs (TID and record-key syntax) and lexicons."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from bsky_fixtures import DID, Server, connector, error

from warden.connectors.bluesky.richtext import facets
from warden.connectors.bluesky.syntax import TID_PATTERN, actor, derived_tid, parse_uri, tid_from

pytestmark = pytest.mark.doc_fixture
FEED = "app.bsky.feed.getAuthorFeed"


def test_derived_record_keys_are_valid_tids_stable_and_distinct() -> None:
    keys = {derived_tid("post", f"outbox-{n}") for n in range(2000)}
    assert len(keys) == 2000
    assert all(TID_PATTERN.match(key) for key in keys)
    assert derived_tid("post", "outbox-1") == derived_tid("post", "outbox-1")
    assert derived_tid("post", "x") != derived_tid("block", "x")
    assert tid_from(0) == "2222222222222" and tid_from((1 << 63) - 1) == "bzzzzzzzzzzzz"
    with pytest.raises(ValueError):
        tid_from(1 << 63)


@pytest.mark.parametrize("value", [
    "at://did:plc:abc/app.bsky.feed.post", "https://bsky.app/x", "at://bob.test/app.bsky.feed.post/3k",
    "at://did:plc:abc/app.bsky.feed.post/..", "at://did:plc:abc/not a nsid/3k", 42, None,
    "at://did:plc:abc/app.bsky.feed.post/" + "a" * 600,
])
def test_uris_that_are_not_record_uris_are_refused(value: object) -> None:
    assert parse_uri(value) is None


def test_actors() -> None:
    assert actor("@Bob.Bsky.Social ") == "bob.bsky.social"
    assert actor(DID) == DID
    for bad in ("", "bob", "<script>", "bob..test", "did:PLC:x", "a" * 300 + ".test"):
        assert actor(bad) is None


def test_facets_use_utf8_byte_offsets() -> None:
    text = "Café closed #Road3 – see https://example.org/a?b=1). #2024"
    found = facets(text)
    encoded = text.encode()
    spans = [encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in found]
    assert spans == ["#Road3", "https://example.org/a?b=1"]
    assert found[1]["features"][0] == {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/a?b=1"}


def test_health_reads_the_session_and_bluesky_rate_limit_headers() -> None:
    server = Server({"com.atproto.server.getSession": httpx.Response(
        200, json={"did": DID, "handle": "police.example", "active": True},
        headers={"ratelimit-limit": "3000", "ratelimit-remaining": "2999", "ratelimit-reset": "1900000000"})})
    health = connector(server).health()
    assert health.ok and health.detail == "@police.example" and health.scopes == ("com.atproto.appPass",)
    assert health.rate_limit_remaining == 2999
    assert health.rate_limit_reset == datetime.fromtimestamp(1_900_000_000, UTC)

    suspended = Server({"com.atproto.server.getSession": httpx.Response(
        200, json={"did": DID, "handle": "police.example", "active": False, "status": "suspended"})})
    assert connector(suspended).health().detail == "@police.example is suspended"
    gone = Server({"com.atproto.server.getSession": error(400, "InvalidRequest", "Could not find user info")})
    assert connector(gone).health().ok is False


def feed_item(rkey: str, text: str, when: str, **extra: object) -> dict[str, object]:
    uri = f"at://{DID}/app.bsky.feed.post/{rkey}"
    return {"post": {"uri": uri, "cid": "bafy", "author": {"did": DID, "handle": "police.example"},
                     "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": when, **extra},
                     "indexedAt": when}}


def test_recent_posts_trust_a_ref_only_when_the_record_key_is_derived_from_it() -> None:
    real, forged = "outbox-1", "outbox-2"
    repost = feed_item(derived_tid("post", "x"), "someone else's", "2026-05-01T12:00:00Z")
    repost["reason"] = {"$type": "app.bsky.feed.defs#reasonRepost"}
    other_author = feed_item("3kabc22222222", "not ours", "2026-05-01T12:00:00Z")
    other_author["post"]["author"] = {"did": "did:plc:someoneelse"}  # type: ignore[index]
    server = Server({FEED: httpx.Response(200, json={"feed": [
        feed_item(derived_tid("post", real), "ours", "2026-05-01T12:03:00Z", wardenRef=real),
        feed_item("3kabc33333333", "claims a ref", "2026-05-01T12:02:00Z", wardenRef=forged),
        repost, other_author, "junk", {"post": "junk"},
        feed_item("3kabc44444444", "bad time", "yesterday"),
        feed_item("3kabc55555555", "too old", "2026-04-01T00:00:00Z"),
    ], "cursor": "next"})})
    posts = connector(server).recent_posts(datetime(2026, 5, 1, tzinfo=UTC))
    assert [(p.text, p.ref) for p in posts] == [("ours", real), ("claims a ref", None)]
    assert len(server.called(FEED)) == 1  # an item older than `since` ends the paging
    assert re.fullmatch(r"did:plc:\w+", server.called(FEED)[0].url.params["actor"])


def test_the_registry_builds_a_connector_that_declares_idempotent_publishing() -> None:
    from warden.connectors import bluesky, registry
    from warden.connectors.base import Capability, Connector

    assert registry.factory("bluesky") is bluesky.connect
    built = connector(Server({}))
    assert isinstance(built, Connector) and built.network == "bluesky"
    assert Capability.IDEMPOTENT_PUBLISH in built.capabilities and Capability.DIRECT_MESSAGES not in built.capabilities
