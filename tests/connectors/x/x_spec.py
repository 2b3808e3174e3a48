"""respx routes that check every request and every response against X's own
OpenAPI document (``shared/specs/x-api-v2-openapi.json``) with openapi-core.

A route fails the test when the connector sends a request the spec does not
allow (unknown parameter value, wrong body, missing bearer token) or when a
fixture response does not match the operation's response schema. A reply
marked ``conforms=False`` must FAIL validation: tests of malformed answers
prove the answer really is outside the spec.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import respx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider, HttpProvider
from werkzeug.datastructures import Headers, ImmutableMultiDict

BASE = "https://api.x.com"
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # the fixtures' snowflake ids are minted around this time
ME = "2244994945"  # the connected account's X user id
TOKEN = "test-user-access-token-not-a-secret"
FIXTURES = Path(__file__).parent / "fixtures"
_SHARED = Path(__file__).resolve().parents[4] / "shared"  # /work/shared beside the /work/main checkout
SPEC = Path(os.environ.get("WARDEN_X_OPENAPI", _SHARED / "specs/x-api-v2-openapi.json"))


class _OAuth2Bearer(BaseProvider):
    """An OAuth 2.0 user token travels as ``Authorization: Bearer`` (RFC 6750);
    openapi-core only warns on oauth2 schemes, so check it as bearer."""

    def __call__(self, parameters: RequestParameters) -> Any:
        return HttpProvider({"scheme": "bearer"})(parameters)


class _Security(SecurityProviderFactory):
    PROVIDERS: ClassVar[dict[str, type[BaseProvider]]] = {**SecurityProviderFactory.PROVIDERS, "oauth2": _OAuth2Bearer}


@cache
def openapi() -> OpenAPI:
    """X's OpenAPI document, parsed once per test session."""
    if not SPEC.is_file():
        pytest.skip(f"X's OpenAPI document is not at {SPEC} (set WARDEN_X_OPENAPI)")
    config = Config(security_provider_factory=_Security(),
                    extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_file_path(str(SPEC), config=config)


class _Request:
    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.host_url = f"{url.scheme}://{url.host}"
        self.path = url.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(query=ImmutableMultiDict(list(url.params.multi_items())),
                                            header=Headers(list(request.headers.multi_items())))
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content or None
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(list(response.headers.multi_items()))


def request_errors(request: httpx.Request) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return [_describe(error) for error in openapi().iter_request_errors(_Request(request))]


def response_errors(request: httpx.Request, response: httpx.Response) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return [_describe(error) for error in openapi().iter_response_errors(_Request(request), _Response(response))]


def _describe(error: Exception) -> str:
    causes = [str(error)]
    while error.__cause__ is not None and len(causes) < 4:
        error = error.__cause__
        causes.append(str(error))
    return " <- ".join(causes)[:2000]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Reply:
    """One canned answer. ``body``: JSON-able, a fixture file name (``*.json``) or raw bytes."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    conforms: bool = True

    def response(self, request: httpx.Request) -> httpx.Response:
        body = self.body
        if isinstance(body, str) and body.endswith(".json"):
            body = fixture(body)
        content = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        headers = {"content-type": self.content_type, **self.headers}
        return httpx.Response(self.status, content=content, headers=headers, request=request)


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **headers: str) -> Reply:
    return Reply(status, {"title": title, "detail": detail, "type": kind, "status": status},
                 headers=dict(headers), content_type="application/problem+json")


class XMock:
    """X API routes on a respx router; every call is validated both ways."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *replies: Reply | Exception) -> respx.Route:
        queue = list(replies)

        def answer(request: httpx.Request) -> httpx.Response:
            self.check_request(request)
            if not queue:
                raise AssertionError(f"unexpected extra call: {request.method} {request.url}")
            reply = queue.pop(0)
            if isinstance(reply, Exception):
                raise reply
            response = reply.response(request)
            errors = response_errors(request, response)
            if reply.conforms and errors:
                raise AssertionError(f"fixture does not match X's OpenAPI: {errors}")
            if not reply.conforms and not errors:
                raise AssertionError("a reply marked conforms=False matches X's OpenAPI after all")
            return response

        return self.router.route(method=method, host="api.x.com", path=path).mock(side_effect=answer)

    def check_request(self, request: httpx.Request) -> None:
        self.requests.append(request)
        assert request.headers.get("authorization") == f"Bearer {TOKEN}", "the bearer token is missing"
        errors = request_errors(request)
        if errors:
            raise AssertionError(f"request does not match X's OpenAPI: {request.method} {request.url}: {errors}")

    def params(self, index: int = -1) -> dict[str, str]:
        return dict(self.requests[index].url.params)

    def json(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)

