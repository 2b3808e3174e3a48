"""Single sign-on with OpenID Connect: signing in, stepping up and linking an account
(the protocol itself is ``auth.oidc``; an admin sets the provider with ``web.api.sso``).

- ``GET /auth/sso/start?organisation=<slug>&return_to=/path`` (public): 303 to the identity provider.
- ``GET /auth/sso/callback`` (public, registered at the provider): the provider sends the browser
  back here; Warden checks everything, starts the session (method ``oidc``) and 303s to ``return_to``.
- ``POST /auth/sso/reauth`` (session): a step-up at the identity provider (``prompt=login``,
  ``max_age=0``; the returned ``auth_time`` must be after the start) -> ``{"authorization_url"}``.
- ``POST /auth/sso/link`` (session, after a step-up): link the member's account at the provider.

The ``state``, ``nonce`` and PKCE verifier stay on the server (``oidc_login_states``, the login
encrypted at rest, found by the SHA-256 of ``state``), expire with the login (10 minutes) and are
deleted when the callback first presents them (single use). The row is also bound to the browser
that started it: a random value in a ``SameSite=Lax`` cookie (Lax, because the callback is a
cross-site navigation) whose hash is stored, so a callback URL replayed into another browser
(login CSRF) is refused. The session cookie (``SameSite=Strict``) is not sent on that navigation,
so a step-up or a linking names its session in the row, not by cookie. Starting is public, so one client
address group (``auth.throttle.client_bucket``, kept hashed in the row) may have at most
``settings.sso_pending_per_address`` sign-ins pending; more are refused with 429 and a Retry-After.

Who signs in: the account's ``(issuer, subject)`` linked to an active member of the organisation;
otherwise, the first time and only when the organisation allows it (``link_by_email``), the active
member with the e-mail address the provider says it verified, which is then linked. Nobody is
created. A second factor at the provider (``amr`` has ``mfa``) is required when the organisation
requires one or the member enrolled one in Warden.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from warden.auth.oidc import LoginState, OidcClient, OidcIdentity
from warden.auth.oidc_errors import (
    SsoAccountMismatch,
    SsoEmailNotAllowed,
    SsoFailed,
    SsoMfaRequired,
    SsoNotReauthenticated,
    SsoStateMismatch,
    SsoTooManyPending,
    SsoUnknownUser,
)
from warden.auth.redaction import Secret
from warden.auth.throttle import client_bucket, identifier_hash
from warden.auth.tokens import sha256_hex
from warden.domain.errors import InvalidInput
from warden.storage.tables import Member, MemberIdentity, OidcLoginState, OidcProviderRow, Organisation
from warden.storage.tables import Session as SessionRow
from warden.web import browser_binding
from warden.web.authn import client_address, set_session_cookie, start_session
from warden.web.browser_binding import BrowserBinding
from warden.web.idempotency import IdempotentRoute
from warden.web.identity import Caller, enrolling_session_caller, session_caller
from warden.web.mfa import member_object
from warden.web.state import WebState, get_state
from warden.workflow.errors import NotFound
from warden.workflow.loading import member_principal
from warden.workflow.organisations import SsoSettings, require_step_up, sso_provider, sso_secret_owner
from warden.workflow.unit import Unit

#: Browser navigations (to and from the identity provider), not API calls: not in the OpenAPI document.
public = APIRouter(prefix="/auth/sso", tags=["auth"], include_in_schema=False)
log = logging.getLogger("warden.web.auth")
router = APIRouter(prefix="/auth/sso", tags=["auth"], route_class=IdempotentRoute)
State = Annotated[WebState, Depends(get_state)]
EnrollingCaller = Annotated[Caller, Depends(enrolling_session_caller)]
FullCaller = Annotated[Caller, Depends(session_caller)]

BINDING = BrowserBinding("__Host-warden_sso", "warden_sso")
#: How far before the step-up started the provider's ``auth_time`` may be (clock differences).
AUTH_TIME_LEEWAY = timedelta(seconds=60)
CALLBACK_ROUTE = "sso_callback"


class ReturnTo(BaseModel):
    return_to: str = Field(default="/", max_length=500, description="A path on this site to come back to.")


class AuthorizationOut(BaseModel):
    authorization_url: str = Field(description="Send the browser here (a full-page navigation).")


@dataclass(frozen=True)
class _Pending:
    organisation_id: uuid.UUID
    purpose: str
    session_id: str | None
    browser_hash: str
    login: bytes
    return_to: str
    created_at: datetime


# ------------------------------------------------------------------------------------ helpers

def safe_return_to(value: str) -> str:
    """A local path only (no scheme, no host, no ``//``): an open redirect helps phishing."""
    if (not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500
            or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value)):
        raise InvalidInput("return_to must be a path on this site, starting with a single '/'")
    return value


