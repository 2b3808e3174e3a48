"""Rate limits, health, media processing, odd answers and account settings,
against responses shaped from the Mastodon documentation (api/rate-limits,
methods/accounts, methods/media, entities/Error)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import httpx
import pytest
import respx
from mastodon_docs import BASE, OWN_ID, account, status

from warden.connectors import registry
from warden.connectors.base import AccountRef, Media, OutboundPost
from warden.connectors.errors import AuthFailed, OutcomeUnknown, RateLimited, Rejected, Transient
from warden.connectors.mastodon import MastodonConnector, connect, media
from warden.connectors.mastodon.api import MastodonApi

pytestmark = pytest.mark.doc_fixture

IMAGE = Media(filename="a.png", content_type="image/png", data=b"\x89PNG", alt_text="alt")


def test_a_429_comes_back_at_the_iso_reset_time(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    docs_api.get("/api/v1/notifications").mock(return_value=httpx.Response(
        429, json={"error": "Too many requests"},
        headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                 "X-RateLimit-Reset": "2030-05-09T18:40:00.374559Z"}))

    with pytest.raises(RateLimited) as caught:
        docs_police.fetch(None)

    assert caught.value.retry_at == datetime(2030, 5, 9, 18, 40, 0, 374559, tzinfo=UTC)


def test_a_429_without_a_readable_reset_still_backs_off(docs_api: respx.MockRouter,
                                                        docs_police: MastodonConnector) -> None:
    docs_api.post("/api/v1/statuses").mock(return_value=httpx.Response(
        429, json={"error": "Too many requests"}, headers={"X-RateLimit-Reset": "soon"}))
    before = datetime.now(UTC)

    with pytest.raises(RateLimited) as caught:
        docs_police.publish(OutboundPost(ref="r1", text="hello"))

    assert caught.value.retry_at > before


def test_health_reports_the_rate_limit(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    docs_api.get("/api/v1/accounts/verify_credentials").mock(return_value=httpx.Response(
        200, json=account("police", OWN_ID),
        headers={"X-RateLimit-Remaining": "287", "X-RateLimit-Reset": "2030-05-09T18:40:00Z"}))

    health = docs_police.health()

    assert health.ok is True
    assert health.rate_limit_remaining == 287
    assert health.rate_limit_reset == datetime(2030, 5, 9, 18, 40, tzinfo=UTC)


@pytest.mark.parametrize(("extra", "ok", "words"), [
    ({"suspended": True}, False, "suspended"),
    ({"limited": True}, True, "limited"),
])
def test_health_reads_the_accounts_state(docs_api: respx.MockRouter, docs_police: MastodonConnector,
                                         extra: Mapping[str, object], ok: bool, words: str) -> None:
    docs_api.get("/api/v1/accounts/verify_credentials").mock(
        return_value=httpx.Response(200, json=account("police", OWN_ID, **extra)))

    health = docs_police.health()

    assert (health.ok, words in health.detail) == (ok, True)


@pytest.mark.parametrize("body", [[], {"id": None}, {"acct": "police"}])
def test_health_with_no_account_is_transient(docs_api: respx.MockRouter, docs_police: MastodonConnector,
                                             body: object) -> None:
    docs_api.get("/api/v1/accounts/verify_credentials").mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(Transient):
        docs_police.health()


@pytest.mark.parametrize(("message", "error"), [
    ("This action is outside the authorized scopes", AuthFailed),
    ("Your login is currently disabled", AuthFailed),
    ("Your login is missing a confirmed e-mail address", AuthFailed),
    ("This action is not allowed", Rejected),  # e.g. the author blocked us: nothing to reconnect
])
def test_403_means_reconnect_only_for_login_problems(docs_api: respx.MockRouter, docs_police: MastodonConnector,
                                                     message: str, error: type[Exception]) -> None:
    docs_api.post("/api/v1/statuses").mock(return_value=httpx.Response(403, json={"error": message}))

    with pytest.raises(error) as caught:
        docs_police.publish(OutboundPost(ref="r1", text="hello", in_reply_to="55"))
    assert type(caught.value) is error


def test_a_post_answered_without_an_id_is_unknown(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    docs_api.post("/api/v1/statuses").mock(return_value=httpx.Response(200, json={"error": "?"}))
    with pytest.raises(OutcomeUnknown):
        docs_police.publish(OutboundPost(ref="r1", text="hello"))


def test_a_bad_reply_target_or_ref_is_refused_before_sending(docs_api: respx.MockRouter,
                                                             docs_police: MastodonConnector) -> None:
    for post in (OutboundPost(ref="r1", text="x", in_reply_to="1/../2"), OutboundPost(ref="r\n1", text="x"),
                 OutboundPost(ref="", text="x")):
        with pytest.raises(Rejected):
            docs_police.publish(post)
    assert not docs_api.calls


def test_media_still_processing_is_waited_for(docs_api: respx.MockRouter, sleepy: Sleepy) -> None:
    docs_api.post("/api/v2/media").mock(return_value=httpx.Response(202, json={"id": "77", "url": None}))
    check = docs_api.get("/api/v1/media/77").mock(side_effect=[
        httpx.Response(206, json={"id": "77", "url": None}), httpx.Response(200, json={"id": "77", "url": "u"})])
    posted = docs_api.post("/api/v1/statuses").mock(return_value=httpx.Response(200, json=status("900")))

    published = sleepy.police.publish(OutboundPost(ref="r1", text="appeal", media=[IMAGE]))

    assert published.network_id == "900"
    assert check.call_count == 2
    assert sleepy.sleeps == [media.POLL_SECONDS] * 2
    assert b'"media_ids":["77"]' in posted.calls.last.request.content
    upload = docs_api.calls[0].request
    assert b'name="description"' in upload.content and b"alt" in upload.content


def test_media_that_never_finishes_is_transient_and_nothing_is_posted(docs_api: respx.MockRouter,
                                                                      sleepy: Sleepy) -> None:
    docs_api.post("/api/v2/media").mock(return_value=httpx.Response(202, json={"id": "77", "url": None}))
    docs_api.get("/api/v1/media/77").mock(return_value=httpx.Response(206, json={"id": "77", "url": None}))
    posted = docs_api.post("/api/v1/statuses")

    with pytest.raises(Transient):
        sleepy.police.publish(OutboundPost(ref="r1", text="appeal", media=[IMAGE]))

    assert len(sleepy.sleeps) == media.POLLS
    assert not posted.called


def test_a_media_upload_failure_is_not_an_unknown_outcome(docs_api: respx.MockRouter,
                                                          docs_police: MastodonConnector) -> None:
    docs_api.post("/api/v2/media").mock(return_value=httpx.Response(500))
    with pytest.raises(Transient) as caught:
        docs_police.publish(OutboundPost(ref="r1", text="appeal", media=[IMAGE]))
    assert not isinstance(caught.value, OutcomeUnknown)


def test_recent_posts_with_a_broken_status_is_transient(docs_api: respx.MockRouter,
                                                        docs_police: MastodonConnector) -> None:
    docs_api.get(f"/api/v1/accounts/{OWN_ID}/statuses").mock(return_value=httpx.Response(
        200, json=[status("5"), {"id": "6", "created_at": None}]))
    with pytest.raises(Transient):
        docs_police.recent_posts(datetime(2000, 1, 1, tzinfo=UTC))


def test_lookup_answer_without_an_id_is_transient(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    docs_api.get("/api/v1/accounts/lookup").mock(return_value=httpx.Response(200, json={"acct": "bob"}))
    block = docs_api.post(path__regex=r"/block$")
    with pytest.raises(Transient):
        docs_police.block("bob")
    assert not block.called


class Sleepy:
    """A connector whose waits are recorded instead of slept."""

    def __init__(self, http: httpx.Client) -> None:
        self.sleeps: list[float] = []
        account_ref = AccountRef(id="a", network="mastodon", handle="police", settings={"user_id": OWN_ID})
        self.police = MastodonConnector(account_ref, MastodonApi(BASE, "secret-token", http),
                                        sleep=self.sleeps.append)


@pytest.fixture
def sleepy(docs_api: respx.MockRouter) -> Iterator[Sleepy]:
    with httpx.Client(timeout=5) as http:
        yield Sleepy(http)


# --- settings and credentials ------------------------------------------------


def make(base_url: object, token: object = "secret-token") -> MastodonConnector:
    account_ref = AccountRef(id="a", network="mastodon", handle="police", settings={"base_url": base_url})
    with httpx.Client() as http:
        made = connect(account_ref, {"access_token": token}, http)  # type: ignore[dict-item]
    assert isinstance(made, MastodonConnector)
    return made


@pytest.mark.parametrize("base_url", [None, "", "police.example.social", "http://police.example.social",
                                      "ftp://police.example.social", "https://user:pw@police.example.social",
                                      "https://police.example.social/?a=1", "https://police.example.social/#x"])
def test_the_instance_must_be_a_plain_https_url(base_url: object) -> None:
    with pytest.raises(Rejected):
        make(base_url)


def test_plain_http_only_on_this_machine() -> None:
    assert "http://127.0.0.1:3000" in repr(make("http://127.0.0.1:3000/"))


@pytest.mark.parametrize("token", [None, "", "  ", "tok\nen", "tökén"])
def test_an_unusable_token_needs_reconnecting(token: object) -> None:
    with pytest.raises(AuthFailed) as caught:
        make("https://police.example.social", token)
    if isinstance(token, str) and token.strip():
        assert token not in str(caught.value)


def test_the_token_is_never_shown() -> None:
    made = make("https://police.example.social")
    assert "secret-token" not in repr(made)
    assert "secret-token" not in repr(made._api)


def test_the_registry_finds_the_connector() -> None:
    account_ref = AccountRef(id="a", network="mastodon", handle="police", settings={"base_url": BASE})
    with httpx.Client() as http:
        made = registry.connect(account_ref, {"access_token": "t"}, http)
    assert made.network == "mastodon"
    assert isinstance(made, MastodonConnector)


def test_urls_are_built_without_trailing_slashes(docs_api: respx.MockRouter, docs_police: MastodonConnector) -> None:
    docs_api.post("/api/v1/reports").mock(return_value=httpx.Response(200, json={"id": "1"}))
    docs_api.get("/api/v1/accounts/lookup").mock(return_value=httpx.Response(200, json=account("bob", "42")))
    docs_api.post("/api/v1/accounts/42/mute").mock(return_value=httpx.Response(200, json={"id": "42"}))

    docs_police.report("55", "@bob", "abuse")
    docs_police.mute("bob")

    paths = [call.request.url.path for call in docs_api.calls]
    assert paths == ["/api/v1/accounts/lookup", "/api/v1/reports", "/api/v1/accounts/lookup",
                     "/api/v1/accounts/42/mute"]
    assert docs_api.calls[0].request.url.params["acct"] == "bob"
    assert b'"status_ids":["55"]' in docs_api.calls[1].request.content
