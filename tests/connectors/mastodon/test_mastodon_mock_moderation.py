"""Block, mute, report and account health on mastodon_mock."""

from __future__ import annotations

import pytest
from mastodon_world import POLICE_TOKEN, Mastodon

from warden.connectors.errors import AuthFailed, Rejected
from warden.connectors.mastodon import MastodonConnector

pytestmark = pytest.mark.third_party_mock


def relationship(mastodon: Mastodon, acct: str) -> dict[str, object]:
    found: list[dict[str, object]] = mastodon.api("GET", "/api/v1/accounts/relationships", POLICE_TOKEN,
                                                  params={"id[]": mastodon.account_id(acct)})
    return found[0]


def test_block_finds_the_author_by_handle(mastodon: Mastodon, police: MastodonConnector) -> None:
    assert relationship(mastodon, "alice")["blocking"] is False

    police.block("@alice")

    assert relationship(mastodon, "alice")["blocking"] is True
    assert relationship(mastodon, "bob")["blocking"] is False


def test_block_and_mute_a_remote_author(mastodon: Mastodon, police: MastodonConnector) -> None:
    police.mute("dave@remote.example")
    police.block("dave@remote.example")

    found = relationship(mastodon, "dave@remote.example")
    assert found["muting"] is True
    assert found["blocking"] is True


def test_mute(mastodon: Mastodon, police: MastodonConnector) -> None:
    police.mute("bob")

    assert relationship(mastodon, "bob")["muting"] is True
    assert relationship(mastodon, "bob")["muting_notifications"] is True


def test_an_unknown_author_is_rejected(police: MastodonConnector) -> None:
    with pytest.raises(Rejected):
        police.block("nobody@nowhere.example")
    with pytest.raises(Rejected):
        police.mute("  ")


def test_report_reaches_the_moderators(mastodon: Mastodon, police: MastodonConnector) -> None:
    abusive = mastodon.post("bob_token", "@police abusive words")

    police.report(abusive["id"], "bob", "Threatening an officer. " + "x" * 2_000)

    reports = mastodon.api("GET", "/api/v1/admin/reports", "moderator_token")
    assert len(reports) == 1
    assert reports[0]["target_account"]["account"]["username"] == "bob"
    assert [status["id"] for status in reports[0]["statuses"]] == [abusive["id"]]
    assert reports[0]["comment"].startswith("Threatening an officer.")
    assert len(reports[0]["comment"]) == 1_000


def test_report_of_someone_elses_status_is_rejected(mastodon: Mastodon, police: MastodonConnector) -> None:
    post = mastodon.post("alice_token", "@police hello")
    with pytest.raises(Rejected):
        police.report(post["id"], "bob", "wrong author")


def test_health_names_the_account(mastodon: Mastodon, police: MastodonConnector) -> None:
    health = police.health()

    assert health.ok is True
    assert health.detail == "signed in as @police"


def test_health_notices_a_token_for_another_account(mastodon: Mastodon) -> None:
    health = mastodon.connector(token="alice_token", handle="@police@mock.local").health()

    assert health.ok is False
    assert "@alice" in health.detail


def test_a_revoked_token_fails_auth_everywhere(mastodon: Mastodon) -> None:
    gone = mastodon.connector(token="revoked-token")

    for call in (gone.health, lambda: gone.fetch(None), lambda: gone.block("alice")):
        with pytest.raises(AuthFailed) as caught:
            call()
        assert "revoked-token" not in str(caught.value)


def test_a_suspended_login_fails_auth(mastodon: Mastodon, police: MastodonConnector) -> None:
    police_id = mastodon.account_id("police")
    mastodon.api("POST", f"/api/v1/admin/accounts/{police_id}/action", "moderator_token", json={"type": "suspend"})

    with pytest.raises(AuthFailed):
        police.health()
