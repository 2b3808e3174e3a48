"""Other people on the dev network, over plain XRPC (independent of the
connector under test): they sign up, post, mention, reply, quote and like."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Post:
    uri: str
    cid: str

    @property
    def ref(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}


class Person:
    def __init__(self, http: httpx.Client, pds: str, did: str, handle: str, access: str, app_password: str) -> None:
        self.http, self.pds, self.did, self.handle = http, pds, did, handle
        self.access, self.app_password = access, app_password

    @classmethod
    def sign_up(cls, http: httpx.Client, pds: str, prefix: str) -> Person:
        handle = f"{prefix}{secrets.token_hex(3)}.test"
        password = secrets.token_urlsafe(12)
        created = xrpc(http, pds, "POST", "com.atproto.server.createAccount",
                       body={"handle": handle, "email": f"{handle}@example.test", "password": password})
        app = xrpc(http, pds, "POST", "com.atproto.server.createAppPassword", body={"name": "warden"},
                   token=created["accessJwt"])
        return cls(http, pds, created["did"], handle, created["accessJwt"], app["password"])

    def call(self, method: str, nsid: str, **kwargs: Any) -> dict[str, Any]:
        return xrpc(self.http, self.pds, method, nsid, token=self.access, **kwargs)

    def post(self, text: str, *, reply_to: Post | None = None, root: Post | None = None, quote: Post | None = None,
             mention: Person | None = None, created_at: str | None = None) -> Post:
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created_at or now_iso()}
        if reply_to is not None:
            record["reply"] = {"root": (root or reply_to).ref, "parent": reply_to.ref}
        if quote is not None:
            record["embed"] = {"$type": "app.bsky.embed.record", "record": quote.ref}
        if mention is not None:
            tag = f"@{mention.handle}"
            start = len(text.encode())
            record["text"] = f"{text} {tag}"
            record["facets"] = [{"index": {"byteStart": start + 1, "byteEnd": start + 1 + len(tag.encode())},
                                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": mention.did}]}]
        made = self.call("POST", "com.atproto.repo.createRecord",
                         body={"repo": self.did, "collection": "app.bsky.feed.post", "record": record})
        time.sleep(0.002)  # distinct millisecond timestamps, as real clients produce
        return Post(made["uri"], made["cid"])

    def like(self, post: Post) -> None:
        self.call("POST", "com.atproto.repo.createRecord", body={
            "repo": self.did, "collection": "app.bsky.feed.like",
            "record": {"$type": "app.bsky.feed.like", "subject": post.ref, "createdAt": now_iso()}})

    def records(self, collection: str) -> list[dict[str, Any]]:
        data = self.call("GET", "com.atproto.repo.listRecords",
                         params={"repo": self.did, "collection": collection, "limit": 100})
        return list(data["records"])


def xrpc(http: httpx.Client, pds: str, method: str, nsid: str, *, token: str | None = None,
         params: dict[str, Any] | None = None, body: Any = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = http.request(method, f"{pds}/xrpc/{nsid}", params=params, json=body, headers=headers)
    if response.status_code >= 400:
        raise AssertionError(f"{nsid}: {response.status_code} {response.text[:300]}")
    return dict(response.json()) if response.content else {}


def xrpc_error(http: httpx.Client, pds: str, method: str, nsid: str, **kwargs: Any) -> tuple[int, str]:
    """The status and XRPC error name of a call expected to fail."""
    token = kwargs.pop("token", None)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = http.request(method, f"{pds}/xrpc/{nsid}", headers=headers, **kwargs)
    body = response.json() if response.content else {}
    return response.status_code, str(body.get("error", ""))
