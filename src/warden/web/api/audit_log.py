"""Searching and exporting the audit log; every read is itself audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from warden.web import queries_audit
from warden.web.api.deps import Caller, PageParams, State
from warden.web.idempotency import IdempotentRoute
from warden.web.pagination import Page
from warden.web.schemas import AuditEntryOut
from warden.workflow.organisations import require_step_up
from warden.workflow.permissions import Permission, authorize

router = APIRouter(prefix="/audit", tags=["audit"], route_class=IdempotentRoute)


def audit_filter(actor: Annotated[str | None, Query(max_length=64, description="Actor id (member or token).")] = None,
                 object_type: Annotated[str | None, Query(max_length=32)] = None,
                 object_id: Annotated[str | None, Query(max_length=64)] = None,
                 action: Annotated[str | None, Query(max_length=64, description="Exact, or a prefix ending in '.'")
                                   ] = None,
                 since: Annotated[AwareDatetime | None, Query()] = None,
                 until: Annotated[AwareDatetime | None, Query()] = None) -> queries_audit.AuditFilter:
    return queries_audit.AuditFilter(actor=actor, object_type=object_type, object_id=object_id, action=action,
                               since=since, until=until)


Filter = Annotated[queries_audit.AuditFilter, Depends(audit_filter)]


@router.get("", response_model=Page[AuditEntryOut])
def search(principal: Caller, state: State, page: PageParams, where: Filter) -> Page[AuditEntryOut]:
    """Newest first. The search itself is recorded (audit.consulted)."""
    return queries_audit.search_audit(state.sessions, principal, where, page, state.clock)


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}},
                             "description": "One entry per line, oldest first, exactly as hashed."}})
def export(principal: Caller, state: State, where: Filter) -> StreamingResponse:
    """JSON lines for offline verification and evidence; the export is recorded (audit.exported) first.
    A sensitive action: needs a sign-in or step-up in the last five minutes (API tokens cannot export)."""
    authorize(principal, Permission.AUDIT_READ)
    require_step_up(principal, state.clock)
    lines = queries_audit.export_audit(state.sessions, principal, where, state.clock)
    return StreamingResponse(lines, media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})
