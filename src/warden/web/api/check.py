"""Run the risk engine on a text, for the caller's organisation, storing nothing."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from warden.domain.enums import AccountType, Direction
from warden.web import queries
from warden.web.api.deps import Caller, State
from warden.web.idempotency import IdempotentRoute
from warden.web.schemas import CheckOut

router = APIRouter(tags=["check"], route_class=IdempotentRoute)


class CheckIn(BaseModel):
    text: str = Field(min_length=1, max_length=65_536)
    direction: Direction = Direction.OUTBOUND
    account_type: AccountType = AccountType.CORPORATE


@router.post("/check", response_model=CheckOut)
def check(body: CheckIn, principal: Caller, state: State) -> CheckOut:
    """The decision, its reasons in the policy's words and the evidence spans; nothing is stored."""
    return queries.check_text(state.sessions, principal, body.text, body.direction, body.account_type)
