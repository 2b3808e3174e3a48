"""Accounts: the health of every connected account (connection, last fetch, rate limits, errors),
connecting (the network's OAuth) and disconnecting them, and the lockdown switch, which suspends
all publishing and network actions at once (administrators, with a written reason and fresh
re-authentication)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from warden.auth.errors import InvalidCredentials, InvalidMfaCode, MfaRequired, StepUpRequired, TooManyAttempts
from warden.auth.redaction import Secret
from warden.connectors.oauth import OAUTH_NETWORKS, ConnectFailed
from warden.domain.errors import WardenError
from warden.web import queries
from warden.web.api.connect import begin, keep_binding
from warden.web.console import forms, reads
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, see_other
from warden.web.console.pages_approvals import step_up
from warden.web.console.templating import render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.pagination import PageRequest
from warden.web.state import get_state
from warden.workflow import accounts as account_actions
from warden.workflow import organisations
from warden.workflow.permissions import Permission, allowed

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Short = Annotated[str, Form(max_length=4000)]
HEALTH: Mapping[str, tuple[str, str]] = {
    "connected": ("Connected", "ok"), "disconnected": ("Not connected", "info"),
    "rate_limited": ("Rate limited: waiting", "warn"), "degraded": ("Failing: retrying", "warn"),
    "not_fetched": ("Not fetched (the network offers no reading)", "warn"),
    "auth_failed": ("Sign-in refused: reconnect it", "bad"),
}


def accounts_page(request: Request, caller: Caller, *, status: int = 200, error: str = "",
                  reason: str = "", error_for: str = "lockdown-reason") -> Response:
    state = get_state(request)
    principal = caller.principal
    page = queries.list_accounts(state.sessions, principal, PageRequest(limit=200, cursor=None), None, None)
    sync = reads.account_sync(state.sessions, principal, [a.id for a in page.items])
    teams = reads.team_names(state.sessions, principal)
    return render(request, "accounts.html", status=status, accounts=page.items, sync=sync, teams=teams,
                  health=HEALTH, organisation=queries.organisation_view(state.sessions, principal),
                  may_lock=allowed(principal, Permission.ORG_ADMIN), mfa_enabled=caller.mfa_enabled, error=error,
                  reason=reason, current="accounts", may_connect=allowed(principal, Permission.ACCOUNT_ADMIN),
                  oauth_networks=OAUTH_NETWORKS, error_for=error_for)


@router.get("/accounts")
def accounts(request: Request, caller: PageCaller) -> Response:
    return accounts_page(request, caller)


@router.post("/accounts/lockdown")
def lockdown(request: Request, caller: FormCaller, lock: Short = "", reason: Short = "", confirm: Short = "",
             password: Annotated[str, Form(max_length=4096)] = "", code: Short = "") -> Response:
    state = get_state(request)
    locking = lock == "on"
    if locking and confirm != "yes":
        return accounts_page(request, caller, status=422, reason=reason,
                             error="Confirm that you want to stop all publishing and network actions.")
    try:
        forms.text(reason, "reason")
        fresh = step_up(request, caller, password, code)
        organisations.set_lockdown(state.sessions, fresh.principal, locked=locking, reason=reason, clock=state.clock)
    except (InvalidCredentials, InvalidMfaCode, MfaRequired) as error:
        message = ("Enter the code from your authenticator app as well." if isinstance(error, MfaRequired)
                   else "The password or code is not right.")
        return accounts_page(request, caller, status=401, error=message, reason=reason)
    except (TooManyAttempts, StepUpRequired) as error:
        return accounts_page(request, caller, status=status_for(error), error=error.message, reason=reason)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input", "invalid_state"):
            raise
        return accounts_page(request, caller, status=status_for(error), error=error.message, reason=reason)
    return see_other("/accounts?done=" + ("locked" if locking else "unlocked"))


@router.post("/accounts/{account_id}/connect")
def connect(request: Request, caller: FormCaller, account_id: uuid.UUID, client_id: Short = "",
            client_secret: Short = "") -> Response:
    """Start the network's OAuth flow, then offer the link to it: a redirect straight after a form
    would break the Content-Security-Policy's form-action 'self'."""
    state = get_state(request)
    try:
        url, binding = begin(request, state, caller.principal, account_id, return_to="/accounts?done=connected",
                             client_id=forms.text(client_id, "app id").strip() or None,
                             client_secret=Secret(client_secret.strip()) if client_secret.strip() else None)
    except ConnectFailed as error:  # the network refused, or no OAuth for this network
        return accounts_page(request, caller, status=error.status, error=error.message,
                             error_for=f"connect-{account_id}")
    except WardenError as error:
        if error.code not in ("invalid_input", "invalid_state"):
            raise
        return accounts_page(request, caller, status=status_for(error), error=error.message,
                             error_for=f"connect-{account_id}")
    account = queries.get_account(state.sessions, caller.principal, account_id)
    response = render(request, "connect_continue.html", account=account, authorize_url=url, current="accounts")
    keep_binding(response, state, binding)
    return response


@router.post("/accounts/{account_id}/disconnect")
def disconnect(request: Request, caller: FormCaller, account_id: uuid.UUID, reason: Short = "",
               confirm: Short = "") -> Response:
    state = get_state(request)
    field = f"disconnect-reason-{account_id}"
    if confirm != "yes":
        return accounts_page(request, caller, status=422, error="Confirm that Warden should forget this account's "
                             "sign-in and stop reading it.", error_for=field)
    try:
        account_actions.disconnect(state.sessions, caller.principal, account_id, forms.text(reason, "reason"),
                                   clock=state.clock)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input", "invalid_state"):
            raise
        return accounts_page(request, caller, status=status_for(error), error=error.message, error_for=field)
    return see_other("/accounts?done=disconnected")
