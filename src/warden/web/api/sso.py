"""The organisation's single sign-on provider (OpenID Connect), for admins.

Setting or removing it is a sensitive action (step-up) and is audited; the client secret is
encrypted at rest, never returned and never recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, SecretStr

from warden.auth.redaction import Secret
from warden.storage.tables import OidcProviderRow
from warden.web.api.deps import Caller, State
from warden.web.idempotency import IdempotentRoute
from warden.web.oidc import callback_url
from warden.workflow import organisations
from warden.workflow.permissions import Permission, authorize

router = APIRouter(prefix="/sso", tags=["organisation"], route_class=IdempotentRoute)
CLAIM = r"^[A-Za-z0-9_.:\-]{1,64}$"


class SsoIn(BaseModel):
    issuer: str = Field(min_length=8, max_length=500, description="e.g. https://login.microsoftonline.com/"
                                                                   "<tenant-id>/v2.0")
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: SecretStr | None = Field(default=None, min_length=1, max_length=2000,
                                            description="Required the first time; omit to keep the stored one.")
    allowed_email_domains: list[str] = Field(default_factory=list, max_length=50,
                                             description="If set, only verified addresses in these domains.")
    unknown_identities: Literal["link_by_email", "refuse"] = Field(
        default="link_by_email",
        description="An account at the provider not linked to a member yet: 'link_by_email' links it to the active "
                    "member with the same, provider-verified e-mail address; 'refuse' refuses it (members link "
                    "their account themselves with POST /auth/sso/link). Nobody is ever created.")
    enabled: bool = True
    subject_claim: str = Field(default="sub", pattern=CLAIM, description="Entra ID: 'sub' or 'oid'.")
    email_claim: str = Field(default="email", pattern=CLAIM, description="Entra ID: 'email' or 'preferred_username'.")
    email_verified_claim: str = Field(default="email_verified", pattern=CLAIM,
                                      description="Entra ID sends none: use the optional claim 'xms_edov'.")

    model_config = {"json_schema_extra": {"examples": [{
        "issuer": "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
        "client_id": "warden", "client_secret": "...", "allowed_email_domains": ["force.police.uk"],
        "unknown_identities": "link_by_email", "enabled": True, "subject_claim": "sub",
        "email_claim": "email", "email_verified_claim": "email_verified"}]}}


class SsoOut(BaseModel):
    configured: bool
    redirect_uri: str = Field(description="Register this with the identity provider.")
    enabled: bool | None = None
    issuer: str | None = None
    client_id: str | None = None
    client_secret_set: bool = False
    allowed_email_domains: list[str] = Field(default_factory=list)
    unknown_identities: str | None = None
    subject_claim: str | None = None
    email_claim: str | None = None
    email_verified_claim: str | None = None
    updated_at: datetime | None = None


def _out(state: State, request: Request, principal: Caller) -> SsoOut:
    with state.sessions() as session:
        row = session.get(OidcProviderRow, principal.organisation_id)
    redirect_uri = callback_url(state, request)
    if row is None:
        return SsoOut(configured=False, redirect_uri=redirect_uri)
    return SsoOut(configured=True, redirect_uri=redirect_uri, enabled=row.enabled, issuer=row.issuer,
                  client_id=row.client_id, client_secret_set=bool(row.client_secret),
                  allowed_email_domains=sorted(row.allowed_email_domains), unknown_identities=row.unknown_identities,
                  subject_claim=row.subject_claim, email_claim=row.email_claim,
                  email_verified_claim=row.email_verified_claim, updated_at=row.updated_at)


@router.get("", response_model=SsoOut)
def get_sso(request: Request, principal: Caller, state: State) -> SsoOut:
    """The provider's settings (never the client secret) and the redirect URI to register."""
    authorize(principal, Permission.ORG_ADMIN)
    return _out(state, request, principal)


@router.put("", response_model=SsoOut)
def set_sso(body: SsoIn, request: Request, principal: Caller, state: State) -> SsoOut:
    """Set or replace the identity provider (needs a step-up)."""
    settings = organisations.SsoSettings(
        issuer=body.issuer.strip(), client_id=body.client_id.strip(),
        allowed_email_domains=frozenset(d.strip().lower() for d in body.allowed_email_domains if d.strip()),
        unknown_identities=body.unknown_identities, enabled=body.enabled, subject_claim=body.subject_claim,
        email_claim=body.email_claim, email_verified_claim=body.email_verified_claim)
    secret = Secret(body.client_secret.get_secret_value()) if body.client_secret is not None else None
    organisations.configure_sso(state.sessions, principal, settings, secret, state.cipher,
                                allow_insecure_localhost=state.settings.oidc_allow_insecure_localhost,
                                clock=state.clock)
    state.oidc.forget(str(principal.organisation_id))
    return _out(state, request, principal)


@router.delete("", status_code=204)
def remove_sso(principal: Caller, state: State) -> Response:
    """Turn single sign-on off (needs a step-up); members sign in with their passwords again."""
    organisations.remove_sso(state.sessions, principal, clock=state.clock)
    state.oidc.forget(str(principal.organisation_id))
    return Response(status_code=204)
