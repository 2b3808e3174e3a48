"""Jinja2 for the console: autoescaping always on, strict undefined, and the
context every page shares (who is signed in, the navigation they are offered,
a CSRF token for their forms, a fixed notice after an action).

Hostile text (every inbound message, every author name) only ever reaches the
page through ``{{ ... }}`` with autoescaping; no template uses ``|safe``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from warden.storage.tables import Organisation
from warden.web.identity import Caller
from warden.web.state import get_state
from warden.workflow.permissions import Permission, allowed

#: Times are shown in UK local time (the forces' own clock), always with the zone named.
LOCAL = ZoneInfo("Europe/London")

#: ``?done=...`` after a redirect: fixed sentences, so nothing from the address is ever reflected.
NOTICES: Mapping[str, str] = {
    "submitted": "Your draft was submitted and checked.",
    "edited": "Your changes were saved and checked again.",
    "acknowledged": "You acknowledged the warning.",
    "withdrawn": "The draft was withdrawn.",
    "approved": "The draft was approved.",
    "bulk_approved": "The selected drafts were approved.",
    "rejected": "The draft was rejected; its author has your reason.",
    "changes_requested": "The author was asked for changes.",
    "overridden": "The block was overridden; your reason is in the audit log.",
    "scheduled": "The draft was scheduled.",
    "assigned": "The case was assigned.",
    "actioned": "Done: the action is recorded on the case.",
    "closed": "The case was closed.",
    "reopened": "The case was reopened.",
    "reply_sent": "Your reply was checked and is being sent.",
    "reply_waiting": "Your reply was checked: it waits for an approver before it is sent.",
    "reply_warned": "Your reply was checked and has a warning: acknowledge it below to send the reply.",
    "revoked": "The session was signed out.",
    "signed_out": "You have signed out.",
    "verdict": "Thank you: your view of the finding was recorded.",
    "locked": "Lockdown is on: publishing and network actions are suspended for everyone.",
    "unlocked": "Lockdown is lifted: publishing and network actions resume.",
    "connected": "The account is connected: Warden holds its sign-in and starts reading it.",
    "disconnected": "The account is disconnected: Warden forgot its sign-in and stopped reading it.",
    "register_added": "The entry was added to the register; checks use it from now on.",
    "register_removed": "The entry was removed from the register.",
    "member_added": "The member was added; they can sign in now.",
    "roles_changed": "The member's roles were changed.",
    "member_removed": "The member was removed; their sessions and API tokens no longer work.",
    "token_revoked": "The API token was revoked.",
    "second_factor_reset": ("The member's second factor was reset and they were signed out everywhere: they sign "
                            "in with their password alone, then set up a new authenticator app."),
    "mfa_required": "A second factor is now required: members without one set it up at their next page.",
    "mfa_not_required": "A second factor is no longer required; members who have one keep using it.",
}


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str


def navigation(caller: Caller) -> list[NavItem]:
    """What this member is offered, asked of ``workflow.permissions`` (any team)."""
    principal = caller.principal
    items = [NavItem("home", "Home", "/")]
    if allowed(principal, Permission.CASE_READ) or allowed(principal, Permission.DRAFT_READ):
        items.append(NavItem("dashboard", "Dashboard", "/dashboard"))
    if allowed(principal, Permission.DRAFT_WRITE):
        items += [NavItem("compose", "Compose", "/compose"), NavItem("drafts", "My drafts", "/drafts")]
    if allowed(principal, Permission.DRAFT_APPROVE):
        items.append(NavItem("approvals", "Approvals", "/approvals"))
    if allowed(principal, Permission.CASE_READ):
        items.append(NavItem("inbox", "Inbox", "/inbox"))
    if allowed(principal, Permission.ACCOUNT_READ):
        items.append(NavItem("accounts", "Accounts", "/accounts"))
    if allowed(principal, Permission.POLICY_ADMIN):
        items.append(NavItem("policy", "Policy", "/policy"))
    if allowed(principal, Permission.AUDIT_READ):
        items.append(NavItem("audit", "Audit", "/audit"))
    if allowed(principal, Permission.MEMBER_ADMIN):
        items.append(NavItem("admin", "Admin", "/admin"))
    items.append(NavItem("sessions", "Your sessions", "/account/sessions"))
    return items


def local_time(value: datetime | None, style: str = "full") -> str:
    if value is None:
        return ""
    moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(LOCAL)
    if style == "time":
        return moment.strftime("%H:%M")
    return f"{moment.day} {moment.strftime('%b %Y, %H:%M')} {moment.tzname()}"


def iso(value: datetime | None) -> str:
    if value is None:
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")


def relative(value: datetime | None, now: datetime) -> str:
    """'in 14 min', '3 h ago': coarse on purpose; the exact time is beside it."""
    if value is None:
        return ""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    seconds = int((moment - now).total_seconds())
    minutes = abs(seconds) // 60
    if minutes < 1:
        amount = "less than a minute"
    elif minutes < 120:
        amount = f"{minutes} min"
    elif minutes < 48 * 60:
        amount = f"{minutes // 60} h"
    else:
        amount = f"{minutes // 1440} days"
    return f"in {amount}" if seconds >= 0 else f"{amount} ago"


def sentence(value: str) -> str:
    """A message as a sentence: first letter capitalised, ending with a full stop."""
    text = value.strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def humanise(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("warden.web.console", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(local_time=local_time, iso=iso, humanise=humanise, sentence=sentence)
    return env


ENV = _environment()


def render(request: Request, template: str, *, status: int = 200, caller: Caller | None = None,
           headers: Mapping[str, str] | None = None, **context: Any) -> HTMLResponse:
    """A whole page (or a fragment: templates under partials/ do not extend the layout)."""
    state = get_state(request)
    who: Caller | None = caller or getattr(request.state, "caller", None)
    shared: dict[str, Any] = {"request_path": request.url.path, "now": state.now(), "me": None, "nav": [],
                              "csrf_token": "", "organisation_name": "", "locked_down": False, "relative": relative,
                              "notice": NOTICES.get(request.query_params.get("done", ""), ""), "current": ""}
    if who is not None and who.session_id is not None:
        with state.sessions() as session:
            org = session.get(Organisation, who.principal.organisation_id)
            shared["organisation_name"] = org.name if org is not None else ""
            shared["locked_down"] = bool(org is not None and org.locked_down)
        shared.update(me=who.principal, nav=navigation(who), csrf_token=state.csrf.issue(who.session_id))
    shared.update(context)
    body = ENV.get_template(template).render(shared)
    return HTMLResponse(body, status_code=status, headers=dict(headers or {}))

