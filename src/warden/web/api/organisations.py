"""The caller's organisation, its teams and members, lockdown, whether a second factor is required."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field, SecretStr

from warden.web import queries
from warden.web.api.deps import Caller, PageParams, State
from warden.web.idempotency import IdempotentRoute
from warden.web.pagination import Page
from warden.web.schemas import MemberOut, OrganisationOut, TeamOut
from warden.workflow import organisations
from warden.workflow.principal import Role

router = APIRouter(tags=["organisation"], route_class=IdempotentRoute)


class TeamIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class RoleIn(BaseModel):
    team_id: uuid.UUID
    role: Role


class MemberIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    display_name: str = Field(min_length=1, max_length=200)
    password: SecretStr | None = Field(default=None, max_length=128,
                                       description="Omit for a member who signs in with single sign-on only.")
    roles: list[RoleIn] = Field(default_factory=list, max_length=100)


class RolesIn(BaseModel):
    roles: list[RoleIn] = Field(max_length=100)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class MfaRequirementIn(BaseModel):
    required: bool = Field(description="true: every member needs a second factor; false: members may choose.")
    reason: str = Field(default="", max_length=2000, description="Why; required when switching it off.")


def _roles(roles: list[RoleIn]) -> dict[uuid.UUID, list[str]]:
    by_team: dict[uuid.UUID, list[str]] = defaultdict(list)
    for item in roles:
        by_team[item.team_id].append(item.role.value)
    return dict(by_team)


@router.get("/organisations/me", response_model=OrganisationOut)
def my_organisation(principal: Caller, state: State) -> OrganisationOut:
    return queries.organisation_view(state.sessions, principal)


@router.put("/organisations/me/mfa", response_model=OrganisationOut)
def set_mfa_requirement(body: MfaRequirementIn, principal: Caller, state: State) -> OrganisationOut:
    """Require a second factor of every member, or stop requiring one (admins, with a recent sign-in; to switch
    it on, signed in with a second factor yourself). Members without one are sent to enrol at their next
    request, and their API tokens stop working until they have. Setting what is already set changes nothing."""
    organisations.set_mfa_required(state.sessions, principal, required=body.required, reason=body.reason,
                                   clock=state.clock)
    return queries.organisation_view(state.sessions, principal)


@router.get("/teams", response_model=Page[TeamOut])
def list_teams(principal: Caller, state: State, page: PageParams) -> Page[TeamOut]:
    return queries.list_teams(state.sessions, principal, page)


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, principal: Caller, state: State) -> TeamOut:
    team_id = organisations.create_team(state.sessions, principal, body.name, clock=state.clock)
    return queries.team_view(state.sessions, principal, team_id)


@router.get("/members", response_model=Page[MemberOut])
def list_members(principal: Caller, state: State, page: PageParams,
                 status: Annotated[Literal["active", "removed"] | None, Query()] = None) -> Page[MemberOut]:
    return queries.list_members(state.sessions, principal, page, status)


@router.post("/members", response_model=MemberOut, status_code=201)
def add_member(body: MemberIn, principal: Caller, state: State) -> MemberOut:
    member_id = organisations.add_member(
        state.sessions, principal, email=body.email, display_name=body.display_name,
        password=body.password.get_secret_value() if body.password else None, roles=_roles(body.roles),
        hasher=state.hasher, clock=state.clock)
    return queries.get_member(state.sessions, principal, member_id)


@router.get("/members/{member_id}", response_model=MemberOut)
def get_member(member_id: uuid.UUID, principal: Caller, state: State) -> MemberOut:
    return queries.get_member(state.sessions, principal, member_id)


@router.put("/members/{member_id}/roles", response_model=MemberOut)
def set_roles(member_id: uuid.UUID, body: RolesIn, principal: Caller, state: State) -> MemberOut:
    organisations.set_roles(state.sessions, principal, member_id, _roles(body.roles), clock=state.clock)
    return queries.get_member(state.sessions, principal, member_id)


@router.delete("/members/{member_id}", status_code=204)
def remove_member(member_id: uuid.UUID, body: Annotated[ReasonIn, Body()], principal: Caller,
                  state: State) -> Response:
    """A leaver: their sessions and API tokens stop working at once."""
    organisations.remove_member(state.sessions, principal, member_id, reason=body.reason, clock=state.clock)
    return Response(status_code=204)


@router.post("/members/{member_id}/second-factor/reset", response_model=MemberOut)
def reset_second_factor(member_id: uuid.UUID, body: ReasonIn, principal: Caller, state: State) -> MemberOut:
    """A member who lost their authenticator app and recovery codes (admins, with a recent sign-in; not for
    yourself: enrol again instead). Their app, recovery codes, sessions and API tokens stop working at once;
    they sign in with their password alone and, where a second factor is required, enrol a new one first."""
    organisations.reset_second_factor(state.sessions, principal, member_id, reason=body.reason, clock=state.clock)
    return queries.get_member(state.sessions, principal, member_id)


@router.post("/lockdown", response_model=OrganisationOut)
def lock_down(body: ReasonIn, principal: Caller, state: State) -> OrganisationOut:
    """Suspend all publishing and network actions for everyone, at once."""
    organisations.set_lockdown(state.sessions, principal, locked=True, reason=body.reason, clock=state.clock)
    return queries.organisation_view(state.sessions, principal)


@router.delete("/lockdown", response_model=OrganisationOut)
def lift_lockdown(body: Annotated[ReasonIn, Body()], principal: Caller, state: State) -> OrganisationOut:
    organisations.set_lockdown(state.sessions, principal, locked=False, reason=body.reason, clock=state.clock)
    return queries.organisation_view(state.sessions, principal)
