"""The X connector: one account, X API v2, an OAuth 2.0 user access token.

What X API v2 (OpenAPI 2.159) cannot do, this raises ``NotSupported`` for:
blocking (the spec has only ``GET /2/users/{id}/blocking`` and a DM-only
block), reporting (no endpoint) and media (not built yet: text posts and
replies only). X has no idempotency key for posts, so an unconfirmed post is
reconciled from ``recent_posts`` by text and time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from warden.connectors.base import (
    AccountRef,
    Capability,
    FetchPage,
    Health,
    OutboundPost,
    Published,
    RecentPost,
)
from warden.connectors.errors import NotSupported, OutcomeUnknown, Rejected, Transient
from warden.connectors.x.api import XApi, as_dict, header_epoch, header_int, is_id, is_token, is_username
from warden.connectors.x.inbound import Inbound, iso, page_size
from warden.connectors.x.items import iso_time, tweet_text

_BASE = frozenset({
    Capability.FETCH, Capability.WEBHOOKS, Capability.PUBLISH, Capability.REPLY, Capability.DELETE,
    Capability.HIDE_REPLY, Capability.UNHIDE_REPLY, Capability.MUTE, Capability.RECENT_POSTS,
})


class XConnector:
    def __init__(self, account: AccountRef, api: XApi, user_id: str, *, direct_messages: bool = True,
                 search_replies: bool = True, scopes: Sequence[str] = ()) -> None:
        self._account = account
        self._api = api
        self._me = user_id
        self._scopes = tuple(scopes)
        self._inbound = Inbound(api, user_id, direct_messages=direct_messages, search_replies=search_replies)
        self._capabilities = (_BASE | {Capability.DIRECT_MESSAGES}) if direct_messages else _BASE

    def __repr__(self) -> str:
        return f"XConnector(account={self._account.id!r}, user_id={self._me!r})"

    @property
    def network(self) -> str:
        return "x"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._capabilities

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchPage:
        return self._inbound.fetch(cursor, limit)

    def publish(self, post: OutboundPost) -> Published:
        if post.media:
            raise NotSupported("posting media to X is not supported yet; post text only")
        if not post.text.strip():
            raise Rejected("X needs text for a post without media")
        body: dict[str, object] = {"text": post.text}
        if post.in_reply_to is not None:
            if not is_id(post.in_reply_to):
                raise Rejected("in_reply_to is not an X post id")
            body["reply"] = {"in_reply_to_tweet_id": post.in_reply_to}
        answer = self._api.write("POST", "/2/tweets", body, outcome_unknown=True)
        post_id = as_dict(answer.get("data")).get("id")
        if not is_id(post_id):
            raise OutcomeUnknown("POST /2/tweets: X answered without the new post's id")
        handle = self._account.handle.lstrip("@")
        return Published(post_id, f"https://x.com/{handle if is_username(handle) else 'i/web'}/status/{post_id}")

    def recent_posts(self, since: datetime, limit: int = 100) -> Sequence[RecentPost]:
        path = f"/2/users/{self._me}/tweets"
        params = {"tweet.fields": "created_at,note_tweet", "exclude": "retweets",
                  "start_time": iso(since), "max_results": page_size(limit, 5)}
        posts: list[RecentPost] = []
        while len(posts) < limit:
            body, _ = self._api.get(path, params)
            data, meta = body.get("data", []), as_dict(body.get("meta"))
            if not isinstance(data, list):
                raise Transient(f"GET {path}: X answered with a page of the wrong shape")
            for raw in data:
                tweet = as_dict(raw)
                if is_id(tweet.get("id")):
                    posts.append(RecentPost(tweet["id"], tweet_text(tweet), iso_time(tweet.get("created_at"),
                                                                                    tweet["id"])))
            token = meta.get("next_token")
            if not data or not is_token(token):
                break
            params["pagination_token"] = token
        return posts[:limit]

    def delete(self, network_id: str) -> None:
        _require_id(network_id)
        answer = self._api.write("DELETE", f"/2/tweets/{network_id}", None, outcome_unknown=False)
        deleted = as_dict(answer.get("data")).get("deleted")
        if deleted is not True:
            raise (Rejected if deleted is False else Transient)(f"X did not confirm deleting post {network_id}")

    def set_reply_hidden(self, network_id: str, hidden: bool) -> None:
        _require_id(network_id)
        answer = self._api.write("PUT", f"/2/tweets/{network_id}/hidden", {"hidden": hidden}, outcome_unknown=False)
        state = as_dict(answer.get("data")).get("hidden")
        if state is not hidden:
            raise (Rejected if isinstance(state, bool) else Transient)(
                f"X did not confirm {'hiding' if hidden else 'unhiding'} reply {network_id}")

    def block(self, author_handle: str) -> None:
        raise NotSupported("X API v2 has no endpoint to block an account (only to list blocks, or block DMs)")

    def mute(self, author_handle: str) -> None:
        target = self._user_id_of(author_handle)
        answer = self._api.write("POST", f"/2/users/{self._me}/muting", {"target_user_id": target},
                                 outcome_unknown=False)
        muting = as_dict(answer.get("data")).get("muting")
        if muting is not True:
            raise (Rejected if muting is False else Transient)("X did not confirm the mute")

    def report(self, network_id: str, author_handle: str, reason: str) -> None:
        raise NotSupported("X API v2 has no endpoint to report a post or an account")

    def health(self) -> Health:
        body, headers = self._api.get("/2/users/me", {"user.fields": "id,name,username"})
        user = as_dict(body.get("data"))
        remaining = header_int(headers, "x-rate-limit-remaining")
        reset = header_epoch(headers, "x-rate-limit-reset")
        user_id, username = user.get("id"), user.get("username")
        if not is_id(user_id):
            raise Transient("GET /2/users/me: X answered without the user's id")
        if user_id != self._me:
            return Health(False, f"the token belongs to X user {user_id}, not the connected account {self._me}",
                          self._scopes, remaining, reset)
        shown = f"@{username}" if is_username(username) else user_id
        return Health(True, f"connected as {shown}", self._scopes, remaining, reset)

    def _user_id_of(self, handle: str) -> str:
        username = handle.strip().lstrip("@")
        if not is_username(username):
            raise Rejected("not an X username (1 to 15 letters, digits or underscores)")
        body, _ = self._api.get(f"/2/users/by/username/{username}", {})
        user_id = as_dict(body.get("data")).get("id")
        if not is_id(user_id):
            raise (Rejected if "errors" in body else Transient)(f"X found no account @{username}")
        return user_id


def _require_id(network_id: str) -> None:
    if not is_id(network_id):
        raise Rejected("not an X post id")
