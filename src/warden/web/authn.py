"""Signing in and out, step-up, own sessions (second factor: ``web.mfa``).

- Login: organisation slug + email + password, and a TOTP (or recovery) code when
  the member has a second factor. Throttled per account, per account and
  address, and per address (``auth.throttle``); an unknown organisation or
  member costs the same argon2 work as a wrong password and gets the same answer.
- The session id (256 bits) goes in a ``__Host-`` cookie, Secure, HttpOnly,
  SameSite=Strict; only its SHA-256 is stored. The CSRF token comes back in
  the body (and from ``GET /auth/session``) and must be sent as ``X-CSRF-Token``
  on every state-changing request made with the cookie.
- Step-up (``POST /auth/reauth``): the password (and code) again; refreshes the
  session's ``authenticated_at`` / ``mfa_at`` that sensitive actions check.

Single sign-on (``web.oidc``) calls ``start_session(state, member_id, mfa=..., method="oidc", ...)``:
the same server-side session, for a member the identity provider vouched for. A member who signs
in only with single sign-on steps up there (``POST /auth/sso/reauth``); ``GET /auth/session``
says which ways this member has (``step_up``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warden.auth.errors import InvalidCredentials, InvalidMfaCode
from warden.auth.redaction import Secret
from warden.auth.tokens import issue_session
from warden.storage.tables import Member, MemberIdentity, OidcProviderRow, Organisation
from warden.storage.tables import Session as SessionRow
from warden.web.idempotency import IdempotentRoute
from warden.web.identity import Caller, any_caller, enrolling_session_caller, resolve_session
from warden.web.mfa import burn_second_factor, check_second_factor, member_object
from warden.web.schemas import OrganisationOut, RoleOut
from warden.web.state import WebState, get_state
from warden.workflow.errors import NotFound
from warden.workflow.loading import member_principal
from warden.workflow.unit import Unit

log = logging.getLogger("warden.web.auth")

public = APIRouter(prefix="/auth", tags=["auth"])
router = APIRouter(prefix="/auth", tags=["auth"], route_class=IdempotentRoute)

#: CSRF tokens are HMACs of the session id (auth.tokens.CsrfTokens), so the session row keeps no CSRF
#: secret; its ``csrf_secret`` column names the scheme instead.
CSRF_SCHEME = "hmac-sha256-v1"
State = Annotated[WebState, Depends(get_state)]
AnyCaller = Annotated[Caller, Depends(any_caller)]
SessionCaller = Annotated[Caller, Depends(enrolling_session_caller)]


class LoginIn(BaseModel):
    organisation: str = Field(min_length=1, max_length=64, description="The organisation's sign-in name (slug).")
    email: str = Field(min_length=3, max_length=320)
    password: SecretStr = Field(min_length=1, max_length=4096)
    totp_code: SecretStr | None = Field(default=None, max_length=16)
    recovery_code: SecretStr | None = Field(default=None, max_length=64)


class ReauthIn(BaseModel):
    password: SecretStr = Field(min_length=1, max_length=4096)
    totp_code: SecretStr | None = Field(default=None, max_length=16)
    recovery_code: SecretStr | None = Field(default=None, max_length=64)


class MemberSummary(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    roles: list[RoleOut]


class SessionOut(BaseModel):
    via: str
    member: MemberSummary
    organisation: OrganisationOut
    csrf_token: str | None = Field(description="Send as X-CSRF-Token on state-changing requests (sessions only).")
    authenticated_at: datetime | None
    mfa_at: datetime | None
    mfa_enabled: bool
    mfa_enrolment_required: bool
    scopes: list[str] | None = Field(description="An API token's scopes; null for a browser session.")
    method: str | None = Field(default=None, description="How this session signed in: 'password' or 'oidc' "
                                                         "(single sign-on); null for an API token.")
    step_up: list[str] = Field(default_factory=list, description="How this member can step up: 'password' "
                               "(POST /auth/reauth) and/or 'sso' (POST /auth/sso/reauth).")


class StepUpOut(BaseModel):
    authenticated_at: datetime
    mfa_at: datetime | None


class OwnSession(BaseModel):
    id: str
    current: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str


# ------------------------------------------------------------------------------------ helpers

def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookie(state: WebState, response: Response, session_id: Secret[str]) -> None:
    # No Max-Age: the cookie ends with the browser; the server enforces idle and absolute lifetimes.
    response.set_cookie(state.cookie_name, session_id.reveal(), path="/", secure=state.settings.cookie_secure,
                        httponly=True, samesite="strict")


def clear_session_cookie(state: WebState, response: Response) -> None:
    response.delete_cookie(state.cookie_name, path="/", secure=state.settings.cookie_secure, httponly=True,
                           samesite="strict")


def start_session(state: WebState, member_id: uuid.UUID, *, mfa: bool, method: str, user_agent: str, ip: str,
                  step: int | None = None, recovery_hash: str | None = None) -> Secret[str]:
    """A new server-side session for an authenticated member (password login or single sign-on)."""
    issued = issue_session()
    now = state.now()
    with state.sessions() as session:
        principal = member_principal(session, member_id)
    with Unit(state.sessions, principal, state.clock) as unit:
        burn_second_factor(unit.session, member_id, step, recovery_hash, now)
        member = unit.session.get(Member, member_id)
        assert member is not None
        unit.session.add(SessionRow(id=issued.digest, organisation_id=member.organisation_id, member_id=member_id,
                                    created_at=now, last_seen_at=now, authenticated_at=now,
                                    mfa_at=now if mfa else None, expires_at=now + state.lifetime.absolute,
                                    csrf_secret=CSRF_SCHEME, user_agent=user_agent[:400], ip=ip[:64],
                                    method=method))
        unit.record("session.started", member_object(member),
                    details={"method": method, "mfa": mfa, "recovery_code_used": recovery_hash is not None})
    return issued.session_id


def _session_out(state: WebState, caller: Caller) -> SessionOut:
    principal = caller.principal
    with state.sessions() as session:
        member = session.get(Member, caller.member_id)
        organisation = session.get(Organisation, principal.organisation_id)
        assert member is not None and organisation is not None
        return SessionOut(
            via=caller.via,
            member=MemberSummary(id=member.id, email=member.email, display_name=member.display_name,
                                 roles=[RoleOut(team_id=t, role=r.value) for t, r in sorted(principal.roles)]),
            organisation=OrganisationOut.model_validate(organisation),
            csrf_token=state.csrf.issue(caller.session_id) if caller.session_id is not None else None,
            authenticated_at=principal.authenticated_at, mfa_at=principal.mfa_at, mfa_enabled=caller.mfa_enabled,
            mfa_enrolment_required=caller.mfa_enrolment_required,
            scopes=sorted(principal.scopes) if principal.scopes is not None else None,
            method=caller.method, step_up=_step_up_methods(session, member) if caller.via == "session" else [])


def _step_up_methods(session: Session, member: Member) -> list[str]:
    methods = ["password"] if member.password_hash else []
    provider = session.get(OidcProviderRow, member.organisation_id)
    if provider is not None and provider.enabled and session.execute(select(MemberIdentity.id).where(
            MemberIdentity.member_id == member.id, MemberIdentity.issuer == provider.issuer)).first():
        methods.append("sso")
    return methods


# ------------------------------------------------------------------------------------- routes

@public.post("/login", response_model=SessionOut, openapi_extra={"security": []})
def login(body: LoginIn, request: Request, response: Response, state: State) -> SessionOut:
    """Sign in; sets the session cookie and returns the CSRF token."""
    slug, email = body.organisation.strip().lower(), body.email.strip().lower()
    username, address = f"{slug}/{email}", client_address(request)
    state.login_throttle.check(username, address)
    with state.sessions() as session:
        found = session.execute(select(Member, Organisation).join(Organisation, Member.organisation_id ==
                                                                  Organisation.id)
                                .where(Organisation.slug == slug, Member.email == email,
                                       Member.status == "active")).first()
    member, organisation = found if found is not None else (None, None)
    password = body.password.get_secret_value()
    if not state.hasher.verify(member.password_hash if member else None, password) or member is None:
        state.login_throttle.record_failure(username, address)
        log.info("sign-in failed for an account of organisation %r from %s", slug, address)
        raise InvalidCredentials("the organisation, email or password is not right")
    assert organisation is not None
    step = recovery_hash = None
    if member.totp_secret is not None:
        try:
            step, recovery_hash = check_second_factor(state, member, body.totp_code, body.recovery_code)
        except InvalidMfaCode:
            state.login_throttle.record_failure(username, address)
            raise
    session_id = start_session(state, member.id, mfa=member.totp_secret is not None, method="password",
                               user_agent=request.headers.get("user-agent", ""), ip=address, step=step,
                               recovery_hash=recovery_hash)
    state.login_throttle.record_success(username, address)
    if member.password_hash and state.hasher.needs_rehash(member.password_hash):
        with state.sessions.begin() as session:
            session.execute(update(Member).where(Member.id == member.id)
                            .values(password_hash=state.hasher.hash(password)))
    set_session_cookie(state, response, session_id)
    return _session_out(state, resolve_session(state, session_id.reveal()))


@router.post("/logout", status_code=204)
def logout(caller: SessionCaller, response: Response, state: State) -> Response:
    with Unit(state.sessions, caller.principal, state.clock) as unit:
        row = unit.session.get(SessionRow, caller.session_digest)
        member = unit.session.get(Member, caller.member_id)
        if row is not None and row.revoked_at is None and member is not None:
            row.revoked_at = state.now()
            unit.record("session.ended", member_object(member), details={"reason": "signed out"})
    out = Response(status_code=204)
    clear_session_cookie(state, out)
    return out


@router.get("/session", response_model=SessionOut)
def current_session(caller: AnyCaller, state: State) -> SessionOut:
    """Who is signed in, with a fresh CSRF token (for a reloaded page)."""
    return _session_out(state, caller)


@router.post("/reauth", response_model=StepUpOut)
def reauthenticate(body: ReauthIn, caller: SessionCaller, state: State) -> StepUpOut:
    """Step-up: prove the password (and second factor) again before a sensitive action."""
    key = str(caller.member_id)
    state.stepup_throttle.check(key, "any")
    with state.sessions() as session:
        member = session.get(Member, caller.member_id)
        assert member is not None
    if not state.hasher.verify(member.password_hash, body.password.get_secret_value()):
        state.stepup_throttle.record_failure(key, "any")
        raise InvalidCredentials("the password is not right")
    step = recovery_hash = None
    if member.totp_secret is not None:
        try:
            step, recovery_hash = check_second_factor(state, member, body.totp_code, body.recovery_code)
        except InvalidMfaCode:
            state.stepup_throttle.record_failure(key, "any")
            raise
    state.stepup_throttle.record_success(key, "any")
    now = state.now()
    with Unit(state.sessions, caller.principal, state.clock) as unit:
        burn_second_factor(unit.session, member.id, step, recovery_hash, now)
        row = unit.session.get(SessionRow, caller.session_digest)
        assert row is not None
        row.authenticated_at = now
        if member.totp_secret is not None:
            row.mfa_at = now
        unit.record("session.reauthenticated", member_object(member),
                    details={"mfa": member.totp_secret is not None})
        return StepUpOut(authenticated_at=row.authenticated_at, mfa_at=row.mfa_at)


@router.get("/sessions", response_model=list[OwnSession])
def own_sessions(caller: SessionCaller, state: State) -> list[OwnSession]:
    """The caller's live sessions (id = the stored hash, never the cookie value)."""
    now = state.now()
    with state.sessions() as session:
        rows = session.execute(select(SessionRow).where(
            SessionRow.member_id == caller.member_id, SessionRow.organisation_id == caller.principal.organisation_id,
            SessionRow.revoked_at.is_(None), SessionRow.expires_at > now,
            SessionRow.last_seen_at > now - state.lifetime.idle).order_by(SessionRow.created_at)).scalars().all()
        return [OwnSession(id=r.id, current=r.id == caller.session_digest, created_at=r.created_at,
                           last_seen_at=r.last_seen_at, expires_at=r.expires_at, user_agent=r.user_agent, ip=r.ip)
                for r in rows]


@router.delete("/sessions/{session_id}", status_code=204)
def revoke_session(session_id: Annotated[str, Field(max_length=128)], caller: SessionCaller,
                   state: State) -> Response:
    with Unit(state.sessions, caller.principal, state.clock) as unit:
        row = unit.session.get(SessionRow, session_id)
        if row is None or row.member_id != caller.member_id or row.revoked_at is not None:
            raise NotFound("no such session")
        member = unit.session.get(Member, caller.member_id)
        assert member is not None
        row.revoked_at = state.now()
        unit.record("session.ended", member_object(member), details={"reason": "revoked by its member"})
    return Response(status_code=204)
