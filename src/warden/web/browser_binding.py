"""Binding a browser-navigated flow (single sign-on, connecting an account) to the browser that
started it: a random value in an HttpOnly cookie, whose digest the server keeps with the flow, so an
answer carried to another browser (login CSRF) is refused."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response

from warden.web.state import WebState

_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class BrowserBinding:
    secure_name: str  # ``__Host-`` prefixed: only over HTTPS, only this host
    plain_name: str  # development over plain HTTP

    def cookie_name(self, state: WebState) -> str:
        return self.secure_name if state.settings.cookie_secure else self.plain_name

    def presented(self, request: Request, state: WebState) -> str:
        """The value this browser sent ("" when none)."""
        return request.cookies.get(self.cookie_name(state), "")

    def value(self, request: Request, state: WebState) -> str:
        """This browser's value: the one it has (several tabs may run a flow at once), or a new one."""
        value = self.presented(request, state)
        return value if _VALUE.fullmatch(value) else secrets.token_urlsafe(32)

    def keep(self, response: Response, state: WebState, value: str, lifetime: timedelta) -> None:
        response.set_cookie(self.cookie_name(state), value, max_age=int(lifetime.total_seconds()), path="/",
                            secure=state.settings.cookie_secure, httponly=True, samesite="lax")


def callback_url(state: WebState, request: Request, route: str) -> str:
    """The absolute address of ``route`` that a network or identity provider sends the browser back to."""
    base = state.settings.public_url or str(request.base_url)
    return base.rstrip("/") + str(request.app.url_path_for(route))
