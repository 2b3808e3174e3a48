"""Policy (administrators): the active pack in its own words, the context registers (people in
active proceedings, people with anonymity, live operation names) and a test of any text against
the pack and the registers, storing nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from warden.domain.enums import AccountType, Direction
from warden.domain.errors import InvalidInput
from warden.engine import MAX_TEXT_CHARS
from warden.web.console import forms, reads
from warden.web.console.explain import Explained, explain
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, see_other
from warden.web.console.templating import render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.state import get_state
from warden.workflow import checking, policies
from warden.workflow.loading import organisation
from warden.workflow.permissions import Permission, authorize

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Short = Annotated[str, Form(max_length=4000)]
REGISTERS: Mapping[str, tuple[str, str]] = {
    "active_proceedings": ("People in active proceedings",
                           "Drafts naming them are held: a comment now could prejudice a trial."),
    "anonymity": ("People with anonymity", "Drafts naming them are blocked (complainants, children)."),
    "operations": ("Live operation names", "Drafts naming a live operation are blocked."),
}
ACCOUNT_TYPES = {"corporate": "Corporate", "neighbourhood": "Neighbourhood", "personal_officer": "Personal officer"}


@dataclass(frozen=True)
class RuleView:
    id: str
    title: str
    direction: str
    action: str
    principles: str
    standards: str


def policy_page(request: Request, caller: Caller, *, status: int = 200, errors: Mapping[str, str] | None = None,
                values: Mapping[str, str] | None = None, tested: Explained | None = None) -> Response:
    state = get_state(request)
    principal = caller.principal
    authorize(principal, Permission.POLICY_ADMIN)
    with state.sessions() as session:
        policy = checking.engine_for(session, principal.organisation_id).policy
    pack = policy.pack
    rules = [RuleView(id=r.id, title=r.title, direction=r.direction.value,
                      action=r.action if isinstance(r.action, str) else "; ".join(
                          f"{ACCOUNT_TYPES[t.value]}: {r.action.for_account(t)}" for t in AccountType),
                      principles=", ".join([*r.principles_2024, *r.principles_2014]),
                      standards=", ".join(r.standards)) for r in pack.rules]
    return render(request, "policy.html", status=status, pack=pack, revision=policy.revision, rules=rules,
                  standards=pack.standards, registers=REGISTERS,
                  entries=reads.register_entries(state.sessions, principal), errors=errors or {},
                  values=values or {}, tested=tested, account_types=ACCOUNT_TYPES, current="policy")


@router.get("/policy")
def policy(request: Request, caller: PageCaller) -> Response:
    return policy_page(request, caller)


@router.post("/policy/registers")
def add_entry(request: Request, caller: FormCaller, kind: Short = "", value: Short = "") -> Response:
    state = get_state(request)
    try:
        policies.add_register_entry(state.sessions, caller.principal, kind, forms.text(value, "entry"),
                                    clock=state.clock)
    except InvalidInput as error:
        return policy_page(request, caller, status=422, errors={"register": error.message},
                           values={"kind": kind, "value": value})
    return see_other("/policy?done=register_added#registers")


@router.post("/policy/registers/remove")
def remove_entry(request: Request, caller: FormCaller, entry: Short = "", reason: Short = "") -> Response:
    state = get_state(request)
    policies.remove_register_entry(state.sessions, caller.principal, forms.identifier(entry, "entry"),
                                   forms.text(reason, "reason"), clock=state.clock)
    return see_other("/policy?done=register_removed#registers")


@router.post("/policy/test")
def test_text(request: Request, caller: FormCaller, text: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
              direction: Short = "outbound", account_type: Short = "corporate") -> Response:
    """The pack and the registers on any text, as a draft or as an inbound message; nothing is stored."""
    state = get_state(request)
    principal = caller.principal
    authorize(principal, Permission.POLICY_ADMIN)
    values = {"text": text, "direction": direction, "account_type": account_type}
    try:
        forms.text(text, "text", required=True)
        chosen_direction = Direction(direction)
        chosen_type = AccountType(account_type)
    except (InvalidInput, ValueError) as error:
        message = error.message if isinstance(error, InvalidInput) else "choose a direction and an account type"
        return policy_page(request, caller, status=status_for(InvalidInput(message)), errors={"test": message},
                           values=values)
    with state.sessions() as session:
        decision = checking.check(session, organisation(session, principal.organisation_id), text, chosen_direction,
                                  chosen_type)
    as_dict = decision.to_dict()
    reasons = as_dict["reasons"]
    assert isinstance(reasons, list)
    tested = explain(text, decision.action.value, reasons, reads.standards(state.sessions, principal.organisation_id))
    return policy_page(request, caller, values=values, tested=tested)
