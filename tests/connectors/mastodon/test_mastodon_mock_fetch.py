"""Fetching mentions, replies and direct messages from a running mastodon_mock."""

from __future__ import annotations

import json

import pytest
from mastodon_world import POLICE_TOKEN, Mastodon

from warden.connectors.base import FetchPage
from warden.connectors.mastodon import MastodonConnector

pytestmark = pytest.mark.third_party_mock


def drain(connector: MastodonConnector, cursor: str | None, limit: int) -> tuple[list[FetchPage], str | None]:
    pages = []
    while True:
        page = connector.fetch(cursor, limit=limit)
        pages.append(page)
        cursor = page.cursor
        if not page.more:
            return pages, cursor


def test_first_fetch_returns_recent_mentions_oldest_first_with_kinds(
        mastodon: Mastodon, police: MastodonConnector) -> None:
    mine = mastodon.post(POLICE_TOKEN, "Road closed on the A1 tonight.")
    mention = mastodon.post("alice_token", "@police is the A1 open?")
    reply = mastodon.post("bob_token", "@police when does it reopen?", in_reply_to_id=mine["id"])
    dm = mastodon.post("alice_token", "@police a private word", visibility="direct")

    page = police.fetch(None)

    assert [item.network_id for item in page.items] == [mention["id"], reply["id"], dm["id"]]
    assert [item.kind for item in page.items] == ["mention", "reply", "dm"]
    assert [item.author_handle for item in page.items] == ["alice", "bob", "alice"]
    assert page.items[0].text == "@police is the A1 open?"
    assert page.items[0].author_name == "Alice"
    assert page.items[1].in_reply_to == mine["id"]
    assert page.items[1].thread_key == mine["id"]  # the thread starts at our post
    assert page.items[0].thread_key == mention["id"]
    for item in page.items:
        item.validate()
        assert item.sent_at.tzinfo is not None
    assert page.more is False
    assert json.loads(page.cursor or "")["min_id"]


def test_cursor_pages_through_a_backlog_without_gaps_or_repeats(
        mastodon: Mastodon, police: MastodonConnector) -> None:
    start = police.fetch(None)
    assert start.items == []
    sent = [mastodon.post("alice_token", f"@police message {n}")["id"] for n in range(5)]

    pages, cursor = drain(police, start.cursor, limit=2)

    assert [len(page.items) for page in pages] == [2, 2, 1]
    assert [page.more for page in pages] == [True, True, False]
    assert [item.network_id for page in pages for item in page.items] == sent

    later = mastodon.post("bob_token", "@police one more")
    again = police.fetch(cursor)
    assert [item.network_id for item in again.items] == [later["id"]]
    assert police.fetch(again.cursor).items == []


def test_an_empty_first_poll_still_catches_everything_after_it(
        mastodon: Mastodon, police: MastodonConnector) -> None:
    first = police.fetch(None, limit=2)
    sent = [mastodon.post("alice_token", f"@police burst {n}")["id"] for n in range(3)]

    pages, _ = drain(police, first.cursor, limit=2)

    assert [item.network_id for page in pages for item in page.items] == sent


def test_other_notifications_are_not_messages(mastodon: Mastodon, police: MastodonConnector) -> None:
    mine = mastodon.post(POLICE_TOKEN, "Appeal for witnesses.")
    mastodon.api("POST", f"/api/v1/statuses/{mine['id']}/favourite", "alice_token")
    mastodon.api("POST", f"/api/v1/accounts/{mastodon.account_id('police')}/follow", "bob_token")
    mention = mastodon.post("bob_token", "@police I saw something")

    page = police.fetch(None)

    assert [item.network_id for item in page.items] == [mention["id"]]


def test_every_reply_in_a_thread_shares_the_root(mastodon: Mastodon, police: MastodonConnector) -> None:
    root = mastodon.post("alice_token", "Anyone know what happened on the high street?")
    middle = mastodon.post("bob_token", "@alice @police police were there", in_reply_to_id=root["id"])
    deeper = mastodon.post("alice_token", "@bob @police really?", in_reply_to_id=middle["id"])

    page = police.fetch(None)

    assert [item.network_id for item in page.items] == [middle["id"], deeper["id"]]
    assert {item.thread_key for item in page.items} == {root["id"]}
    assert page.items[1].in_reply_to == middle["id"]


def test_a_thread_seen_over_two_polls_keeps_its_key(mastodon: Mastodon, police: MastodonConnector) -> None:
    root = mastodon.post("alice_token", "@police first")
    first = police.fetch(None)
    reply = mastodon.post("bob_token", "@police second", in_reply_to_id=root["id"])
    reply2 = mastodon.post("alice_token", "@police third", in_reply_to_id=reply["id"])

    second = police.fetch(first.cursor)

    assert first.items[0].thread_key == root["id"]
    assert [item.thread_key for item in second.items] == [root["id"], root["id"]]
    assert second.items[1].network_id == reply2["id"]


def test_status_html_becomes_plain_text(mastodon: Mastodon, police: MastodonConnector) -> None:
    mastodon.post("bob_token", "@police <script>alert(1)</script> & <b>bold</b>\n\nsecond para\nnext line "
                  "https://example.org/x?a=1&b=2")

    item = police.fetch(None).items[0]

    # The mock escaped what bob typed, as Mastodon does: we get back exactly his words.
    assert item.text == ("@police <script>alert(1)</script> & <b>bold</b>\n\nsecond para\nnext line "
                         "https://example.org/x?a=1&b=2")
    assert item.author_name == "Bob <b>B</b>"  # kept as text, never as markup


def test_the_own_account_id_can_come_from_settings(mastodon: Mastodon) -> None:
    mine = mastodon.post(POLICE_TOKEN, "Statement")
    mastodon.post("alice_token", "@police a reply", in_reply_to_id=mine["id"])
    wrong = mastodon.connector(user_id="12345")

    assert [item.kind for item in wrong.fetch(None).items] == ["mention"]  # not our post by that id
    assert not [r for r in mastodon.requests if r.url.path.endswith("verify_credentials")]
    right = mastodon.connector(user_id=mastodon.account_id("police"))
    assert [item.kind for item in right.fetch(None).items] == ["reply"]
