"""Moderation actions to carry out on a network, queued in the caller's
transaction and carried out by the network-task worker after commit.

Queuing (not calling) keeps the rule "side effects after commit" and means a
crash between the decision and the network call delays the hide, never loses it.
"""

from __future__ import annotations

import uuid

from warden.storage.tables import SocialAccount
from warden.storage.work_tables import NetworkTask
from warden.workflow.unit import Unit

ACTIONS = ("hide", "unhide", "delete", "block", "mute", "report")


def queue(unit: Unit, account: SocialAccount, action: str, target: str, *, reason: str = "",
          case_id: uuid.UUID | None = None) -> NetworkTask:
    if action not in ACTIONS:
        raise ValueError(f"unknown network action {action!r}")
    task = NetworkTask(organisation_id=account.organisation_id, account_id=account.id, action=action,
                       target=target[:200], reason=reason[:2000], case_id=case_id, due_at=unit.clock(),
                       created_at=unit.clock())
    unit.session.add(task)
    return task
