"""Warden: social media risk and compliance for organisations whose every word is scrutinised."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from warden.domain import AccountType, CheckContext, Decision, Direction, Registers
from warden.domain.errors import WardenError

if TYPE_CHECKING:
    from warden.engine import Engine

__version__ = "0.1.0"
__all__ = ["AccountType", "CheckContext", "Decision", "Direction", "Registers", "WardenError", "check"]


@lru_cache(maxsize=4)
def _engine(policy: str | None) -> Engine:
    from warden.engine import Engine
    from warden.policy.loader import load

    return Engine(load(policy))


def check(
    text: str,
    direction: str | Direction = "outbound",
    account_type: str | AccountType = "corporate",
    policy: str | Path | None = None,
    registers: Registers | None = None,
) -> Decision:
    """Check one text against a policy (the UK policing pack by default).

    ``policy`` is a built-in pack name ("uk-policing", "enterprise") or a
    path to a pack file.
    """
    try:
        context = CheckContext(direction=Direction(direction), account_type=AccountType(account_type),
                               registers=registers or Registers())
    except ValueError as exc:
        from warden.domain.errors import InvalidInput

        raise InvalidInput(str(exc)) from exc
    return _engine(str(policy) if policy is not None else None).check(text, context)
