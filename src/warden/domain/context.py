"""Everything about where a text is going that the text itself cannot tell."""

from __future__ import annotations

from dataclasses import dataclass, field

from warden.domain.enums import AccountType, Direction


@dataclass(frozen=True, slots=True)
class Registers:
    """Per-organisation data the text alone cannot reveal.

    Names are matched case-insensitively on word boundaries after normalisation.
    """

    active_proceedings: tuple[str, ...] = ()
    anonymity: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.active_proceedings or self.anonymity or self.operations)


@dataclass(frozen=True, slots=True)
class LinkLists:
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckContext:
    direction: Direction = Direction.OUTBOUND
    account_type: AccountType = AccountType.CORPORATE
    registers: Registers = field(default_factory=Registers)
    links: LinkLists = field(default_factory=LinkLists)
    election_period: bool = False
