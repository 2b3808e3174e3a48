"""The ``Idempotency-Key`` header on POST requests that create or change things.

The first request with a key claims it (a row per organisation + principal +
key, with a hash of the method, path and body) before the action runs, and
stores the answer afterwards. The same key again with the same request replays
the stored answer (``Idempotency-Replayed: true``) without running anything;
with a different request it is refused (422 ``idempotency_key_reused``); while
the first is still running, 409 ``idempotency_key_in_progress``. Answers are
kept for 24 hours. Server errors (5xx) are not stored: the key is released and
the request may be retried; so are 401 and 429 answers (a step-up or a second
factor is needed, or the caller must wait): after ``POST /auth/reauth`` the
console retries with the same key and the action runs.

Secrets shown once (a new API token, a TOTP secret, recovery codes) are never
stored: routes name them with ``@shown_once(...)`` and a replay answers with
those fields null (``Idempotency-Redacted`` names them).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from warden.domain.errors import InvalidInput, WardenError
from warden.storage.tables import IdempotencyKey
from warden.web.errors import response_for
from warden.web.identity import authenticate
from warden.web.state import WebState, get_state

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
PENDING = 0
_KEY = re.compile(r"[\x21-\x7e]{1,200}")
#: Answers that say "not yet" rather than "no": a step-up or a second factor is needed, or the caller is
#: throttled. They are not kept, so the same request with the same key works once that is done.
RETRYABLE = frozenset({401, 429})
F = TypeVar("F", bound=Callable[..., Any])


def shown_once(*fields: str) -> Callable[[F], F]:
    """Mark response fields that hold a secret: never stored for replay."""
    def mark(endpoint: F) -> F:
        endpoint.idempotency_redact = fields  # type: ignore[attr-defined]
        return endpoint
    return mark


def _redacted(body: Any, fields: tuple[str, ...]) -> Any:
    if isinstance(body, dict) and fields:
        return {k: (None if k in fields else v) for k, v in body.items()}
    return body


def _principal_key(request: Request) -> tuple[uuid.UUID, str]:
    principal = authenticate(request).principal
    identity = f"t:{principal.token_id}" if principal.token_id else f"m:{principal.member_id}"
    return principal.organisation_id, identity


def _claim(state: WebState, organisation_id: uuid.UUID, who: str, key: str, digest: str) -> tuple[int, Any] | None:
    """None when this request now owns the key; the stored (status, body) to replay otherwise."""
    now = state.now()
    for _attempt in range(2):
        try:
            with state.sessions.begin() as session:
                row = session.get(IdempotencyKey, (organisation_id, who, key))
                if row is not None and now - row.created_at >= KEEP_FOR:
                    session.delete(row)
                    session.flush()
                    row = None
                if row is None:
                    session.add(IdempotencyKey(organisation_id=organisation_id, principal=who, key=key,
                                               request_hash=digest, status_code=PENDING, response={},
                                               created_at=now))
                    return None
                if row.request_hash != digest:
                    raise WardenError("this Idempotency-Key was used for a different request; use a new key",
                                      code="idempotency_key_reused")
                if row.status_code == PENDING:
                    raise WardenError("a request with this Idempotency-Key is still being processed",
                                      code="idempotency_key_in_progress")
                return row.status_code, row.response.get("body")
        except IntegrityError:
            continue  # another request claimed it at the same moment: read what it stored
    raise WardenError("a request with this Idempotency-Key is still being processed",
                      code="idempotency_key_in_progress")


def _store(state: WebState, organisation_id: uuid.UUID, who: str, key: str, status: int, body: Any) -> None:
    with state.sessions.begin() as session:
        row = session.get(IdempotencyKey, (organisation_id, who, key))
        if row is not None:
            row.status_code, row.response = status, {"body": body}


def _release(state: WebState, organisation_id: uuid.UUID, who: str, key: str) -> None:
    with state.sessions.begin() as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.organisation_id == organisation_id,
                                                     IdempotencyKey.principal == who, IdempotencyKey.key == key))


def _replay(status: int, body: Any, redacted: tuple[str, ...]) -> Response:
    headers = {"Idempotency-Replayed": "true"}
    if redacted and isinstance(body, dict) and any(body.get(k, 1) is None for k in redacted):
        headers["Idempotency-Redacted"] = ", ".join(redacted)
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


class IdempotentRoute(APIRoute):
    """Routes of authenticated routers: POST honours ``Idempotency-Key``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        redact: tuple[str, ...] = getattr(self.endpoint, "idempotency_redact", ())

        async def idempotent(request: Request) -> Response:
            key = request.headers.get(HEADER)
            if request.method != "POST" or key is None:
                return await handler(request)
            if not _KEY.fullmatch(key):
                raise InvalidInput("Idempotency-Key must be 1 to 200 visible ASCII characters")
            state = get_state(request)
            organisation_id, who = await run_in_threadpool(_principal_key, request)
            body = await request.body()
            digest = hashlib.sha256(b"\n".join([request.method.encode(), request.url.path.encode(),
                                                request.url.query.encode(), body])).hexdigest()
            stored = await run_in_threadpool(_claim, state, organisation_id, who, key, digest)
            if stored is not None:
                return _replay(*stored, redact)
            try:
                response = await handler(request)
            except Exception as error:
                response = response_for(error)
            if response.status_code >= 500 or response.status_code in RETRYABLE:
                await run_in_threadpool(_release, state, organisation_id, who, key)
                return response
            content = bytes(response.body) if response.body else b""
            await run_in_threadpool(_store, state, organisation_id, who, key, response.status_code,
                                    _redacted(json.loads(content), redact) if content else None)
            return response

        return idempotent
