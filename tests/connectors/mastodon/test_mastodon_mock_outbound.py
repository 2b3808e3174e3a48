"""Publishing, replying, deleting and reading back our own posts on mastodon_mock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from mastodon_world import POLICE_TOKEN, Mastodon

from warden.connectors.base import Capability, Media, OutboundPost
from warden.connectors.errors import NotSupported, Rejected
from warden.connectors.mastodon import MastodonConnector

pytestmark = pytest.mark.third_party_mock

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6300010000050001"
                    "0d0a2db40000000049454e44ae426082")


def own_statuses(mastodon: Mastodon) -> list[dict[str, object]]:
    police_id = mastodon.account_id("police")
    result: list[dict[str, object]] = mastodon.api("GET", f"/api/v1/accounts/{police_id}/statuses", POLICE_TOKEN)
    return result


def test_publish_posts_the_exact_text(mastodon: Mastodon, police: MastodonConnector) -> None:
    published = police.publish(OutboundPost(ref="outbox-1", text="Road reopened.\n\nThanks for your patience."))

    status = mastodon.api("GET", f"/api/v1/statuses/{published.network_id}", POLICE_TOKEN)
    assert status["content"] == "<p>Road reopened.</p><p>Thanks for your patience.</p>"
    assert published.url == status["url"]
    assert Capability.IDEMPOTENT_PUBLISH in police.capabilities


def test_the_outbox_ref_is_the_idempotency_key(mastodon: Mastodon, police: MastodonConnector) -> None:
    first = police.publish(OutboundPost(ref="outbox-7", text="Missing person found safe."))
    again = police.publish(OutboundPost(ref="outbox-7", text="Missing person found safe."))
    other = police.publish(OutboundPost(ref="outbox-8", text="Missing person found safe."))

    assert again.network_id == first.network_id
    assert other.network_id != first.network_id
    assert len(own_statuses(mastodon)) == 2
    keys = [r.headers.get("idempotency-key") for r in mastodon.requests if r.method == "POST"]
    assert keys == ["outbox-7", "outbox-7", "outbox-8"]


def test_reply_threads_under_the_message(mastodon: Mastodon, police: MastodonConnector) -> None:
    question = mastodon.post("alice_token", "@police is the station open?")

    published = police.publish(OutboundPost(ref="outbox-2", text="@alice Yes, until 10pm.",
                                            in_reply_to=question["id"]))

    status = mastodon.api("GET", f"/api/v1/statuses/{published.network_id}", POLICE_TOKEN)
    assert status["in_reply_to_id"] == question["id"]


def test_publish_with_media_attaches_it(mastodon: Mastodon, police: MastodonConnector) -> None:
    image = Media(filename="appeal.png", content_type="image/png", data=PNG, alt_text="A blue car")

    published = police.publish(OutboundPost(ref="outbox-3", text="Have you seen this car?", media=[image]))

    status = mastodon.api("GET", f"/api/v1/statuses/{published.network_id}", POLICE_TOKEN)
    assert [m["description"] for m in status["media_attachments"]] == ["A blue car"]


def test_an_invalid_post_is_rejected(police: MastodonConnector) -> None:
    with pytest.raises(Rejected):
        police.publish(OutboundPost(ref="outbox-4", text="x" * 600))  # over the instance's 500 characters


def test_delete_removes_our_post(mastodon: Mastodon, police: MastodonConnector) -> None:
    published = police.publish(OutboundPost(ref="outbox-5", text="Posted in error."))

    police.delete(published.network_id)

    gone = mastodon.client.get(f"{mastodon.base_url}/api/v1/statuses/{published.network_id}")
    assert gone.status_code == 404
    with pytest.raises(Rejected):
        police.delete(published.network_id)


def test_delete_refuses_ids_that_would_change_the_path(mastodon: Mastodon, police: MastodonConnector) -> None:
    for bad in ("", "../accounts/1", "1/2", "1?x=2"):
        with pytest.raises(Rejected):
            police.delete(bad)
    assert not mastodon.requests


def test_hiding_replies_is_not_supported(police: MastodonConnector) -> None:
    assert Capability.HIDE_REPLY not in police.capabilities
    with pytest.raises(NotSupported):
        police.set_reply_hidden("1", True)


def test_recent_posts_newest_first_since_a_time(mastodon: Mastodon, police: MastodonConnector) -> None:
    ids = [police.publish(OutboundPost(ref=f"r{n}", text=f"Update {n} &amp; more")).network_id for n in range(3)]
    mastodon.post("alice_token", "not ours")

    recent = police.recent_posts(datetime.now(UTC) - timedelta(hours=1))

    assert [post.network_id for post in recent] == ids[::-1]
    assert recent[0].text == "Update 2 &amp; more"  # exactly what was posted
    assert all(post.ref is None for post in recent)  # Mastodon does not keep the key
    assert police.recent_posts(datetime.now(UTC) + timedelta(minutes=5)) == []
    assert len(police.recent_posts(datetime.now(UTC) - timedelta(hours=1), limit=2)) == 2
    naive = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    assert [post.network_id for post in police.recent_posts(naive)] == ids[::-1]  # taken as UTC


def test_recent_posts_pages_past_one_page(mastodon: Mastodon, police: MastodonConnector) -> None:
    with httpx.Client(timeout=10) as client:
        for n in range(45):
            client.post(mastodon.base_url + "/api/v1/statuses", json={"status": f"post {n}"},
                        headers={"Authorization": f"Bearer {POLICE_TOKEN}"}).raise_for_status()

    recent = police.recent_posts(datetime.now(UTC) - timedelta(hours=1), limit=100)

    assert [post.text for post in recent] == [f"post {n}" for n in reversed(range(45))]
    assert len({post.network_id for post in recent}) == 45
