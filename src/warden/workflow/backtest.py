"""What would a change to the policy have done to the organisation's recent messages?

Before an administrator switches something on (a name on a register, a word or phrase the policy
should act on, or a whole changed pack), ``backtest`` runs the risk engine twice over the messages
received in the last ``WINDOW`` (the newest ``SCAN_LIMIT`` of them at most): once as the policy is
now, once with the candidate. The messages the candidate would treat more strictly (newly sent for
review, newly hidden, newly escalated) are counted and the newest ``SHOW_LIMIT`` returned with the
candidate's own reasons; those it would treat less strictly are counted.

Nothing changes, except one audit entry (``policy.backtested``) for the run: it reads every message
of the window. Like the register itself, the entry records what kind of candidate was tried, never
the name. The text of a message hidden on the network is not returned (it stays behind the case's
audited reveal), nor is any evidence quoted from it.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.domain.context import CheckContext, Registers
from warden.domain.decision import Decision
from warden.domain.enums import AccountType, Direction, InboundAction, action_rank
from warden.domain.errors import InvalidInput, PolicyError
from warden.engine import Engine
from warden.policy.loader import MAX_POLICY_BYTES, Policy, parse
from warden.storage.tables import Case, Message, PolicyPackRow, SocialAccount
from warden.workflow import checking
from warden.workflow.loading import organisation
from warden.workflow.permissions import Permission, authorize
from warden.workflow.policies import REGISTER_KINDS
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit, utcnow

WINDOW = timedelta(days=30)
#: At most this many messages (the newest) are checked in one run.
SCAN_LIMIT = 2_000
#: At most this many changed messages are returned (the newest).
SHOW_LIMIT = 50
#: What a word or phrase may make the policy do to an inbound message.
WORD_ACTIONS = ("review", "hide", "hide_and_escalate")
WORD_CATEGORY = "custom.candidate_phrase"
_CHUNK = 256


@dataclass(frozen=True)
class Candidate:
    """One change to try. ``kind``: ``register`` (``register`` names which, ``value`` the name), ``word``
    (``value`` the word or phrase, ``action`` what the policy should do to a message containing it) or
    ``pack`` (``value`` a whole policy pack, YAML)."""

    kind: str
    value: str
    register: str = ""
    action: str = "hide"

    @property
    def label(self) -> str:
        """What was tried, without the value (for the audit log)."""
        if self.kind == "register":
            return f"register:{self.register}"
        if self.kind == "word":
            return f"word:{self.action}"
        return "pack"


@dataclass(frozen=True)
class Change:
    """A message the candidate would treat differently from the policy as it is."""

    message_id: uuid.UUID
    case_id: uuid.UUID | None
    account: str
    kind: str
    author_handle: str
    author_name: str
    received_at: datetime
    hidden: bool
    #: None when the message is hidden on the network: reading it stays the case's audited reveal.
    text: str | None
    before: str
    after: str
    #: The candidate's reasons the policy as it is does not give (``Reason.to_dict``; no evidence if hidden).
    reasons: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Backtest:
    candidate: Candidate
    since: datetime
    in_window: int  # messages received since ``since``
    scanned: int  # of which checked (the newest, at most SCAN_LIMIT)
    skipped: int  # checked none: empty or too long for the engine
    stricter: int
    weaker: int
    by_action: Mapping[str, int]  # among the stricter ones: how many per new action
    changes: tuple[Change, ...]  # the newest stricter ones, at most SHOW_LIMIT
    policy_revision: str
    candidate_revision: str

    @property
    def capped(self) -> bool:
        return self.scanned < self.in_window


# ------------------------------------------------------------------------------ the candidate

def _phrase_regex(phrase: str) -> str:
    """The phrase as a case-insensitive pattern: its words in order, any spacing between them, and whole
    words at either end where the phrase starts or ends with a letter or digit."""
    words = phrase.split()
    body = r"\s+".join(re.escape(w) for w in words)
    start = r"\b" if words[0][0].isalnum() else ""
    end = r"\b" if words[-1][-1].isalnum() else ""
    return start + body + end


def _with_phrase(policy: Policy, phrase: str, action: str) -> Policy:
    """The active pack plus one pattern for ``phrase`` and one inbound rule acting on it."""
    data = policy.pack.model_dump(mode="json")
    data["patterns"] = [p for p in data.get("patterns", []) if p["category"] != WORD_CATEGORY] + [{
        "name": "candidate_phrase", "category": WORD_CATEGORY, "regex": _phrase_regex(phrase), "severity": 2,
        "explanation": "the word or phrase being tried on the policy page"}]
    data["rules"] = [r for r in data["rules"] if r["id"] != "CANDIDATE-phrase"] + [{
        "id": "CANDIDATE-phrase", "title": "The word or phrase being tried", "direction": "inbound",
        "why": "This is the rule being tried on the policy page; it is not switched on.",
        "when": {"any": [WORD_CATEGORY]}, "action": action}]
    return parse(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "the pack with the phrase")


def _register_value(value: str) -> str:
    value = value.strip()
    if not 2 <= len(value) <= 400:
        raise InvalidInput("a register entry is 2 to 400 characters")
    return value


def _candidate_checker(candidate: Candidate, engine: Engine, registers: Registers) -> tuple[Engine, Registers]:
    """The engine and registers with the candidate; InvalidInput when it is not acceptable."""
    if candidate.kind == "register":
        if candidate.register not in REGISTER_KINDS:
            raise InvalidInput(f"register must be one of {', '.join(REGISTER_KINDS)}")
        value = _register_value(candidate.value)
        listed: tuple[str, ...] = getattr(registers, candidate.register)
        if value.casefold() in {v.casefold() for v in listed}:
            raise InvalidInput("this name is on the register already")
        extended = Registers(**{kind: (*getattr(registers, kind), value) if kind == candidate.register
                                else getattr(registers, kind) for kind in REGISTER_KINDS})
        return engine, extended
    if candidate.kind == "word":
        phrase = " ".join(candidate.value.split())
        if not 2 <= len(phrase) <= 100:
            raise InvalidInput("a word or phrase is 2 to 100 characters")
        if candidate.action not in WORD_ACTIONS:
            raise InvalidInput(f"the action must be one of {', '.join(WORD_ACTIONS)}")
        return Engine(_with_phrase(engine.policy, phrase, candidate.action)), registers
    if candidate.kind == "pack":
        if not candidate.value.strip():
            raise InvalidInput("paste the whole pack, as YAML")
        if len(candidate.value.encode("utf-8")) > MAX_POLICY_BYTES:
            raise InvalidInput(f"the pack is larger than {MAX_POLICY_BYTES} bytes")
        try:
            return Engine(parse(candidate.value, "the pack being tried")), registers
        except PolicyError as error:
            raise InvalidInput(error.message) from None
    raise InvalidInput("try a register entry, a word or phrase, or a pack")


def active_pack_source(sessions: sessionmaker[Session], principal: Principal) -> str:
    """The active pack as written (YAML), to start a changed one from."""
    authorize(principal, Permission.POLICY_ADMIN)
    with sessions() as session:
        source = session.execute(select(PolicyPackRow.source).where(
            PolicyPackRow.organisation_id == principal.organisation_id, PolicyPackRow.active.is_(True))
        ).scalar_one_or_none()
    if source is not None:
        return source
    return resources.files("warden.policy.packs").joinpath("uk-policing.yaml").read_text("utf-8")


# ------------------------------------------------------------------------------------ the run

@dataclass(frozen=True)
class _Row:
    id: uuid.UUID
    account_id: uuid.UUID
    account: str
    account_type: str
    thread_key: str
    kind: str
    author_handle: str
    author_name: str
    text: str
    received_at: datetime
    hidden: bool


def _recent(session: Session, organisation_id: uuid.UUID, since: datetime, limit: int) -> tuple[int, list[_Row]]:
    where = (Message.organisation_id == organisation_id, Message.received_at >= since)
    total = int(session.execute(select(func.count()).select_from(Message).where(*where)).scalar_one())
    rows = session.execute(
        select(Message.id, Message.account_id, SocialAccount.handle, SocialAccount.account_type, Message.thread_key,
               Message.kind, Message.author_handle, Message.author_name, Message.text, Message.received_at,
               Message.hidden)
        .join(SocialAccount, SocialAccount.id == Message.account_id)
        .where(*where, SocialAccount.organisation_id == organisation_id)
        .order_by(Message.received_at.desc(), Message.id.desc()).limit(limit)).all()
    return total, [_Row(*row) for row in rows]


def _decide(engine: Engine, registers: Registers, election: bool, rows: Sequence[_Row]) -> list[Decision]:
    out: list[Decision] = []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        contexts = [CheckContext(direction=Direction.INBOUND, account_type=AccountType(r.account_type),
                                 registers=registers, election_period=election) for r in chunk]
        out.extend(engine.check_batch([r.text for r in chunk], contexts))
    return out


def _new_reasons(before: Decision, after: Decision, hidden: bool) -> tuple[Mapping[str, Any], ...]:
    known = {r.rule_id for r in before.reasons}
    reasons = [r.to_dict() for r in after.reasons if r.rule_id not in known] or [r.to_dict() for r in after.reasons]
    if hidden:
        reasons = [{**r, "evidence": []} for r in reasons]
    return tuple(reasons)


def _cases(session: Session, organisation_id: uuid.UUID,
           rows: Sequence[_Row]) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    if not rows:
        return {}
    found = session.execute(select(Case.account_id, Case.thread_key, Case.id).where(
        Case.organisation_id == organisation_id, Case.account_id.in_({r.account_id for r in rows}),
        Case.thread_key.in_({r.thread_key for r in rows}))).all()
    return {(account, thread): case for account, thread, case in found}


def backtest(sessions: sessionmaker[Session], principal: Principal, candidate: Candidate, *,
             scan_limit: int = SCAN_LIMIT, show_limit: int = SHOW_LIMIT, clock: Clock = utcnow) -> Backtest:
    """Run the policy as it is and with ``candidate`` over the last ``WINDOW`` of messages; see the module."""
    authorize(principal, Permission.POLICY_ADMIN)
    authorize(principal, Permission.CASE_READ)
    organisation_id = principal.organisation_id
    since = clock() - WINDOW
    with sessions() as session:
        org = organisation(session, organisation_id)
        election = org.election_period
        engine = checking.engine_for(session, organisation_id)
        registers = checking.registers_for(session, organisation_id)
        trial_engine, trial_registers = _candidate_checker(candidate, engine, registers)
        in_window, rows = _recent(session, organisation_id, since, scan_limit)
    checkable = [r for r in rows if r.text.strip() and len(r.text) <= engine.max_chars]
    before = _decide(engine, registers, election, checkable)
    after = _decide(trial_engine, trial_registers, election, checkable)
    stricter = [(row, old, new) for row, old, new in zip(checkable, before, after, strict=True)
                if action_rank(new.action) > action_rank(old.action)]
    weaker = sum(1 for old, new in zip(before, after, strict=True) if action_rank(new.action) < action_rank(old.action))
    shown = stricter[:show_limit]
    with sessions() as session:
        cases = _cases(session, organisation_id, [row for row, _, _ in shown])
    changes = tuple(Change(
        message_id=row.id, case_id=cases.get((row.account_id, row.thread_key)), account=row.account, kind=row.kind,
        author_handle=row.author_handle, author_name=row.author_name, received_at=row.received_at, hidden=row.hidden,
        text=None if row.hidden else row.text, before=old.action.value, after=new.action.value,
        reasons=_new_reasons(old, new, row.hidden)) for row, old, new in shown)
    by_action = Counter(new.action.value for _, _, new in stricter)
    result = Backtest(candidate=candidate, since=since, in_window=in_window, scanned=len(rows),
                      skipped=len(rows) - len(checkable), stricter=len(stricter), weaker=weaker,
                      by_action={a.value: by_action[a.value] for a in reversed(InboundAction) if by_action[a.value]},
                      changes=changes, policy_revision=engine.policy.revision,
                      candidate_revision=trial_engine.policy.revision)
    with Unit(sessions, principal, clock) as unit:
        unit.record("policy.backtested", AuditObject(type="policy", id=engine.policy.revision,
                                                      name=engine.policy.pack.name),
                    policy_revision=engine.policy.revision,
                    details={"candidate": candidate.label, "candidate_revision": trial_engine.policy.revision,
                             "window_days": WINDOW.days, "in_window": in_window, "scanned": result.scanned,
                             "stricter": result.stricter, "weaker": weaker, "shown": len(changes),
                             "hidden_withheld": sum(1 for c in changes if c.hidden)})
    return result
