"""Accounts: the health of every connected account (connection, last fetch, rate limits, errors) and
the lockdown switch, which suspends all publishing and network actions at once (administrators,
with a written reason and fresh re-authentication)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from warden.auth.errors import InvalidCredentials, InvalidMfaCode, MfaRequired, StepUpRequired, TooManyAttempts
from warden.domain.errors import WardenError
from warden.web import queries
from warden.web.console import forms, reads
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, see_other
from warden.web.console.pages_approvals import step_up
from warden.web.console.templating import render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.pagination import PageRequest
from warden.web.state import get_state
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
                  reason: str = "") -> Response:
    state = get_state(request)
    principal = caller.principal
    page = queries.list_accounts(state.sessions, principal, PageRequest(limit=200, cursor=None), None, None)
    sync = reads.account_sync(state.sessions, principal, [a.id for a in page.items])
    teams = reads.team_names(state.sessions, principal)
    return render(request, "accounts.html", status=status, accounts=page.items, sync=sync, teams=teams,
                  health=HEALTH, organisation=queries.organisation_view(state.sessions, principal),
                  may_lock=allowed(principal, Permission.ORG_ADMIN), mfa_enabled=caller.mfa_enabled, error=error,
                  reason=reason, current="accounts")


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
