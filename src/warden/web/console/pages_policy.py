"""Policy (administrators): the active pack in its own words, the context registers (people in
active proceedings, people with anonymity, live operation names), a test of any text against
the pack and the registers, storing nothing, and "what would this have hidden?": a name for a
register, a word or phrase, or a changed pack tried on the last 30 days of messages before it is
switched on (``workflow.backtest``, which records the run in the audit log). The messages it would
treat more strictly are listed with the candidate's reasons, blurred as in the inbox; the text of a
message hidden on the network stays behind the case's audited reveal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from warden.domain.enums import AccountType, Direction
from warden.domain.errors import InvalidInput
from warden.engine import MAX_TEXT_CHARS
from warden.policy.loader import MAX_POLICY_BYTES
from warden.web.console import forms, reads
from warden.web.console.explain import ACTION_LABELS, ACTION_TONES, Explained, explain
from warden.web.console.guard import ConsoleRoute, FormCaller, PageCaller, see_other
from warden.web.console.templating import render
from warden.web.errors import status_for
from warden.web.identity import Caller
from warden.web.state import get_state
from warden.workflow import backtest, checking, policies
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
#: What can be tried on the last 30 days of messages (besides a changed pack).
TRIALS: Mapping[str, str] = {
    "register:active_proceedings": "A person in active proceedings",
    "register:anonymity": "A person with anonymity",
    "register:operations": "A live operation name",
    "word": "A word or phrase",
}
#: What the candidate would newly do to a message, as the result says it ("3 hidden, 1 sent for review").
OUTCOMES: Mapping[str, str] = {"redirect": "given the redirect reply", "review": "sent for review", "hide": "hidden",
                               "hide_and_escalate": "hidden and escalated", "escalate_urgent": "escalated as urgent"}
WORD_ACTIONS: Mapping[str, str] = {"review": "Send it for review", "hide": "Hide it",
                                   "hide_and_escalate": "Hide it and escalate"}


@dataclass(frozen=True)
class RuleView:
    id: str
    title: str
    direction: str
    action: str
    principles: str
    standards: str


@dataclass(frozen=True)
class ChangeView:
    change: backtest.Change
    explained: Explained | None  # None when the message is hidden (its text withheld)


def policy_page(request: Request, caller: Caller, *, status: int = 200, errors: Mapping[str, str] | None = None,
                values: Mapping[str, str] | None = None, tested: Explained | None = None,
                tried: backtest.Backtest | None = None) -> Response:
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
    changes = [ChangeView(c, None if c.text is None else explain(c.text, c.after, c.reasons, pack.standards))
               for c in (tried.changes if tried else ())]
    return render(request, "policy.html", status=status, pack=pack, revision=policy.revision, rules=rules,
                  standards=pack.standards, registers=REGISTERS,
                  entries=reads.register_entries(state.sessions, principal), errors=errors or {},
                  values=values or {}, tested=tested, account_types=ACCOUNT_TYPES, trials=TRIALS,
                  word_actions=WORD_ACTIONS, action_labels=ACTION_LABELS, action_tones=ACTION_TONES, outcomes=OUTCOMES,
                  tried=tried, changes=changes, window_days=backtest.WINDOW.days,
                  scan_limit=backtest.SCAN_LIMIT, show_limit=backtest.SHOW_LIMIT,
                  pack_source=values.get("pack") if values and "pack" in values
                  else backtest.active_pack_source(state.sessions, principal), current="policy")


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


def _candidate(trial: str, value: str, action: str, pack: str) -> backtest.Candidate:
    if trial == "pack":
        return backtest.Candidate("pack", forms.text(pack, "pack", max_chars=MAX_POLICY_BYTES, required=True))
    value = forms.text(value, "name, word or phrase", max_chars=400, required=True)
    if trial == "word":
        return backtest.Candidate("word", value, action=action)
    kind, _, register = trial.partition(":")
    if kind != "register" or trial not in TRIALS:
        raise InvalidInput("choose what to try")
    return backtest.Candidate("register", value, register=register)


@router.post("/policy/backtest")
def try_on_recent_messages(request: Request, caller: FormCaller, trial: Short = "", value: Short = "",
                           action: Short = "hide",
                           pack: Annotated[str, Form(max_length=MAX_POLICY_BYTES)] = "") -> Response:
    """What a candidate would have done to the last 30 days of messages; nothing changes (the run is audited)."""
    state = get_state(request)
    key = "backtest-pack" if trial == "pack" else "backtest"
    values = {"bt_trial": trial, "bt_value": value, "bt_action": action, **({"pack": pack} if trial == "pack" else {})}
    try:
        tried = backtest.backtest(state.sessions, caller.principal, _candidate(trial, value, action, pack),
                                  clock=state.clock)
    except InvalidInput as error:
        return policy_page(request, caller, status=422, errors={key: error.message}, values=values)
    return policy_page(request, caller, values=values, tried=tried)
