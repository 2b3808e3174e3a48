"""A stand-in Graph API for the Meta connector tests: routes by method and
path, answers with fixtures shaped from Meta's documentation, and records
every request so tests can check what was sent."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from warden.connectors.base import AccountRef
from warden.connectors.meta.graph import GRAPH_VERSION

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TOKEN = "EAAGm0PX4ZCpsBAPageTokenSecret123"
APP_SECRET = "app-secret-0123456789abcdef"
VERIFY_TOKEN = "verify-me-please"
PAGE_ID = "1234567890"
IG_USER_ID = "17841400000000001"
CREDENTIALS = {"access_token": TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
Answer = Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> Any:
    """A fixture file: JSON after its leading ``//`` lines, which cite the doc page."""
    lines = (FIXTURES / f"{name}.jsonc").read_text().splitlines()
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    return json.loads("\n".join(lines))


def reply(body: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=copy.deepcopy(body), headers=headers)
    return answer


def batched(body: Any, code: int = 200) -> Answer:
    """A batch request's answer: one object per request, each body a JSON string
    (https://developers.facebook.com/docs/graph-api/batch-requests)."""
    return reply([{"code": code, "body": json.dumps(body)}])


def raw(content: bytes, status: int = 200) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": "application/json"})
    return answer


def fail(error: type[httpx.HTTPError]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)  # type: ignore[call-arg]
    return answer


class FakeGraph:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Answer) -> FakeGraph:
        """Answer ``method /{version}/{path}`` with ``answers`` in turn (the last one repeats)."""
        self.routes[(method, path)] = list(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix(f"/{GRAPH_VERSION}/")
        answers = self.routes.get((request.method, path))
        if not answers:
            return httpx.Response(400, json={"error": {"message": f"no fake route for {request.method} {path}",
                                                       "type": "GraphMethodException", "code": 100}})
        return (answers.pop(0) if len(answers) > 1 else answers[0])(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self), base_url="https://unused.invalid")

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == f"/{GRAPH_VERSION}/{path}"]

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix(f'/{GRAPH_VERSION}/')}" for r in self.requests]


def form(request: httpx.Request) -> dict[str, str]:
    """The urlencoded body of a request, one value per field."""
    return {k: v[0] for k, v in parse_qs(request.content.decode(), keep_blank_values=True).items()}


def facebook_account(**settings: Any) -> AccountRef:
    return AccountRef(id="acc-fb", network="facebook", handle="Example Constabulary",
                      settings={"page_id": PAGE_ID, "graph_url": "https://graph.test", **settings})


def instagram_account(**settings: Any) -> AccountRef:
    return AccountRef(id="acc-ig", network="instagram", handle="@exampleconstabulary",
                      settings={"ig_user_id": IG_USER_ID, "page_id": PAGE_ID, "graph_url": "https://graph.test",
                                **settings})
