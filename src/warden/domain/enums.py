"""The closed vocabularies of the risk engine."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class AccountType(StrEnum):
    CORPORATE = "corporate"
    NEIGHBOURHOOD = "neighbourhood"
    PERSONAL_OFFICER = "personal_officer"


class OutboundAction(StrEnum):
    """What happens to a draft, weakest first."""

    ALLOW = "allow"
    WARN = "warn"
    HOLD = "hold"
    BLOCK = "block"


class InboundAction(StrEnum):
    """What happens to a received message, weakest first."""

    NONE = "none"
    REDIRECT = "redirect"
    REVIEW = "review"
    HIDE = "hide"
    HIDE_AND_ESCALATE = "hide_and_escalate"
    ESCALATE_URGENT = "escalate_urgent"


OUTBOUND_ORDER: tuple[OutboundAction, ...] = tuple(OutboundAction)
INBOUND_ORDER: tuple[InboundAction, ...] = tuple(InboundAction)


def action_rank(action: OutboundAction | InboundAction) -> int:
    """Position of an action in its direction's order (higher is stricter)."""
    if isinstance(action, OutboundAction):
        return OUTBOUND_ORDER.index(action)
    return INBOUND_ORDER.index(action)
