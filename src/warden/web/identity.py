"""Who is calling: a browser session (cookie + CSRF header) or an API token (Bearer).

Resolved once per request and turned into a ``workflow.principal.Principal``.
This module decides only *who* the caller is; *what* they may do is decided by
``workflow.permissions``, called by the workflow and the read queries.

Every request re-reads the session or token row together with its member, so
a revoked session, a revoked token and a removed member stop working at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from fastapi import Depends, Request
from sqlalchemy import select

from warden.audit import ActorKind
from warden.auth.errors import InvalidToken, SessionExpired
from warden.auth.redaction import Secret
from warden.auth.tokens import api_token_prefix, bearer_token, check_session_lifetime, session_digest, verify_api_token
from warden.domain.errors import WardenError
from warden.storage.tables import ApiToken, Member, Organisation
from warden.storage.tables import Session as SessionRow
from warden.web.state import CSRF_HEADER, WebState, get_state
from warden.workflow.loading import member_principal
from warden.workflow.principal import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: ``last_seen_at`` / ``last_used_at`` are written at most this often (not on every request).
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Caller:
    principal: Principal
    via: Literal["session", "token"]
    session_id: Secret[str] | None = None
    session_digest: str | None = None
    mfa_enabled: bool = False
    #: The organisation requires a second factor and this member has none yet: only /auth works.
    mfa_enrolment_required: bool = False
    #: How the session was signed in ("password" or "oidc"); None for an API token.
    method: str | None = None

    @property
    def member_id(self) -> uuid.UUID:
        assert self.principal.member_id is not None
        return self.principal.member_id


@dataclass(frozen=True)
class _StoredToken:
    digest: str
    scopes: frozenset[str]
    expires_at: datetime
    revoked_at: datetime | None


def not_authenticated() -> WardenError:
    return WardenError("sign in, or send an API token as 'Authorization: Bearer wdn_...'", code="not_authenticated")


def authenticate(request: Request) -> Caller:
    """The caller, cached on the request; CSRF is checked for state-changing cookie requests."""
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    state = get_state(request)
    header = request.headers.get("authorization")
    if header is not None:
        caller = _from_token(state, header)
    else:
        cookie = request.cookies.get(state.cookie_name)
        if not cookie:
            raise not_authenticated()
        caller = resolve_session(state, cookie)
        if request.method not in SAFE_METHODS:
            assert caller.session_id is not None
            state.csrf.verify(caller.session_id, request.headers.get(CSRF_HEADER))
    request.state.caller = caller
    return caller


def _invalid_session() -> InvalidToken:
    return InvalidToken("the session is not valid; sign in again")


def resolve_session(state: WebState, cookie: str) -> Caller:
    """The caller behind a session cookie value (no CSRF check)."""
    digest = session_digest(cookie)
    now = state.now()
    with state.sessions.begin() as session:
        row = session.get(SessionRow, digest)
        if row is None or row.revoked_at is not None:
            raise _invalid_session()
        if now >= row.expires_at:
            raise SessionExpired("the session has expired; please sign in again")
        check_session_lifetime(created_at=row.created_at, last_seen_at=row.last_seen_at, now=now,
                               lifetime=state.lifetime)
        found = session.execute(select(Member, Organisation).join(Organisation, Member.organisation_id ==
                                                                  Organisation.id).where(Member.id == row.member_id)
                                ).first()
        if found is None or found[0].status != "active" or found[0].organisation_id != row.organisation_id:
            raise _invalid_session()
        member, organisation = found
        principal = replace(member_principal(session, member.id), authenticated_at=row.authenticated_at,
                            mfa_at=row.mfa_at)
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        mfa_enabled = member.totp_secret is not None
        # A single sign-on whose identity provider used a second factor satisfies the organisation's rule.
        second_factor = mfa_enabled or (row.method == "oidc" and row.mfa_at is not None)
        return Caller(principal=principal, via="session", session_id=Secret(cookie), session_digest=digest,
                      mfa_enabled=mfa_enabled, mfa_enrolment_required=organisation.mfa_required and not second_factor,
                      method=row.method)


def _from_token(state: WebState, header: str) -> Caller:
    presented = bearer_token(header)
    prefix = api_token_prefix(presented)
    now = state.now()
    with state.sessions.begin() as session:
        row = session.execute(select(ApiToken).where(ApiToken.prefix == prefix)).scalar_one_or_none()
        stored = None if row is None else _StoredToken(
            digest=row.secret_hash, scopes=frozenset(row.scopes), revoked_at=row.revoked_at,
            expires_at=row.expires_at or now)  # a token without an expiry is treated as expired (fail closed)
        verify_api_token(presented, stored, now=now)
        assert row is not None
        found = session.execute(select(Member, Organisation).join(Organisation, Member.organisation_id ==
                                                                  Organisation.id).where(Member.id == row.member_id)
                                ).first()
        if found is None or found[0].status != "active" or found[0].organisation_id != row.organisation_id:
            raise InvalidToken("the API token is not valid")
        member, organisation = found
        base = member_principal(session, member.id)
        principal = replace(base, kind=ActorKind.API_TOKEN, token_id=row.id, scopes=frozenset(row.scopes),
                            name=f"{member.display_name} (API token {row.name})")
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            row.last_used_at = now
        mfa_enabled = member.totp_secret is not None
        # A token must not outlive the organisation's decision to require a second factor.
        return Caller(principal=principal, via="token", mfa_enabled=mfa_enabled,
                      mfa_enrolment_required=organisation.mfa_required and not mfa_enabled)


# ------------------------------------------------------------------------------------ dependencies

def any_caller(request: Request) -> Caller:
    """Authenticated, even if the member still has to enrol a second factor (the /auth routes)."""
    return authenticate(request)


def caller(request: Request) -> Caller:
    """Authenticated and fully signed in: every route outside /auth."""
    found = authenticate(request)
    if found.mfa_enrolment_required:
        raise WardenError("your organisation requires a second factor: enrol one at /api/v1/auth/mfa/enrol first",
                          code="mfa_enrolment_required")
    return found


def enrolling_session_caller(request: Request) -> Caller:
    """A browser session, not an API token, even one that still has to enrol a second factor
    (signing out, step-up, own sessions, enrolment itself)."""
    found = authenticate(request)
    if found.via != "session":
        raise WardenError("this needs a signed-in browser session, not an API token", code="session_required")
    return found


def session_caller(request: Request) -> Caller:
    """A fully signed-in browser session (managing API tokens)."""
    enrolling_session_caller(request)
    return caller(request)


def principal(found: Caller = Depends(caller)) -> Principal:  # noqa: B008 - FastAPI's dependency idiom
    return found.principal
