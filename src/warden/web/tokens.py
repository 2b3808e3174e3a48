"""API tokens for integrations: scoped, expiring, revocable; the secret is shown once.

A token acts as its member (their roles still apply) narrowed to its scopes;
``workflow.permissions`` checks both. Tokens are managed from a signed-in
browser session only: a token cannot mint further tokens. Creating one is a
sensitive action: it needs a recent sign-in or step-up (``POST /auth/reauth``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from warden.audit import AuditObject
from warden.auth.tokens import MAX_API_TOKEN_LIFETIME, SCOPES, issue_api_token
from warden.storage.tables import ApiToken
from warden.web.idempotency import IdempotentRoute, shown_once
from warden.web.identity import Caller, session_caller
from warden.web.state import WebState, get_state
from warden.workflow.errors import NotFound
from warden.workflow.organisations import require_step_up
from warden.workflow.unit import Unit

router = APIRouter(prefix="/tokens", tags=["tokens"], route_class=IdempotentRoute)
State = Annotated[WebState, Depends(get_state)]
SessionCaller = Annotated[Caller, Depends(session_caller)]
SCOPE_TEXT = "; ".join(f"{name}: {text}" for name, text in SCOPES.items())
SCOPE_ENUM: dict[str, Any] = {"enum": sorted(SCOPES)}


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="What the token is for, e.g. 'SIEM export'.")
    # The enum documents the scopes; auth.tokens validates them (unknown_scope).
    scopes: list[str] = Field(min_length=1, max_length=len(SCOPES), description=SCOPE_TEXT,
                              json_schema_extra={"items": SCOPE_ENUM})
    expires_in_days: int = Field(default=90, ge=1, le=MAX_API_TOKEN_LIFETIME.days)


class TokenOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str | None = Field(description="The secret: shown this once, never again (null in an idempotent "
                                          "replay).")


def _out(row: ApiToken) -> TokenOut:
    return TokenOut(id=row.id, name=row.name, prefix=row.prefix, scopes=sorted(row.scopes),
                    created_at=row.created_at, expires_at=row.expires_at, revoked_at=row.revoked_at,
                    last_used_at=row.last_used_at)


def _object(row: ApiToken) -> AuditObject:
    return AuditObject(type="api_token", id=str(row.id), name=f"{row.name} (wdn_{row.prefix})")


@router.post("", response_model=NewTokenOut, status_code=201)
@shown_once("token")
def create_token(body: TokenIn, caller: SessionCaller, state: State) -> NewTokenOut:
    """A new token (its secret shown once). Needs a sign-in or step-up in the last five minutes."""
    require_step_up(caller.principal, state.clock)
    issued = issue_api_token(body.scopes, now=state.now(), lifetime=timedelta(days=body.expires_in_days))
    record = issued.record
    with Unit(state.sessions, caller.principal, state.clock) as unit:
        row = ApiToken(organisation_id=caller.principal.organisation_id, member_id=caller.member_id,
                       name=body.name.strip() or "token", prefix=record.prefix, secret_hash=record.digest,
                       scopes=sorted(record.scopes), created_at=record.created_at, expires_at=record.expires_at)
        unit.session.add(row)
        unit.session.flush()
        unit.record("api_token.created", _object(row),
                    after={"scopes": sorted(record.scopes), "expires_at": record.expires_at.isoformat()})
        return NewTokenOut(**_out(row).model_dump(), token=issued.token.reveal())


@router.get("", response_model=list[TokenOut])
def list_tokens(caller: SessionCaller, state: State) -> list[TokenOut]:
    """The caller's own tokens (never their secrets)."""
    with state.sessions() as session:
        rows = session.execute(select(ApiToken).where(
            ApiToken.member_id == caller.member_id, ApiToken.organisation_id == caller.principal.organisation_id)
            .order_by(ApiToken.created_at, ApiToken.id)).scalars().all()
        return [_out(r) for r in rows]


@router.delete("/{token_id}", status_code=204)
def revoke_token(token_id: uuid.UUID, caller: SessionCaller, state: State) -> Response:
    with Unit(state.sessions, caller.principal, state.clock) as unit:
        row = unit.session.execute(select(ApiToken).where(
            ApiToken.id == token_id, ApiToken.member_id == caller.member_id,
            ApiToken.organisation_id == caller.principal.organisation_id)).scalar_one_or_none()
        if row is None or row.revoked_at is not None:
            raise NotFound("no such token")
        row.revoked_at = state.now()
        unit.record("api_token.revoked", _object(row))
    return Response(status_code=204)
