"""The inbox (cases across accounts, filtered, most urgent first) and the case view
(thread, findings and reasons, offered actions, assignment, SLA clock, replies).

A reply is written on the case page with compose's live check (the same partial:
findings highlighted, reasons in the policy's words) and sent with
``workflow.case_replies.reply``: it becomes a draft that an approver sees, with the message
it answers, when the check holds or blocks it.

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
from warden.engine import MAX_TEXT_CHARS
from warden.web import queries_review
from warden.web.console import forms, queues, reads
from warden.web.console.explain import ACTION_LABELS, ACTION_TONES, SENSITIVE_INBOUND, Explained, explain, plain
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, is_htmx, see_other
from warden.web.console.templating import render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.pagination import PageRequest
from warden.web.schemas import MessageOut
from warden.web.state import get_state
from warden.workflow import case_replies, cases, drafts
from warden.workflow.principal import Principal

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Short = Annotated[str, Form(max_length=4000)]
Text = Annotated[str, Form(max_length=MAX_TEXT_CHARS)]
STATES = {"open": "Open (not closed)", "new": "New", "assigned": "Assigned", "actioned": "Actioned",
          "closed": "Closed", "all": "All"}
ACTION_NAMES = {"assign": "Assign", "hide": "Hide", "unhide": "Unhide", "delete": "Delete", "reply": "Reply",
                "block_author": "Block the author", "escalate": "Escalate", "mark_lawful": "Mark as lawful",
                "close": "Close the case", "reopen": "Reopen"}
MESSAGE_ACTIONS = ("hide", "unhide", "delete", "block_author")  # a reply has its own form (``reply``)
NEEDS_REASON = frozenset({"unhide", "delete", "block_author", "mark_lawful", "reopen"})
REPLY_LABELS = {"draft": "Not sent", "allowed": "Ready to send", "warned": "Warning to acknowledge",
                "held": "Waiting for approval", "blocked": "Blocked: waiting for an approver",
                "approved": "Approved", "changes_requested": "Changes requested", "rejected": "Rejected",
                "scheduled": "Sending", "withdrawn": "Withdrawn", "published": "Sent",
                "publish_failed": "Could not be sent"}
REPLY_TONES = {"draft": "info", "allowed": "ok", "warned": "warn", "held": "hold", "blocked": "bad",
               "approved": "ok", "changes_requested": "warn", "rejected": "bad", "scheduled": "ok",
               "withdrawn": "info", "published": "ok", "publish_failed": "bad"}
#: A reply its author may still change: it has not gone to the outbox (``draft_states.EDITABLE`` less the states
#: from which a reply is already on its way).
REPLY_EDITABLE = frozenset({"draft", "changes_requested", "held", "blocked", "warned"})
REPLY_OUTCOMES = {
    "allow": "No concerns found: it is sent as soon as you send it.",
    "warn": "A warning: tick the box to say you have read it, or it waits for you to acknowledge it.",
    "hold": "An approver must approve it before it is sent.",
    "block": "Blocked: it is not sent unless an approver overrides the block with a written reason.",
}


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
    case = queries_review.get_case(web.sessions, principal, case_id)
    standards = reads.standards(web.sessions, principal.organisation_id)
    shown = revealed or {}
    offered = case.available_actions
    messages = [_message_view(shown.get(m.id, m), standards, revealed=m.id in shown, offered=offered)
                for m in case.messages]
    names = reads.member_names(web.sessions, principal, [case.assignee_id])
    handles = reads.account_handles(web.sessions, principal, [case.account_id])
    assignable = reads.moderators(web.sessions, principal, case.team_id) if "assign" in offered else []
    problems = case_replies.reply_problems(web.sessions, principal, case.id) if "reply" in offered else {}
    reply_to = [(v.message.id, _reply_label(v.message)) for v in messages
                if v.message.id in problems and problems[v.message.id] is None]
    refused = next((p for p in problems.values() if p is not None), "") if not reply_to else ""
    chosen = (values or {}).get("reply_to", "")
    sent = case_replies.replies(web.sessions, principal, case.id)
    return render(request, "case.html", status=status, case=case, case_id=case.id, messages=messages, offered=offered,
                  assignable=assignable, assignee=names.get(case.assignee_id, "") if case.assignee_id else "",
                  account=handles.get(case.account_id, ""), severities=reads.SEVERITY_LABELS,
                  action_names=ACTION_NAMES, message_actions=MESSAGE_ACTIONS, needs_reason=NEEDS_REASON,
                  action_labels=ACTION_LABELS, tones=ACTION_TONES, errors=errors or {}, values=values or {},
                  current="inbox", reply_to=reply_to, reply_refused=refused,
                  reply_chosen=chosen or (str(reply_to[-1][0]) if reply_to else ""), replies=sent,
                  reply_labels=REPLY_LABELS, reply_tones=REPLY_TONES, max_chars=MAX_TEXT_CHARS,
                  reply_editable=REPLY_EDITABLE,
                  authors=reads.member_names(web.sessions, principal, [r.author_id for r in sent]),
                  explained_replies={r.draft_id: explain(r.text, r.decision_action or "", r.reasons, standards)
                                     for r in sent})


@dataclass(frozen=True)
class TargetShown:
    """The message a reply answers, on the approvals pages: blurred when the check found it abusive or
    graphic, withheld when hidden."""

    target: case_replies.TargetView
    explained: Explained | None


def reply_targets(sessions: reads.Sessions, principal: Principal,
                  draft_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, TargetShown]:
    found = case_replies.reply_targets(sessions, principal, draft_ids)
    standards = reads.standards(sessions, principal.organisation_id) if found else {}
    return {draft_id: TargetShown(t, None if t.text is None else explain(t.text, t.decision_action or "", t.reasons,
                                                                        standards))
            for draft_id, t in found.items()}


def _reply_label(message: MessageOut) -> str:
    """How the reply form names a message: its author, kind and time (never its text: it may be hidden or abusive)."""
    return f"{message.author_name or message.author_handle} ({message.kind}, {message.sent_at:%d %b %H:%M})"


@router.get("/cases/{case_id}")
def case_view(request: Request, case_id: uuid.UUID, caller: PageCaller) -> Response:
    return case_page(request, caller, case_id)


@router.post("/cases/{case_id}/messages/{message_id}/reveal")
def reveal(request: Request, case_id: uuid.UUID, message_id: uuid.UUID, caller: FormCaller) -> Response:
    """Show a hidden message's text: ``workflow.cases.view_message`` records the look in the audit log."""
    web = get_state(request)
    message = cases.view_message(web.sessions, caller.principal, message_id, clock=web.clock)
    shown = queries_review.message_view(web.sessions, caller.principal, message)
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


