"""Admin (administrators): the organisation's settings, its members with their roles per team (add,
change roles, remove) and the administrator's own API tokens (list, create with scopes, revoke).

Every change goes through the same functions as the API: ``workflow.organisations`` for members
(role changes and removal need step-up there, so those forms ask for the password again and
re-authenticate through ``pages_approvals.step_up``, the console's one re-authentication flow) and
``web.tokens`` for tokens (creating one is sensitive too; the secret is shown once, on the answer to
the form, and never again). Requiring a second factor of every member is a switch with a
confirmation, the password again and, to switch it off, a reason (``organisations.set_mfa_required``);
members without one are then sent to enrol at their next page (``guard.page_caller``). A member who
lost their authenticator app and recovery codes has it reset by another administrator (a reason, a
confirmation, the password again: ``organisations.reset_second_factor``); they are signed out everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from warden.auth.errors import InvalidCredentials, InvalidMfaCode, MfaRequired, StepUpRequired, TooManyAttempts
from warden.auth.tokens import MAX_API_TOKEN_LIFETIME, SCOPES
from warden.domain.errors import InvalidInput, WardenError
from warden.web import queries, tokens
from warden.web.console import forms, reads
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, see_other
from warden.web.console.pages_approvals import step_up
from warden.web.console.templating import render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.pagination import PageRequest
from warden.web.state import get_state
from warden.workflow import organisations
from warden.workflow.errors import ReasonRequired
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Short = Annotated[str, Form(max_length=4000)]
Secret = Annotated[str, Form(max_length=4096)]
Many = Annotated[list[str], Form(max_length=200)]
ROLES = tuple(r.value for r in Role)
ROLE_TITLES = {"admin": "Administrator", "approver": "Approver", "publisher": "Publisher",
               "contributor": "Contributor", "moderator": "Moderator", "auditor": "Auditor"}
REFUSED = (InvalidCredentials, InvalidMfaCode, MfaRequired)


def admin_page(request: Request, caller: Caller, *, status: int = 200, errors: Mapping[str, str] | None = None,
               values: Mapping[str, str] | None = None, new_token: str = "") -> Response:
    state = get_state(request)
    principal = caller.principal
    authorize(principal, Permission.MEMBER_ADMIN)
    members = queries.list_members(state.sessions, principal, PageRequest(limit=200, cursor=None), "active").items
    organisation = queries.organisation_view(state.sessions, principal)
    return render(request, "admin.html", status=status, organisation=organisation, members=members,
                  teams=reads.team_names(state.sessions, principal), roles=ROLES,
                  role_titles=ROLE_TITLES, tokens=tokens.list_tokens(caller, state), scopes=SCOPES,
                  max_days=MAX_API_TOKEN_LIFETIME.days, mfa_enabled=caller.mfa_enabled,
                  without_second_factor=[m for m in members if not m.mfa_enabled and not m.single_sign_on_only],
                  signed_in_with_second_factor=caller.principal.mfa_at is not None, errors=errors or {},
                  values=values or {}, new_token=new_token, current="admin")


def _roles(selected: list[str], teams: Mapping[uuid.UUID, str]) -> dict[uuid.UUID, list[str]]:
    """Checkbox values ``<team id>:<role>`` into {team: [roles]}; only this organisation's teams."""
    chosen: dict[uuid.UUID, list[str]] = {}
    for value in selected:
        team, _, role = value.partition(":")
        team_id = forms.optional_identifier(team)
        if team_id is not None and team_id in teams and role in ROLES:
            chosen.setdefault(team_id, []).append(role)
    return chosen


def _refusal(error: Exception) -> tuple[int, str]:
    if isinstance(error, MfaRequired):
        return 401, "Enter the code from your authenticator app as well."
    if isinstance(error, REFUSED):
        return 401, "The password or code is not right."
    assert isinstance(error, WardenError)
    return status_for(error), error.message


@router.get("/admin")
def admin(request: Request, caller: PageCaller) -> Response:
    return admin_page(request, caller)


@router.post("/admin/members")
def add_member(request: Request, caller: FormCaller, email: Short = "", display_name: Short = "",
               password: Secret = "", role: Many = []) -> Response:  # noqa: B006 (FastAPI form default)
    state = get_state(request)
    values = {"email": email, "display_name": display_name}
    try:
        roles = _roles(role, reads.team_names(state.sessions, caller.principal))
        organisations.add_member(state.sessions, caller.principal, email=email.strip(),
                                 display_name=forms.text(display_name, "name", max_chars=200, required=True).strip(),
                                 password=password or None, roles=roles, hasher=state.hasher, clock=state.clock)
    except WardenError as error:
        if status_for(error) not in (409, 422):
            raise
        return admin_page(request, caller, status=status_for(error), errors={"add": error.message}, values=values)
    except IntegrityError:
        return admin_page(request, caller, status=409, values=values,
                          errors={"add": "Someone with this email address is already a member."})
    return see_other("/admin?done=member_added")


@router.post("/admin/members/{member_id}/roles")
def set_roles(request: Request, member_id: uuid.UUID, caller: FormCaller, role: Many = [],  # noqa: B006
              password: Secret = "", code: Short = "") -> Response:
    state = get_state(request)
    key = f"roles:{member_id}"
    try:
        roles = _roles(role, reads.team_names(state.sessions, caller.principal))
        fresh = step_up(request, caller, password, code)
        organisations.set_roles(state.sessions, fresh.principal, member_id, roles, clock=state.clock)
    except (*REFUSED, TooManyAttempts, StepUpRequired) as error:
        status, message = _refusal(error)
        return admin_page(request, caller, status=status, errors={key: message})
    return see_other("/admin?done=roles_changed")


