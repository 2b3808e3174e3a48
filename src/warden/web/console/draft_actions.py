"""What a viewer may do to a draft now: the console shows exactly these.

The counterpart of ``workflow.cases.available_actions`` for drafts. The role
part is asked of ``workflow.permissions.allowed``; the state part mirrors what
each function in ``workflow.drafts`` requires (its own TERMINAL and EDITABLE
sets). The workflow still checks everything again when an action is taken.
It belongs in ``workflow.drafts`` (as ``available_actions``) and lives here
only until it moves there.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from warden.workflow.drafts import EDITABLE, TERMINAL
from warden.workflow.permissions import Permission, allowed
from warden.workflow.principal import Principal, Role


class DraftLike(Protocol):
    @property
    def author_id(self) -> uuid.UUID: ...
    @property
    def team_id(self) -> uuid.UUID: ...
    @property
    def state(self) -> str: ...


def available_actions(principal: Principal, draft: DraftLike, locked_down: bool = False) -> list[str]:
    if draft.state in TERMINAL:
        return []
    offered: list[str] = []
    mine = draft.author_id == principal.member_id
    team = draft.team_id
    if mine and allowed(principal, Permission.DRAFT_WRITE, team):
        if draft.state in ("draft", "changes_requested"):
            offered.append("submit")
        if draft.state in EDITABLE:
            offered.append("edit")
    if mine and draft.state == "warned":
        offered.append("acknowledge")
    if not mine and allowed(principal, Permission.DRAFT_APPROVE, team):
        if draft.state == "held":
            offered.append("approve")
        if draft.state in ("held", "blocked"):
            offered.append("request_changes")
        if draft.state in ("held", "blocked", "warned", "allowed"):
            offered.append("reject")
    if not mine and draft.state == "blocked" and allowed(principal, Permission.DRAFT_OVERRIDE, team):
        offered.append("override")
    schedulable = not locked_down and draft.state in ("allowed", "approved")
    if schedulable and allowed(principal, Permission.DRAFT_SCHEDULE, team) and (
            draft.state == "approved" or mine or principal.has_role(Role.APPROVER, team)):
        offered.append("schedule")
    if mine:
        offered.append("withdraw")
    return offered
