"""One account's view of the Graph API: versioned URLs, the token, and every
failure turned into ``warden.connectors.errors``.

The token travels in the ``Authorization`` header, never in a URL, so it
cannot end up in an error message or a log. When the app secret is known each
call carries ``appsecret_proof`` (an HMAC of the token), which Meta asks
server-side apps to send.

Graph reports failures in the JSON body whatever the HTTP status (an expired
token is a 400 with code 190), so responses are classified here by
``limits.failure`` rather than by status alone; transport failures follow the
same rules as ``warden.connectors.http.request``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from warden.connectors.errors import OutcomeUnknown, Rejected, Transient
from warden.connectors.http import json_body, now_utc, send
from warden.connectors.meta.fields import NODE_ID, after_cursor, mapping
from warden.connectors.meta.limits import failure

GRAPH_VERSION = "v21.0"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
Stop = Callable[[list[Mapping[str, Any]]], bool]


def graph_root(value: object) -> str:
    """The Graph host from the account's ``graph_url`` setting: https (http only
    on this machine), no credentials, path, query or fragment."""
    raw = value if isinstance(value, str) and value.strip() else DEFAULT_GRAPH_URL
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, TypeError) as error:
        raise Rejected("the account's graph_url is not a URL") from error
    secure = url.scheme == "https" or (url.scheme == "http" and url.host in _LOOPBACK)
    if not secure or not url.host or url.userinfo or url.query or url.fragment or url.path not in ("", "/"):
        raise Rejected("the account's graph_url must be an https origin such as https://graph.facebook.com")
    return str(url.copy_with(path="/")).rstrip("/")


def node(value: object) -> str:
    """An id for a URL path, or Rejected (it came from a network or a person)."""
    if not isinstance(value, str) or not NODE_ID.fullmatch(value):
        raise Rejected("not a Graph object id")
    return value


class Graph:
    def __init__(self, http: httpx.Client, *, root: str, token: str, app_secret: str | None = None,
                 clock: Callable[[], datetime] = now_utc) -> None:
        self._http = http
        self._root = root
        self._token = token
        self._proof = (hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
                       if app_secret else None)
        self.clock = clock

    def __repr__(self) -> str:  # never the token
        return f"Graph({self._root!r}, {GRAPH_VERSION})"

    def send(self, method: str, path: str, *, writes: bool = False, acting: bool = False,
             params: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
             files: Mapping[str, Any] | None = None, token: str | None = None) -> httpx.Response:
        """One request to ``/{version}/{path}``; only connector errors escape.
        ``token`` replaces the account's (the app token for ``debug_token``)."""
        what = f"{method} /{GRAPH_VERSION}/{path}"
        query = dict(params or {})
        if token is None and self._proof:
            query["appsecret_proof"] = self._proof
        headers = {"Authorization": f"Bearer {token or self._token}", "Accept": "application/json"}
        response = send(self._http, method, f"{self._root}/{GRAPH_VERSION}/{path}", writes=writes, what=what,
                        params=query, data=dict(data) if data else None, files=files, headers=headers)
        if not response.is_success:
            raise failure(response, what, writes=writes, acting=acting, now=self.clock(),
                          secrets=tuple(s for s in (token, self._token) if s))
        return response

    def body(self, response: httpx.Response, *, writes: bool = False) -> Mapping[str, Any]:
        """A JSON object, or the failure a malformed answer means."""
        value = json_body(response, writes=writes)
        if not isinstance(value, dict):
            what = f"{response.request.method} {response.request.url.path}"
            raise (OutcomeUnknown if writes else Transient)(f"{what}: expected a JSON object")
        return value

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            token: str | None = None) -> Mapping[str, Any]:
        return self.body(self.send("GET", path, params=params, token=token))

    def batch_get(self, relative_url: str, *, token: str | None = None) -> Mapping[str, Any]:
        """A GET sent inside a batch request (https://developers.facebook.com/docs/graph-api/batch-requests),
        so that its query (``debug_token``'s ``input_token``) travels in a POST
        body rather than in a URL that an HTTP log would keep."""
        batch = json.dumps([{"method": "GET", "relative_url": relative_url}])
        response = self.send("POST", "", data={"batch": batch, "include_headers": "false"}, token=token)
        answers = json_body(response)
        first = answers[0] if isinstance(answers, list) and answers and isinstance(answers[0], dict) else {}
        code, content = first.get("code"), first.get("body")
        if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599 \
                or not isinstance(content, str):
            raise Transient(f"POST /{GRAPH_VERSION}/: the batch answer is malformed")
        inner = httpx.Response(code, content=content.encode(), request=response.request)
        if not inner.is_success:
            raise failure(inner, f"GET /{GRAPH_VERSION}/{relative_url.split('?')[0]} (batched)", writes=False,
                          acting=False, now=self.clock(), secrets=tuple(s for s in (token, self._token) if s))
        return self.body(inner)

    def act(self, method: str, path: str, data: Mapping[str, Any] | None = None,
            files: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        """A change that publishes nothing or is safe to repeat (hide, delete,
        block, an unpublished upload): a lost answer is Transient."""
        return self.body(self.send(method, path, data=data, files=files, acting=True))

    def write(self, path: str, data: Mapping[str, Any], files: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        """A change that may publish something: failures after sending are OutcomeUnknown."""
        return self.body(self.send("POST", path, data=data, files=files, writes=True, acting=True), writes=True)

    def collect(self, path: str, params: Mapping[str, Any], *, first: object = None,
                stop: Stop | None = None, max_pages: int = 5) -> tuple[list[Mapping[str, Any]], bool]:
        """The items of an edge, page by page, until Graph has no more, ``stop``
        says enough (checked on each page) or ``max_pages`` were read.
        ``first`` is the edge's first page when it came nested in another
        answer. Returns the items and whether the walk ended naturally."""
        items: list[Mapping[str, Any]] = []
        page = first if first is not None else self.get(path, params)
        for fetched in range(1, max_pages + 1):
            data = mapping(page).get("data")
            if not isinstance(data, list):
                if first is not None and fetched == 1 and not mapping(page):
                    return items, True  # a nested edge Graph left out: it is empty
                raise Transient(f"GET /{GRAPH_VERSION}/{path}: the answer has no data list")
            batch: list[Mapping[str, Any]] = [item for item in data if isinstance(item, dict)]
            items.extend(batch)
            after = after_cursor(page)
            if after is None or (stop is not None and stop(batch)):
                return items, True
            if fetched == max_pages:
                break
            page = self.get(path, {**params, "after": after})
        return items, False


def confirmed(body: Mapping[str, Any]) -> bool:
    """Graph's ``{"success": true}`` answer to a change."""
    return body.get("success") is True or body.get("success") == "true"
