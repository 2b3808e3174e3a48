"""The inbox (cases across accounts, filtered, most urgent first) and the case view
(thread, findings and reasons, offered actions, assignment, SLA clock).

A hidden message's text is withheld until the viewer reveals it, and revealing it
goes through ``workflow.cases.view_message``, which audits the look. Text the
check flagged as abusive or graphic is blurred until the viewer chooses to read it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from warden.domain.errors import InvalidInput, WardenError
from warden.web import queries
from warden.web.console import forms, queues, reads
from warden.web.console.explain import ACTION_LABELS, ACTION_TONES, SENSITIVE_INBOUND, Explained, explain, plain
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, is_htmx, see_other
from warden.web.console.templating import render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.pagination import PageRequest
from warden.web.schemas import MessageOut
from warden.web.state import get_state
from warden.workflow import cases

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Short = Annotated[str, Form(max_length=4000)]
STATES = {"open": "Open (not closed)", "new": "New", "assigned": "Assigned", "actioned": "Actioned",
          "closed": "Closed", "all": "All"}
ACTION_NAMES = {"assign": "Assign", "hide": "Hide", "unhide": "Unhide", "delete": "Delete", "reply": "Reply",
                "block_author": "Block the author", "escalate": "Escalate", "mark_lawful": "Mark as lawful",
                "close": "Close the case", "reopen": "Reopen"}
MESSAGE_ACTIONS = ("hide", "unhide", "delete", "reply", "block_author")
NEEDS_REASON = frozenset({"unhide", "delete", "block_author", "mark_lawful", "reopen"})


@router.get("/inbox")
def inbox(request: Request, caller: PageCaller, account: str = "", category: str = "", severity: str = "",
          state: str = "open", assignee: str = "", cursor: str | None = None) -> Response:
    web = get_state(request)
    principal = caller.principal
    categories = reads.inbound_categories(web.sessions, principal.organisation_id)
    accounts = reads.readable_accounts(web.sessions, principal)
    account_id = forms.optional_identifier(account)
    member = forms.optional_identifier(assignee)
    where = queues.InboxFilter(
        account_id=account_id if account_id in {a for a, _ in accounts} else None,
        category=category if category in dict(categories) else None,
        severity_min=int(severity) if severity in ("1", "2", "3", "4") else None,
        state=state if state in STATES else "open",
        assignee=assignee if assignee in ("me", "none") else str(member) if member else None)
    page = queues.inbox(web.sessions, principal, where, PageRequest(limit=50, cursor=cursor or None),
                       SENSITIVE_INBOUND)
    return render(request, "inbox.html", page=page, where=where, categories=categories,
                  category_titles=dict(categories), accounts=accounts,
                  moderators=reads.moderators(web.sessions, principal), states=STATES,
                  severities=reads.SEVERITY_LABELS, current="inbox")


@dataclass(frozen=True)
class MessageView:
    message: MessageOut
    explained: Explained | None  # None while withheld
    revealed: bool
    actions: tuple[str, ...] = ()  # the case's offered actions that apply to this message now


def _message_view(message: MessageOut, standards: Mapping[str, str], revealed: bool = False,
                  offered: Sequence[str] = ()) -> MessageView:
    actions = tuple(a for a in MESSAGE_ACTIONS if a in offered and not (a == "hide" and message.hidden)
                    and not (a == "unhide" and not message.hidden))
    if message.text is None:
        return MessageView(message, None, revealed, actions)
    if message.decision is None:
        return MessageView(message, plain(message.text), revealed, actions)
    return MessageView(message, explain(message.text, message.decision.action, message.decision.reasons, standards),
                       revealed, actions)


def case_page(request: Request, caller: Caller, case_id: uuid.UUID, *, status: int = 200,
              revealed: Mapping[uuid.UUID, MessageOut] | None = None, errors: Mapping[str, str] | None = None,
              values: Mapping[str, str] | None = None) -> Response:
    web = get_state(request)
    principal = caller.principal
    case = queries.get_case(web.sessions, principal, case_id)
    standards = reads.standards(web.sessions, principal.organisation_id)
    shown = revealed or {}
    offered = case.available_actions
    messages = [_message_view(shown.get(m.id, m), standards, revealed=m.id in shown, offered=offered)
                for m in case.messages]
    names = reads.member_names(web.sessions, principal, [case.assignee_id])
    handles = reads.account_handles(web.sessions, principal, [case.account_id])
    assignable = reads.moderators(web.sessions, principal, case.team_id) if "assign" in offered else []
    return render(request, "case.html", status=status, case=case, case_id=case.id, messages=messages, offered=offered,
                  assignable=assignable, assignee=names.get(case.assignee_id, "") if case.assignee_id else "",
                  account=handles.get(case.account_id, ""), severities=reads.SEVERITY_LABELS,
                  action_names=ACTION_NAMES, message_actions=MESSAGE_ACTIONS, needs_reason=NEEDS_REASON,
                  action_labels=ACTION_LABELS, tones=ACTION_TONES, errors=errors or {}, values=values or {},
                  current="inbox")


@router.get("/cases/{case_id}")
def case_view(request: Request, case_id: uuid.UUID, caller: PageCaller) -> Response:
    return case_page(request, caller, case_id)


@router.post("/cases/{case_id}/messages/{message_id}/reveal")
def reveal(request: Request, case_id: uuid.UUID, message_id: uuid.UUID, caller: FormCaller) -> Response:
    """Show a hidden message's text: ``workflow.cases.view_message`` records the look in the audit log."""
    web = get_state(request)
    message = cases.view_message(web.sessions, caller.principal, message_id, clock=web.clock)
    shown = queries.message_view(web.sessions, caller.principal, message)
    if is_htmx(request):
        view = _message_view(shown, reads.standards(web.sessions, caller.principal.organisation_id), revealed=True)
        return render(request, "partials/message_text.html", view=view, case_id=case_id)
    return case_page(request, caller, case_id, revealed={message_id: shown})


