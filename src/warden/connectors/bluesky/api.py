"""Authenticated calls for one account, and the record operations the
connector is built from.

Every call goes out with the session's access token; an ``ExpiredToken``
answer refreshes the session once and sends the call again (the server
refused it before doing anything, so this is not a retried write).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from warden.connectors.bluesky.session import Session, Tokens
from warden.connectors.bluesky.syntax import actor, is_did
from warden.connectors.bluesky.xrpc import ExpiredToken, Xrpc, XrpcRejected
from warden.connectors.errors import AuthFailed, OutcomeUnknown, Rejected, Transient

T = TypeVar("T")
_ABSENT: Any = object()  # swapRecord left out (as opposed to null: "must not exist yet")


class Api:
    def __init__(self, xrpc: Xrpc, session: Session, did: str | None) -> None:
        self.xrpc = xrpc
        self.session = session
        self._did = did

    def _tokens(self) -> Tokens:
        tokens = self.session.tokens()
        if self._did and tokens.did != self._did:
            raise AuthFailed(f"the app password belongs to {tokens.did}, not to the account's {self._did}")
        return tokens

    @property
    def did(self) -> str:
        return self._did or self._tokens().did

    def _authed(self, nsid: str, send: Callable[[str], T]) -> T:
        tokens = self._tokens()
        try:
            return send(tokens.access)
        except ExpiredToken:
            tokens = self.session.renew(tokens)
        try:
            return send(tokens.access)
        except ExpiredToken as error:
            self.session.forget()
            raise AuthFailed(f"{nsid}: the token is still expired after a refresh ({error.message})") from None

    def call(self, method: str, nsid: str, **kwargs: Any) -> httpx.Response:
        return self._authed(nsid, lambda token: self.xrpc.call(method, nsid, token=token, **kwargs))

    def json(self, method: str, nsid: str, **kwargs: Any) -> dict[str, Any]:
        return self._authed(nsid, lambda token: self.xrpc.json(method, nsid, token=token, **kwargs))

    # Records in the account's own repository (the PDS: no indexing lag).

    def get_record(self, collection: str, rkey: str) -> tuple[dict[str, Any], str] | None:
        """The record's value and CID, or None when there is no such record."""
        try:
            data = self.json("GET", "com.atproto.repo.getRecord",
                             params={"repo": self.did, "collection": collection, "rkey": rkey})
        except XrpcRejected as error:
            if error.error == "RecordNotFound":
                return None
            raise
        value, cid = data.get("value"), data.get("cid")
        if not isinstance(value, dict) or not isinstance(cid, str):
            raise Transient(f"getRecord {collection}: the answer has no record")
        return value, cid

    def put_record(self, collection: str, rkey: str, record: dict[str, Any], *, swap: str | None = _ABSENT,
                   writes: bool = False) -> dict[str, Any]:
        """Write a record; ``swap=None`` creates it only if absent, a CID replaces only that version."""
        body: dict[str, Any] = {"repo": self.did, "collection": collection, "rkey": rkey,
                                "record": {"$type": collection, **record}}
        if swap is not _ABSENT:
            body["swapRecord"] = swap
        data = self.json("POST", "com.atproto.repo.putRecord", body=body, writes=writes)
        if not isinstance(data.get("uri"), str) or not isinstance(data.get("cid"), str):
            raise (OutcomeUnknown if writes else Transient)(f"putRecord {collection}: the answer has no uri")
        return data

    def delete_record(self, collection: str, rkey: str, *, swap: str | None = None) -> None:
        body: dict[str, Any] = {"repo": self.did, "collection": collection, "rkey": rkey}
        if swap:
            body["swapRecord"] = swap
        self.call("POST", "com.atproto.repo.deleteRecord", body=body)

    # Views from the AppView (through the PDS; may lag a moment behind a write).

    def get_post(self, uri: str) -> dict[str, Any] | None:
        data = self.json("GET", "app.bsky.feed.getPosts", params={"uris": [uri]})
        posts = data.get("posts")
        for post in posts if isinstance(posts, list) else []:
            if isinstance(post, dict) and post.get("uri") == uri and isinstance(post.get("cid"), str):
                return post
        return None

    def resolve(self, handle: str) -> str:
        """The DID behind a handle (or the DID itself)."""
        name = actor(handle)
        if name is None:
            raise Rejected(f"{handle[:100]!r} is not a Bluesky handle or DID")
        if is_did(name):
            return name
        data = self.json("GET", "com.atproto.identity.resolveHandle", params={"handle": name})
        did = data.get("did")
        if not isinstance(did, str) or not is_did(did):
            raise Transient("resolveHandle: the answer has no DID")
        return did
