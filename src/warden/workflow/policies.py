"""An organisation's policy pack and context registers."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.domain.errors import InvalidInput
from warden.engine import Engine
from warden.policy.loader import MAX_POLICY_BYTES, parse
from warden.storage.tables import PolicyPackRow, RegisterEntry
from warden.workflow.errors import InvalidState, NotFound
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit, utcnow

REGISTER_KINDS = ("active_proceedings", "anonymity", "operations")


def activate_pack(sessions: sessionmaker[Session], principal: Principal, source: str,
                  clock: Clock = utcnow) -> str:
    """Validate a pack (keys, regexes, categories) and make it the active one."""
    authorize(principal, Permission.POLICY_ADMIN)
    if len(source.encode("utf-8")) > MAX_POLICY_BYTES:
        raise InvalidInput(f"the pack is larger than {MAX_POLICY_BYTES} bytes")
    policy = parse(source, "uploaded pack")
    Engine(policy)  # refuses rules naming categories no detector produces
    with Unit(sessions, principal, clock) as unit:
        org_id = principal.organisation_id
        previous = unit.session.execute(select(PolicyPackRow.revision).where(
            PolicyPackRow.organisation_id == org_id, PolicyPackRow.active.is_(True))).scalar_one_or_none()
        unit.session.execute(update(PolicyPackRow).where(PolicyPackRow.organisation_id == org_id)
                             .values(active=False))
        existing = unit.session.execute(select(PolicyPackRow).where(
            PolicyPackRow.organisation_id == org_id, PolicyPackRow.revision == policy.revision)).scalar_one_or_none()
        if existing is None:
            unit.session.add(PolicyPackRow(organisation_id=org_id, revision=policy.revision, source=source,
                                           active=True, created_by=principal.member_id, created_at=clock()))
        else:
            existing.active = True
        unit.record("policy.activated", AuditObject(type="policy", id=policy.revision, name=policy.pack.name),
                    policy_revision=policy.revision, details={"previous": previous, "pack": policy.pack.id,
                                                              "version": policy.pack.version})
        return policy.revision


def add_register_entry(sessions: sessionmaker[Session], principal: Principal, kind: str, value: str,
                       clock: Clock = utcnow) -> uuid.UUID:
    authorize(principal, Permission.POLICY_ADMIN)
    if kind not in REGISTER_KINDS:
        raise InvalidInput(f"register must be one of {', '.join(REGISTER_KINDS)}")
    value = value.strip()
    if not 2 <= len(value) <= 400:
        raise InvalidInput("a register entry is 2 to 400 characters")
    with Unit(sessions, principal, clock) as unit:
        entry = RegisterEntry(organisation_id=principal.organisation_id, kind=kind, value=value,
                              created_by=principal.member_id, created_at=clock())
        unit.session.add(entry)
        unit.session.flush()
        # The value itself is sensitive (a complainant's name): the log keeps its id, not the name.
        unit.record("register.added", AuditObject(type="register_entry", id=str(entry.id), name=kind))
        return entry.id


def remove_register_entry(sessions: sessionmaker[Session], principal: Principal, entry_id: uuid.UUID,
                          reason: str, clock: Clock = utcnow) -> None:
    authorize(principal, Permission.POLICY_ADMIN)
    with Unit(sessions, principal, clock) as unit:
        entry = unit.session.execute(select(RegisterEntry).where(
            RegisterEntry.id == entry_id, RegisterEntry.organisation_id == principal.organisation_id)
        ).scalar_one_or_none()
        if entry is None:
            raise NotFound("no such register entry")
        if entry.removed_at is not None:
            raise InvalidState("already removed")
        entry.removed_at = clock()
        unit.record("register.removed", AuditObject(type="register_entry", id=str(entry.id), name=entry.kind),
                    justification=reason or None)
