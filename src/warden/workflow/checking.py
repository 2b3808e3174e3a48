"""Running the risk engine for an organisation: its active policy pack, its
registers, its election period; the Decision stored as a row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from warden.domain.context import CheckContext, Registers
from warden.domain.decision import Decision
from warden.domain.enums import AccountType, Direction
from warden.engine import Engine, validate_text
from warden.policy.loader import Policy, builtin, parse
from warden.storage.tables import DecisionRow, Organisation, PolicyPackRow, RegisterEntry


@lru_cache(maxsize=32)
def _engine_for(source: str | None) -> Engine:
    policy: Policy = builtin() if source is None else parse(source, "organisation policy")
    return Engine(policy)


def engine_for(session: Session, organisation_id: uuid.UUID) -> Engine:
    source = session.execute(
        select(PolicyPackRow.source).where(PolicyPackRow.organisation_id == organisation_id,
                                           PolicyPackRow.active.is_(True))
    ).scalar_one_or_none()
    return _engine_for(source)


def registers_for(session: Session, organisation_id: uuid.UUID) -> Registers:
    rows = session.execute(
        select(RegisterEntry.kind, RegisterEntry.value).where(RegisterEntry.organisation_id == organisation_id,
                                                              RegisterEntry.removed_at.is_(None))
    ).all()
    by_kind: dict[str, list[str]] = {"active_proceedings": [], "anonymity": [], "operations": []}
    for kind, value in rows:
        by_kind.setdefault(kind, []).append(value)
    return Registers(active_proceedings=tuple(by_kind["active_proceedings"]), anonymity=tuple(by_kind["anonymity"]),
                     operations=tuple(by_kind["operations"]))


def check(session: Session, organisation: Organisation, text: str, direction: Direction,
          account_type: AccountType, *, engine: Engine | None = None, registers: Registers | None = None) -> Decision:
    """``engine`` and ``registers`` may be passed in when a batch checks many texts of one organisation."""
    return check_batch(session, organisation, [(text, account_type)], direction, engine=engine,
                       registers=registers)[0]


def check_batch(session: Session, organisation: Organisation, texts: Sequence[tuple[str, AccountType]],
                direction: Direction, *, engine: Engine | None = None,
                registers: Registers | None = None) -> list[Decision]:
    """Many texts of one organisation in one pass of the detectors (learned ones score a
    batch far faster than its texts one by one)."""
    engine = engine or engine_for(session, organisation.id)
    registers = registers if registers is not None else registers_for(session, organisation.id)
    contexts = {kind: CheckContext(direction=direction, account_type=kind, registers=registers,
                                   election_period=organisation.election_period) for kind in {k for _, k in texts}}
    for text, _ in texts:
        validate_text(text, engine.max_chars)
    return engine.check_batch([t for t, _ in texts], [contexts[k] for _, k in texts])


def store_decision(session: Session, organisation_id: uuid.UUID, subject_kind: str, subject_id: uuid.UUID,
                   decision: Decision, account_type: AccountType) -> DecisionRow:
    as_dict = decision.to_dict()
    row = DecisionRow(
        id=uuid.uuid4(), organisation_id=organisation_id, subject_kind=subject_kind, subject_id=subject_id,
        direction=decision.direction.value, account_type=account_type.value, action=decision.action.value,
        categories=list(decision.categories), reasons=as_dict["reasons"], findings=as_dict["findings"],
        scores=as_dict["scores"], policy_revision=decision.policy_revision,
        detector_versions=dict(decision.detector_versions),
    )
    session.add(row)  # the id is set here, so callers need no flush
    return row
