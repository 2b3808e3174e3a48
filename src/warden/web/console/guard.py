"""Who is looking at a console page, and what a page answers when something fails.

- ``page_caller``: the signed-in member behind the session cookie, or a redirect
  to the sign-in page (never a JSON 401).
- ``form_caller``: the same for a state-changing request, which must carry the
  session's CSRF token (form field ``csrf_token``, or the ``X-CSRF-Token``
  header that the console's script adds to htmx requests) and must not be
  cross-site (``Sec-Fetch-Site``).
- ``ConsoleRoute``: workflow and validation errors become an HTML page (or, for
  htmx, an HTML fragment) with the error's own message and the status the API
  would use (``web.errors.status_for``); nothing else is ever shown.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from warden.auth.errors import AuthError, CsrfFailed, MfaRequired, StepUpRequired
from warden.domain.errors import WardenError
from warden.web.console.templating import render
from warden.web.errors import status_for
from warden.web.identity import Caller, resolve_session
from warden.web.state import CSRF_HEADER, get_state

log = logging.getLogger("warden.web.console")

#: Codes that mean "this browser is not (or no longer) signed in".
SIGNED_OUT = frozenset({"not_authenticated", "invalid_token", "session_expired", "token_expired", "token_revoked"})


class Redirect(Exception):  # control flow, not an error
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class SignInRequired(Exception):
    pass


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site is followed after sign-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return default
    return target


def resolve_caller(request: Request) -> Caller:
    """The signed-in member of this request (``SignInRequired`` when there is none)."""
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    state = get_state(request)
    cookie = request.cookies.get(state.cookie_name)
    if not cookie:
        raise SignInRequired
    try:
        caller = resolve_session(state, cookie)
    except AuthError as error:
        raise SignInRequired from error
    request.state.caller = caller
    return caller


def page_caller(request: Request) -> Caller:
    caller = resolve_caller(request)
    if caller.mfa_enrolment_required:
        raise Redirect("/account/second-factor")
    return caller


def _same_site(request: Request) -> None:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CsrfFailed("the form did not come from this site; reload and try again")


def form_caller(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Caller:
    """A state-changing request: signed in, same site, and carrying the session's CSRF token."""
    caller = resolve_caller(request)
    _same_site(request)
    assert caller.session_id is not None
    get_state(request).csrf.verify(caller.session_id, request.headers.get(CSRF_HEADER) or csrf_token)
    if caller.mfa_enrolment_required:
        raise Redirect("/account/second-factor")
    return caller


def enrolling_form_caller(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Caller:
    """As ``form_caller``, for a member who still has to enrol a second factor (enrolling, signing out)."""
    caller = resolve_caller(request)
    _same_site(request)
    assert caller.session_id is not None
    get_state(request).csrf.verify(caller.session_id, request.headers.get(CSRF_HEADER) or csrf_token)
    return caller


PageCaller = Annotated[Caller, Depends(page_caller)]
FormCaller = Annotated[Caller, Depends(form_caller)]
EnrollingFormCaller = Annotated[Caller, Depends(enrolling_form_caller)]


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def error_page(request: Request, status: int, title: str, message: str, **extra: Any) -> Response:
    template = "partials/error.html" if is_htmx(request) else "error.html"
    headers = {"HX-Reswap": "none"} if is_htmx(request) and status >= 500 else {}
    # htmx swaps 4xx fragments too (console.js allows it), so the message appears where the answer was due.
    return render(request, template, status=status, headers=headers, title=title, message=message, **extra)


TITLES = {400: "The request was not valid", 401: "Confirm it is you", 403: "You cannot do that here",
          404: "Page not found", 409: "This has changed", 413: "Too large", 422: "Check what you entered",
          423: "Locked down", 429: "Too many attempts"}


def _for_error(request: Request, error: Exception) -> Response:
    if isinstance(error, Redirect):
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": error.location})
        return see_other(error.location)
    if isinstance(error, SignInRequired) or (isinstance(error, WardenError) and error.code in SIGNED_OUT):
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": "/sign-in"})
        target = request.url.path if request.method == "GET" else "/"
        return see_other("/sign-in" if target == "/" else f"/sign-in?next={quote(target, safe='/')}")
    if isinstance(error, WardenError) and not isinstance(error, StepUpRequired | MfaRequired):
        status = status_for(error)
        if status < 500:
            return error_page(request, status, TITLES.get(status, "That did not work"), error.message)
    if isinstance(error, StepUpRequired | MfaRequired):
        return error_page(request, 401, TITLES[401], error.message)
    if isinstance(error, RequestValidationError):
        return error_page(request, 422, TITLES[422], "Some of what was sent is missing or too long.")
    if isinstance(error, StaleDataError):
        return error_page(request, 409, TITLES[409], "Someone changed this since you saw it; reload and try again.")
    if isinstance(error, IntegrityError):
        return error_page(request, 409, TITLES[409], "This conflicts with an existing record.")
    if isinstance(error, StarletteHTTPException) and 400 <= error.status_code < 500:
        return error_page(request, error.status_code, TITLES.get(error.status_code, "That did not work"),
                          "The request could not be handled.")
    reference = secrets.token_hex(8)
    log.error("unexpected error on a console page (reference %s)", reference, exc_info=error)
    return error_page(request, 500, "Something went wrong",
                      f"The server could not complete the request. Reference: {reference}.")


class ConsoleRoute(APIRoute):
    """Every console route answers in HTML, errors included."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:  # every failure becomes a page; unexpected ones are logged
                return _for_error(request, error)

        return guarded
