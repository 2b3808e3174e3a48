"""Social media accounts. Credentials go in, never out."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, SecretStr

from warden.auth.redaction import Secret
from warden.domain.enums import AccountType
from warden.web import queries
from warden.web.api.deps import Caller, PageParams, State
from warden.web.idempotency import IdempotentRoute
from warden.web.pagination import Page
from warden.web.schemas import AccountOut
from warden.workflow import accounts

router = APIRouter(prefix="/accounts", tags=["accounts"], route_class=IdempotentRoute)


class AccountIn(BaseModel):
    team_id: uuid.UUID
    network: str = Field(min_length=1, max_length=32, json_schema_extra={"enum": list(accounts.NETWORKS)})
    handle: str = Field(min_length=1, max_length=200)
    account_type: AccountType
    display_name: str = Field(default="", max_length=200)
    settings: dict[str, str | float] = Field(
        default_factory=dict, max_length=8, description="The network's non-secret settings, e.g. base_url (Mastodon), "
                                                        "user_id (X), page_id (Facebook), file (replay).")
    credentials: SecretStr | None = Field(
        default=None, max_length=16_384, description="The network's token or app password: stored encrypted, "
                                                     "never returned.")


@router.get("", response_model=Page[AccountOut])
def list_accounts(principal: Caller, state: State, page: PageParams,
                  team_id: Annotated[uuid.UUID | None, Query()] = None,
                  network: Annotated[str | None, Query(max_length=32)] = None) -> Page[AccountOut]:
    return queries.list_accounts(state.sessions, principal, page, team_id, network)


@router.post("", response_model=AccountOut, status_code=201)
def add_account(body: AccountIn, principal: Caller, state: State) -> AccountOut:
    replay_dir = state.settings.replay_dir
    account_id = accounts.add_account(state.sessions, principal, team_id=body.team_id, network=body.network,
                                      handle=body.handle, account_type=body.account_type.value,
                                      display_name=body.display_name, settings=body.settings,
                                      files_under=Path(replay_dir) if replay_dir else None,
                                      files_allowed=replay_dir is not None, clock=state.clock)
    if body.credentials is not None:
        accounts.set_credentials(state.sessions, principal, account_id,
                                 Secret(body.credentials.get_secret_value().encode("utf-8")), state.cipher,
                                 clock=state.clock)
    return queries.get_account(state.sessions, principal, account_id)


@router.get("/{account_id}", response_model=AccountOut)
def get_account(account_id: uuid.UUID, principal: Caller, state: State) -> AccountOut:
    return queries.get_account(state.sessions, principal, account_id)


class DisconnectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why: recorded in the audit log.")


@router.post("/{account_id}/disconnect", response_model=AccountOut)
def disconnect_account(account_id: uuid.UUID, body: DisconnectIn, principal: Caller, state: State) -> AccountOut:
    """Forget the account's credentials and stop fetching it; scheduled posts stay queued."""
    accounts.disconnect(state.sessions, principal, account_id, body.reason, clock=state.clock)
    return queries.get_account(state.sessions, principal, account_id)
