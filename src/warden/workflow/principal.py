"""Who is acting: a member in a browser session, an API token, or the system."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from warden.audit import Actor, ActorKind


class Role(StrEnum):
    ADMIN = "admin"
    APPROVER = "approver"
    PUBLISHER = "publisher"
    CONTRIBUTOR = "contributor"
    MODERATOR = "moderator"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Principal:
    organisation_id: uuid.UUID
    name: str
    kind: ActorKind
    member_id: uuid.UUID | None = None
    roles: frozenset[tuple[uuid.UUID, Role]] = frozenset()
    # None for a browser session (the member's roles decide); an API token's scopes otherwise.
    scopes: frozenset[str] | None = None
    authenticated_at: datetime | None = None
    mfa_at: datetime | None = None
    token_id: uuid.UUID | None = field(default=None)

    def has_role(self, role: Role, team_id: uuid.UUID | None = None) -> bool:
        """``team_id`` None: the role in any team. Admins are organisation-wide."""
        return any(r == role and (team_id is None or t == team_id) for t, r in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def actor(self) -> Actor:
        identity = self.token_id or self.member_id
        return Actor(id=str(identity) if identity else "system", name=self.name, kind=self.kind)


def system(organisation_id: uuid.UUID, name: str = "Warden") -> Principal:
    return Principal(organisation_id=organisation_id, name=name, kind=ActorKind.SYSTEM)