@router.post("/admin/members/{member_id}/remove")
def remove_member(request: Request, member_id: uuid.UUID, caller: FormCaller, reason: Short = "",
                  password: Secret = "", code: Short = "") -> Response:
    state = get_state(request)
    key = f"remove:{member_id}"
    try:
        forms.text(reason, "reason")
        if not reason.strip():
            raise ReasonRequired("say why the member is being removed")
        if member_id == caller.member_id:
            raise InvalidInput("you cannot remove yourself; ask another administrator")
        fresh = step_up(request, caller, password, code)
        organisations.remove_member(state.sessions, fresh.principal, member_id, reason=reason, clock=state.clock)
    except (*REFUSED, TooManyAttempts, StepUpRequired) as error:
        status, message = _refusal(error)
        return admin_page(request, caller, status=status, errors={key: message}, values={key: reason})
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input", "invalid_state"):
            raise
        return admin_page(request, caller, status=status_for(error), errors={key: error.message},
                          values={key: reason})
    return see_other("/admin?done=member_removed")


@router.post("/admin/members/{member_id}/second-factor/reset")
def reset_second_factor(request: Request, member_id: uuid.UUID, caller: FormCaller, reason: Short = "",
                        confirm: Short = "", password: Secret = "", code: Short = "") -> Response:
    """Clear a member's authenticator app and recovery codes and sign them out everywhere."""
    state = get_state(request)
    key = f"reset:{member_id}"
    values = {key: reason}
    try:
        forms.text(reason, "reason")
        if not reason.strip():
            raise ReasonRequired("say why the member's second factor is being reset")
        if confirm != "yes":
            raise InvalidInput("confirm that the member's authenticator app and recovery codes stop working and "
                               "that they are signed out everywhere")
        if member_id == caller.member_id:
            raise InvalidInput("you cannot reset your own second factor: set up your authenticator app again")
        fresh = step_up(request, caller, password, code)
        organisations.reset_second_factor(state.sessions, fresh.principal, member_id, reason=reason,
                                          clock=state.clock)
    except (*REFUSED, TooManyAttempts, StepUpRequired) as error:
        status, message = _refusal(error)
        return admin_page(request, caller, status=status, errors={key: message}, values=values)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input", "invalid_state"):
            raise
        return admin_page(request, caller, status=status_for(error), errors={key: error.message}, values=values)
    return see_other("/admin?done=second_factor_reset")


@router.post("/admin/mfa")
def set_mfa_requirement(request: Request, caller: FormCaller, require: Short = "", confirm: Short = "",
                        reason: Short = "", password: Secret = "", code: Short = "") -> Response:
    """Require a second factor of every member (after a confirmation), or stop requiring one (with a reason)."""
    state = get_state(request)
    requiring = require == "on"
    values = {"mfa": reason}
    if requiring and confirm != "yes":
        return admin_page(request, caller, status=422, values=values, errors={
            "mfa": "Confirm that members without a second factor must set one up before they can continue."})
    try:
        forms.text(reason, "reason")
        if not requiring and not reason.strip():
            raise ReasonRequired("say why a second factor is no longer required")
        fresh = step_up(request, caller, password, code)
        organisations.set_mfa_required(state.sessions, fresh.principal, required=requiring, reason=reason,
                                       clock=state.clock)
    except (*REFUSED, TooManyAttempts, StepUpRequired) as error:
        status, message = _refusal(error)
        return admin_page(request, caller, status=status, errors={"mfa": message}, values=values)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input", "invalid_state"):
            raise
        return admin_page(request, caller, status=status_for(error), errors={"mfa": error.message}, values=values)
    return see_other("/admin?done=" + ("mfa_required" if requiring else "mfa_not_required"))


@router.post("/admin/tokens")
def create_token(request: Request, caller: FormCaller, name: Short = "", scope: Many = [],  # noqa: B006
                 expires_in_days: Short = "90", password: Secret = "", code: Short = "") -> Response:
    state = get_state(request)
    values = {"token_name": name, "expires_in_days": expires_in_days, **{f"scope:{s}": "yes" for s in scope}}
    try:
        body = tokens.TokenIn(name=name.strip(), scopes=scope,
                              expires_in_days=int(expires_in_days) if expires_in_days.strip().isdigit() else 0)
    except ValidationError:
        message = (f"Give the token a name, at least one scope, and a lifetime of 1 to "
                   f"{MAX_API_TOKEN_LIFETIME.days} days.")
        return admin_page(request, caller, status=422, errors={"token": message}, values=values)
    try:
        fresh = step_up(request, caller, password, code)
        made = tokens.create_token(body, fresh, state)
    except (*REFUSED, TooManyAttempts, StepUpRequired) as error:
        status, message = _refusal(error)
        return admin_page(request, caller, status=status, errors={"token": message}, values=values)
    except WardenError as error:
        if error.code not in ("unknown_scope", "invalid_input"):
            raise
        return admin_page(request, caller, status=status_for(error), errors={"token": error.message}, values=values)
    return admin_page(request, fresh, status=201, new_token=made.token or "")


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: uuid.UUID, caller: FormCaller) -> Response:
    tokens.revoke_token(token_id, caller, get_state(request))
    return see_other("/admin?done=token_revoked")