def callback_url(state: WebState, request: Request) -> str:
    return browser_binding.callback_url(state, request, CALLBACK_ROUTE)


def _client(state: WebState, organisation_id: uuid.UUID) -> tuple[OidcClient, OidcProviderRow]:
    with state.sessions() as session:
        row = session.get(OidcProviderRow, organisation_id)
    if row is None or not row.enabled:
        raise NotFound("single sign-on is not available for this organisation")
    secret = state.cipher.decrypt(row.client_secret, sso_secret_owner(organisation_id)).reveal().decode("utf-8")
    settings = SsoSettings(issuer=row.issuer, client_id=row.client_id,
                           allowed_email_domains=frozenset(row.allowed_email_domains),
                           unknown_identities=row.unknown_identities, enabled=row.enabled,
                           subject_claim=row.subject_claim, email_claim=row.email_claim,
                           email_verified_claim=row.email_verified_claim)
    provider = sso_provider(settings, Secret(secret),
                            allow_insecure_localhost=state.settings.oidc_allow_insecure_localhost)
    return state.oidc.get(str(organisation_id), provider), row


def _login_owner(state_id: str) -> str:
    return f"oidc-login:{state_id}"


def _begin(state: WebState, request: Request, response: Response, organisation_id: uuid.UUID, purpose: str,
           return_to: str, *, session_id: str | None = None, step_up: bool = False) -> str:
    """Keep a new login server-side; the provider's authorisation URL."""
    return_to = safe_return_to(return_to)
    client, _row = _client(state, organisation_id)
    now = state.now()
    url, login = client.begin_login(callback_url(state, request), now=now, prompt="login" if step_up else None,
                                    max_age=0 if step_up else None)
    binding = BINDING.value(request, state)
    BINDING.keep(response, state, binding, client.provider.login_state_lifetime)
    state_id = sha256_hex(login.state)
    sealed = state.cipher.encrypt(json.dumps(login.to_dict()).encode("utf-8"), _login_owner(state_id))
    address = address_hash(state.identifier_key, client_address(request))
    with state.sessions.begin() as session:
        session.execute(delete(OidcLoginState).where(OidcLoginState.expires_at <= now))
        _refuse_if_too_many(session, address, now, state.settings.sso_pending_per_address)
        session.add(OidcLoginState(id=state_id, organisation_id=organisation_id, purpose=purpose,
                                   session_id=session_id, browser_hash=sha256_hex(binding), address_hash=address,
                                   login=sealed, return_to=return_to, created_at=now, expires_at=login.expires_at))
    return url


def address_hash(key: bytes, address: str) -> str:
    """The client's address group (IPv4 as is, IPv6 as its /64: one host has a whole /64), keyed-hashed."""
    return identifier_hash(key, "sso-start:" + client_bucket(address))


def _refuse_if_too_many(session: Session, address: str, now: datetime, limit: int) -> None:
    """An anonymous script must not fill ``oidc_login_states``: at most ``limit`` pending per address group.

    On SQLite every transaction holds the write lock, so the count is exact; on PostgreSQL two starts at
    the same moment may both count below the limit and both insert: off by a few, which is enough here."""
    pending, oldest = session.execute(select(func.count(), func.min(OidcLoginState.expires_at)).where(
        OidcLoginState.address_hash == address, OidcLoginState.expires_at > now)).one()
    if pending >= limit and oldest is not None:
        raise SsoTooManyPending("too many sign-ins are pending from this network; finish or wait for the sign-ins "
                                "already started from this network", retry_after=oldest - now)


def _take(state: WebState, returned_state: str) -> _Pending:
    """The login the callback's ``state`` names, deleted in the same transaction (used once)."""
    state_id = sha256_hex(returned_state)
    with state.sessions.begin() as session:
        row = session.get(OidcLoginState, state_id)
        if row is None:
            raise SsoStateMismatch("no sign-in is in progress for this response (or it was used already); "
                                   "please start again")
        pending = _Pending(row.organisation_id, row.purpose, row.session_id, row.browser_hash, row.login,
                           row.return_to, row.created_at)
        deleted = session.execute(delete(OidcLoginState).where(OidcLoginState.id == state_id))
        if getattr(deleted, "rowcount", 0) != 1:
            raise SsoStateMismatch("this sign-in response was used already; please start again")
    return pending