# ----------------------------------------------------------------------------------- replies

@router.post("/cases/{case_id}/replies/check")
def reply_check(request: Request, case_id: uuid.UUID, caller: FormCaller, text: Text = "") -> Response:
    """The live check of a reply as it is written: the case's account's rules for an outbound post, shown
    as compose shows them. Nothing is stored."""
    web = get_state(request)
    forms.text(text, "reply")
    if not text.strip():
        return render(request, "partials/check.html", explained=None, outcome="", chosen=[case_id])
    decision = case_replies.check_reply(web.sessions, caller.principal, case_id, text)
    explained = explain(text, decision.action.value, [r.to_dict() for r in decision.reasons],
                        reads.standards(web.sessions, caller.principal.organisation_id))
    return render(request, "partials/check.html", explained=explained, chosen=[case_id],
                  outcome=REPLY_OUTCOMES.get(decision.action.value, ""))


def _reply_notice(state: str) -> str:
    """The case page's notice for a reply in this state, just sent or changed."""
    return {"scheduled": "reply_sent", "warned": "reply_warned"}.get(state, "reply_waiting")


@router.post("/cases/{case_id}/replies")
def reply(request: Request, case_id: uuid.UUID, caller: FormCaller, version: Short = "", reply_to: Short = "",
          text: Text = "", acknowledge_warnings: Short = "") -> Response:
    web = get_state(request)
    values = {"reply": text, "reply_to": reply_to, "acknowledge": acknowledge_warnings}
    try:
        forms.text(text, "reply", required=True)
        done = case_replies.reply(web.sessions, caller.principal, case_id,
                                  forms.identifier(reply_to, "message to answer"), text, forms.version(version),
                                  acknowledge_warnings=acknowledge_warnings == "yes", clock=web.clock)
    except WardenError as error:
        if error.code not in ("invalid_input", "invalid_state", "locked_down"):
            raise
        return _case_refused(request, caller, case_id, "reply", error, values)
    return see_other(f"/cases/{case_id}?done={_reply_notice(done.state)}#replies")


@router.post("/cases/{case_id}/replies/{draft_id}/edit")
def edit_reply(request: Request, case_id: uuid.UUID, draft_id: uuid.UUID, caller: FormCaller, version: Short = "",
               text: Text = "") -> Response:
    """Change a reply that has not gone out (after an approver asked for changes, or while it waits):
    checked again as a whole, so a risky one goes back to an approver."""
    web = get_state(request)
    try:
        forms.text(text, "reply", required=True)
        drafts.edit_draft(web.sessions, caller.principal, draft_id, text, forms.version(version), clock=web.clock)
    except WardenError as error:
        if error.code not in ("invalid_input", "invalid_state"):
            raise
        return _case_refused(request, caller, case_id, f"edit-{draft_id}", error, {f"edit-{draft_id}": text})
    now = {r.draft_id: r.state for r in case_replies.replies(web.sessions, caller.principal, case_id)}
    return see_other(f"/cases/{case_id}?done={_reply_notice(now.get(draft_id, ''))}#replies")


@router.post("/cases/{case_id}/replies/{draft_id}/acknowledge")
def acknowledge_reply(request: Request, case_id: uuid.UUID, draft_id: uuid.UUID, caller: FormCaller,
                      version: Short = "") -> Response:
    """Send a warned reply after all: its author has read the warning (audited)."""
    web = get_state(request)
    drafts.acknowledge_warning(web.sessions, caller.principal, draft_id, forms.version(version), clock=web.clock)
    return see_other(f"/cases/{case_id}?done=reply_sent#replies")
