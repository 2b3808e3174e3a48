"""Audit (auditors and administrators): search the log by actor, object, action and time (the search
is itself recorded), verify the hash chain from the page, and export it (after re-authentication)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response, StreamingResponse

from warden.audit.checkpoints import Verifier
from warden.audit.report import VerificationReport
from warden.audit.verify import load_entries, verify_chain
from warden.auth.errors import InvalidCredentials, InvalidMfaCode, MfaRequired, StepUpRequired, TooManyAttempts
from warden.storage import audit_log
from warden.web import queries_audit
from warden.web.console import forms, reads
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller
from warden.web.console.pages_approvals import step_up
from warden.web.console.templating import LOCAL, render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.pagination import PageRequest
from warden.web.state import get_state
from warden.workflow.organisations import require_step_up
from warden.workflow.permissions import Permission, authorize

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Short = Annotated[str, Form(max_length=4000)]
OBJECT_TYPES = ("draft", "case", "message", "member", "account", "organisation", "policy", "register_entry",
                "session", "audit_log", "api_token")


def _day(value: str, *, end: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    start = datetime.combine(day, time(), tzinfo=LOCAL)
    return start + timedelta(days=1) if end else start


def _filter(actor: str, action: str, object_type: str, object_id: str, since: str,
            until: str) -> queries_audit.AuditFilter:
    member = forms.optional_identifier(actor)
    return queries_audit.AuditFilter(
        actor=str(member) if member else None, action=action.strip()[:64] or None,
        object_type=object_type if object_type in OBJECT_TYPES else None, object_id=object_id.strip()[:64] or None,
        since=_day(since), until=_day(until, end=True))


def audit_page(request: Request, caller: Caller, *, status: int = 200, report: VerificationReport | None = None,
               error: str = "", actor: str = "", action: str = "", object_type: str = "", object_id: str = "",
               since: str = "", until: str = "", cursor: str | None = None) -> Response:
    state = get_state(request)
    principal = caller.principal
    where = _filter(actor, action, object_type, object_id, since, until)
    page = queries_audit.search_audit(state.sessions, principal, where, PageRequest(limit=50, cursor=cursor),
                                      state.clock)
    members = reads.organisation_members(state.sessions, principal)
    query = {"actor": actor, "action": action, "object_type": object_type, "object_id": object_id,
             "since": since, "until": until}
    return render(request, "audit.html", status=status, page=page, report=report, error=error, members=members,
                  object_types=OBJECT_TYPES, query=query, mfa_enabled=caller.mfa_enabled, current="audit")


@router.get("/audit")
def audit(request: Request, caller: PageCaller, actor: str = "", action: str = "", object_type: str = "",
          object_id: str = "", since: str = "", until: str = "", cursor: str | None = None) -> Response:
    return audit_page(request, caller, actor=actor, action=action, object_type=object_type, object_id=object_id,
                      since=since, until=until, cursor=cursor or None)


@router.post("/audit/verify")
def verify(request: Request, caller: FormCaller) -> Response:
    """Recompute every entry hash and chain link (checkpoint signatures need the public key:
    ``warden audit verify``)."""
    state = get_state(request)
    principal = caller.principal
    authorize(principal, Permission.AUDIT_READ)
    with state.sessions() as session:
        report = verify_chain(load_entries(audit_log.stream_rows(session, principal.organisation_id)), [],
                              Verifier([]), organisation_id=str(principal.organisation_id))
    return audit_page(request, caller, report=report)


@router.post("/audit/export")
def export(request: Request, caller: FormCaller, password: Annotated[str, Form(max_length=4096)] = "",
           code: Short = "") -> Response:
    state = get_state(request)
    authorize(caller.principal, Permission.AUDIT_READ)
    try:
        fresh = step_up(request, caller, password, code)
        require_step_up(fresh.principal, state.clock)
    except (InvalidCredentials, InvalidMfaCode, MfaRequired):
        return audit_page(request, caller, status=401, error="The password or code is not right.")
    except (TooManyAttempts, StepUpRequired) as error:
        return audit_page(request, caller, status=status_for(error), error=error.message)
    lines = queries_audit.export_audit(state.sessions, fresh.principal, queries_audit.AuditFilter(), state.clock)
    return StreamingResponse(lines, media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})