def _linked_member(session: Session, organisation_id: uuid.UUID, identity: OidcIdentity) -> MemberIdentity | None:
    return session.execute(select(MemberIdentity).where(
        MemberIdentity.organisation_id == organisation_id, MemberIdentity.issuer == identity.issuer,
        MemberIdentity.subject == identity.subject)).scalar_one_or_none()


def _link(unit: Unit, member: Member, identity: OidcIdentity, how: str) -> None:
    """Link ``identity`` to ``member`` (who has no other account at this provider) and audit it."""
    other = unit.session.execute(select(MemberIdentity).where(
        MemberIdentity.member_id == member.id, MemberIdentity.issuer == identity.issuer)).scalar_one_or_none()
    if other is not None:
        raise SsoAccountMismatch("this member is already linked to another account at the identity provider")
    unit.session.add(MemberIdentity(organisation_id=member.organisation_id, member_id=member.id,
                                    issuer=identity.issuer, subject=identity.subject, email=identity.email,
                                    linked_at=unit.clock()))
    unit.record("member.sso_linked", member_object(member),
                details={"issuer": identity.issuer, "subject": identity.subject, "how": how})


def _live_session(state: WebState, session: Session, session_id: str | None) -> SessionRow:
    row = session.get(SessionRow, session_id) if session_id else None
    now = state.now()
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        raise SsoStateMismatch("the session that started this has ended; sign in again")
    return row


# ------------------------------------------------------------------------------- the three uses

def _sign_in(state: WebState, request: Request, pending: _Pending, provider: OidcProviderRow,
             identity: OidcIdentity) -> Secret[str]:
    organisation_id = pending.organisation_id
    with state.sessions() as session:
        linked = _linked_member(session, organisation_id, identity)
        if linked is not None:
            member = session.get(Member, linked.member_id)
            new_link = False
        elif provider.unknown_identities != "link_by_email":
            raise SsoUnknownUser("this account is not linked to a member of the organisation: sign in another way "
                                 "and link it, or ask an administrator")
        else:
            if not identity.email or not identity.email_verified:
                raise SsoEmailNotAllowed("the identity provider did not vouch for this account's e-mail address")
            member = session.execute(select(Member).where(
                Member.organisation_id == organisation_id, Member.email == identity.email.strip().lower(),
                Member.status == "active")).scalar_one_or_none()
            new_link = True
        if member is None or member.status != "active" or member.organisation_id != organisation_id:
            raise SsoUnknownUser("this account is not a member of the organisation")
        organisation = session.get(Organisation, organisation_id)
        assert organisation is not None
        needs_mfa = organisation.mfa_required or member.totp_secret is not None
        principal = member_principal(session, member.id)
    if needs_mfa and not identity.multi_factor:
        raise SsoMfaRequired("a second factor is required: sign in at the identity provider with one")
    with Unit(state.sessions, principal, state.clock) as unit:
        if new_link:
            fresh = unit.session.get(Member, member.id)
            assert fresh is not None
            _link(unit, fresh, identity, "verified e-mail address of a member")
        unit.session.execute(update(MemberIdentity).where(
            MemberIdentity.organisation_id == organisation_id, MemberIdentity.issuer == identity.issuer,
            MemberIdentity.subject == identity.subject).values(last_sign_in_at=state.now()))
    return start_session(state, member.id, mfa=identity.multi_factor, method="oidc",
                         user_agent=request.headers.get("user-agent", ""), ip=client_address(request))


def _reauthenticated(state: WebState, pending: _Pending, identity: OidcIdentity) -> None:
    with state.sessions() as session:
        row = _live_session(state, session, pending.session_id)
        principal = member_principal(session, row.member_id)
    with Unit(state.sessions, principal, state.clock) as unit:
        link = _linked_member(unit.session, pending.organisation_id, identity)
        if link is None or link.member_id != row.member_id:
            raise SsoAccountMismatch("the identity provider signed in another account than yours")
        auth_time = identity.authenticated_at
        if auth_time is None or auth_time < pending.created_at - AUTH_TIME_LEEWAY:
            raise SsoNotReauthenticated("the identity provider did not ask for your credentials again")
        now = state.now()
        session_row = unit.session.get(SessionRow, row.id)
        member = unit.session.get(Member, row.member_id)
        assert session_row is not None and member is not None
        session_row.authenticated_at = now
        if identity.multi_factor:
            session_row.mfa_at = now
        unit.record("session.reauthenticated", member_object(member),
                    details={"method": "oidc", "mfa": identity.multi_factor})


