"""Every permission check lives here, never in a route handler.

A permission names the roles that grant it and the API-token scope an
integration needs for it. Team-scoped permissions are checked against the
team the object belongs to; admins hold organisation-wide roles.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from warden.workflow.errors import Forbidden, NotFound
from warden.workflow.principal import Principal, Role


class Permission(StrEnum):
    DRAFT_WRITE = "draft.write"
    DRAFT_READ = "draft.read"
    DRAFT_APPROVE = "draft.approve"
    DRAFT_OVERRIDE = "draft.override"
    DRAFT_SCHEDULE = "draft.schedule"
    CASE_READ = "case.read"
    CASE_WORK = "case.work"
    ACCOUNT_READ = "account.read"
    ACCOUNT_ADMIN = "account.admin"
    MEMBER_ADMIN = "member.admin"
    POLICY_ADMIN = "policy.admin"
    ORG_ADMIN = "org.admin"
    AUDIT_READ = "audit.read"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    scope: str
    team_scoped: bool = True


R = Role
RULES: dict[Permission, Rule] = {
    Permission.DRAFT_WRITE: Rule(frozenset({R.CONTRIBUTOR, R.PUBLISHER}), "drafts:write"),
    Permission.DRAFT_READ: Rule(frozenset({R.CONTRIBUTOR, R.PUBLISHER, R.APPROVER, R.AUDITOR}), "drafts:read"),
    Permission.DRAFT_APPROVE: Rule(frozenset({R.APPROVER}), "approvals:write"),
    Permission.DRAFT_OVERRIDE: Rule(frozenset({R.APPROVER}), "approvals:write"),
    Permission.DRAFT_SCHEDULE: Rule(frozenset({R.PUBLISHER, R.APPROVER}), "drafts:write"),
    Permission.CASE_READ: Rule(frozenset({R.MODERATOR, R.AUDITOR}), "inbox:read"),
    Permission.CASE_WORK: Rule(frozenset({R.MODERATOR}), "inbox:write"),
    Permission.ACCOUNT_READ: Rule(frozenset({R.ADMIN, R.MODERATOR, R.PUBLISHER, R.APPROVER, R.AUDITOR,
                                             R.CONTRIBUTOR}), "accounts:read"),
    Permission.ACCOUNT_ADMIN: Rule(frozenset({R.ADMIN}), "accounts:admin", team_scoped=False),
    Permission.MEMBER_ADMIN: Rule(frozenset({R.ADMIN}), "members:admin", team_scoped=False),
    Permission.POLICY_ADMIN: Rule(frozenset({R.ADMIN}), "policy:admin", team_scoped=False),
    Permission.ORG_ADMIN: Rule(frozenset({R.ADMIN}), "members:admin", team_scoped=False),
    Permission.AUDIT_READ: Rule(frozenset({R.AUDITOR, R.ADMIN}), "audit:read", team_scoped=False),
}


def allowed(principal: Principal, permission: Permission, team_id: uuid.UUID | None = None) -> bool:
    rule = RULES[permission]
    if principal.scopes is not None and rule.scope not in principal.scopes:
        return False
    if principal.is_admin and permission in (Permission.ACCOUNT_READ, Permission.DRAFT_READ, Permission.CASE_READ):
        return True
    scope_team = team_id if rule.team_scoped else None
    return any(principal.has_role(role, scope_team) for role in rule.roles)


def authorize(principal: Principal, permission: Permission, team_id: uuid.UUID | None = None,
              organisation_id: uuid.UUID | None = None) -> None:
    """Raise Forbidden unless the principal may do this, in this organisation."""
    if organisation_id is not None and organisation_id != principal.organisation_id:
        # Another tenant's object is reported as missing, never as forbidden.
        raise NotFound("no such object")
    if not allowed(principal, permission, team_id):
        raise Forbidden(f"{principal.name} may not {permission.value.replace('.', ' ')} here")
