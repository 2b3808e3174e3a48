"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker

from warden.web.identity import principal
from warden.web.pagination import PageRequest, page_request
from warden.web.state import WebState, get_state
from warden.workflow.principal import Principal

State = Annotated[WebState, Depends(get_state)]
Caller = Annotated[Principal, Depends(principal)]
PageParams = Annotated[PageRequest, Depends(page_request)]


def sessions_of(state: WebState) -> sessionmaker[Session]:
    return state.sessions