def _linked(state: WebState, pending: _Pending, identity: OidcIdentity) -> None:
    with state.sessions() as session:
        row = _live_session(state, session, pending.session_id)
        principal = member_principal(session, row.member_id)
    with Unit(state.sessions, principal, state.clock) as unit:
        existing = _linked_member(unit.session, pending.organisation_id, identity)
        if existing is not None:
            if existing.member_id != row.member_id:
                raise SsoAccountMismatch("this account at the identity provider is linked to another member")
            return  # already linked to this member: nothing to do
        member = unit.session.get(Member, row.member_id)
        assert member is not None
        _link(unit, member, identity, "by the member, signed in")


# ------------------------------------------------------------------------------------- routes

@public.get("/start", status_code=303, response_class=RedirectResponse)
def start_sign_in(request: Request, state: State,
                  organisation: Annotated[str, Query(min_length=1, max_length=64)],
                  return_to: Annotated[str, Query(max_length=500)] = "/") -> Response:
    """Sign in with the organisation's identity provider (a browser navigation, not an API call)."""
    slug = organisation.strip().lower()
    with state.sessions() as session:
        organisation_id = session.execute(select(Organisation.id).where(Organisation.slug == slug)).scalar()
    if organisation_id is None:
        raise NotFound("single sign-on is not available for this organisation")
    response = RedirectResponse("/", status_code=303)
    response.headers["location"] = _begin(state, request, response, organisation_id, "sign_in", return_to)
    response.headers["cache-control"] = "no-store"
    return response


@public.get("/callback", name=CALLBACK_ROUTE, status_code=303, response_class=RedirectResponse)
def callback(request: Request, state: State) -> Response:
    """Where the identity provider sends the browser back (register this URL with the provider)."""
    params = dict(request.query_params)
    returned = params.get("state")
    if not returned or len(returned) > 512:
        raise SsoStateMismatch("the sign-in response has no state; please start again")
    pending = _take(state, returned)
    binding = BINDING.presented(request, state)
    if not hmac.compare_digest(sha256_hex(binding).encode(), pending.browser_hash.encode()) or not binding:
        raise SsoStateMismatch("the sign-in response does not belong to this browser; please start again")
    client, provider = _client(state, pending.organisation_id)
    login = LoginState.from_dict(json.loads(state.cipher.decrypt(pending.login, _login_owner(sha256_hex(returned)))
                                            .reveal()))
    response = RedirectResponse(pending.return_to, status_code=303)
    try:
        identity = client.complete_login(params, login, state.now())
        if pending.purpose == "sign_in":
            set_session_cookie(state, response, _sign_in(state, request, pending, provider, identity))
        elif pending.purpose == "reauth":
            _reauthenticated(state, pending, identity)
        else:
            _linked(state, pending, identity)
    except SsoFailed as failure:
        log.info("single sign-on (%s) failed for organisation %s from %s: %s", pending.purpose,
                 pending.organisation_id, client_address(request), failure.code)
        raise
    response.headers["cache-control"] = "no-store"
    return response


@router.post("/reauth", response_model=AuthorizationOut)
def start_reauth(body: ReturnTo, request: Request, response: Response, caller: EnrollingCaller,
                 state: State) -> AuthorizationOut:
    """Step-up at the identity provider (it asks for the credentials again), instead of a password."""
    url = _begin(state, request, response, caller.principal.organisation_id, "reauth", body.return_to,
                 session_id=caller.session_digest, step_up=True)
    return AuthorizationOut(authorization_url=url)


@router.post("/link", response_model=AuthorizationOut)
def start_link(body: ReturnTo, request: Request, response: Response, caller: FullCaller,
               state: State) -> AuthorizationOut:
    """Link your account at the identity provider to your Warden membership (needs a recent step-up)."""
    require_step_up(caller.principal, state.clock)
    url = _begin(state, request, response, caller.principal.organisation_id, "link", body.return_to,
                 session_id=caller.session_digest)
    return AuthorizationOut(authorization_url=url)
