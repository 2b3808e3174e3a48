"""Connecting accounts with the network's OAuth flow (``workflow.connecting``).

- ``POST /accounts/{id}/connect`` (ACCOUNT_ADMIN) -> ``{"authorize_url"}``: send the browser there.
  Mastodon registers Warden on the instance when needed; X and Facebook/Instagram need the
  organisation's app (``client_id``/``client_secret``: in the body or already in the account's
  credentials). Bluesky has no OAuth: set an app password as the account's credentials.
- ``GET /accounts/connect/callback`` (register ``<public_url>/api/v1/accounts/connect/callback``
  at the network): the network sends the browser back here; the tokens are stored and the browser
  is sent (303) to the console's accounts page, or, with ``Accept: application/json``, the answer
  is JSON. The flow is bound to the browser by a ``SameSite=Lax`` cookie (the session cookie is
  ``Strict`` and is not sent on the way back) or to the same member when the callback request is
  authenticated.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import httpx
from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, SecretStr

from warden.auth.redaction import Secret
from warden.connectors.oauth import ConnectFailed
from warden.domain.errors import WardenError
from warden.web.api.deps import Caller, State
from warden.web.browser_binding import BrowserBinding, callback_url
from warden.web.errors import error_response
from warden.web.identity import authenticate
from warden.web.oidc import safe_return_to
from warden.web.state import WebState
from warden.workflow import connecting
from warden.workflow.principal import Principal

router = APIRouter(prefix="/accounts", tags=["accounts"])
#: A browser navigation from the network, not an API call: not in the OpenAPI document.
public = APIRouter(prefix="/accounts", tags=["accounts"], include_in_schema=False)

CALLBACK_ROUTE = "account_connect_callback"
BINDING = BrowserBinding("__Host-warden_connect", "warden_connect")


class ConnectIn(BaseModel):
    client_id: str | None = Field(default=None, min_length=1, max_length=200,
                                  description="The organisation's app at the network (X OAuth 2.0 client id, "
                                              "Meta app id). Not needed for Mastodon.")
    client_secret: SecretStr | None = Field(default=None, max_length=500,
                                            description="The app's secret (X confidential client, Meta app "
                                                        "secret): stored encrypted, never returned.")
    return_to: str = Field(default="/accounts", max_length=500,
                           description="A path on this site to send the browser to afterwards.")


class ConnectOut(BaseModel):
    authorize_url: str = Field(description="Send the browser here (a full-page navigation).")


def _failure(error: ConnectFailed) -> Response:
    response = error_response(error.status, error.code, error.message)
    response.headers["cache-control"] = "no-store"
    return response


def begin(request: Request, state: WebState, principal: Principal, account_id: uuid.UUID, *, return_to: str,
          client_id: str | None, client_secret: Secret[str] | None) -> tuple[str, str]:
    """Start connecting for this browser (the API and the console): the network's authorisation URL
    and the browser's binding, which ``keep_binding`` puts in a cookie; only that browser (or the
    same member) may complete the flow."""
    binding = BINDING.value(request, state)
    with httpx.Client(timeout=connecting.NETWORK_TIMEOUT, follow_redirects=False) as http:
        url = connecting.begin_connect(state.sessions, principal, state.cipher, http, account_id=account_id,
                                       redirect_uri=callback_url(state, request, CALLBACK_ROUTE),
                                       browser_binding=binding, return_to=safe_return_to(return_to),
                                       client_id=client_id, client_secret=client_secret, clock=state.clock)
    return url, binding


def keep_binding(response: Response, state: WebState, binding: str) -> None:
    BINDING.keep(response, state, binding, connecting.LIFETIME)
    response.headers["cache-control"] = "no-store"


@router.post("/{account_id}/connect", response_model=ConnectOut)
def start_connect(account_id: uuid.UUID, request: Request, response: Response, principal: Caller, state: State,
                  body: Annotated[ConnectIn | None, Body()] = None) -> Response | ConnectOut:
    """Connect the account with the network's OAuth flow; audited."""
    body = body or ConnectIn()
    secret = Secret(body.client_secret.get_secret_value()) if body.client_secret is not None else None
    try:
        url, binding = begin(request, state, principal, account_id, return_to=body.return_to,
                             client_id=body.client_id, client_secret=secret)
    except ConnectFailed as error:
        return _failure(error)
    keep_binding(response, state, binding)
    return ConnectOut(authorize_url=url)


@public.get("/connect/callback", name=CALLBACK_ROUTE, status_code=303, response_class=RedirectResponse)
def connect_callback(request: Request, state: State) -> Response:
    """Where the network sends the browser back (register this URL with the network's app)."""
    member_id: uuid.UUID | None = None
    if "authorization" in request.headers or request.cookies.get(state.cookie_name):
        try:
            member_id = authenticate(request).principal.member_id
        except WardenError:
            member_id = None
    try:
        with httpx.Client(timeout=connecting.NETWORK_TIMEOUT, follow_redirects=False) as http:
            done = connecting.complete_connect(state.sessions, state.cipher, http,
                                               params=dict(request.query_params),
                                               browser_binding=BINDING.presented(request, state),
                                               caller_member_id=member_id, clock=state.clock)
    except ConnectFailed as error:
        return _failure(error)
    if "application/json" in request.headers.get("accept", ""):
        answer: Response = JSONResponse({"account_id": str(done.account_id), "network": done.network,
                                         "connected": True})
    else:
        separator = "&" if "?" in done.return_to else "?"
        answer = RedirectResponse(f"{done.return_to}{separator}connected={done.account_id}", status_code=303)
    answer.headers["cache-control"] = "no-store"
    return answer
