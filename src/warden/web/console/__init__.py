"""The console: server-rendered pages (Jinja2 + htmx) over the workflow and the read queries.

``install(app)`` mounts it at ``/`` next to the API (``/api/v1``): the pages, and
the console's own static files (``/static``: our CSS and JavaScript, and the
vendored htmx, Chart.js and axe-core, see ``static/vendor/VENDOR.json``).
Every page works under the application's strict Content-Security-Policy: no
inline script, no inline style, no event-handler attributes.
"""

from __future__ import annotations

import contextlib
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from warden.domain.errors import WardenError
from warden.web.console import (
    pages_accounts,
    pages_admin,
    pages_approvals,
    pages_audit,
    pages_auth,
    pages_compose,
    pages_dashboard,
    pages_inbox,
    pages_policy,
)
from warden.web.console.guard import TITLES, SignInRequired, error_page, resolve_caller
from warden.web.errors import headers_for, response_for, status_for

__all__ = ["install", "install_error_pages"]


class ConsoleStatic(StaticFiles):
    """Static files, revalidated by ETag (``no-cache``) instead of the API's ``no-store``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", b"no-cache")]}
            await send(message)

        await super().__call__(scope, receive, send_cached)


def static_directory() -> str:
    return str(resources.files("warden.web.console") / "static")


def install(app: FastAPI) -> None:
    app.mount("/static", ConsoleStatic(directory=static_directory()), name="static")
    for module in (pages_auth, pages_compose, pages_approvals, pages_inbox, pages_accounts, pages_policy,
                   pages_audit, pages_dashboard, pages_admin):
        app.include_router(module.router)


#: API addresses a browser navigates to (single sign-on): a refusal there is a page, not JSON.
BROWSER_NAVIGATIONS = frozenset({"/api/v1/auth/sso/start", "/api/v1/auth/sso/callback"})


def _wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def install_error_pages(app: FastAPI) -> None:
    """An address that matches no route, and a refused single sign-on, answer a browser with a page,
    not the API's JSON (after ``errors.install``, whose handlers these replace for those errors)."""

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, WardenError)
        status = status_for(error)
        if request.url.path not in BROWSER_NAVIGATIONS or not _wants_page(request) or status >= 500:
            return response_for(error)
        page = error_page(request, status, "Single sign-on did not work",
                          f"{error.message[:300]}. Go back to the sign-in page to try again.")
        page.headers.update(headers_for(error))  # a 429 page says when, as the JSON does
        return page

    app.add_exception_handler(WardenError, refused)

    async def handle(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        wants_page = not request.url.path.startswith("/api/") and _wants_page(request)
        if not wants_page or not 400 <= error.status_code < 500:
            return response_for(error)
        with contextlib.suppress(SignInRequired):
            resolve_caller(request)  # a signed-in member keeps the menu
        message = ("There is no page at this address. Check the address, or start again from the menu."
                   if error.status_code == 404 else "The request could not be handled.")
        return error_page(request, error.status_code, TITLES.get(error.status_code, "That did not work"), message)

    app.add_exception_handler(StarletteHTTPException, handle)