def _case_refused(request: Request, caller: Caller, case_id: uuid.UUID, key: str, error: WardenError,
                  values: Mapping[str, str]) -> Response:
    return case_page(request, caller, case_id, status=status_for(error), errors={key: error.message}, values=values)


@router.post("/cases/{case_id}/assign")
def assign(request: Request, case_id: uuid.UUID, caller: FormCaller, version: Short = "",
           assignee: Short = "") -> Response:
    web = get_state(request)
    member = caller.member_id if assignee == "me" else forms.identifier(assignee, "person to assign")
    try:
        cases.assign(web.sessions, caller.principal, case_id, member, forms.version(version), clock=web.clock)
    except InvalidInput as error:
        return _case_refused(request, caller, case_id, "assign", error, {})
    return see_other(f"/cases/{case_id}?done=assigned")


@router.post("/cases/{case_id}/act")
def act(request: Request, case_id: uuid.UUID, caller: FormCaller, version: Short = "", action: Short = "",
        reason: Short = "", message_id: Short = "") -> Response:
    web = get_state(request)
    target = forms.optional_identifier(message_id)
    key = f"{action}:{target}" if target else action
    try:
        cases.act(web.sessions, caller.principal, case_id, action, forms.version(version),
                  forms.text(reason, "reason"), target, clock=web.clock)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input"):
            raise
        return _case_refused(request, caller, case_id, key, error, {key: reason})
    return see_other(f"/cases/{case_id}?done=actioned")


@router.post("/cases/{case_id}/close")
def close(request: Request, case_id: uuid.UUID, caller: FormCaller, version: Short = "",
          reason: Short = "") -> Response:
    web = get_state(request)
    cases.close(web.sessions, caller.principal, case_id, forms.version(version), forms.text(reason, "reason"),
                clock=web.clock)
    return see_other(f"/cases/{case_id}?done=closed")


@router.post("/cases/{case_id}/reopen")
def reopen(request: Request, case_id: uuid.UUID, caller: FormCaller, version: Short = "",
           reason: Short = "") -> Response:
    web = get_state(request)
    try:
        cases.reopen(web.sessions, caller.principal, case_id, forms.version(version), forms.text(reason, "reason"),
                     clock=web.clock)
    except WardenError as error:
        if error.code not in ("reason_required", "invalid_input"):
            raise
        return _case_refused(request, caller, case_id, "reopen", error, {"reopen": reason})
    return see_other(f"/cases/{case_id}?done=reopened")


@router.post("/cases/{case_id}/messages/{message_id}/findings/{index}/verdict")
def verdict(request: Request, case_id: uuid.UUID, message_id: uuid.UUID, index: int, caller: FormCaller,
            agree: Short = "") -> Response:
    web = get_state(request)
    if agree not in ("yes", "no"):
        raise InvalidInput("say whether you agree with the finding")
    cases.verdict(web.sessions, caller.principal, message_id, index, agree == "yes", clock=web.clock)
    return see_other(f"/cases/{case_id}?done=verdict")
