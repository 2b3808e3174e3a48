"""Canned XRPC answers shaped from the AT Protocol documentation and the
lexicons, for failures the dev network cannot be made to produce (429, 5xx,
timeouts, malformed or hostile bodies)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from warden.connectors.base import AccountRef
from warden.connectors.bluesky import BlueskyConnector, build

PDS = "https://pds.example"
DID = "did:plc:policeaaaaaaaaaaaaaaaaaa"
HANDLE = "police.example"
PASSWORD = "abcd-efgh-ijkl-mnop"
Handler = Callable[[httpx.Request], httpx.Response]


def jwt(scope: str = "com.atproto.appPass", tag: str = "a") -> str:
    part = base64.urlsafe_b64encode(json.dumps({"scope": scope, "sub": DID, "t": tag}).encode()).rstrip(b"=")
    return f"eyJhbGciOiJIUzI1NiJ9.{part.decode()}.sig-{tag}"


def session_body(tag: str = "a") -> dict[str, Any]:
    return {"did": DID, "handle": HANDLE, "accessJwt": jwt(tag=tag), "refreshJwt": f"refresh-{tag}", "active": True}


def error(status: int, name: str, message: str = "", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": name, "message": message}, headers=headers)


class Server:
    """Routes by NSID; records every request; answers createSession unless told otherwise."""

    def __init__(self, routes: dict[str, Handler | httpx.Response | list[httpx.Response]]) -> None:
        self.routes = {"com.atproto.server.createSession": httpx.Response(200, json=session_body()), **routes}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        nsid = request.url.path.removeprefix("/xrpc/")
        route = self.routes.get(nsid)
        if route is None:
            return error(501, "MethodNotImplemented")
        if isinstance(route, list):
            return route.pop(0)
        if isinstance(route, httpx.Response):
            return route
        return route(request)

    def called(self, nsid: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == f"/xrpc/{nsid}"]


def connector(server: Server, **options: int) -> BlueskyConnector:
    http = httpx.Client(transport=httpx.MockTransport(server))
    account = AccountRef(id="acct-doc", network="bluesky", handle=HANDLE, settings={"service_url": PDS, "did": DID})
    # A unique identifier per connector keeps the process-wide session cache out of the way.
    identifier = f"{HANDLE}#{uuid.uuid4()}"
    return build(account, {"identifier": identifier, "app_password": PASSWORD}, http, **options)


def notification(n: int, *, reason: str = "mention", at: str | None = None, **record: Any) -> dict[str, Any]:
    """One ``app.bsky.notification.listNotifications#notification``."""
    uri = f"at://did:plc:bobbbbbbbbbbbbbbbbbbbbbb/app.bsky.feed.post/3kabc{n:08d}"
    return {
        "uri": uri, "cid": f"bafyrei{n:08d}",
        "author": {"did": "did:plc:bobbbbbbbbbbbbbbbbbbbbbb", "handle": "bob.example", "displayName": "Bob"},
        "reason": reason, "isRead": False, "indexedAt": at or f"2026-05-01T12:{n // 60:02d}:{n % 60:02d}.000Z",
        "record": {"$type": "app.bsky.feed.post", "text": f"message {n}", "createdAt": "2026-05-01T12:00:00.000Z",
                   **record},
    }
