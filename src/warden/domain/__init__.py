"""Pure, I/O-free types shared by every layer."""

from warden.domain.context import CheckContext, LinkLists, Registers
from warden.domain.decision import Decision, Reason
from warden.domain.enums import AccountType, Direction, InboundAction, OutboundAction
from warden.domain.errors import WardenError
from warden.domain.findings import Finding

__all__ = [
    "AccountType",
    "CheckContext",
    "Decision",
    "Direction",
    "Finding",
    "InboundAction",
    "LinkLists",
    "OutboundAction",
    "Reason",
    "Registers",
    "WardenError",
]
