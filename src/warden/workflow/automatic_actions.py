"""What happens to an inbound message without a person, when policy says so:
hide it (on screen at once, on the network through a queued task), raise an
alert for anything urgent, and answer a "redirect" message with the policy's
reply (through the outbox, so it is published exactly once).
"""

from __future__ import annotations

from datetime import timedelta

from warden.domain.enums import InboundAction
from warden.policy.schema import Settings
from warden.storage.tables import Alert, Case, Message, SocialAccount
from warden.storage.work_tables import OutboxPost
from warden.workflow import network_actions
from warden.workflow.loading import organisation
from warden.workflow.unit import Unit

HIDING = frozenset({InboundAction.HIDE, InboundAction.HIDE_AND_ESCALATE})
URGENT = frozenset({InboundAction.ESCALATE_URGENT, InboundAction.HIDE_AND_ESCALATE})


def apply(unit: Unit, settings: Settings, account: SocialAccount, message: Message, case: Case,
          action: InboundAction, categories: list[str]) -> list[str]:
    """Queue the automatic actions for one filed message; returns their names for the audit entry."""
    done: list[str] = []
    locked = organisation(unit.session, account.organisation_id).locked_down
    if action in HIDING:  # the message was stored hidden (``filing.store_message``)
        done.append("hidden_in_warden")
        if settings.auto_hide and not locked and message.kind != "dm":
            network_actions.queue(unit, account, "hide", message.network_id, case_id=case.id,
                                  reason=f"policy: {', '.join(categories[:5])}")
            done.append("hide_queued")
    if action in URGENT:
        level = "critical" if action is InboundAction.ESCALATE_URGENT else "high"
        unit.session.add(Alert(organisation_id=account.organisation_id, kind="urgent_message", severity=level,
                               subject=f"Urgent {message.kind} to {account.handle[:80]} ({', '.join(categories[:3])})",
                               detail=f"case {case.id}", created_at=unit.clock()))
        done.append("alert")
    if action is InboundAction.REDIRECT and settings.redirect_reply and not locked and message.kind != "dm":
        now = unit.clock()
        unit.session.add(OutboxPost(organisation_id=account.organisation_id, message_id=message.id,
                                    account_id=account.id, text=settings.redirect_reply,
                                    in_reply_to=message.network_id, due_at=now,
                                    late_until=now + timedelta(minutes=settings.late_publish_minutes),
                                    created_at=now))
        done.append("redirect_reply_queued")
    return done
