"""Pure ASGI middleware: security headers (and the last-resort 500), request body limit.

``SecurityHeadersMiddleware`` is the outermost layer: every response, errors
included, carries a strict Content-Security-Policy and friends; an exception
nothing else handled becomes a generic JSON 500 (the trace goes to the log,
never to the client).

``BodyLimitMiddleware`` reads the body before the application sees it and
answers 413 once it passes the limit, whether or not a Content-Length was sent
(chunked bodies are counted as they arrive); POSTs to the paths that take
uploads (images on drafts) have a limit of their own. It also refuses (422) text no
database can store: NUL characters and unpaired UTF-16 surrogates, in the path,
the query or a JSON body (PostgreSQL would otherwise fail deep inside a query).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warden.web.errors import error_response, internal_error_response

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")
#: JSON escapes that decode to a NUL or a surrogate: only then is the body parsed here to look closer.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def unstorable_input(scope: Scope, body: bytes) -> bool:
    """True when the request carries a NUL or an unpaired surrogate."""
    query: bytes = scope.get("query_string", b"")
    if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
        return True
    if _SUSPECT_ESCAPE.search(body):
        try:
            return _unstorable(json.loads(body))
        except ValueError:
            return False  # not JSON: the application reports that
    return False


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in HEADERS if h[0] not in present)
                if NO_STORE[0] not in present:
                    headers.append(NO_STORE)  # API answers are personal data: never cache them
                if https:
                    headers.append(HSTS)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as error:
            if started:
                raise
            response = internal_error_response(error)
            await response(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, uploads: re.Pattern[str] | None = None,
                 upload_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads
        self.upload_bytes = max(upload_bytes, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if self.uploads is not None and scope.get("method") == "POST" and self.uploads.fullmatch(scope.get("path", "")):
            limit = self.upload_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await error_response(400, "bad_request", "invalid content-length")(scope, receive, send)
                return
            if too_big:
                await self._refuse(scope, receive, send, limit)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if unstorable_input(scope, body):
            await error_response(422, "invalid_input", "text must not contain NUL characters or unpaired "
                                 "surrogates")(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(413, "payload_too_large",
                                  f"the request body is larger than {limit} bytes",
                                  headers={"Connection": "close"})
        await response(scope, receive, send)
