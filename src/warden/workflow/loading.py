"""Reading rows for actions: always inside the principal's organisation."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from warden.audit import ActorKind
from warden.storage.tables import Base, Member, Membership, Organisation
from warden.workflow.errors import Forbidden, NotFound, StaleVersion
from warden.workflow.principal import Principal, Role

T = TypeVar("T", bound=Base)


def get_owned(session: Session, model: type[T], object_id: uuid.UUID, organisation_id: uuid.UUID,
              *, lock: bool = False) -> T:
    """The row, if it exists in this organisation; another tenant's row is
    indistinguishable from a missing one."""
    query = select(model).where(model.id == object_id, model.organisation_id == organisation_id)  # type: ignore[attr-defined]
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no such {model.__tablename__.rstrip('s')}")
    return row


def require_version(current: int, expected: int | None, noun: str) -> None:
    """Optimistic locking across requests: refuse a change made on a stale view."""
    if expected is not None and current != expected:
        raise StaleVersion(f"the {noun} changed since you saw it (version {expected}, now {current})")


def organisation(session: Session, organisation_id: uuid.UUID) -> Organisation:
    row = session.get(Organisation, organisation_id)
    if row is None:
        raise NotFound("no such organisation")
    return row


def member_principal(session: Session, member_id: uuid.UUID) -> Principal:
    """A principal for an active member with their current roles."""
    member = session.get(Member, member_id)
    if member is None or member.status != "active":
        raise Forbidden("this member has no access")
    roles = session.execute(
        select(Membership.team_id, Membership.role).where(Membership.member_id == member_id)
    ).all()
    return Principal(organisation_id=member.organisation_id, name=member.display_name, kind=ActorKind.MEMBER,
                     member_id=member.id, roles=frozenset((team, Role(role)) for team, role in roles))
